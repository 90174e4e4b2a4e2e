"""Reading a learning rule written as statements (:class:`hub.ir.custom_rule.RuleDefinition`).

The rule's world at an event: the weight ``w`` (a magnitude in the target's weight unit),
its parameters, and its traces, each ``sum over earlier spikes of exp(-(t - t_spike)/tau)``
(dimensionless; +1 per spike), read *before* the event's own spike is added:

* ``on_post`` runs for each postsynaptic spike reaching the synapse (t_post + the delay:
  the whole delay is dendritic), in order, when the next presynaptic spike is processed; the
  presynaptic traces count the presynaptic spikes up to the previous one, the postsynaptic
  traces the postsynaptic spikes that reached the synapse before this one;
* ``on_pre`` runs at each presynaptic spike, after those; the postsynaptic traces count the
  postsynaptic spikes that reached the synapse strictly before it;
* ``on_teacher`` runs for each spike of the teacher of the postsynaptic neuron (supervised
  rules; a teacher of one neuron is a modulator whose spikes reach every synapse:
  three-factor rules), which reaches the synapse like a postsynaptic spike, with the same
  traces; at one time, ``on_post`` runs before ``on_teacher``;
* the weight then transmitted is the one after ``on_pre``; a read-out at time T is the
  weight after the last presynaptic spike up to T (NEST's convention, as every rule of the
  hub).

Statements assign ``w`` (``=``, ``+=``, ``-=``) or a new name (a local of the statements
after it, ``=`` only) and may call ``clip(x, low, high)``,
``step(x)`` (1 if x > 0, else 0), ``exp``, ``log``, ``sqrt``, ``abs``.  They may read
``dt_pre``, the time since the synapse's previous presynaptic spike (ms), and the
postsynaptic neuron's state variables declared in ``post_state`` as ``<name>_post``: their
values at the event's synapse time (what a state probe samples at that stamp).  Dimensions
are checked with ``weight`` a dimension of its own.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from hub.errors import Diagnostic, ValidationError
from hub.ir.custom_rule import CustomRule, RuleDefinition

from . import dims
from .syntax import Assignment, assignment, dimension

WEIGHT_VARIABLE = "w"
#: the time (ms) since the synapse's previous presynaptic spike (since 0 for the first)
SINCE_PRE = "dt_pre"


@dataclass
class RuleProgram:
    """A checked rule: its traces and statements (``ast``), its parameters' units."""

    name: str
    digest: str
    param_units: dict[str, str]
    pre_traces: dict[str, str]  # trace -> time constant parameter
    post_traces: dict[str, str]
    on_pre: list[Assignment]
    on_post: list[Assignment]
    on_teacher: list[Assignment]
    post_state: dict[str, str] = None  # type: ignore[assignment]  # variable -> unit

    def working(self, params: dict) -> dict[str, float]:
        """The parameters (resolved: declared units) in working units (ms, mV, pA, 1/ms for
        Hz...; weights as given), so that every expression is numerically consistent."""
        return {
            k: float(dims.convert_to_working(float(params[k]), u))
            if u != dims.WEIGHT
            else params[k]
            for k, u in self.param_units.items()
        }

    @property
    def weight_params(self) -> list[str]:
        """Parameters in the weight unit (scaled with the weights by a backend)."""
        return [k for k, u in self.param_units.items() if u == dims.WEIGHT]


_PROGRAMS: dict[str, RuleProgram] = {}


def rule_program(definition: RuleDefinition | CustomRule) -> RuleProgram:
    """The checked rule of ``definition`` (once per text)."""
    if isinstance(definition, CustomRule):
        definition = definition.definition
    found = _PROGRAMS.get(definition.digest)
    if found is None:
        found = _PROGRAMS[definition.digest] = _parse(definition)
    return found


