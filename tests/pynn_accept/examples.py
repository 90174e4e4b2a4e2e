"""Run PyNN's examples on pyNN.nest and on hub.pynn (nest, brian2); compare their spikes.

Each example runs unchanged in a fresh process (:mod:`example_runner`), in its own scratch
directory, with only the simulator module it imports being hub.pynn.  The spikes of every Neo
file it writes are compared: hub.pynn[nest] against hub.pynn[brian2] (the hub promises
identical spikes), and hub.pynn[nest] against pyNN.nest, neuron for neuron.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .scenarios import BASELINE, HUB_SIMS, hub_env
from .tables import render_table, short, summary_line

RUNNER = Path(__file__).resolve().parent / "example_runner.py"
#: the simulator argument each table column gives the example
SIM_ARG = {BASELINE: "nest", "hub.pynn[nest]": "hubnest", "hub.pynn[brian2]": "hubbrian2"}
SIMULATORS = (BASELINE, *HUB_SIMS)
TIME_TOLERANCE = 1e-6  # ms: spike times are multiples of dt; this only absorbs float printing

#: examples run with extra command-line arguments (one row per argument list)
ARGS = {"VAbenchmarks.py": [["CUBA"], ["COBA"]]}

#: examples needing what no hub backend can express, or no simulator at all
NOT_APPLICABLE = {
    "gif_neuron.py": "GIF_cond_exp (generalised integrate-and-fire): no hub neuron model",
    "multi_synapse.py": "PointNeuron with four receptor types; hub models have two",
    "multiquantal_synapses.py": "stochastic multiquantal synapses: no hub synapse",
    "stochastic_synapses.py": "stochastic synapses: no hub synapse",
    "stochastic_tsodyksmarkram.py": "stochastic Tsodyks-Markram synapses: no hub synapse",
    "stochastic_deterministic_comparison.py": "stochastic synapses: no hub synapse",
    "nineml_brunel.py": "NineML models (pyNN.nineml) on pyNN.neuron only",
    "nineml_neuron.py": "NineML models (pyNN.nineml)",
    "nrn_artificial_cell.py": "NEURON artificial cells; imports pyNN.neuron itself",
    "distrib_example.py": "an MPI demonstration (exec of pyNN.<sim>, several processes)",
    "random_distributions.py": "uses no simulator (pyNN.random only)",
}

#: why hub.pynn[nest] cannot equal pyNN.nest spike for spike (the comparison is made anyway)
POISSON = "Poisson spikes drawn by NEST in pyNN.nest, by the hub in hub.pynn"
OFF_GRID = (
    "off-grid SpikeSourceArray times: the hub puts them on the nearest step "
    "(docs/semantics.md), NEST's spike_generator does not"
)
NOT_COMPARABLE = {
    "brunel.py": POISSON,
    "VAbenchmarks.py CUBA": POISSON,
    "VAbenchmarks.py COBA": POISSON,
    "varying_poisson.py": POISSON,
    "random_numbers.py": POISSON,
    "stdp_network.py": POISSON,
    "small_network.py": OFF_GRID,
    "simpleRandomNetwork.py": OFF_GRID,
    "specific_network.py": OFF_GRID,
    "inhomogeneous_network.py": OFF_GRID,
    "update_spike_source_array.py": OFF_GRID,
}


@dataclass
class Run:
    """One example on one simulator: ran without error?, first error line, spikes by file."""

    ok: bool
    error: str = ""
    files: dict = field(default_factory=dict)
    where: str = ""
    seconds: float = 0.0

    @property
    def spikes(self) -> int:
        return sum(len(t) for segs in self._readable() for _, trains in segs for _, t in trains)

    def _readable(self):
        return [v for v in self.files.values() if isinstance(v, list)]


def example_rows(material: Path) -> list[tuple[str, Path, list[str]]]:
    """(row name, path, extra arguments) of every example."""
    rows = []
    for path in sorted((material / "examples").glob("*.py"), key=lambda p: p.name.lower()):
        for args in ARGS.get(path.name, [[]]):
            rows.append((" ".join([path.name, *args]), path, args))
    return rows


def run_one(path: Path, sim: str, args: list[str], workdir: Path, timeout: int = 900) -> Run:
    """``path`` on ``sim`` (a column of the table) in ``workdir``."""
    import time

    workdir.mkdir(parents=True, exist_ok=True)
    out = workdir / "out.json"
    out.unlink(missing_ok=True)
    cmd = [sys.executable, str(RUNNER), str(out), str(path), SIM_ARG[sim], *args]
    t0 = time.monotonic()
    with open(workdir / "log", "w") as log:
        try:
            proc = subprocess.run(
                cmd,
                cwd=workdir,
                env=hub_env({}),
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return Run(False, f"timeout: no result after {timeout} s")
    seconds = time.monotonic() - t0
    if not out.is_file():
        return Run(False, f"crash: the process died (exit {proc.returncode})", seconds=seconds)
    d = json.loads(out.read_text())
    return Run(d["ok"], d["error"], d["files"], d.get("where", ""), seconds)


def run_all(material: Path, workdir: Path, sims=SIMULATORS, select=None) -> dict:
    """row name -> sim -> Run (not-applicable examples are not run)."""
    results: dict[str, dict[str, Run]] = {}
    for name, path, args in example_rows(material):
        if path.name in NOT_APPLICABLE or (select is not None and name not in select):
            continue
        tag = name.replace(" ", "-")
        results[name] = {
            sim: run_one(path, sim, args, workdir / tag / SIM_ARG[sim]) for sim in sims
        }
    return results


def compare(a: Run, b: Run) -> str:
    """``yes (N spikes)``, ``no: ...`` or ``-`` (one of the two did not run to the end)."""
    if not (a.ok and b.ok):
        return "-"
    if not a.files and not b.files:
        return "no data (the example writes no Neo file)"
    if sorted(a.files) != sorted(b.files):
        return f"no: different files {sorted(a.files)} vs {sorted(b.files)}"
    differ = total = 0
    for key in a.files:
        sa, sb = a.files[key], b.files[key]
        if not (isinstance(sa, list) and isinstance(sb, list)) or len(sa) != len(sb):
            return f"no: {key}: segments differ or unreadable"
        for (_, ta), (_, tb) in zip(sa, sb):
            da, db = dict((c, t) for c, t in ta), dict((c, t) for c, t in tb)
            for c in sorted(set(da) | set(db)):
                total += 1
                x, y = da.get(c), db.get(c)
                if x is None or y is None or len(x) != len(y):
                    differ += 1
                elif any(abs(u - v) > TIME_TOLERANCE for u, v in zip(x, y)):
                    differ += 1
    if differ:
        return f"no: {differ} of {total} trains differ ({a.spikes} vs {b.spikes} spikes)"
    return f"yes ({a.spikes} spikes)"


#: a comparison cell that compared spikes (not "-", not "no data")
COMPARED = ("yes", "no:")


def run_cell(r: Run | None) -> str:
    if r is None:
        return "not run"
    return f"ran ({r.spikes} spikes)" if r.ok else f"FAIL: {short(r.error)}"


TABLE_INTRO = """\
## Acceptance: PyNN's own examples

