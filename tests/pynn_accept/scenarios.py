"""Run PyNN's system scenarios on one simulator and collect one result per scenario.

PyNN's files are run as they are: an inner ``pytest`` runs ``<material>/scenarios`` with the
conftest of :mod:`scenario_conftest` installed in the material directory (the cache), in a
fresh process per simulator, in a scratch working directory (the scenarios write files).
A process that dies (a simulator crash) does not lose the column: the test that was running
is recorded as failed and pytest is started again without the tests already done.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .tables import render_table, short, summary_line

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CONFTEST = HERE / "scenario_conftest.py"

#: the simulators of the scenario table: PyNN's own NEST backend, then hub.pynn's backends
BASELINE = "pyNN.nest"
HUB_SIMS = ("hub.pynn[nest]", "hub.pynn[brian2]")
SIMULATORS = (BASELINE, *HUB_SIMS)


@dataclass(frozen=True)
class Outcome:
    """One scenario on one simulator: ``passed``, ``failed`` or ``skipped``, with the first
    line of the error or the skip reason, the simulators PyNN declares for it and where the
    error was raised (``file:line``)."""

    outcome: str
    message: str = ""
    declared: tuple[str, ...] = ()
    where: str = ""


def scenario_id(nodeid: str) -> str:
    """``scenarios/test_x.py::test_y[pyNN.nest]`` -> ``test_x.py::test_y``."""
    path, _, name = nodeid.partition("::")
    return f"{Path(path).name}::{name.split('[', 1)[0]}" if name else Path(path).name


def install(material: Path) -> None:
    """Put the conftest and an empty pytest.ini next to PyNN's ``scenarios`` package."""
    for name, text in (("conftest.py", CONFTEST.read_text()), ("pytest.ini", "[pytest]\n")):
        target = material / name
        if not target.is_file() or target.read_text() != text:
            tmp = target.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(text)
            tmp.replace(target)


