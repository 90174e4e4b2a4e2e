"""From equations to update statements: the hub's numerics of a custom neuron model.

The state variables are split by what their equations allow (sympy decides linearity):

* **exact** (linear with constant coefficients, reading only other exact variables): the
  equation is solved over one step h.  A *decay* ``dy/dt = -y/tau`` becomes
  ``y <- y * exp(-h/tau)``.  A *leaky* variable ``dx/dt = -(x - E)/tau + sum_j c_j y_j +
  drive`` fed by decays y_j becomes, with X = x - E (the hub keeps x relative to its resting
  value E, the terms of the constant part that are the leak rate times a parameter, as NEST
  keeps V_m relative to E_L),

      X <- X * exp(-h/tau) + sum_j y_j * P_j + drive * tau * (1 - exp(-h/tau))

  with NEST's propagator P_j (``IAFPropagatorExp``, stable as tau_j -> tau), in the order the
  terms are written.  These are NEST's ``iaf_psc_*`` propagators and statements.  Any other
  linear system is solved with the matrix exponential of its coefficients (computed with
  mpmath at 50 digits, rounded once to double).
* **forward Euler** (everything else): ``x <- x + h * f(x)`` where ``h * f`` is what C makes of
  the text ``h * <right-hand side>`` (``h*a*(b*v - u)`` is ``(h*a)*(b*v - u)``; a sum is
  multiplied as a whole), every right-hand side evaluated from the state at the step's start,
  one operation per statement in the order written (``v**2`` is ``v*v``).  A spike's jump is
  part of the step's increment: ``x <- x + (h*f + w)`` (NEST's ``izhikevich``).

Then, in one order: inputs (each receptor's summed weights, after the step's integration),
the threshold, the reset and the refractory count (NEST's: held for ceil(t_ref/h) steps, the
input to a held variable is dropped).  Parameter-only subexpressions are computed once per
neuron in Python doubles, in the order written (the same doubles as computing them in the
step, which is what NEST's models do).
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass

import mpmath
import sympy

import hub.propagators as P
from hub.errors import Diagnostic, ValidationError

from . import dims
from .program import (
    FREE,
    REFRACTORY_COUNT,
    REFRACTORY_STEPS,
    THRESHOLD_FLAG,
    Constant,
    NeuronProgram,
    Stmt,
)
from .syntax import Parsed

#: the per-receptor buffers (the names the Brian2 backend's tables use)
BUFFERS = {"excitatory": "buf_ex", "inhibitory": "buf_in"}
SINGLE_BUFFER = "buf"
RESERVED = {*BUFFERS.values(), SINGLE_BUFFER, THRESHOLD_FLAG, REFRACTORY_COUNT}
RESERVED |= {REFRACTORY_STEPS, FREE, "h"}
_CMP = {ast.GtE: ">=", ast.Gt: ">", ast.LtE: "<=", ast.Lt: "<", ast.Eq: "==", ast.NotEq: "!="}
_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


def derive(parsed: Parsed) -> NeuronProgram:
    """The :class:`NeuronProgram` of a parsed definition."""
    return _Builder(parsed).build()


# --- evaluating expressions of parameters in doubles ------------------------------------------
def evaluate_ast(node: ast.expr, env: dict) -> float:
    """A parameter-only expression in Python doubles, left to right as written."""
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return float(env[node.id]) if node.id in env else dims.unit_value(node.id)
    if isinstance(node, ast.UnaryOp):
        value = evaluate_ast(node.operand, env)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp):
        a = evaluate_ast(node.left, env)
        if isinstance(node.op, ast.Pow):
            out = a
            for _ in range(node.right.value - 1):
                out = out * a
            return out
        b = evaluate_ast(node.right, env)
        if isinstance(node.op, ast.Add):
            return a + b
        if isinstance(node.op, ast.Sub):
            return a - b
        if isinstance(node.op, ast.Mult):
            return a * b
        return a / b
    if isinstance(node, ast.Call):
        fn = {"exp": math.exp, "log": math.log, "sqrt": math.sqrt, "abs": abs}[node.func.id]
        return fn(evaluate_ast(node.args[0], env))
    raise TypeError(ast.unparse(node))  # pragma: no cover - whitelisted


def evaluate_sympy(expr: sympy.Expr, env: dict) -> float:
    """A sympy expression of parameters in doubles: sums left to right, a product as its
    numerator divided by its denominator (``tau_m/c_m`` is one division, as in C)."""
    if expr.is_Symbol:
        return float(env[expr.name])
    if expr.is_Number:
        return float(expr)
    if expr.is_Add:
        args = list(expr.args)
        out = evaluate_sympy(args[0], env)
        for a in args[1:]:
            out = out + evaluate_sympy(a, env)
        return out
    if expr.is_Mul or expr.is_Pow:
        num, den = sympy.fraction(expr)
        n = _product(num, env)
        return n if den == 1 else n / _product(den, env)
    if isinstance(expr, sympy.exp):
        return math.exp(evaluate_sympy(expr.args[0], env))
    if isinstance(expr, sympy.log):
        return math.log(evaluate_sympy(expr.args[0], env))
    raise TypeError(f"cannot evaluate {expr}")  # pragma: no cover


def _product(expr, env) -> float:
    if expr.is_Mul:
        factors = list(expr.args)
        if factors[0] == -1:  # -x: negate (exact) rather than multiply
            return -_product(sympy.Mul(*factors[1:]), env)
        out = _product(factors[0], env)
        for f in factors[1:]:
            out = out * _product(f, env)
        return out
    if expr.is_Pow and expr.exp.is_Integer and expr.exp > 0:
        base = evaluate_sympy(expr.base, env)
        out = base
        for _ in range(int(expr.exp) - 1):
            out = out * base
        return out
    if expr.is_Pow and expr.exp == sympy.Rational(1, 2):
        return math.sqrt(evaluate_sympy(expr.base, env))
    return evaluate_sympy(expr, env)


# --- the builder -------------------------------------------------------------------------------
@dataclass
class _Linear:
    """``dx/dt = a x + sum_j coupling[y] y + rest``: sympy coefficients."""

    a: sympy.Expr
    coupling: dict[str, sympy.Expr]  # y -> coefficient, in order of appearance
    rest: sympy.Expr  # the state-free part


class _Builder:
    def __init__(self, parsed: Parsed):
        self.p = parsed
        self.params = set(parsed.params)
        self.states = [o.var for o in parsed.odes]
        self.syms = {n: sympy.Symbol(n, real=True) for n in [*self.params, *self.states]}
        self.constants: list[Constant] = []
        self.const_names: set[str] = set()
        self.integers: set[str] = set()
        self.temps: list[str] = []
        self.types: dict[str, str] = {}
        self.shift: dict[str, str] = {}
        self.scheme: dict[str, str] = {}
        self.structure: dict[str, dict] = {}
        self.forms: dict = {}  # state -> its linear form (None if not linear), set by build()
        self._n = 0
        self._check_reserved()

    def _check_reserved(self):
        clash = sorted((self.params | set(self.states)) & RESERVED)
        clash += sorted(n for n in self.params | set(self.states) if n.startswith("hub_"))
        if clash:
            raise ValidationError(
                Diagnostic(
                    f"{self.p.definition.name}",
                    f"the name(s) {clash} are the hub's own",
                    "rename them (names starting with hub_ and "
                    f"{', '.join(sorted(RESERVED))} are reserved)",
                )
            )

    # -- names -------------------------------------------------------------------------------
    def temp(self, kind: str = "float") -> str:
        self._n += 1
        name = f"hub_t{self._n}"
        self.temps.append(name)
        self.types[name] = kind
        if kind == "integer":
            self.integers.add(name)
        return name

    def constant(self, name: str, compute, doc: str, integer: bool = False) -> str:
        if name not in self.const_names:
            self.constants.append(Constant(name, compute, doc, integer))
            self.const_names.add(name)
            if integer:
                self.integers.add(name)
        return name

    def param(self, name: str) -> str:
        """A parameter used by a statement: a per-neuron constant of its working value."""
        return self.constant(name, lambda env, h, n=name: env[n], f"parameter {name}")

    # -- structure ---------------------------------------------------------------------------
    def sympy_of(self, node: ast.expr) -> sympy.Expr:
        if isinstance(node, ast.Constant):
            return sympy.Rational(repr(node.value))
        if isinstance(node, ast.Name):
            if node.id in self.syms:
                return self.syms[node.id]
            how, f = dims.to_working(node.id)
            f = sympy.Integer(round(f))
            return f if how == "mul" else 1 / f
        if isinstance(node, ast.UnaryOp):
            inner = self.sympy_of(node.operand)
            return -inner if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.BinOp):
            a, b = self.sympy_of(node.left), self.sympy_of(node.right)
            op = type(node.op)
            if op is ast.Add:
                return a + b
            if op is ast.Sub:
                return a - b
            if op is ast.Mult:
                return a * b
            if op is ast.Div:
                return a / b
            return a**b
        if isinstance(node, ast.Call):
            fn = {"exp": sympy.exp, "log": sympy.log, "sqrt": sympy.sqrt, "abs": sympy.Abs}
            return fn[node.func.id](self.sympy_of(node.args[0]))
        raise TypeError(ast.unparse(node))  # pragma: no cover

    def linear_form(self, ode) -> _Linear | None:
        expr = sympy.expand(self.sympy_of(ode.rhs))
        state_syms = [self.syms[s] for s in self.states]
        coeffs = {}
        for s in self.states:
            c = sympy.simplify(sympy.diff(expr, self.syms[s]))
            if c.free_symbols & set(state_syms) or c.has(sympy.Abs):
                return None
            if c != 0:
                coeffs[s] = c
        rest = sympy.simplify(expr - sum(c * self.syms[s] for s, c in coeffs.items()))
        if rest.free_symbols & set(state_syms):
            return None
        order = _names_in_order(ode.rhs)
        coupling = {
            y: coeffs[y] for y in sorted(coeffs, key=order.index) if y != ode.var and y in order
        }
        return _Linear(coeffs.get(ode.var, sympy.Integer(0)), coupling, rest)

    def build(self) -> NeuronProgram:
        p = self.p
        odes = {o.var: o for o in p.odes}
        forms = {v: self.linear_form(o) for v, o in odes.items()}
        self.forms = forms
        exact = {v for v, f in forms.items() if f is not None}
        while True:  # exact variables read only exact variables
            drop = {v for v in exact if set(forms[v].coupling) - exact}
            if not drop:
                break
            exact -= drop
        decays = {
            v for v in exact if forms[v].a != 0 and not forms[v].coupling and forms[v].rest == 0
        }
        leaky = {v for v in exact - decays if forms[v].a != 0 and set(forms[v].coupling) <= decays}
        general = exact - decays - leaky
        if general:  # one matrix exponential for the whole exact block
            decays, leaky, matrix = set(), set(), sorted(exact, key=self.states.index)
        else:
            matrix = []
        self.refractory_code()
        update: list[Stmt] = []
        if p.refractory or p.refractory_ms is not None:
            update += self.refractory_start
        new: dict[str, str] = {}
        for v in self.states:  # the leaky ones read the decays' old values: first
            if v in leaky:
                new[v] = self.leaky(v, forms[v], update)
        for v in self.states:
            if v in decays:
                tau = self.tau(forms[v].a)
                c = self.constant(
                    f"hub_P_{v}",
                    lambda env, h, t=tau: math.exp(-h / evaluate_sympy(t, env)),
                    f"exp(-h/tau) of {v}",
                )
                new[v] = self.emit(update, "*", v, c)
                self.scheme[v] = "exact (exponential decay)"
                self.structure[v] = {"kind": "decay", "tau": tau}
        if matrix:
            new.update(self.matrix_exponential(matrix, forms, update))
        euler = [v for v in self.states if v not in exact]
        increments = {}
        for v in euler:
            increments[v] = self.euler_increment(odes[v].rhs, update)
            self.scheme[v] = "forward Euler"
            self.structure[v] = {"kind": "euler", "nonlinear": self.nonlinear_terms(odes[v])}
        inputs: list[Stmt] = []
        receiving = self.receptor_targets()
        for v in self.states:
            held = odes[v].held and self.refractory
            if v in increments:
                if v in receiving:  # the jump is part of the increment
                    continue
                value = self.emit(update, "+", v, increments[v])
            else:
                value = new[v]
            self.assign(update, v, value, held)
        buffers = self.buffers()
        for v, adds in receiving.items():
            held = odes[v].held and self.refractory
            total = None
            for buf, factor in adds:
                term = buf if factor is None else self.emit(inputs, "*", self.fold(factor), buf)
                total = term if total is None else self.emit(inputs, "+", total, term)
            if v in increments:
                total = self.emit(inputs, "+", increments[v], total)
            self.assign(inputs, v, self.emit(inputs, "+", v, total), held)
        for buf in dict.fromkeys(buffers.values()):
            inputs.append(Stmt(buf, "copy", (0.0,)))
        threshold, threshold_expr = self.threshold()
        reset = self.reset()
        if self.refractory:
            reset.append(Stmt(REFRACTORY_COUNT, "copy", (REFRACTORY_STEPS,)))
        return NeuronProgram(
            name=p.definition.name,
            digest=p.definition.digest,
            scheme=self.scheme,
            state=list(self.states) + ([REFRACTORY_COUNT] if self.refractory else []),
            shift=self.shift,
            integers=self.integers,
            constants=self.constants,
            update=update,
            inputs=inputs,
            threshold=threshold,
            threshold_expr=threshold_expr,
            reset=reset,
            buffers=buffers,
            weight_unit=next(iter(p.definition.signature()[2].values())),
            units=dict(p.state_units),
            initial=dict(p.initial),
            refractory=self.refractory,
            temporaries=self.temps,
            booleans={n for n, t in self.types.items() if t == "boolean"},
            param_units={k: u for k, (u, _) in p.params.items()},
            structure=self.structure,
            held={o.var for o in p.odes if o.held},
            refractory_param=p.refractory,
            refractory_ms=p.refractory_ms,
        )

    # -- pieces ------------------------------------------------------------------------------
    def emit(self, out: list, op: str, *args, kind: str = "float") -> str:
        t = self.temp(kind)
        out.append(Stmt(t, op, tuple(args)))
        return t

    def assign(self, out: list, var: str, value: str, held: bool) -> None:
        if held:
            out.append(Stmt(var, "sel", (FREE, value, var)))
        else:
            out.append(Stmt(var, "copy", (value,)))

    def tau(self, a: sympy.Expr) -> sympy.Expr:
        return sympy.simplify(-1 / a)

    def leaky(self, v: str, form: _Linear, out: list) -> str:
        tau = self.tau(form.a)
        p_vv = self.constant(
            f"hub_P_{v}",
            lambda env, h, t=tau: math.exp(-h / evaluate_sympy(t, env)),
            f"exp(-h/tau) of {v}",
        )
        acc = self.emit(out, "*", v, p_vv)
        for y, c in form.coupling.items():
            tau_y = self.tau(self.forms[y].a)
            num, den = sympy.fraction(sympy.simplify(c))

            def coupling(env, h, t=tau, ty=tau_y, num=num, den=den):
                tm, ts = evaluate_sympy(t, env), evaluate_sympy(ty, env)
                if num == 1:  # NEST's IAFPropagatorExp(tau_syn, tau_m, c_m) with c_m = den
                    return P.IAFPropagator(ts, tm, evaluate_sympy(den, env)).p32(h)
                return evaluate_sympy(num / den, env) * P.IAFPropagator(ts, tm, 1.0).p32(h)

            prop = self.constant(f"hub_P_{v}_{y}", coupling, f"propagator from {y} to {v}")
            acc = self.emit(out, "+", acc, self.emit(out, "*", y, prop))
        rest_terms, drives = self.split_rest(form, tau)
        if rest_terms:
            self.shift[v] = self.constant(
                f"hub_E_{v}",
                lambda env, h, terms=rest_terms: _left_sum([evaluate_sympy(t, env) for t in terms]),
                f"resting value of {v} (kept relative to it)",
            )
        if drives:

            def drive(env, h, drives=drives, t=tau, pv=p_vv):
                total = None
                for coef, quantities in drives:
                    num, den = sympy.fraction(coef)
                    q = _left_sum([evaluate_sympy(x, env) for x in quantities])
                    factor = evaluate_sympy(t, env) * evaluate_sympy(num, env)
                    factor = factor / evaluate_sympy(den, env) * (1.0 - env[pv])
                    total = q * factor if total is None else total + q * factor
                return total

            d = self.constant(f"hub_drive_{v}", drive, f"constant drive of {v} over one step")
            acc = self.emit(out, "+", acc, d)
        self.scheme[v] = "exact (exponential integrator, NEST's propagators)"
        self.structure[v] = {
            "kind": "leaky",
            "tau": tau,
            "coupling": dict(form.coupling),
            "rest": rest_terms,
            "drives": drives,
        }
        return acc

    def nonlinear_terms(self, ode) -> list[str]:
        """The terms of ``ode``'s right-hand side that are not linear in the state, as text."""
        expr = sympy.expand(self.sympy_of(ode.rhs))
        states = {self.syms[s] for s in self.states}
        out = []
        for term in sympy.Add.make_args(expr):
            if not term.free_symbols & states:
                continue
            linear = all(
                not (sympy.diff(term, s).free_symbols & states) for s in term.free_symbols & states
            )
            if not linear or term.has(sympy.Abs):
                out.append(str(term))
        return out or [ast.unparse(ode.rhs)]

    def split_rest(self, form: _Linear, tau) -> tuple[list, list]:
        """The resting value's terms (the leak rate times a parameter) and the drive terms,
        grouped by coefficient in order of appearance: [(coefficient, [quantities])]."""
        rest_terms, drives = [], []
        for term in sympy.Add.make_args(sympy.expand(form.rest)):
            if term == 0:
                continue
            ratio = sympy.simplify(-term / form.a)
            if ratio.is_Symbol and ratio.name in self.params:
                rest_terms.append(ratio)
                continue
            num, _ = sympy.fraction(term)
            symbols = [s for s in sympy.Mul.make_args(num) if s.is_Symbol]
            quantity = symbols[0] if symbols else sympy.Integer(1)
            coef = sympy.simplify(term / quantity)
            for group in drives:
                if sympy.simplify(group[0] - coef) == 0:
                    group[1].append(quantity)
                    break
            else:
                drives.append((coef, [quantity]))
        return rest_terms, drives

    def matrix_exponential(self, block: list[str], forms, out: list) -> dict[str, str]:
        """x(t+h) = expm(A h) x(t) + the affine part, for the linear block (mpmath)."""
        n = len(block)
        rows = []
        for v in block:
            f = forms[v]
            rows.append([f.a if y == v else f.coupling.get(y, 0) for y in block] + [f.rest])

        def propagators(env, h, rows=rows):
            a = mpmath.matrix(n + 1, n + 1)
            with mpmath.workdps(50):
                for i in range(n):
                    for j in range(n + 1):
                        e = rows[i][j]
                        a[i, j] = mpmath.mpf(evaluate_sympy(sympy.sympify(e), env)) * h
                return mpmath.expm(a)

        cache: dict = {}

        def entry(i, j):
            def compute(env, h):
                key = (tuple(sorted((k, v) for k, v in env.items() if k in self.params)), h)
                if key not in cache:
                    cache.clear()
                    cache[key] = propagators(env, h)
                return float(cache[key][i, j])

            return compute

        new = {}
        for i, v in enumerate(block):
            acc = None
            for j, y in enumerate(block + ["1"]):
                c = self.constant(f"hub_M_{v}_{y}", entry(i, j), f"expm(A h)[{v}, {y}]")
                term = c if y == "1" else self.emit(out, "*", y, c)
                acc = term if acc is None else self.emit(out, "+", acc, term)
            new[v] = acc
            self.scheme[v] = "exact (matrix exponential, mpmath)"
            self.structure[v] = {"kind": "matrix"}
        return new

    # -- Euler and folding ---------------------------------------------------------------------
    def is_constant(self, node: ast.expr) -> bool:
        return all(n.id not in self.states for n in ast.walk(node) if isinstance(n, ast.Name))

    def fold(self, node: ast.expr) -> str | float:
        """A parameter-only expression as one per-neuron constant (or a literal)."""
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name) and node.id in self.params:
            return self.param(node.id)
        if isinstance(node, ast.Name) and node.id == "h":
            return "h"
        text = ast.unparse(node)
        name = f"hub_k{len(self.constants) + 1}"
        used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} & (self.params | {"h"})
        if not used:
            return evaluate_ast(node, {})
        return self.constant(name, lambda env, h, n=node: evaluate_ast(n, env), text)

    def expression(self, node: ast.expr, out: list) -> str | float:
        """Statements computing ``node`` (state-dependent), one operation each, in order."""
        if self.is_constant(node):
            return self.fold(node)
        if isinstance(node, ast.Name):
            if node.id in self.shift:  # kept relative: x = X + E
                return self.emit(out, "+", node.id, self.shift[node.id])
            return node.id
        if isinstance(node, ast.UnaryOp):
            inner = self.expression(node.operand, out)
            return self.emit(out, "neg", inner) if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Pow):
                base = self.expression(node.left, out)
                acc = base
                for _ in range(node.right.value - 1):
                    acc = self.emit(out, "*", acc, base)
                return acc
            a = self.expression(node.left, out)
            b = self.expression(node.right, out)
            return self.emit(out, _OPS[type(node.op)], a, b)
        if isinstance(node, ast.Call):
            return self.emit(out, node.func.id, self.expression(node.args[0], out))
        raise TypeError(ast.unparse(node))  # pragma: no cover

    def euler_increment(self, rhs: ast.expr, out: list) -> str:
        """``h * rhs`` as C parses the text: h joins the left end of a product chain."""
        h = ast.Name("h", ast.Load())
        self.constant("h", lambda env, h: h, "NEST's step h (ms)")
        return self.expression(_times_h(rhs, h), out)

    # -- refractoriness, inputs, threshold, reset ----------------------------------------------
    @property
    def refractory(self) -> bool:
        return self.p.refractory is not None or self.p.refractory_ms is not None

    def refractory_code(self) -> None:
        self.refractory_start: list[Stmt] = []
        if not self.refractory:
            return
        dt_param, fixed = self.p.refractory, self.p.refractory_ms
        self.integers |= {REFRACTORY_COUNT}
        self.constant(
            REFRACTORY_STEPS,
            lambda env, h: P.refractory_steps(env[dt_param] if dt_param else fixed, h),
            "refractory steps (NEST: ceil(t_ref / h))",
            integer=True,
        )
        s = self.refractory_start
        s.append(Stmt(FREE, "==", (REFRACTORY_COUNT, 0.0)))
        self.types[FREE] = "boolean"
        busy = self.emit(s, "not", FREE, kind="boolean")
        step = self.emit(s, "int", busy, kind="integer")
        s.append(Stmt(REFRACTORY_COUNT, "-", (REFRACTORY_COUNT, step)))

    def receptor_targets(self) -> dict[str, list]:
        """State variable -> [(buffer, factor ast or None)] in receptor order."""
        buffers = self.buffers()
        out: dict[str, list] = {}
        seen = set()
        for receptor, (var, factor) in self.p.on_spike.items():
            buf = buffers[receptor]
            if buf in seen:
                continue
            seen.add(buf)
            out.setdefault(var, []).append((buf, factor))
        return out

    def buffers(self) -> dict[str, str]:
        """One buffer per receptor, or one shared buffer when the receptors do the same
        (or only one is declared)."""
        spikes = {
            r: (v, None if f is None else ast.dump(f)) for r, (v, f) in self.p.on_spike.items()
        }
        if len(set(spikes.values())) == 1:
            return {r: SINGLE_BUFFER for r in self.p.on_spike}
        return {r: BUFFERS[r] for r in self.p.on_spike}

    def threshold(self) -> tuple[list[Stmt], tuple | None]:
        node = self.p.threshold
        if isinstance(node, ast.Compare):
            left, right = node.left, node.comparators[0]
            op = _CMP[type(node.ops[0])]
            simple = self.simple_side(left, right)
            if simple is not None:
                return [], (simple[0], op, simple[1])
        out: list[Stmt] = []
        flag = self.condition(node, out)
        out.append(Stmt(THRESHOLD_FLAG, "copy", (flag,)))
        self.types[THRESHOLD_FLAG] = "boolean"
        return out, None

    def simple_side(self, left, right):
        """(variable, constant) for ``x op <parameters>`` (with x's shift folded into the
        constant: NEST's Theta = V_th - E_L)."""
        if not (isinstance(left, ast.Name) and left.id in self.states and self.is_constant(right)):
            return None
        var = left.id
        if var in self.shift:
            e = self.shift[var]
            c = self.constant(
                f"hub_theta_{var}",
                lambda env, h, n=right, e=e: evaluate_ast(n, env) - env[e],
                f"threshold of {var} relative to its resting value",
            )
            return var, c
        value = self.fold(right)
        return var, value

    def condition(self, node, out) -> str:
        if isinstance(node, ast.BoolOp):
            op = "and" if isinstance(node.op, ast.And) else "or"
            acc = self.condition(node.values[0], out)
            for v in node.values[1:]:
                acc = self.emit(out, op, acc, self.condition(v, out), kind="boolean")
            return acc
        if isinstance(node, ast.UnaryOp):
            return self.emit(out, "not", self.condition(node.operand, out), kind="boolean")
        a = self.expression(node.left, out)
        b = self.expression(node.comparators[0], out)
        return self.emit(out, _CMP[type(node.ops[0])], a, b, kind="boolean")

    def reset(self) -> list[Stmt]:
        out: list[Stmt] = []
        for a in self.p.reset:
            var = a.var
            if a.op == "=" and self.is_constant(a.value) and var in self.shift:
                e = self.shift[var]
                c = self.constant(
                    f"hub_reset_{var}",
                    lambda env, h, n=a.value, e=e: evaluate_ast(n, env) - env[e],
                    f"reset value of {var} relative to its resting value",
                )
                out.append(Stmt(var, "copy", (c,)))
                continue
            value = self.expression(a.value, out)
            if a.op == "=":
                if var in self.shift:
                    value = self.emit(out, "-", value, self.shift[var])
                out.append(Stmt(var, "copy", (value,)))
            else:
                out.append(Stmt(var, "+" if a.op == "+=" else "-", (var, value)))
        return out


def _names_in_order(node: ast.expr) -> list[str]:
    """The names in ``node`` in the order they are written."""
    names = [n for n in ast.walk(node) if isinstance(n, ast.Name)]
    return [n.id for n in sorted(names, key=lambda n: (n.lineno, n.col_offset))]


def _left_sum(values: list[float]) -> float:
    total = values[0]
    for v in values[1:]:
        total = total + v
    return total


def _times_h(rhs: ast.expr, h: ast.Name) -> ast.expr:
    """The tree C builds for ``h * <rhs text>``: h multiplies the leftmost factor of a
    product or quotient chain (a unary minus included); anything else as a whole."""
    if isinstance(rhs, ast.BinOp) and isinstance(rhs.op, (ast.Mult, ast.Div)):
        return ast.BinOp(_times_h(rhs.left, h), rhs.op, rhs.right)
    if isinstance(rhs, ast.UnaryOp) and isinstance(rhs.op, ast.USub):
        return ast.BinOp(h, ast.Mult(), rhs)
    return ast.BinOp(h, ast.Mult(), rhs)