<!-- generated by `make pynn-tables` (tests/pynn_accept) from measured runs; do not edit -->

PyNN 0.13.0's `examples/`, each run unchanged in its own process with the simulator it
imports (`pyNN.<name>` through `get_simulator()`, `get_script_args()` or `import_module`)
being pyNN.nest, or hub.pynn with `setup(..., backend=...)` registered as `pyNN.hubnest` /
`pyNN.hubbrian2`; no plots. A run cell is `ran (N spikes)` (spikes in the Neo files the
example writes) or `FAIL: <first error line>`. The two comparison columns compare those
spikes train by train: hub.pynn on NEST against hub.pynn on Brian2 (the hub promises
identical spikes), and hub.pynn on NEST against pyNN.nest (equal only when nothing random is
drawn by the simulator and the model is exact on the grid; the reason is given when not). An
example is not applicable when pyNN.nest itself fails it or it needs what no hub backend can
express. Regenerate: `make pynn-tables`.
"""


def render(results: dict[str, dict[str, Run]], all_rows: list[str]) -> str:
    """The example block of docs/pynn.md (``all_rows``: every example, run or not)."""
    header = ["example", *SIMULATORS, "hub nest == hub brian2", "hub nest == pyNN.nest"]
    header.append("applicable")
    rows, passes = [], {sim: 0 for sim in HUB_SIMS}
    same = both = equal_pynn = compared = 0
    for name in all_rows:
        base_name = name.split(" ")[0]
        if base_name in NOT_APPLICABLE:
            rows.append([f"`{name}`", *["not run"] * 5, f"no: {NOT_APPLICABLE[base_name]}"])
            continue
        runs = results.get(name, {})
        base = runs.get(BASELINE)
        app = "yes" if base is not None and base.ok else f"no: pyNN.nest itself: {run_cell(base)}"
        nest, b2 = runs.get(HUB_SIMS[0]), runs.get(HUB_SIMS[1])
        same_cell = compare(nest, b2) if nest and b2 else "-"
        pynn_cell = compare(nest, base) if nest and base else "-"
        if pynn_cell.startswith("no") and name in NOT_COMPARABLE:
            pynn_cell += f"; {NOT_COMPARABLE[name]}"
        if app == "yes":
            for sim in HUB_SIMS:
                passes[sim] += bool(runs.get(sim) and runs[sim].ok)
            both += same_cell.startswith(COMPARED)
            same += same_cell.startswith("yes")
            compared += pynn_cell.startswith(COMPARED)
            equal_pynn += pynn_cell.startswith("yes")
        cells = [run_cell(runs.get(s)) for s in SIMULATORS]
        rows.append([f"`{name}`", *cells, same_cell, pynn_cell, app])
    applicable = sum(r[-1] == "yes" for r in rows)
    identical = (
        f"**Identical spikes, hub.pynn[nest] == hub.pynn[brian2]: {same} of {both} applicable "
        f"examples with spikes compared; hub.pynn[nest] == pyNN.nest: {equal_pynn} of "
        f"{compared}.**"
    )
    return "\n".join(
        [
            TABLE_INTRO,
            render_table(header, rows),
            "",
            summary_line(applicable, len(rows), passes),
            "",
            identical,
        ]
    )
