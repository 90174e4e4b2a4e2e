"""The acceptance tables of docs/pynn.md: classification, rendering, parsing, the docs block.

Each table lives in docs/pynn.md between its own markers; nothing else of the file is
touched (other sections belong to other people).  A table is rendered from measured results
only; :func:`parse` reads a committed one back so a test can check that its summary line says
what its rows say, and that a fresh measurement renders the same cells.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "pynn.md"
BAR = 0.8  # the bar: >= 80 % of the applicable rows pass on each hub backend
MESSAGE_CHARS = 110


@dataclass(frozen=True)
class Table:
    """A parsed table: header, rows (cells as text) and the summary line."""

    header: list[str]
    rows: list[list[str]]
    summary: str


def markers(name: str) -> tuple[str, str]:
    return f"<!-- pynn-{name}:start -->", f"<!-- pynn-{name}:end -->"


def short(text: str) -> str:
    """One table-safe line: no pipes, no memory addresses, at most MESSAGE_CHARS characters."""
    text = re.sub(r"0x[0-9a-f]+", "0x...", " ".join(text.split())).replace("|", "/")
    return text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 3] + "..."


def status(cell: str) -> str:
    """The status word of a cell: what the freshness test compares (messages may be reworded)."""
    return cell.split(":", 1)[0].split(" (", 1)[0].strip().strip("*")


def render_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def rate(passed: int, applicable: int) -> str:
    return f"{passed} of {applicable} ({100.0 * passed / applicable:.1f} %)" if applicable else "-"


def summary_line(applicable: int, total: int, passes: dict[str, int]) -> str:
    """``Applicable: A of T. hub.pynn[nest]: P of A (x %); ... Bar (80 %): met|not met.``"""
    met = applicable > 0 and all(p >= BAR * applicable for p in passes.values())
    parts = "; ".join(f"{sim}: {rate(p, applicable)} pass" for sim, p in passes.items())
    return (
        f"**Applicable: {applicable} of {total}. {parts}. "
        f"Bar ({BAR * 100:.0f} % on each backend): {'met' if met else 'not met'}.**"
    )


SUMMARY = re.compile(
    r"\*\*Applicable: (\d+) of (\d+)\. (.*)\. Bar \((\d+) % on each backend\): (met|not met)\.\*\*"
)
PASS = re.compile(r"(\S+): (\d+) of (\d+) \([\d.]+ %\) pass")


def parse_summary(line: str) -> tuple[int, int, dict[str, int], bool]:
    """(applicable, total, sim -> passes, met) of a summary line."""
    m = SUMMARY.fullmatch(line.strip())
    if m is None:
        raise ValueError(f"not a summary line: {line!r}")
    passes = {sim: int(p) for sim, p, _ in PASS.findall(m.group(3))}
    if int(m.group(4)) != round(BAR * 100):
        raise ValueError(f"the bar in {line!r} is not {BAR:.0%}")
    return int(m.group(1)), int(m.group(2)), passes, m.group(5) == "met"


def block(doc: str, name: str) -> str:
    """The text between the markers of table ``name`` (ValueError if absent)."""
    start, end = markers(name)
    if doc.count(start) != 1 or doc.count(end) != 1 or doc.index(start) > doc.index(end):
        raise ValueError(f"docs/pynn.md needs exactly one {start} ... {end} block")
    return doc[doc.index(start) + len(start) : doc.index(end)]


def parse(text: str) -> Table:
    """The first table and the summary line of a block's text."""
    lines = [line for line in text.splitlines() if line.startswith("|")]
    split = lambda line: [c.strip() for c in line.strip().strip("|").split(" | ")]
    summaries = [line for line in text.splitlines() if line.startswith("**Applicable:")]
    if len(lines) < 2 or len(summaries) != 1:
        raise ValueError("a table block needs a table and one **Applicable: ...** line")
    return Table(split(lines[0]), [split(line) for line in lines[2:]], summaries[0])


def replace_block(doc: str, name: str, body: str) -> str:
    """``doc`` with the block of ``name`` replaced by ``body`` (appended when absent)."""
    start, end = markers(name)
    new = f"{start}\n{body.strip()}\n{end}"
    if start not in doc:
        return doc.rstrip() + "\n\n" + new + "\n"
    block(doc, name)  # checks the markers
    return doc[: doc.index(start)] + new + doc[doc.index(end) + len(end) :]


def write_block(name: str, body: str, path: Path = DOC) -> None:
    """Write ``body`` between the markers of ``name`` in docs/pynn.md (created if absent)."""
    doc = path.read_text() if path.is_file() else "# PyNN scripts on the hub (hub.pynn)\n"
    path.write_text(replace_block(doc, name, body))
