"""One run of the PyNN Vogels-Abbott benchmark (:mod:`hub.benchmarks.pynn_va`) in its own
process, for :mod:`hub.benchmarks.pynn_cost`.

    python -m hub.benchmarks.pynn_worker REQUEST.json

The request names the path (a key of :data:`PATHS`), ``variant``, ``scale``, ``seed`` and
``duration``; the status file (JSON, as :mod:`hub.worker` writes it) holds:

- ``timings``: ``import_s`` (the simulator module and the simulator under it),
  ``construct_s`` (``setup()`` to the end of the script's network construction: PyNN's
  connectors draw every connection here on every path), ``first_run_build_s`` (hub.pynn
  only: the network is built lazily in the first ``run()``: the hub network made from the
  PyNN objects, ``resolve`` and the backend's build), ``build_s`` (the sum of the two),
  ``run_s`` (simulate: the simulator's run call, which on every path includes what the
  simulator prepares inside it, NEST's ``Simulate`` and Brian2's ``Network.run``),
  ``collect_s`` (hub.pynn: the rest of the first ``run()``, reading the results out of the
  backend), ``data_s`` (``get_data()``), ``first_run_s`` (the whole first ``run()``);
- ``peak_rss_mb`` (VmHWM at the end), ``spikes`` per population and ``spikes_digest`` (a
  SHA-256 of every (neuron, time step) pair: equal digests are identical spikes).
"""

from __future__ import annotations

import sys
import time

T_START = time.perf_counter()

#: path -> (simulator module, hub backend or simulator)
PATHS = {
    "hub.pynn[nest]": ("hub.pynn", "nest"),
    "pyNN.nest": ("pyNN.nest", "nest"),
    "hub.pynn[brian2]": ("hub.pynn", "brian2"),
    "pyNN.brian2": ("pyNN.brian2", "brian2"),
}


def import_simulator(path: str):
    """The simulator module of ``path``, with its simulator imported (hub.pynn imports its
    backend's simulator lazily: done here, so that it is not counted as build)."""
    import importlib

    module, backend = PATHS[path]
    sim = importlib.import_module(module)
    if module == "hub.pynn":
        from hub.plugins import get_backend

        get_backend(backend).versions()  # imports NEST or Brian2
    elif backend == "brian2":
        import brian2

        brian2.prefs.codegen.target = "numpy"  # as hub.pynn[brian2] runs (setup_options)
    return sim


def setup_options(path: str) -> dict:
    """``setup()`` options of ``path`` beyond the time step and delays: the hub backend (the
    numpy target on Brian2, as pyNN.brian2 is set to); pyNN.nest on the time grid, as the
    hub's models are (its default ``off_grid`` would pick NEST's precise models for
    ``IF_curr_exp``)."""
    module, backend = PATHS[path]
    if module == "hub.pynn":
        return {"backend": backend, **({"codegen": "numpy"} if backend == "brian2" else {})}
    return {"spike_precision": "on_grid"} if backend == "nest" else {}


def seed_simulator(path: str, seed: int) -> None:
    """Seed what draws the Poisson kick on ``path`` where the script's ``NumpyRNG`` does not:
    pyNN.brian2's ``SpikeSourcePoisson`` fires on Brian2's ``rand()``, which on the numpy
    target is numpy's global generator, seeded by nothing (pyNN.brian2's ``setup`` takes no
    seed).  Unseeded, every process drew another kick, and some kicks do not start the
    network's self-sustained activity: at full scale 2 of ``brian2.seed(0..99)`` leave it
    silent after about 60 ms (about 1,000 excitatory spikes instead of about 48,000); the
    benchmark's seed (98765) starts it.  hub.pynn draws its kick from ``setup(rng_seed)``
    (default 42) and pyNN.nest from NEST's ``rng_seed`` (its fixed default): both were
    already the same in every run."""
    if path == "pyNN.brian2":
        import brian2

        brian2.seed(seed)


def spike_summary(populations, dt: float) -> tuple[dict, str]:
    """Spikes per population and a digest of every (population, neuron, step)."""
    import hashlib

    import numpy as np

    counts, digest = {}, hashlib.sha256()
    for pop in populations:
        trains = pop.get_data("spikes").segments[0].spiketrains
        counts[pop.label] = int(sum(len(st) for st in trains))
        pairs = [
            (int(st.annotations["source_index"]), int(round(float(t) / dt)))
            for st in trains
            for t in st.magnitude
        ]
        digest.update(pop.label.encode())
        digest.update(np.asarray(sorted(pairs), np.int64).tobytes())
    return counts, digest.hexdigest()


def measure(req: dict) -> dict:
    """The timings, spikes and digest of one run of ``req``."""
    from . import pynn_va

    timings: dict[str, float] = {}
    sim = import_simulator(req["path"])
    t1 = time.perf_counter()
    timings["import_s"] = t1 - T_START
    sim.setup(
        timestep=pynn_va.DT,
        min_delay=pynn_va.DELAY,
        max_delay=1.0,
        **setup_options(req["path"]),
    )
    net = pynn_va.build(sim, int(req["seed"]), float(req["scale"]), req["variant"])
    seed_simulator(req["path"], int(req["seed"]))
    t2 = time.perf_counter()
    sim.run(float(req["duration"]))
    t3 = time.perf_counter()
    timings.update(construct_s=t2 - t1, first_run_s=t3 - t2)
    if PATHS[req["path"]][0] == "hub.pynn":
        state = sim.simulator.state
        engine = state.results().timings
        timings["first_run_build_s"] = (
            state.timings["network_s"] + engine["resolve_s"] + engine["build_s"]
        )
        timings["run_s"] = engine["run_s"]
        timings["collect_s"] = t3 - t2 - timings["first_run_build_s"] - timings["run_s"]
    else:
        timings["first_run_build_s"] = 0.0
        timings["run_s"] = t3 - t2
    timings["build_s"] = timings["construct_s"] + timings["first_run_build_s"]
    counts, digest = spike_summary((net.exc, net.inh), pynn_va.DT)
    timings["data_s"] = time.perf_counter() - t3
    connections = {label: len(prj) for label, prj in net.projections.items()}
    sim.end()
    return {
        "timings": timings,
        "spikes": counts,
        "spikes_digest": digest,
        "connections": connections,
    }


def main(argv=None) -> int:
    from hub.worker import serve

    def work(req, status):
        status["path"] = req["path"]
        status.update(measure(req))

    return serve(work, argv)


if __name__ == "__main__":
    sys.exit(main())
