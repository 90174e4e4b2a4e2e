"""The benchmark networks and their hand-written native scripts (each network is a builder
module of ``models/`` whose docstring gives its parameters and their source).

``snn-hub bench NAME`` and ``make bench`` (:mod:`hub.benchmarks.suite`) measure these.  Each
benchmark is a builder module of ``models/`` with fixed parameters; ``params`` given to
:meth:`Benchmark.build` override them (e.g. the Brunel scale).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Benchmark:
    name: str
    model: str  # builder module in models/
    params: dict = field(default_factory=dict)
    duration: float = 1000.0  # ms
    description: str = ""

    def build(self, **params):
        from ..builders import default_models_dir, load_builder

        path = default_models_dir() / f"{self.model}.py"
        return load_builder(str(path), {**self.params, **params}).network


BENCHMARKS = {
    b.name: b
    for b in (
        Benchmark(
            "cuba",
            "vogels_abbott",
            {"variant": "cuba"},
            1000.0,
            "Brette et al. 2007 benchmark 2 (Vogels-Abbott CUBA): 4000 LIF neurons, "
            "exponential current synapses, p = 0.02, 1 s",
        ),
        Benchmark(
            "coba",
            "vogels_abbott",
            {"variant": "coba"},
            1000.0,
            "Brette et al. 2007 benchmark 1 (Vogels-Abbott COBA): 4000 LIF neurons, "
            "exponential conductance synapses, p = 0.02, 1 s",
        ),
        Benchmark(
            "brunel",
            "brunel",
            {"scale": 0.1, "synapse": "exp", "poisson": "native"},
            1000.0,
            "Brunel 2000 model A with exponential PSCs (same 0.1 mV PSP; the chip runs "
            "exp), fixed in-degree 10 %, Poisson drive drawn by each backend; --param "
            "scale=0.1 .. 1 (12,500 neurons, 15.6 M synapses at 1)",
        ),
        Benchmark(
            "microcircuit",
            "microcircuit",
            {"scale": 1.0, "poisson": "native"},
            1000.0,
            "Potjans & Diesmann 2014 cortical microcircuit: 77,169 LIF neurons (exp PSCs) in 8 "
            "populations, 298.9 M synapses (fixed total number, normal weights and delays), "
            "Poisson background drawn by each backend; --param scale=0.1 .. 1",
        ),
        Benchmark(
            "stdp",
            "song_abbott",
            {"n_neurons": 100, "record_every": 1000.0},
            1000.0,
            "Song, Miller & Abbott 2000: 1000 Poisson inputs at 10 Hz to 100 LIF neurons "
            "through additive all-to-all STDP (100,000 plastic synapses) plus 200 "
            "inhibitory inputs; final weights read back",
        ),
    )
}


def native_scripts(benchmark: str | None) -> dict:
    """``{backend: script}`` of the hand-written scripts for ``benchmark``."""
    from . import native_brian2, native_nest

    if benchmark is None:
        return {}
    out = {}
    for backend, module in (("nest", native_nest), ("brian2", native_brian2)):
        if benchmark in module.SCRIPTS:
            out[backend] = module.SCRIPTS[benchmark]
    return out
