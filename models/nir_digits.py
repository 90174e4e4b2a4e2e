"""snnTorch's 8x8-digits classifier, imported from its own NIR export (docs/nir.md,
"Walkthrough").

tests/data/nir/snntorch_digits.nir (64 -> 32 Leaky -> 10 Leaky, trained in snnTorch: 97.3 %
of its 300 test digits; `make nir-fixtures` retrains and exports it) with the 50 held-out
digits stored next to it (25 steps of Bernoulli rate code each).  ``samples`` copies of the
graph run side by side (hub_nir.batch), copy i fed sample i: one network, one run.  The
output population of copy i is ``copy{i}.3``; :func:`predictions` reads the digits off a
run's spike counts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import hub

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "data" / "nir" / "snntorch_digits.nir"
STEPS = 25  # framework steps per sample
DT = 0.1  # ms: snnTorch's export step, one framework step per hub step
#: the output layer runs 3 hub steps behind its framework twin (hub_nir's pipeline offset):
#: framework steps 0..24 are hub stamps 3..27
DURATION = (STEPS + 2) * DT


def _arrays(path: Path, data) -> dict:
    npz = Path(data) if data else path.with_suffix(".npz")
    if not npz.is_file():
        raise hub.HubError(
            f"nir_digits: no input data {str(npz)!r}; give data=<.npz with 'inputs' (samples, "
            "steps, 64) and 'labels'>"
        )
    with np.load(npz) as z:
        return {k: z[k] for k in z.files}


def build(path=str(FIXTURE), samples: int = 50, data=None, convention="snntorch") -> hub.Network:
    """The NIR graph ``path`` with ``samples`` stored samples (from ``data``, default the
    ``.npz`` next to the graph) fed to ``samples`` side-by-side copies."""
    import hub_nir

    graph_path = Path(path)
    x = _arrays(graph_path, data)["inputs"][: int(samples)]
    graph = hub_nir.batch(str(graph_path), len(x))
    net = hub_nir.from_nir(graph, input=hub_nir.batch_input(x), convention=convention)
    net.label = "nir_digits"
    return net


def predictions(results, samples: int = 50) -> np.ndarray:
    """Per copy, the output neuron with the most spikes (first on ties)."""
    counts = np.zeros((int(samples), 10))
    for i in range(int(samples)):
        st = results.spikes(f"copy{i}.3")
        np.add.at(counts[i], st.indices, 1)
    return np.argmax(counts, axis=1)


def labels(path=str(FIXTURE), data=None) -> np.ndarray:
    """The stored samples' true digits."""
    return _arrays(Path(path), data)["labels"]
