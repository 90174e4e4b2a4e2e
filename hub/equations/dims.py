"""Physical dimensions of the quantities in neuron equations, and the working units.

A dimension is the exponents of (time, voltage, current); every unit the hub knows
(:mod:`hub.ir.units`) is one of them times a power of ten.  The hub integrates custom models
in NEST's units, ms, mV, pA, pF and nS, which are coherent (pA / pF = mV / ms, nS * mV = pA,
pF / nS = ms), so a dimensionally consistent equation holds numerically without factors.
Converting a value to its working unit multiplies by a power of ten (``x * 1000.0``) or
divides by one (``x / 1000.0``), each exact to the last bit of IEEE arithmetic.
"""

from __future__ import annotations

import math
from fractions import Fraction

from hub.ir import units

Dim = tuple[Fraction, ...]  # exponents of (time, voltage, current, weight)

#: a learning rule's weight: the target's weight unit (nA, uS or mV), a dimension of its own
WEIGHT = "weight"
DIMENSIONLESS: Dim = (Fraction(0), Fraction(0), Fraction(0), Fraction(0))
_NAMED: dict[str, tuple[int, int, int, int]] = {
    "time": (1, 0, 0, 0),
    "voltage": (0, 1, 0, 0),
    "current": (0, 0, 1, 0),
    "conductance": (0, -1, 1, 0),
    "capacitance": (1, -1, 1, 0),
    "frequency": (-1, 0, 0, 0),
    "rate": (-1, 0, 0, 0),
    "voltage_rate": (-1, 1, 0, 0),
    "dimensionless": (0, 0, 0, 0),
}
#: decimal exponent of each base quantity's working unit (ms, mV, pA; weights as given)
_WORKING_EXPONENT = (-3, -3, -12, 0)


def of_unit(unit: str) -> Dim:
    """The dimension of a hub unit (``"nA"``, ``"mV/ms"``, ``"1"``, ``"nA/ms"``)."""
    if unit == WEIGHT:
        return (Fraction(0), Fraction(0), Fraction(0), Fraction(1))
    if units.is_compound(unit):
        return _compound(unit)[0]
    return tuple(Fraction(e) for e in _NAMED[units.dimension_of(units.canonical(unit))])


def _compound(unit: str) -> tuple[Dim, int]:
    """(dimension, decimal exponent) of a product/quotient of units, read with ast."""
    import ast

    def walk(node):
        if isinstance(node, ast.Constant) and node.value == 1:
            return DIMENSIONLESS, 0
        if isinstance(node, ast.Name):
            return of_unit(node.id), decimal_exponent(node.id)
        if isinstance(node, ast.BinOp):
            (da, ea), (db, eb) = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Mult):
                return multiply(da, db), ea + eb
            if isinstance(node.op, ast.Div):
                return multiply(da, inverse(db)), ea - eb
            if isinstance(node.op, ast.Pow) and isinstance(node.right, ast.Constant):
                n = node.right.value
                return power(da, n), ea * n
        raise ValueError(f"cannot read the unit {unit!r}")

    return walk(ast.parse(unit.replace("^", "**"), mode="eval").body)


def multiply(a: Dim, b: Dim) -> Dim:
    return tuple(x + y for x, y in zip(a, b))


def power(a: Dim, n) -> Dim:
    n = Fraction(n)
    return tuple(x * n for x in a)


def inverse(a: Dim) -> Dim:
    return power(a, -1)


def show(d: Dim) -> str:
    """A dimension in words, e.g. ``mV/ms`` or ``pA``: the working unit of ``d``."""
    names = ("ms", "mV", "pA", "weight")
    num = [f"{n}^{e}" if e != 1 else n for n, e in zip(names, d) if e > 0]
    den = [f"{n}^{-e}" if e != -1 else n for n, e in zip(names, d) if e < 0]
    text = "*".join(num) or "1"
    return f"{text}/{'/'.join(den)}" if den else text


def decimal_exponent(unit: str) -> int:
    """log10 of the unit's SI factor (every hub unit is a power of ten of an SI unit)."""
    if unit == WEIGHT:
        return 0
    if units.is_compound(unit):
        return _compound(unit)[1]
    return round(math.log10(units.factor(units.canonical(unit))))


def to_working(unit: str) -> tuple[str, float]:
    """How a value in ``unit`` becomes its working-unit value: ``("mul", 1000.0)`` (nA ->
    pA), ``("div", 1000.0)`` or ``("mul", 1.0)``."""
    dim = of_unit(unit)
    working = sum(int(e * w) for e, w in zip(dim, _WORKING_EXPONENT))
    shift = decimal_exponent(unit) - working
    return ("mul", 10.0**shift) if shift >= 0 else ("div", 10.0 ** (-shift))


def convert_to_working(value, unit: str):
    """``value`` (number or array, in ``unit``) in the working unit of its dimension."""
    how, f = to_working(unit)
    if f == 1.0:
        return value
    return value * f if how == "mul" else value / f


def convert_from_working(value, unit: str):
    """The inverse of :func:`convert_to_working` (NEST's recorded-value rule: a value in pA
    comes back in nA as ``value * (1 / 1000.0)``)."""
    how, f = to_working(unit)
    if f == 1.0:
        return value
    return value * (1.0 / f) if how == "mul" else value * f


def unit_value(unit: str) -> float:
    """The working value of one ``unit`` (``ms`` -> 1.0, ``nA`` -> 1000.0, ``Hz`` -> 0.001)."""
    return float(convert_to_working(1.0, unit))
