"""Which learning rules written as statements are a sum of products: the form of a
learning engine that adds, at each presynaptic or postsynaptic spike, a polynomial in the
synapse's traces and weight (the chip's, after Loihi's).

A rule has the **product form** when

* it has no teacher and reads no postsynaptic state, ``dt_pre``, ``step`` or locals;
* ``on_pre`` and ``on_post`` are each empty or the one statement
  ``w = clip(F, 0, P)`` with the same weight parameter ``P`` (the engine clips every
  weight to [0, w_max] after each update);
* ``F - w`` is a polynomial in the traces and ``w`` whose coefficients are expressions of
  the parameters, e.g. ``a_plus * x`` (additive pair STDP) or
  ``a * (1 - w/w_max) * x`` (multiplicative);
* it reads at most two presynaptic and three postsynaptic traces (the engine's registers).

Then :func:`product_form` gives the update's terms: each a coefficient (of the parameters,
:meth:`Term.value`), the event it runs at (``pre`` or ``post``) and the powers of the traces
and ``w`` it multiplies; otherwise :class:`NoForm` names what does not fit.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

import sympy

from hub.ir import units

from . import dims
from .forms import NoForm
from .numerics import evaluate_sympy
from .rules import SINCE_PRE, WEIGHT_VARIABLE, RuleProgram

PRE_REGISTERS, POST_REGISTERS = 2, 3


@dataclass(frozen=True)
class Term:
    """``coefficient * prod(var ** power)`` added to ``w`` at each ``event`` spike."""

    event: str  # "pre" | "post"
    coefficient: sympy.Expr  # of the parameters (working units)
    powers: tuple[tuple[str, int], ...]  # (trace or "w", power), traces first

    def value(self, working: dict[str, float]) -> float:
        """The coefficient's value for the rule's parameters in working units."""
        return evaluate_sympy(self.coefficient, working)

    def text(self) -> str:
        names = " ".join(v if p == 1 else f"{v}^{p}" for v, p in self.powers)
        return f"{self.coefficient} {names}".strip()


@dataclass(frozen=True)
class ProductForm:
    bound: str  # the weight parameter w is clipped to (w_max)
    terms: tuple[Term, ...]
    pre_traces: tuple[str, ...]  # the traces read, in the order declared
    post_traces: tuple[str, ...]


def product_form(program: RuleProgram) -> ProductForm:
    """The product form of ``program``, or :class:`NoForm` naming what does not fit."""
    if program.on_teacher:
        raise NoForm("a teacher (on_teacher): the engine has no third spike stream per neuron")
    if program.post_state:
        raise NoForm("the postsynaptic state (post_state): synapses see only traces")
    symbols = {
        n: sympy.Symbol(n, real=True)
        for n in [*program.param_units, *program.pre_traces, *program.post_traces]
    }
    symbols[WEIGHT_VARIABLE] = sympy.Symbol(WEIGHT_VARIABLE, real=True)
    gens = [symbols[n] for n in [*program.pre_traces, *program.post_traces, WEIGHT_VARIABLE]]
    terms: list[Term] = []
    bounds = set()
    for field, event in (("on_pre", "pre"), ("on_post", "post")):
        statements = getattr(program, field)
        if not statements:
            continue
        bound, update = _clipped_update(program, field, statements, symbols)
        bounds.add(bound)
        try:
            poly = sympy.Poly(sympy.expand(update), *gens)
        except sympy.PolynomialError:
            raise NoForm(
                f"{field}: {statements[0].text!r} is not a polynomial in the traces and w"
            ) from None
        for powers, coefficient in poly.terms():
            used = tuple((str(g), p) for g, p in zip(gens, powers) if p)
            terms.append(Term(event, sympy.sympify(coefficient), used))
    if len(bounds) > 1:
        raise NoForm(f"w is clipped to different bounds ({', '.join(sorted(bounds))})")
    read = {v for t in terms for v, _ in t.powers}
    pre = tuple(x for x in program.pre_traces if x in read)
    post = tuple(y for y in program.post_traces if y in read)
    if len(pre) > PRE_REGISTERS or len(post) > POST_REGISTERS:
        raise NoForm(
            f"{len(pre)} presynaptic and {len(post)} postsynaptic traces read: the engine has "
            f"{PRE_REGISTERS} and {POST_REGISTERS}"
        )
    if not bounds:
        raise NoForm("the rule changes nothing")
    return ProductForm(bounds.pop(), tuple(terms), pre, post)


def _clipped_update(program: RuleProgram, field: str, statements, symbols):
    """(P, F - w) of the handler's one statement ``w = clip(F, 0, P)``."""
    a = statements[0]
    node = a.value
    fits = (
        len(statements) == 1
        and a.var == WEIGHT_VARIABLE
        and a.op == "="
        and isinstance(node, ast.Call)
        and getattr(node.func, "id", "") == "clip"
        and isinstance(node.args[1], ast.Constant)
        and node.args[1].value == 0
        and isinstance(node.args[2], ast.Name)
        and program.param_units.get(node.args[2].id) == dims.WEIGHT
    )
    if not fits:
        texts = "; ".join(s.text for s in statements)
        raise NoForm(
            f"{field}: {texts!r}: the engine adds a polynomial to w and clips it to "
            "[0, w_max]: write one statement 'w = clip(w + ..., 0, w_max)'"
        )
    return node.args[2].id, _sympy(node.args[0], symbols, field) - symbols[WEIGHT_VARIABLE]


def _sympy(node, symbols: dict, field: str):
    if isinstance(node, ast.Constant):
        return sympy.Float(float(node.value))
    if isinstance(node, ast.Name):
        if node.id in symbols:
            return symbols[node.id]
        if node.id == SINCE_PRE:
            raise NoForm(f"{field}: dt_pre: the engine reads traces, not spike times")
        if units.is_unit(node.id):
            return sympy.Float(float(dims.unit_value(node.id)))
        raise NoForm(f"{field}: {node.id!r}: a local (the engine has one statement per event)")
    if isinstance(node, ast.UnaryOp):
        inner = _sympy(node.operand, symbols, field)
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp):
        a, b = _sympy(node.left, symbols, field), _sympy(node.right, symbols, field)
        if isinstance(node.op, ast.Pow):
            return a ** int(node.right.value)
        if isinstance(node.op, ast.Add):
            return a + b
        if isinstance(node.op, ast.Sub):
            return a - b
        return a * b if isinstance(node.op, ast.Mult) else a / b
    name = getattr(getattr(node, "func", None), "id", "?")
    raise NoForm(f"{field}: {name}() has no sum-of-products form")


__all__ = ["NoForm", "ProductForm", "Term", "product_form"]
