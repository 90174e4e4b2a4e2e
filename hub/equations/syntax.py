"""Reading a neuron definition: Python's ``ast`` parses each expression (no code runs), a
whitelist keeps the arithmetic the hub can carry to every backend, and every name and
dimension is checked.  Problems are :class:`~hub.errors.Diagnostic` s naming the field and
line.

Expressions may use numbers, the definition's parameters and state variables, unit names
(``ms``, ``mV``, ``nA`` ...), ``+ - * /``, ``**`` with an integer exponent, the functions
``exp log sqrt abs``, comparisons and ``and``/``or``/``not`` (threshold only).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from hub.errors import Diagnostic, ValidationError
from hub.ir import units
from hub.ir.custom import ODE_LINE, ON_SPIKE, NeuronDefinition

from . import dims

FUNCTIONS = ("exp", "log", "sqrt", "abs")
_ARITH = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_COMPARE = {ast.GtE: ">=", ast.Gt: ">", ast.LtE: "<=", ast.Lt: "<", ast.Eq: "==", ast.NotEq: "!="}


@dataclass
class Ode:
    var: str
    unit: str
    rhs: ast.expr
    held: bool  # (unless refractory)
    line: int
    text: str


@dataclass
class Assignment:
    var: str
    op: str  # "=", "+=", "-="
    value: ast.expr
    text: str


@dataclass
class Parsed:
    """A checked definition: everything as ``ast`` expressions with known names."""

    definition: NeuronDefinition
    params: dict[str, tuple[str, float]]  # name -> (unit, default)
    odes: list[Ode]
    initial: dict[str, object]
    threshold: ast.expr | None
    reset: list[Assignment]
    refractory: str | None  # parameter name, or None
    refractory_ms: float | None  # a fixed period in ms
    on_spike: dict[str, tuple[str, ast.expr | None]]  # receptor -> (variable, factor)
    state_units: dict[str, str] = field(default_factory=dict)


def parse(definition: NeuronDefinition) -> Parsed:
    """Parse and check ``definition``; :class:`ValidationError` lists every problem."""
    params_sig, state_sig, _ = definition.signature()
    out: list[Diagnostic] = []
    name = definition.name
    params = {p: (u, d) for p, u, d, _ in params_sig}
    state_units = {s: u for s, u, _ in state_sig}
    env = {**{p: dims.of_unit(u) for p, (u, _) in params.items()}}
    env |= {s: dims.of_unit(u) for s, u in state_units.items()}
    odes = []
    lineno = 0
    for lineno, line in enumerate(definition.equations.splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        m = ODE_LINE.match(text) if text else None
        if m is None:
            continue  # reported by signature()
        where = f"{name}.equations line {lineno}"
        rhs = _expr(m.group("rhs"), where, out)
        if rhs is None:
            continue
        want = dims.multiply(env[m.group("var")], dims.inverse(dims.of_unit("ms")))
        got = dimension(rhs, env, where, out)
        if got is not None and got != want:
            out.append(
                Diagnostic(
                    where,
                    f"d{m.group('var')}/dt = {m.group('rhs')} has dimension {dims.show(got)}, "
                    f"but {m.group('var')} in {m.group('unit')} per ms is {dims.show(want)}",
                    "make every term of the right-hand side a change of the variable per time",
                )
            )
        odes.append(Ode(m.group("var"), m.group("unit"), rhs, bool(m.group("flag")), lineno, text))
    if not odes and not out:
        out.append(
            Diagnostic(
                f"{name}.equations", "no equation", "write at least one 'dx/dt = ... : unit'"
            )
        )
    seen: set[str] = set()
    for ode in odes:
        if ode.var in seen:
            out.append(
                Diagnostic(
                    f"{name}.equations line {ode.line}",
                    f"{ode.var} has two equations",
                    "give each state variable one equation",
                )
            )
        seen.add(ode.var)
        if ode.var in params:
            out.append(
                Diagnostic(
                    f"{name}.equations line {ode.line}",
                    f"{ode.var} is both a parameter and a state variable",
                    "rename one of them",
                )
            )
    initial = {}
    for var, unit in state_units.items():
        value = definition.initial.get(var, 0.0)
        where = f"{name}.initial.{var}"
        if isinstance(value, str) and value.strip() in params:
            if params[value.strip()][0] != unit:
                out.append(
                    Diagnostic(
                        where,
                        f"{value} is in {params[value.strip()][0]}, {var} in {unit}",
                        f"start {var} at a parameter or quantity in {unit}",
                    )
                )
            initial[var] = value.strip()
            continue
        try:
            initial[var] = units.convert(value, unit)
        except (units.UnitError, TypeError, ValueError, KeyError) as e:
            out.append(Diagnostic(where, f"{value!r} {e}", f"give a quantity in {unit}"))
    threshold = None
    if not definition.threshold.strip():
        out.append(
            Diagnostic(f"{name}.threshold", "no threshold", "give a condition, e.g. 'v >= v_th'")
        )
    else:
        where = f"{name}.threshold"
        threshold = _expr(definition.threshold, where, out, condition=True)
        if threshold is not None:
            dimension(threshold, env, where, out)
    reset = []
    for k, line in enumerate(definition.reset.splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        where = f"{name}.reset line {k}"
        statement = assignment(text, state_units, where, out)
        if statement is None:
            continue
        got = dimension(statement.value, env, where, out)
        if got is not None and got != env[statement.var]:
            out.append(
                Diagnostic(
                    where,
                    f"{text!r} gives {statement.var} ({state_units[statement.var]}) a value "
                    f"of dimension {dims.show(got)}",
                    f"give {statement.var} a value in {state_units[statement.var]}",
                )
            )
        reset.append(statement)
    refractory, refractory_ms = None, None
    ref = definition.refractory.strip() if isinstance(definition.refractory, str) else ""
    if ref in params:
        if params[ref][0] != "ms":
            out.append(
                Diagnostic(
                    f"{name}.refractory",
                    f"{ref} is in {params[ref][0]}",
                    "name a parameter in ms or give a time, e.g. '2 ms'",
                )
            )
        refractory = ref
    elif ref:
        try:
            refractory_ms = float(units.convert(ref, "ms"))
        except units.UnitError as e:
            out.append(
                Diagnostic(
                    f"{name}.refractory",
                    f"{ref!r} {e}",
                    "name a parameter in ms or give a time, e.g. '2 ms'",
                )
            )
    held = [o.var for o in odes if o.held]
    if held and not ref:
        out.append(
            Diagnostic(
                f"{name}.equations",
                f"{', '.join(held)} marked (unless refractory) without a refractory period",
                "give refractory=... or remove the flag",
            )
        )
    on_spike = {}
    for receptor, stmt in definition.on_spike.items():
        m = ON_SPIKE.match(str(stmt).strip())
        if m is None:
            continue  # reported by signature()
        factor = None
        where = f"{name}.on_spike.{receptor}"
        if m.group("factor"):
            factor = _expr(m.group("factor"), where, out)
            if factor is not None:
                dimension(factor, env, where, out)
                state_used = _names(factor) & set(state_units)
                if state_used:
                    out.append(
                        Diagnostic(
                            where,
                            f"the factor of w uses the state {sorted(state_used)}",
                            "a weight's factor may use parameters and numbers only",
                        )
                    )
        on_spike[receptor] = (m.group("var"), factor)
    if not on_spike:
        out.append(
            Diagnostic(
                f"{name}.on_spike",
                "no receptor: the neuron cannot receive spikes",
                "give e.g. on_spike={'excitatory': 'I_ex += w', 'inhibitory': 'I_in += w'}",
            )
        )
    if out:
        raise ValidationError(out)
    return Parsed(
        definition,
        params,
        odes,
        initial,
        threshold,
        reset,
        refractory,
        refractory_ms,
        on_spike,
        state_units,
    )


def _expr(
    text: str, where: str, out: list, condition: bool = False, clip: bool = False
) -> ast.expr | None:
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        out.append(
            Diagnostic(where, f"cannot read {text.strip()!r}: {e.msg}", "check the expression")
        )
        return None
    bad = _forbidden(tree.body, condition, clip)
    if bad:
        out.append(Diagnostic(where, f"{bad} in {text.strip()!r}", _HELP))
        return None
    return tree.body


_HELP = (
    "use numbers, parameters, state variables, units, + - * /, ** with an integer exponent "
    f"and {', '.join(FUNCTIONS)}"
)


def _forbidden(node: ast.AST, condition: bool, clip: bool = False) -> str | None:
    """What in ``node`` the hub cannot carry (None if nothing); ``clip``: learning rules may
    call ``clip(x, low, high)``."""
    if clip and isinstance(node, ast.Call) and getattr(node.func, "id", "") == "step":
        if len(node.args) != 1 or node.keywords:
            return f"step with {len(node.args)} arguments (it takes x)"
        return _forbidden(node.args[0], False, clip)
    if clip and isinstance(node, ast.Call) and getattr(node.func, "id", "") == "clip":
        if len(node.args) != 3 or node.keywords:
            return f"clip with {len(node.args)} arguments (it takes x, low, high)"
        for a in node.args:
            bad = _forbidden(a, False, clip)
            if bad:
                return bad
        return None
    if isinstance(node, ast.Constant):
        ok = isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
        return None if ok else f"the constant {node.value!r}"
    if isinstance(node, ast.Name):
        return None
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _ARITH:
            return f"the operator {type(node.op).__name__}"
        if isinstance(node.op, ast.Pow):
            e = node.right
            if not (isinstance(e, ast.Constant) and isinstance(e.value, int) and e.value >= 1):
                return "a power that is not a whole number >= 1"
        return _forbidden(node.left, False, clip) or _forbidden(node.right, False, clip)
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.Not) and condition:
            return _forbidden(node.operand, True)
        if isinstance(node.op, (ast.USub, ast.UAdd)):
            return _forbidden(node.operand, False, clip)
        return f"the operator {type(node.op).__name__}"
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            return f"the call {ast.unparse(node)}"
        if len(node.args) != 1 or node.keywords:
            return f"{node.func.id} with {len(node.args)} arguments"
        return _forbidden(node.args[0], False, clip)
    if isinstance(node, ast.Compare) and condition:
        if len(node.ops) != 1 or type(node.ops[0]) not in _COMPARE:
            return "a chained or unknown comparison"
        return _forbidden(node.left, False) or _forbidden(node.comparators[0], False)
    if isinstance(node, ast.BoolOp) and condition:
        for v in node.values:
            bad = _forbidden(v, True)
            if bad:
                return bad
        return None
    return f"{type(node).__name__} ({ast.unparse(node)})"


def assignment(text: str, state_units, where, out, clip: bool = False) -> Assignment | None:
    try:
        tree = ast.parse(text, mode="exec")
    except SyntaxError as e:
        out.append(Diagnostic(where, f"cannot read {text!r}: {e.msg}", "write 'x = expression'"))
        return None
    stmt = tree.body[0] if len(tree.body) == 1 else None
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target, op, value = stmt.targets[0], "=", stmt.value
    elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.op, (ast.Add, ast.Sub)):
        target, op, value = stmt.target, "+=" if isinstance(stmt.op, ast.Add) else "-=", stmt.value
    else:
        out.append(Diagnostic(where, f"{text!r} is not an assignment", "write 'x = expression'"))
        return None
    if not isinstance(target, ast.Name) or target.id not in state_units:
        out.append(
            Diagnostic(
                where,
                f"{ast.unparse(target)} is not a state variable",
                f"assign one of {sorted(state_units)}",
            )
        )
        return None
    bad = _forbidden(value, False, clip)
    if bad:
        out.append(Diagnostic(where, f"{bad} in {text!r}", _HELP))
        return None
    return Assignment(target.id, op, value, text)


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def dimension(node: ast.expr, env: dict, where: str, out: list):
    """The dimension of ``node`` (None after reporting a problem to ``out``)."""
    try:
        return _dim(node, env)
    except _DimError as e:
        out.append(Diagnostic(where, str(e), e.fix))
        return None


class _DimError(Exception):
    def __init__(self, message, fix):
        super().__init__(message)
        self.fix = fix


def _dim(node, env):
    if isinstance(node, ast.Constant):
        return dims.DIMENSIONLESS
    if isinstance(node, ast.Name):
        if node.id in env:
            return env[node.id]
        if units.is_unit(node.id):
            return dims.of_unit(units.canonical(node.id))
        raise _DimError(
            f"{node.id!r} is not defined",
            f"declare it as a parameter or state variable (known: {', '.join(sorted(env))})",
        )
    if isinstance(node, ast.UnaryOp):
        return _dim(node.operand, env)
    if isinstance(node, ast.BinOp):
        a = _dim(node.left, env)
        if isinstance(node.op, ast.Pow):
            return dims.power(a, node.right.value)
        b = _dim(node.right, env)
        if isinstance(node.op, ast.Mult):
            return dims.multiply(a, b)
        if isinstance(node.op, ast.Div):
            return dims.multiply(a, dims.inverse(b))
        if a != b:
            raise _DimError(
                f"{ast.unparse(node)} adds {dims.show(a)} ({ast.unparse(node.left)}) and "
                f"{dims.show(b)} ({ast.unparse(node.right)})",
                "add quantities of one dimension (write units on numbers, e.g. 140*mV/ms)",
            )
        return a
    if isinstance(node, ast.Call) and node.func.id == "step":
        _dim(node.args[0], env)
        return dims.DIMENSIONLESS
    if isinstance(node, ast.Call) and node.func.id == "clip":
        dims_ = [_dim(x, env) for x in node.args]
        for k in (1, 2):  # a bound of literal 0 fits any dimension
            if isinstance(node.args[k], ast.Constant) and node.args[k].value == 0:
                dims_[k] = dims_[0]
        if len(set(dims_)) != 1:
            raise _DimError(
                f"{ast.unparse(node)} clips {dims.show(dims_[0])} between "
                f"{dims.show(dims_[1])} and {dims.show(dims_[2])}",
                "clip a quantity between bounds of its own dimension",
            )
        return dims_[0]
    if isinstance(node, ast.Call):
        a = _dim(node.args[0], env)
        if node.func.id == "abs":
            return a
        if node.func.id == "sqrt":
            return dims.power(a, 0.5)
        if a != dims.DIMENSIONLESS:
            raise _DimError(
                f"{node.func.id}({ast.unparse(node.args[0])}) of a quantity in {dims.show(a)}",
                f"give {node.func.id} a dimensionless argument (divide by a unit)",
            )
        return a
    if isinstance(node, ast.Compare):
        a, b = _dim(node.left, env), _dim(node.comparators[0], env)
        if a != b:
            raise _DimError(
                f"{ast.unparse(node)} compares {dims.show(a)} with {dims.show(b)}",
                "compare quantities of one dimension",
            )
        return dims.DIMENSIONLESS
    if isinstance(node, ast.BoolOp):
        for v in node.values:
            _dim(v, env)
        return dims.DIMENSIONLESS
    raise _DimError(f"cannot use {ast.unparse(node)}", _HELP)  # pragma: no cover - whitelisted
