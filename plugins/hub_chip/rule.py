"""Learning rules as the chip's learning engine holds them: a sum of products.

Loihi's learning engine (Davies et al. 2018, IEEE Micro 38(1), section "Learning";
the same form as Lava's ``LoihiLearningRule`` strings such as
``dw = 2^-2*x1*y0 - 2^-2*y1*x0``) updates each plastic synapse variable z (the weight
mantissa ``w`` or the tag ``t``) by

    dz = sum_i  m_i 2^e_i  D_i  prod_j (V_ij + C_ij)

* ``D_i`` is the product's *dependency*: ``x0`` (the number of presynaptic spikes of the
  step), ``y0`` (the number of postsynaptic spikes reaching the synapse in the step) or
  ``u<k>`` (1 every 2^k steps, for terms that act without spikes);
* ``V_ij`` are synapse-visible integers: the traces ``x1, x2`` (presynaptic) and
  ``y1, y2, y3`` (postsynaptic), 7-bit (0..127); ``w`` (weight mantissa magnitude, 0..255);
  ``t`` (tag, 9-bit signed); ``x0``/``y0`` again; ``C`` a constant alone;
* ``C_ij`` integer constants (8-bit signed, 16-bit for ``w``/``t`` factors to reach
  ``w - W_max``), ``m_i`` a signed mantissa of ``MANTISSA_BITS`` bits (Lava's
  ``W_S_MANT``) and ``e_i`` an exponent in ``[EXP_MIN, EXP_MAX]``.

The engine evaluates every product whose dependency is non-zero with the values before
the step's update, sums them *exactly* (integers in units of 2^min(e)), rounds the sum
once to an integer (to nearest, half up, or stochastically), adds it and clips: ``w`` to
[0, W_max], ``t`` to [T_MIN, T_MAX].  (Lava's fixed-point applier shifts partial products
to a 16-bit accumulator; this engine keeps the exact sum and rounds once, so an update is
within half a unit of the rule's real value.)

Parsing (:func:`parse`) takes the string form; :func:`quantize_scale` turns a real
coefficient into ``(m, e)``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from hub.errors import HubError

MANTISSA_BITS = 4  # signed scale mantissa: |m| <= 15
EXP_MIN, EXP_MAX = -24, 7
TRACE_MAX = 127
T_MIN, T_MAX = -256, 255
DEPENDENCIES = ("x0", "y0") + tuple(f"u{k}" for k in range(10))
VARIABLES = ("x0", "y0", "x1", "x2", "y1", "y2", "y3", "w", "t")
TARGETS = ("w", "t")


@dataclass(frozen=True)
class Factor:
    """``(var + const)``; ``var == "C"`` is the constant alone."""

    var: str
    const: int = 0

    def text(self) -> str:
        if self.var == "C":
            return str(self.const)
        if not self.const:
            return self.var
        return f"({self.var} {'+' if self.const > 0 else '-'} {abs(self.const)})"


@dataclass(frozen=True)
class Product:
    """``mantissa * 2^exponent * dependency * prod(factors)`` added to ``target``."""

    target: str
    dependency: str
    mantissa: int
    exponent: int
    factors: tuple[Factor, ...] = ()
    #: what the term means in the hub rule it was compiled from (for reports and errors)
    meaning: str = ""

    def text(self) -> str:
        scale = f"{self.mantissa}*2^{self.exponent}"
        return "*".join([scale, self.dependency] + [f.text() for f in self.factors])


@dataclass(frozen=True)
class TraceSpec:
    """A trace register: decays with ``tau`` (ms), adds ``impulse`` (trace units, 1..127) per
    spike, saturating at 127; ``initial``: its value at step 0."""

    tau: float
    impulse: int
    initial: int = 0


@dataclass(frozen=True)
class ProductRule:
    """A learning rule in the engine's form: products and the traces they read."""

    products: tuple[Product, ...]
    traces: dict[str, TraceSpec] = field(default_factory=dict)
    #: hub-rule terms with no product form that were dropped because they round to zero
    dropped: tuple[str, ...] = ()

    def text(self) -> str:
        """``dw = ...; dt = ...`` (the string :func:`parse` reads back)."""
        out = []
        for target in TARGETS:
            terms = [p.text() for p in self.products if p.target == target]
            if terms:
                out.append(f"d{target} = " + " + ".join(terms).replace("+ -", "- "))
        return "; ".join(out)

    def shift(self, target: str) -> int:
        """k: the exact sum of ``target``'s products is an integer in units of 2^-k."""
        return max([0] + [-p.exponent for p in self.products if p.target == target])

    def trace_names(self) -> set[str]:
        """The traces its products read."""
        return {f.var for p in self.products for f in p.factors if f.var[0] in "xy"} - {
            "x0",
            "y0",
        }