def hub_env(extra: dict[str, str]) -> dict[str, str]:
    """The environment of a child process: this checkout's hub and plugins first on the path,
    matplotlib without a display."""
    env = dict(os.environ, MPLBACKEND="Agg", **extra)
    paths = [str(REPO), str(REPO / "plugins"), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    return env


def _read(out: Path) -> tuple[dict[str, Outcome], list[str]]:
    """Finished results and the node ids started, from the JSON lines of one column."""
    done: dict[str, Outcome] = {}
    started: list[str] = []
    if out.is_file():
        for line in out.read_text().splitlines():
            rec = json.loads(line)
            if "start" in rec:
                started.append(rec["start"])
            else:
                done[rec["nodeid"]] = Outcome(
                    rec["outcome"],
                    rec["message"],
                    tuple(rec.get("declared", ())),
                    rec.get("where", ""),
                )
    return done, started


def run_column(
    material: Path,
    sim: str,
    workdir: Path,
    select: list[str] | None = None,
    timeout: int = 300,
) -> dict[str, Outcome]:
    """Every scenario (or those whose id is in ``select``) on ``sim``; scenario id -> Outcome.

    ``workdir`` receives the scenarios' files, the JSON lines (``results.jsonl``) and the
    inner pytest's output (``pytest.log``)."""
    install(material)
    workdir.mkdir(parents=True, exist_ok=True)
    out = workdir / "results.jsonl"
    out.unlink(missing_ok=True)
    targets = [str(material / "scenarios")]
    if select is not None:
        targets = [str(material / "scenarios" / s) for s in select]
    env = hub_env(
        {"PYNN_ACCEPT_SIM": sim, "PYNN_ACCEPT_OUT": str(out), "PYNN_ACCEPT_TIMEOUT": str(timeout)}
    )
    base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    base += ["-c", str(material / "pytest.ini"), "--rootdir", str(material)]
    deselect: list[str] = []
    with open(workdir / "pytest.log", "w") as log:
        while True:
            cmd = base + [f"--deselect={d}" for d in deselect] + targets
            proc = subprocess.run(cmd, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
            done, started = _read(out)
            crashed = [n for n in started if n not in done]
            if not crashed:
                break
            with open(out, "a") as f:  # the test the process died in
                f.write(
                    json.dumps(
                        {
                            "nodeid": crashed[-1],
                            "outcome": "failed",
                            "message": f"crash: the process died (exit {proc.returncode})",
                        }
                    )
                    + "\n"
                )
            deselect = [n for n in {*done, *crashed} if "::" in n]
    done, _ = _read(out)
    return {scenario_id(n): o for n, o in sorted(done.items())}


def run_all(
    material: Path, workdir: Path, sims: tuple[str, ...] = SIMULATORS, **kw
) -> dict[str, dict[str, Outcome]]:
    """sim -> scenario id -> Outcome, each simulator in its own directory under ``workdir``."""
    return {
        sim: run_column(material, sim, workdir / sim.replace("[", "-").strip("]"), **kw)
        for sim in sims
    }


# ---------------------------------------------------------------------------------------------
# the table
# ---------------------------------------------------------------------------------------------

#: scenarios needing what no hub backend can express (the hub's IR has no such thing); a
#: scenario that fails or is skipped on pyNN.nest itself is not applicable either (measured)
NOT_APPLICABLE = {
    "test_scenario5.py::test_scenario5": "MultiCompartmentNeuron (morphology, ion channels)",
    "test_cell_types.py::test_composed_neuron_model_homogeneous_receptors": (
        "PointNeuron with three receptor types (AMPA, NMDA, GABAA); hub neuron models have "
        "one excitatory and one inhibitory receptor"
    ),
    "test_synapse_types.py::test_simple_stochastic_synapse": (
        "SimpleStochasticSynapse; hub synapses transmit every spike (no release probability)"
    ),
}

TABLE_INTRO = """\
## Acceptance: PyNN's own system scenarios

<!-- generated by `make pynn-tables` (tests/pynn_accept) from measured runs; do not edit -->

PyNN 0.13.0's own system scenarios (`test/system/scenarios/test_*.py`), run unchanged by
pytest; each receives as `sim` PyNN's `pyNN.nest` (the baseline: what PyNN itself passes on
this machine) or hub.pynn with `setup(..., backend=...)` (`hub.pynn[nest]`,
`hub.pynn[brian2]`). "PyNN declares" is the simulator list the scenario gives PyNN; the hub
runs every scenario on both backends regardless. A cell is `pass`, `FAIL: <first error line>`
or `skip: <reason>`. A scenario is not applicable when pyNN.nest itself does not pass it, or
when it needs something no hub backend can express (reason given); every other scenario
counts (why the remaining ones fail: "Remaining failures" above). Regenerate:
`make pynn-tables`; checked by
tests/test_pynn_acceptance.py. PyNN's files are never committed: `make pynn-material`
downloads PyNN 0.13.0's source distribution with pip into `~/.cache/snn-hub/pynn-0.13.0`
(`SNN_HUB_PYNN_MATERIAL` to move it); without it the acceptance tests fail with the reason,
unless `SNN_HUB_PYNN_MATERIAL_OPTOUT=1` skips them knowingly.
"""


def cell(o: Outcome | None) -> str:
    """The table cell of one outcome."""
    if o is None:
        return "not run"
    if o.outcome == "passed":
        return "pass"
    if o.outcome == "skipped":
        return f"skip: {short(o.message.removeprefix('Skipped: '))}"
    return f"FAIL: {short(o.message.removeprefix('call: '))}"


def applicability(sid: str, baseline: Outcome | None) -> str:
    """``yes`` or ``no: <why>`` for one scenario."""
    if sid in NOT_APPLICABLE:
        return f"no: {NOT_APPLICABLE[sid]}"
    if baseline is None or baseline.outcome != "passed":
        return f"no: pyNN.nest itself: {short(cell(baseline))}"
    return "yes"


def render(results: dict[str, dict[str, Outcome]]) -> str:
    """The scenario block of docs/pynn.md from ``sim -> scenario id -> Outcome``."""
    ids = sorted({sid for column in results.values() for sid in column})
    rows, passes = [], {sim: 0 for sim in HUB_SIMS}
    for sid in ids:
        outcomes = {sim: results.get(sim, {}).get(sid) for sim in SIMULATORS}
        declared = next((o.declared for o in outcomes.values() if o and o.declared), ())
        app = applicability(sid, outcomes[BASELINE])
        if app == "yes":
            for sim in HUB_SIMS:
                passes[sim] += cell(outcomes[sim]) == "pass"
        rows.append(
            [f"`{sid}`", ", ".join(declared), *(cell(outcomes[s]) for s in SIMULATORS), app]
        )
    header = ["scenario", "PyNN declares", *SIMULATORS, "applicable"]
    applicable = sum(r[-1] == "yes" for r in rows)
    return "\n".join(
        [TABLE_INTRO, render_table(header, rows), "", summary_line(applicable, len(rows), passes)]
    )
