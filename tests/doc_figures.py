"""Figures the docs state, read from the docs, so that a test and the sentence it holds
cannot drift apart: a test takes its bound from the page and fails when the measurement
leaves it (or when the page loses the figure)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def table(page: str, first_header: str) -> list[dict[str, str]]:
    """The rows of the Markdown table in ``page`` (relative to the repository root) whose
    first header cell is ``first_header``, as dicts keyed by the header cells (``\\|`` in a
    cell is kept as ``|``)."""
    lines = [line.strip() for line in (ROOT / page).read_text().splitlines()]
    for k, line in enumerate(lines):
        cells = _cells(line)
        if cells and cells[0] == first_header:
            rows = []
            for row in lines[k + 2 :]:
                if not row.startswith("|"):
                    break
                values = _cells(row)
                assert len(values) == len(cells), f"{page}: malformed row {row!r}"
                rows.append(dict(zip(cells, values)))
            return rows
    raise AssertionError(f"{page}: no table whose first column is {first_header!r}")


def _cells(line: str) -> list[str]:
    if not line.startswith("|"):
        return []
    parts = re.split(r"(?<!\\)\|", line.strip())[1:-1]
    return [p.strip().replace("\\|", "|") for p in parts]


def number(text: str) -> float:
    """The one number in a cell (``1.4e-8``, ``85 %`` -> 0.85, ``0`` ...)."""
    found = re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?\s*%?", text)
    assert len(found) == 1, f"expected one number in {text!r}, found {found}"
    value = found[0].strip()
    return float(value[:-1].strip()) / 100.0 if value.endswith("%") else float(value)


def row(rows: list[dict[str, str]], **match: str) -> dict[str, str]:
    """The one row whose cells equal ``match`` (keys are header cells)."""
    hits = [r for r in rows if all(r.get(k) == v for k, v in match.items())]
    assert len(hits) == 1, f"{len(hits)} rows match {match}"
    return hits[0]
