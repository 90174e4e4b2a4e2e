"""What fails on hub.pynn, grouped by first error line: the raw material of a failure report.

Only applicable scenarios and examples (pyNN.nest passes them, nothing inexpressible) are
listed; each group gives its error, where it was raised and which rows on which backends.
"""

from __future__ import annotations

from collections import defaultdict

from . import examples, scenarios


def _groups(results: dict) -> dict[tuple[str, str], list[str]]:
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    base = results["scenarios"].get(scenarios.BASELINE, {})
    for sim in scenarios.HUB_SIMS:
        for sid, o in results["scenarios"].get(sim, {}).items():
            if scenarios.applicability(sid, base.get(sid)) == "yes" and o.outcome != "passed":
                groups[(o.message, o.where)].append(f"{sid} [{sim}]")
    for row, runs in results["examples"].items():
        baseline = runs.get(scenarios.BASELINE)
        if baseline is None or not baseline.ok:
            continue
        for sim in scenarios.HUB_SIMS:
            r = runs.get(sim)
            if r is not None and not r.ok:
                groups[(r.error, r.where)].append(f"example {row} [{sim}]")
        nest, b2 = runs.get(scenarios.HUB_SIMS[0]), runs.get(scenarios.HUB_SIMS[1])
        if nest and b2:
            verdict = examples.compare(nest, b2)
            if verdict.startswith("no:"):
                groups[(f"nest != brian2: {verdict}", "")].append(f"example {row}")
    return groups


def report(results: dict) -> str:
    """Markdown: one section per distinct first error, the largest groups first."""
    out = []
    for (message, where), rows in sorted(_groups(results).items(), key=lambda kv: -len(kv[1])):
        out.append(f"### {message}\n")
        if where:
            out.append(f"raised at `{where}`\n")
        out += [f"- {row}" for row in rows]
        out.append("")
    return "\n".join(out) if out else "nothing fails"