def _parse(d: RuleDefinition) -> RuleProgram:
    out: list[Diagnostic] = []
    params = {n: u for n, u, _ in d.declared_parameters()}
    env = {n: dims.of_unit(u) for n, u in params.items()}
    env[WEIGHT_VARIABLE] = dims.of_unit(dims.WEIGHT)
    env[SINCE_PRE] = dims.of_unit("ms")
    for var, unit in d.post_state.items():
        where = f"{d.name}.post_state.{var}"
        try:
            env[f"{var}_post"] = dims.of_unit(unit)
        except (KeyError, ValueError):
            out.append(Diagnostic(where, f"unknown unit {unit!r}", "give the variable's unit"))
    traces = {}
    for side, given in (("pre_traces", d.pre_traces), ("post_traces", d.post_traces)):
        for trace, tau in given.items():
            where = f"{d.name}.{side}.{trace}"
            if not str(trace).isidentifier() or trace in env or trace in traces:
                out.append(
                    Diagnostic(where, f"{trace!r} is not a new name", "name each trace once")
                )
            elif tau not in params or params[tau] != "ms":
                out.append(
                    Diagnostic(
                        where,
                        f"the time constant {tau!r} is not a parameter in ms",
                        f"declare {tau} in the parameters, e.g. '{tau}': '20 ms'",
                    )
                )
            traces[trace] = tau
            env[trace] = dims.DIMENSIONLESS
    statements = {}
    for field in ("on_pre", "on_post", "on_teacher"):
        parsed = []
        local = dict(env)  # a statement's new name is a local of the statements after it
        for k, line in enumerate(getattr(d, field).splitlines(), 1):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            where = f"{d.name}.{field} line {k}"
            target = text.split("=", 1)[0].strip()
            if target.isidentifier() and target not in local and "=" in text:
                a = assignment(text, {target: "1"}, where, out, clip=True)
                got = dimension(a.value, local, where, out) if a is not None else None
                if a is not None and got is not None:
                    local[target] = got
                    parsed.append(a)
                continue
            a = assignment(text, {WEIGHT_VARIABLE: dims.WEIGHT}, where, out, clip=True)
            if a is None:
                continue
            got = dimension(a.value, local, where, out)
            if got is not None and got != env[WEIGHT_VARIABLE]:
                out.append(
                    Diagnostic(
                        where,
                        f"{text!r} gives the weight a value of dimension {dims.show(got)}",
                        "give w a value in the weight unit (parameters declared 'x weight')",
                    )
                )
            parsed.append(a)
        statements[field] = parsed
    if not statements["on_pre"] and not statements["on_post"]:
        out.append(
            Diagnostic(d.name, "the rule changes nothing", "give on_pre and/or on_post statements")
        )
    if out:
        raise ValidationError(out)
    return RuleProgram(
        d.name,
        d.digest,
        params,
        dict(d.pre_traces),
        dict(d.post_traces),
        statements["on_pre"],
        statements["on_post"],
        statements["on_teacher"],
        dict(d.post_state),
    )


def evaluate(node: ast.expr, env: dict) -> float:
    """A rule expression in Python doubles (left to right, as written)."""
    if isinstance(node, ast.Call) and node.func.id == "step":
        return 1.0 if evaluate(node.args[0], env) > 0 else 0.0
    if isinstance(node, ast.Call) and node.func.id == "clip":
        x, lo, hi = (evaluate(a, env) for a in node.args)
        return lo if x < lo else hi if x > hi else x
    from .numerics import evaluate_ast

    if isinstance(node, ast.BinOp) and not isinstance(node.op, ast.Pow):
        a, b = evaluate(node.left, env), evaluate(node.right, env)
        return evaluate_ast(ast.BinOp(ast.Constant(a), node.op, ast.Constant(b)), {})
    if isinstance(node, ast.UnaryOp):
        value = evaluate(node.operand, env)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Call):
        return evaluate_ast(
            ast.Call(node.func, [ast.Constant(evaluate(node.args[0], env))], []), {}
        )
    return evaluate_ast(node, env)


