"""Units: every IR parameter declares one canonical unit (PyNN's: ms, mV, nA, uS, nF, Hz).

Numbers are taken to be in the canonical unit.  Strings such as ``"20 ms"`` or
``"0.5 nS"`` and Brian2 quantities (duck-typed: anything with a ``dim`` attribute,
whose array value is in SI base units) are converted; a wrong dimension is an error.
"""

from __future__ import annotations

import re

import numpy as np

# dimension name -> {unit symbol: factor to the SI base unit}
_DIMENSIONS: dict[str, dict[str, float]] = {
    "time": {"s": 1.0, "ms": 1e-3, "us": 1e-6},
    "voltage": {"V": 1.0, "mV": 1e-3, "uV": 1e-6},
    "current": {"A": 1.0, "mA": 1e-3, "uA": 1e-6, "nA": 1e-9, "pA": 1e-12},
    "conductance": {"S": 1.0, "mS": 1e-3, "uS": 1e-6, "nS": 1e-9, "pS": 1e-12},
    "capacitance": {"F": 1.0, "uF": 1e-6, "nF": 1e-9, "pF": 1e-12},
    "frequency": {"Hz": 1.0, "kHz": 1e3, "1/s": 1.0},
    "rate": {"1/ms": 1e3},  # inverse time, written per ms (Izhikevich a, b)
    "voltage_rate": {"mV/ms": 1.0, "V/s": 1.0},
    "dimensionless": {"1": 1.0, "": 1.0},
    "steps": {"steps": 1.0},
}
# SI base-unit exponents (m, kg, s, A) of each dimension, to check Brian2 quantities
# (Brian2's str(dim) spells most of them as base-unit products, e.g. 'm^-2 kg^-1 s^3 A^2')
_SI_EXPONENTS = {
    "time": (0, 0, 1, 0),
    "voltage": (2, 1, -3, -1),
    "current": (0, 0, 0, 1),
    "conductance": (-2, -1, 3, 2),
    "capacitance": (-2, -1, 4, 2),
    "frequency": (0, 0, -1, 0),
    "rate": (0, 0, -1, 0),
    "voltage_rate": (2, 1, -4, -1),
    "dimensionless": (0, 0, 0, 0),
}
_UNIT_TO_DIM = {u: d for d, units in _DIMENSIONS.items() for u in units}
_ALIASES = {
    "µs": "us",
    "μs": "us",
    "µA": "uA",
    "μA": "uA",
    "µS": "uS",
    "μS": "uS",
    "µF": "uF",
    "μF": "uF",
    "µV": "uV",
    "msecond": "ms",
    "mvolt": "mV",
    "namp": "nA",
    "pamp": "pA",
    "nsiemens": "nS",
    "usiemens": "uS",
    "nfarad": "nF",
    "pfarad": "pF",
    "hertz": "Hz",
    "second": "s",
    "volt": "V",
}
_QUANTITY = re.compile(r"^\s*([-+0-9.eE]+(?:\s*[-+]\s*[0-9.eE]+)?)\s*\*?\s*([A-Za-zµμ/0-9]*)\s*$")


class UnitError(ValueError):
    """A value had the wrong dimension or could not be parsed (wrapped into a Diagnostic)."""


def dimension_of(unit: str) -> str:
    return _UNIT_TO_DIM[unit]


def factor(unit: str) -> float:
    """SI factor of a unit symbol."""
    return _DIMENSIONS[_UNIT_TO_DIM[unit]][unit]


