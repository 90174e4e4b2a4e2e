"""Range checks of ChipLIF's integer parameters (docs/chip.md, section 1)."""

from __future__ import annotations

import numpy as np

from hub.errors import Diagnostic

RANGES = {
    "du": (0, 4096),
    "dv": (0, 4095),
    "vth_mant": (0, (1 << 17) - 1),
    "bias_mant": (-4095, 4095),
    "bias_exp": (0, 7),
    "refractory_steps": (0, 1 << 30),
}
STATE = {"u": (-(1 << 23), (1 << 23) - 1), "v": (-((1 << 23) - 1), (1 << 23) - 1)}


def chiplif_diagnostics(network) -> list:
    """Diagnostics for a :class:`hub.Network` or a resolved network (whose parameters and
    initial values are arrays already)."""
    out = []
    pops = network.populations
    resolved = isinstance(pops, dict)
    for k, pop in enumerate(pops.values() if resolved else pops):
        if getattr(pop.model, "kind", None) != "ChipLIF":
            continue
        loc = f"populations[{k}]({pop.label})"
        values = pop.params if resolved else pop.model.values
        initial = pop.initial if resolved else pop.initial_values
        items = [(f"{loc}.{n}", values.get(n), r) for n, r in RANGES.items()]
        items += [(f"{loc}.initial_values.{n}", initial.get(n), r) for n, r in STATE.items()]
        for where, value, (lo, hi) in items:
            if value is None or hasattr(value, "draw"):
                continue
            try:
                arr = np.asarray(value, float)
            except (TypeError, ValueError):
                continue  # the core validation reports non-numbers
            if arr.size and (np.any(arr != np.round(arr)) or arr.min() < lo or arr.max() > hi):
                out.append(
                    Diagnostic(
                        where,
                        f"{value!r} is not an integer in {lo}..{hi}",
                        f"use integers in {lo}..{hi} (the chip's bit width)",
                    )
                )
    return out