def apply(statements: list[Assignment], env: dict) -> None:
    """Run ``statements`` on the scalars in ``env`` (in place)."""
    for a in statements:
        value = evaluate(a.value, env)
        if a.op == "=":
            env[a.var] = value
        elif a.op == "+=":
            env[a.var] = env[a.var] + value
        else:
            env[a.var] = env[a.var] - value


def apply_arrays(statements: list[Assignment], env: dict) -> None:
    """Run ``statements`` on numpy arrays in ``env`` (in place), one operation at a time in
    the order written (the same doubles as the scalar :func:`apply`)."""
    import numpy as np

    def value(node):
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            return env[node.id] if node.id in env else dims.unit_value(node.id)
        if isinstance(node, ast.UnaryOp):
            inner = value(node.operand)
            return -inner if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.BinOp):
            a = value(node.left)
            if isinstance(node.op, ast.Pow):
                out = a
                for _ in range(node.right.value - 1):
                    out = out * a
                return out
            b = value(node.right)
            return {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply}.get(
                type(node.op), np.divide
            )(a, b)
        if node.func.id == "clip":
            x, lo, hi = (value(a) for a in node.args)
            return np.where(x < lo, lo, np.where(x > hi, hi, x))
        if node.func.id == "step":
            return np.where(value(node.args[0]) > 0, 1.0, 0.0)
        return {"exp": np.exp, "log": np.log, "sqrt": np.sqrt, "abs": np.abs}[node.func.id](
            value(node.args[0])
        )

    for a in statements:
        v = value(a.value)
        if a.op == "=" and a.var not in env:  # a local
            env[a.var] = v
        elif a.op == "=":
            env[a.var] = np.broadcast_to(v, np.shape(env[a.var])).copy()
        elif a.op == "+=":
            env[a.var] = env[a.var] + v
        else:
            env[a.var] = env[a.var] - v


def brian2_code(statements: list[Assignment], rename: dict[str, str]) -> str:
    """Abstract code of ``statements``: one operation per line (temporaries ``hub_r<k>``), in
    the order written, so no code generator reassociates anything; names renamed."""
    lines: list[str] = []
    counter = [0]

    def emit(text: str) -> str:
        counter[0] += 1
        name = f"hub_r{counter[0]}"
        lines.append(f"{name} = {text}")
        return name

    def code(node) -> str:
        if isinstance(node, ast.Constant):
            return repr(float(node.value))
        if isinstance(node, ast.Name):
            if node.id in rename or not _is_unit(node.id):
                return rename.get(node.id, node.id)
            return repr(dims.unit_value(node.id))
        if isinstance(node, ast.UnaryOp):
            inner = code(node.operand)
            return emit(f"-{inner}") if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Pow):
                base = code(node.left)
                acc = base
                for _ in range(node.right.value - 1):
                    acc = emit(f"{acc} * {base}")
                return acc
            op = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}[type(node.op)]
            left = code(node.left)
            return emit(f"{left} {op} {code(node.right)}")
        if isinstance(node, ast.Call) and node.func.id == "step":
            return emit(f"1.0 * int({code(node.args[0])} > 0)")
        if isinstance(node, ast.Call):
            args = [code(x) for x in node.args]
            return emit(f"{node.func.id}({', '.join(args)})")
        raise TypeError(ast.unparse(node))  # pragma: no cover - whitelisted

    for a in statements:
        value = code(a.value)
        target = rename.get(a.var, a.var)
        if a.op == "=":
            lines.append(f"{target} = {value}")
        else:
            lines.append(f"{target} = {target} {'+' if a.op == '+=' else '-'} {value}")
    return "\n".join(lines) + ("\n" if lines else "")


def _is_unit(name: str) -> bool:
    from hub.ir import units

    return units.is_unit(name)


__all__ = ["RuleProgram", "apply", "brian2_code", "evaluate", "rule_program"]
