"""The update of a custom neuron model as straight-line statements: what every backend runs.

A :class:`NeuronProgram` is the hub's numerics of one definition, fixed once:

* ``constants``: per-neuron numbers the hub computes in double precision from the parameters
  (propagators, shifted thresholds, refractory steps), in working units (ms, mV, pA, pF, nS);
* ``update``: statements run at the start of each step (integration over one step, from the
  state at the step's start; the refractory count-down);
* ``inputs``: statements that add the weights summed per receptor in this step (``buffers``
  names each receptor's sum; it is zeroed after);
* ``threshold``: a condition on the variables after the inputs;
* ``reset``: statements run for a neuron that spiked (then its refractory count starts).

Every statement is ``target = a op b`` (or ``f(a)``, ``sel(c, a, b)``, ``a``): one
floating-point operation, so no code generator can reassociate anything and every backend
computes the same doubles.  :func:`execute` runs statements on numpy arrays (the reference
engine's way).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from . import dims

BINARY = ("+", "-", "*", "/", ">=", ">", "<=", "<", "==", "!=", "and", "or")
UNARY = ("neg", "not", "exp", "log", "sqrt", "abs", "copy", "int")


@dataclass(frozen=True)
class Stmt:
    """``target = op(args)``; args are variable names or floats."""

    target: str
    op: str
    args: tuple

    def text(self, literal: Callable[[float], str] = repr) -> str:
        """The statement in Brian2's abstract code (and Python) syntax."""
        a = [_literal(x, literal) for x in self.args]
        if self.op in BINARY:
            return f"{self.target} = {a[0]} {self.op} {a[1]}"
        if self.op == "neg":
            return f"{self.target} = -{a[0]}"
        if self.op == "not":
            return f"{self.target} = not {a[0]}"
        if self.op == "copy":
            return f"{self.target} = {a[0]}"
        if self.op == "sel":
            return f"{self.target} = sel({a[0]}, {a[1]}, {a[2]})"
        return f"{self.target} = {self.op}({a[0]})"


def _literal(x, literal):
    if isinstance(x, str):
        return x
    return str(x) if isinstance(x, int) else literal(float(x))


@dataclass(frozen=True)
class Constant:
    """A per-neuron number: ``compute(params, h)`` on one neuron's parameters (floats in
    working units) and NEST's step ``h`` (ms)."""

    name: str
    compute: Callable[[dict, float], float]
    doc: str
    integer: bool = False