def quantize_scale(value: float) -> tuple[int, int]:
    """(m, e) with ``m 2^e`` nearest to ``value``, |m| < 2^MANTISSA_BITS, e as small as the
    mantissa allows (the most precise); (0, 0) if it rounds to zero at ``EXP_MIN``."""
    if value == 0 or not math.isfinite(value):
        return 0, 0
    top = (1 << MANTISSA_BITS) - 1
    e = math.floor(math.log2(abs(value) / top))  # m = value / 2^e in (top/2, top]
    e = min(max(e, EXP_MIN), EXP_MAX)
    m = int(round(value / 2.0**e))
    while abs(m) > top and e < EXP_MAX:
        e += 1
        m = int(round(value / 2.0**e))
    if abs(m) > top:
        raise HubError(f"chip learning rule: coefficient {value:g} exceeds {top} * 2^{EXP_MAX}")
    while m and m % 2 == 0 and e < EXP_MAX:  # canonical: odd mantissa
        m //= 2
        e += 1
    return (m, e) if m else (0, 0)


# --- the string form ---------------------------------------------------------------------------
_TOKEN = re.compile(r"\s*(?:(2\^[+-]?\d+)|(\d+)|([a-z]\w*)|(\()|(\))|([+\-*]))")


def parse(text: str, traces: dict[str, TraceSpec] | None = None) -> ProductRule:
    """A rule from ``"dw = 2^-2*x1*y0 - 2^-2*y1*x0; dt = ..."``.

    Grammar: equations ``d<w|t> = term (+|- term)*`` separated by ``;`` or newlines; a term
    is factors joined by ``*``; a factor is an integer, ``2^e``, a variable
    (``x0 y0 u0..u9 x1 x2 y1 y2 y3 w t``) or ``(variable +|- integer)``.  Each term needs
    exactly one dependency (``x0``, ``y0`` or ``u<k>``); a second ``x0``/``y0`` in a term is
    an ordinary factor."""
    products: list[Product] = []
    for eq in filter(None, (s.strip() for s in re.split(r"[;\n]", text))):
        m = re.fullmatch(r"d([wt])\s*=\s*(.+)", eq)
        if not m:
            raise HubError(f"chip learning rule {eq!r}: write 'dw = ...' or 'dt = ...'")
        target, rhs = m.group(1), m.group(2)
        for sign, term in _split_terms(rhs, eq):
            products.append(_product(target, sign, term, eq))
    return ProductRule(tuple(products), dict(traces or {}))


def _split_terms(rhs: str, eq: str):
    depth, start, sign, out = 0, 0, 1, []
    rhs = rhs.strip()
    if rhs[:1] in "+-":
        sign, rhs = (-1 if rhs[0] == "-" else 1), rhs[1:]
    for i, ch in enumerate(rhs):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and ch in "+-" and i > 0 and rhs[i - 1] not in "^(":
            out.append((sign, rhs[start:i]))
            sign, start = (-1 if ch == "-" else 1), i + 1
    out.append((sign, rhs[start:]))
    if depth:
        raise HubError(f"chip learning rule {eq!r}: unbalanced parentheses")
    return out


def _product(target: str, sign: int, term: str, eq: str) -> Product:
    mant, exp, dep, factors = sign, 0, None, []
    for part in filter(None, (p.strip() for p in term.split("*"))):
        if part.startswith("2^"):
            exp += int(part[2:])
        elif part.isdigit():
            mant *= int(part)
        elif part.startswith("("):
            fm = re.fullmatch(r"\(\s*([a-z]\w*)\s*([+-])\s*(\d+)\s*\)", part)
            if not fm or fm.group(1) not in VARIABLES:
                raise HubError(f"chip learning rule {eq!r}: cannot read factor {part!r}")
            c = int(fm.group(3)) * (1 if fm.group(2) == "+" else -1)
            factors.append(Factor(fm.group(1), c))
        elif part in DEPENDENCIES and dep is None:
            dep = part
        elif part in VARIABLES:
            factors.append(Factor(part))
        else:
            raise HubError(
                f"chip learning rule {eq!r}: unknown symbol {part!r}; use "
                f"{', '.join(VARIABLES)}, u0..u9, integers and 2^e"
            )
    if dep is None:
        raise HubError(
            f"chip learning rule {eq!r}: term {term.strip()!r} has no dependency; "
            "multiply it by x0, y0 or u<k>"
        )
    if abs(mant) >= 1 << MANTISSA_BITS or not EXP_MIN <= exp <= EXP_MAX:
        raise HubError(
            f"chip learning rule {eq!r}: scale {mant}*2^{exp} is outside the engine's "
            f"{MANTISSA_BITS}-bit mantissa and exponents {EXP_MIN}..{EXP_MAX}"
        )
    return Product(target, dep, mant, exp, tuple(factors))