def convert(value, unit: str):
    """Return ``value`` as a float (or float array) in ``unit``.

    Accepts numbers, arrays, ``"20 ms"`` strings and Brian2 quantities.  Raises
    :class:`UnitError` naming the expected unit when the dimension does not match.
    """
    if unit not in _UNIT_TO_DIM and is_compound(unit):
        return _convert_compound(value, unit)
    dim = _UNIT_TO_DIM[unit]
    if isinstance(value, (bytes, bytearray)):  # float(b"12") would read it as 12
        raise UnitError(f"is bytes, not a number; give a number in {unit}")
    if hasattr(value, "dim") and hasattr(value, "dimensions"):  # Brian2 Quantity
        if not _same_brian_dim(value, dim):
            raise UnitError(f"has dimension {str(value.dim) or '1'!r}, expected {unit} ({dim})")
        return (
            np.asarray(value, dtype=float) / factor(unit)
            if np.ndim(value)
            else float(np.asarray(value)) / factor(unit)
        )
    if isinstance(value, str):
        m = _QUANTITY.match(value)
        if not m:
            raise UnitError(f"cannot read {value!r} as a quantity; write e.g. '5 {unit}'")
        number, sym = float(m.group(1).replace(" ", "")), _ALIASES.get(m.group(2), m.group(2))
        if sym == "":
            return number
        if sym not in _UNIT_TO_DIM:
            raise UnitError(f"unknown unit {sym!r}; use {unit}")
        if _UNIT_TO_DIM[sym] != dim:
            raise UnitError(f"{value!r} is a {_UNIT_TO_DIM[sym]}, expected {unit} ({dim})")
        return number * factor(sym) / factor(unit)
    return value


def _same_brian_dim(value, dim: str) -> bool:
    """Whether a Brian2 quantity has dimension ``dim`` (compared through Brian2's own
    dimension objects, which are singletons; Brian2 is imported already if value is one)."""
    import sys

    exps = _SI_EXPONENTS.get(dim)
    module = sys.modules.get(type(value).__module__)
    make = getattr(module, "get_or_create_dimension", None)
    if exps is None or make is None:
        return False
    m, kg, s, a = exps
    return value.dim is make(m=m, kg=kg, s=s, A=a)


def known_units() -> list[str]:
    """Every unit symbol a quantity may carry (``"1"`` is dimensionless)."""
    return [u for u in _UNIT_TO_DIM if u]


def is_unit(name: str) -> bool:
    return bool(name) and (name in _UNIT_TO_DIM or name in _ALIASES)


def split_quantity(value: str) -> tuple[float, str]:
    """``"20 ms"`` -> (20.0, "ms"); ``"0.5"`` -> (0.5, "1"); ``"0.04 1/(mV*ms)"`` -> (0.04,
    "1/(mV*ms)").  UnitError if unreadable."""
    head, _, tail = value.strip().partition(" ")
    if tail.strip() and is_compound(tail.strip()):
        try:
            return float(head), tail.strip()
        except ValueError:
            raise UnitError(f"cannot read {value!r} as a quantity") from None
    m = _QUANTITY.match(value)
    if not m:
        raise UnitError(f"cannot read {value!r} as a quantity")
    number, sym = float(m.group(1).replace(" ", "")), _ALIASES.get(m.group(2), m.group(2))
    if sym and sym not in _UNIT_TO_DIM:
        raise UnitError(f"unknown unit {sym!r}; use one of {', '.join(known_units())}")
    return number, sym or "1"


def canonical(symbol: str) -> str:
    """A unit symbol in the hub's spelling (``"msecond"`` -> ``"ms"``)."""
    return _ALIASES.get(symbol, symbol)


_COMPOUND = re.compile(r"^[A-Za-z0-9_*/() .]+$")
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def is_compound(unit: str) -> bool:
    """Whether ``unit`` is a product or quotient of known units (``"nA/ms"``,
    ``"1/(mV*ms)"``, ``"mV**2"``): the units of custom models' variables."""
    if not isinstance(unit, str) or not _COMPOUND.match(unit) or unit in _UNIT_TO_DIM:
        return False
    return all(is_unit(t) for t in _TOKEN.findall(unit))


def _convert_compound(value, unit: str):
    """A number (taken to be in ``unit``) or a string ``"<number> <unit>"`` with exactly that
    unit text: compound units are not converted between scales."""
    if isinstance(value, str):
        text = value.strip()
        number = text[: len(text) - len(unit)].strip() if text.endswith(unit) else text
        try:
            return float(number)
        except ValueError:
            raise UnitError(
                f"cannot read {value!r} as a quantity in {unit}; give a number "
                f"(in {unit}) or '<number> {unit}'"
            ) from None
    return value