@dataclass
class NeuronProgram:
    name: str
    digest: str
    scheme: dict[str, str]  # state variable -> "exact (...)" | "forward Euler"
    state: list[str]  # state variables, as the user named them
    shift: dict[str, str]  # state variable -> constant it is kept relative to (v - E)
    integers: set[str]  # integer variables (the refractory counter and its limit)
    constants: list[Constant]
    update: list[Stmt]
    inputs: list[Stmt]
    threshold: list[Stmt]  # sets the flag THRESHOLD_FLAG, or is empty with threshold_expr
    threshold_expr: tuple[str, str, str] | None  # (a, op, b): one comparison of two names
    reset: list[Stmt]
    buffers: dict[str, str]  # receptor -> buffer variable (weights per step, working unit)
    weight_unit: str
    units: dict[str, str]  # state variable -> declared unit
    initial: dict[str, object]  # state variable -> number (declared unit) or parameter name
    refractory: bool
    temporaries: list[str] = field(default_factory=list)
    booleans: set[str] = field(default_factory=set)
    param_units: dict[str, str] = field(default_factory=dict)
    #: what the hub found per state variable: {"kind": "decay" | "leaky" | "matrix" |
    #: "euler", ...} with sympy coefficients (tau, coupling, rest, drives; nonlinear terms)
    structure: dict[str, dict] = field(default_factory=dict)
    held: set[str] = field(default_factory=set)  # variables marked (unless refractory)
    refractory_param: str | None = None  # the parameter giving the refractory period (ms)
    refractory_ms: float | None = None  # or a fixed period

    @property
    def variables(self) -> dict[str, str]:
        """Every per-neuron variable a backend allocates: name -> 'float' | 'integer' |
        'boolean'."""
        names = [*self.state, *self.buffers.values(), *self.temporaries, *self.booleans]
        names += [c.name for c in self.constants]
        return {n: self.type_of(n) for n in dict.fromkeys(names)}

    def type_of(self, name: str) -> str:
        if name in self.integers:
            return "integer"
        return "boolean" if name in self.booleans else "float"

    def constant_values(self, params: dict[str, np.ndarray], h: float) -> dict[str, np.ndarray]:
        """Every constant per neuron from the parameters (working units, arrays of one length),
        evaluated once per distinct parameter combination in Python floats (libm)."""
        names = sorted(params)
        n = len(next(iter(params.values()))) if params else 1
        table = np.column_stack([np.asarray(params[k], float) for k in names]) if names else None
        if table is None:
            rows, inverse = [dict()], np.zeros(n, np.intp)
        else:
            uniq, inverse = np.unique(table, axis=0, return_inverse=True)
            rows = [dict(zip(names, map(float, row))) for row in uniq]
        out: dict[str, list] = {c.name: [] for c in self.constants}
        for row in rows:
            env = dict(row)
            for c in self.constants:
                env[c.name] = c.compute(env, h)
                out[c.name].append(env[c.name])
        inverse = np.asarray(inverse).reshape(-1)
        return {
            c.name: np.asarray(out[c.name], np.int64 if c.integer else float)[inverse]
            for c in self.constants
        }

    def values(
        self, params: dict[str, np.ndarray], initial: dict[str, np.ndarray], h: float
    ) -> dict[str, np.ndarray]:
        """Every variable's starting value per neuron (working units) from the resolved
        parameters and initial values (declared units): the constants, the state (kept
        relative to its resting value where :attr:`shift` says so), zero buffers and
        temporaries, the refractory count 0."""
        working = {
            k: dims.convert_to_working(np.asarray(v, float), self.param_units[k])
            for k, v in params.items()
            if k in self.param_units
        }
        n = len(next(iter(params.values()))) if params else len(next(iter(initial.values())))
        out = dict(self.constant_values(working, h)) if working else {}
        if not working:
            out = {k: np.broadcast_to(v, (n,)) for k, v in self.constant_values({}, h).items()}
        for var, unit in self.units.items():
            x = dims.convert_to_working(np.asarray(initial[var], float), unit)
            out[var] = x - out[self.shift[var]] if var in self.shift else x
        for name, kind in self.variables.items():
            if name not in out:
                dtype = {"integer": np.int64, "boolean": bool}.get(kind, float)
                out[name] = np.zeros(n, dtype)
        return out

    def recorded(self, var: str, values: np.ndarray, constants: dict[str, np.ndarray]):
        """A state variable's recorded values (working units, stored form) in its declared
        unit: ``X + E`` for a variable kept relative to E (NEST's ``V_m = y3 + E_L``)."""
        if var in self.shift:
            values = values + constants[self.shift[var]]
        return dims.convert_from_working(values, self.units[var])

    def statements(self) -> list[Stmt]:
        return [*self.update, *self.inputs, *self.threshold, *self.reset]


THRESHOLD_FLAG = "spike_now"
REFRACTORY_COUNT = "refr_count"
REFRACTORY_STEPS = "refr_steps"
FREE = "not_refr"


def execute(statements: list[Stmt], env: dict[str, np.ndarray], where=None) -> None:
    """Run ``statements`` on the arrays in ``env`` (in place); with ``where`` (a mask) only
    those neurons' variables change."""
    for s in statements:
        a = [env[x] if isinstance(x, str) else x for x in s.args]
        value = _apply(s.op, a)
        if where is None:
            env[s.target] = np.asarray(value) if np.ndim(value) else value
        else:
            old = env[s.target]
            env[s.target] = np.where(where, value, old).astype(np.asarray(old).dtype)


def _apply(op, a):
    if op == "+":
        return a[0] + a[1]
    if op == "-":
        return a[0] - a[1]
    if op == "*":
        return a[0] * a[1]
    if op == "/":
        return a[0] / a[1]
    if op in (">=", ">", "<=", "<", "==", "!="):
        return {
            ">=": np.greater_equal,
            ">": np.greater,
            "<=": np.less_equal,
            "<": np.less,
            "==": np.equal,
            "!=": np.not_equal,
        }[op](a[0], a[1])
    if op == "and":
        return np.logical_and(a[0], a[1])
    if op == "or":
        return np.logical_or(a[0], a[1])
    if op == "not":
        return np.logical_not(a[0])
    if op == "neg":
        return -a[0]
    if op == "copy":
        return a[0]
    if op == "int":
        return np.asarray(a[0]).astype(np.int64)
    if op == "sel":
        return np.where(a[0], a[1], a[2])
    fn = {"exp": math.exp, "log": math.log, "sqrt": math.sqrt, "abs": abs}[op]
    return np.vectorize(fn, otypes=[float])(a[0])
