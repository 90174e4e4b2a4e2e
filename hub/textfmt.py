"""Plain-text rendering shared by the CLI, the reports and the benchmarks: one number
formatter, one aligned table, SI prefixes, and JSON-safe conversion."""

from __future__ import annotations

import math
from numbers import Number

import numpy as np


def fmt(value, spec: str = "", none: str = "-") -> str:
    """``value`` for a table cell: ``none`` for None and NaN, ``"inf"`` for infinities,
    numbers through ``format(value, spec)`` when ``spec`` is given, anything else ``str``."""
    if value is None:
        return none
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return none
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
    if spec and isinstance(value, Number) and not isinstance(value, bool):
        return format(value, spec)
    return str(value)


def si(value, unit: str) -> str:
    """``0.00123, 'J'`` -> ``1.23 mJ``."""
    if value is None:
        return "-"
    if value == 0:
        return f"0 {unit}"
    for factor, prefix in ((1, ""), (1e-3, "m"), (1e-6, "u"), (1e-9, "n"), (1e-12, "p")):
        if abs(value) >= factor:
            return f"{value / factor:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}"


def table(headers, rows) -> str:
    """A plain aligned text table; columns whose cells are all numbers align right."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    numeric = [all(_is_number(r[i]) for r in cells) and cells for i in range(len(headers))]

    def line(row):
        parts = [c.rjust(w) if num else c.ljust(w) for c, w, num in zip(row, widths, numeric)]
        return "  ".join(parts).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    out += [line(r) for r in cells]
    return "\n".join(out)


def _is_number(text: str) -> bool:
    if text in ("-", ""):
        return True
    try:
        float(text)
        return True
    except ValueError:
        return False


def json_number(x):
    """A JSON-safe number: numpy scalars to Python, nan and inf to None."""
    if x is None or isinstance(x, bool):
        return x
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return float(x) if math.isfinite(x) else None
    return x


def jsonable(x):
    """Plain JSON data: numpy scalars and arrays converted, non-finite floats to None, any
    other object to its ``str``."""
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist())
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, float, np.integer, np.floating)) or x is None:
        return json_number(x)
    if isinstance(x, str):
        return x
    return str(x)
