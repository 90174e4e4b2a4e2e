"""The figures of docs/pynn.md, "NEURON's agreement with NEST per neuron model": NEURON
(pynn.neuron) against the kit's references on the kit's networks, per model.

    PYTHONPATH=. python tests/pynn_neuron_figures.py [BACKEND]

The references: the kit's reference engine for LIF and Izhikevich (NEST is tier 1 against
it: identical spikes, |dV| <= 1e-12 mV) and the ODE reference for the conductance models
(NEST: identical spikes, |dV| <= 5.2e-8 mV for LIFCond), so these are NEURON against NEST.
Prints, per model, the lowest and highest fraction of the reference's spikes paired in the
same step, within one step (0.1 ms) and within 1 ms, and the largest |dV| (mV).
"""

from __future__ import annotations

import sys
import warnings

import numpy as np

import hub
from hub import ir
from hub.resolve import resolve
from hub.stats import match_spikes
from hub.testing import checks, ode_checks, reference

FEEDFORWARD = {
    "LIF[synapse=exp]": lambda: ir.LIF(synapse="exp"),
    "LIF[synapse=alpha]": lambda: ir.LIF(synapse="alpha"),
    "Izhikevich": lambda: ir.Izhikevich(),
}
ODE = {
    "LIFCond[synapse=exp]": "lifcond_exp",
    "LIFCond[synapse=alpha]": "lifcond_alpha",
    "AdEx[synapse=exp]": "adex_exp",
    "AdEx[synapse=alpha]": "adex_alpha",
}


def figures(res, ref) -> tuple[float, float, float, float]:
    """(same step, within one step, within 1 ms, max |dV|) of ``res`` against ``ref``."""
    a, b = res.spikes("cells"), ref.spikes("cells")
    paired = [match_spikes(b, a, ms)["matched"] for ms in (0.0, 0.1 + 1e-9, 1.0 + 1e-9)]
    dv = np.abs(res.signal("cells", "v").values - ref.signal("cells", "v").values).max()
    return (*paired, float(dv))


def runs(backend: str):
    """(model label, figures) for every network measured."""
    for label, factory in FEEDFORWARD.items():
        for n in checks.FEEDFORWARD_SIZES:
            for seed in checks.STAT_SEEDS:
                net, duration = checks.feedforward_network(factory(), seed, n, variables=["v"])
                ref = reference.simulate(resolve(net, duration))
                yield label, figures(hub.run(net, backend=backend, duration=duration), ref)
    for label, case in ODE.items():
        for seed in (None, 1, 2):
            ref = ode_checks.reference_results(case, seed)
            net = ode_checks.feedforward_network(case, seed)
            yield label, figures(hub.run(net, backend=backend, duration=ode_checks.DURATION), ref)


def main(backend: str = "pynn.neuron") -> None:
    warnings.simplefilter("ignore")
    table: dict[str, list] = {}
    for label, row in runs(backend):
        table.setdefault(label, []).append(row)
    print("| model | same step | within one step | within 1 ms | max |dV| (mV) |")
    print("|---|---|---|---|---|")
    for label, rows in table.items():
        r = np.array(rows)
        cells = [f"{100 * r[:, k].min():.0f}-{100 * r[:, k].max():.0f} %" for k in range(3)]
        print(f"| `{label}` | " + " | ".join(cells) + f" | {r[:, 3].max():.3g} |")


if __name__ == "__main__":
    main(*sys.argv[1:])
