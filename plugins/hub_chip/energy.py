"""Energy and time profiles: what one chip operation costs.

The default profile, ``loihi-davies2018``, holds the figures of Davies et al. 2018
(IEEE Micro 38(1), Table 2), pre-silicon SPICE estimates for Loihi in 14 nm:

=============================================  ===========  ==========
operation                                      energy       time
=============================================  ===========  ==========
synaptic spike op (one synapse)                23.6 pJ      3.5 ns
synaptic update (pairwise STDP)                120 pJ       6.1 ns
neuron (compartment) update, active/inactive   81 / 52 pJ   8.4 / 5.3 ns
spike message within a tile                    1.7 pJ       2.1 ns
tile hop east-west / north-south               3.0 / 4.0 pJ 4.1 / 6.5 ns
mesh-wide barrier synchronisation              -            113-465 ns (1-32 tiles)
=============================================  ===========  ==========

and a static power of about 0.82 mW per core (docs/chip.md, section 6).  A user profile is a dict
(or a JSON file) with any of the fields of :class:`EnergyProfile`; the missing ones are
taken from the default.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields, replace

from hub.errors import HubError


@dataclass(frozen=True)
class EnergyProfile:
    name: str = "loihi-davies2018"
    source: str = "Davies et al. 2018, IEEE Micro 38(1), Table 2; static 0.82 mW/core"
    synaptic_op_J: float = 23.6e-12
    learning_update_J: float = 120e-12
    neuron_active_J: float = 81e-12
    neuron_inactive_J: float = 52e-12
    spike_within_tile_J: float = 1.7e-12
    hop_ew_J: float = 3.0e-12
    hop_ns_J: float = 4.0e-12
    static_W_per_core: float = 0.82e-3
    synaptic_op_s: float = 3.5e-9
    learning_update_s: float = 6.1e-9
    neuron_active_s: float = 8.4e-9
    neuron_inactive_s: float = 5.3e-9
    spike_within_tile_s: float = 2.1e-9
    hop_ew_s: float = 4.1e-9
    hop_ns_s: float = 6.5e-9
    barrier_1_tile_s: float = 113e-9
    barrier_32_tiles_s: float = 465e-9

    def barrier(self, tiles: int) -> float:
        """Barrier synchronisation time for ``tiles`` tiles, linear in between (and beyond,
        for several chips)."""
        tiles = max(1, int(tiles))
        return (
            self.barrier_1_tile_s
            + (self.barrier_32_tiles_s - self.barrier_1_tile_s) * (tiles - 1) / 31
        )

    def to_dict(self) -> dict:
        return asdict(self)


DAVIES_2018 = EnergyProfile()
PROFILES = {DAVIES_2018.name: DAVIES_2018}


def load_profile(value=None) -> EnergyProfile:
    """A profile from a name, a dict, a JSON file path or an :class:`EnergyProfile`."""
    if value is None:
        return DAVIES_2018
    if isinstance(value, EnergyProfile):
        return value
    if isinstance(value, str):
        if value in PROFILES:
            return PROFILES[value]
        if os.path.isfile(value):
            try:
                with open(value) as f:
                    value = json.load(f)
            except (OSError, ValueError) as exc:
                raise HubError(
                    f"chip: energy_profile file {value!r} is not readable JSON: {exc}"
                ) from exc
        else:
            raise HubError(
                f"chip: energy_profile {value!r} is neither a known profile "
                f"({', '.join(PROFILES)}) nor a JSON file"
            )
    if isinstance(value, dict):
        known = {f.name for f in fields(EnergyProfile)}
        unknown = sorted(set(value) - known)
        if unknown:
            raise HubError(
                f"chip: energy_profile has unknown field(s) {unknown}; known: {sorted(known)}"
            )
        try:
            return replace(
                DAVIES_2018,
                **{
                    "name": "user",
                    "source": "user-supplied",
                    **{k: (v if k in ("name", "source") else float(v)) for k, v in value.items()},
                },
            )
        except (TypeError, ValueError) as exc:
            raise HubError(f"chip: energy_profile values must be numbers: {exc}") from exc
    raise HubError(f"chip: energy_profile={value!r} must be a name, a dict or a JSON file")
