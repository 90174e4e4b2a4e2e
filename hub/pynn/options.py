"""PyNN's ``setup()`` keywords on the hub.

A PyNN script passes ``setup()`` keywords meant for some simulator; pyNN.nest accepts them
all.  hub.pynn consumes PyNN's own (below), passes on only what the hub backend declares
(``snn-hub backends``; e.g. ``threads`` to NEST) and refuses anything else (the backend's
``HubError`` naming the unknown option), so no keyword that changes the simulation is taken
silently:

- ``threads``: the number of threads; passed on if the backend declares ``threads``
  (NEST), otherwise unused (the backend's own parallelism; results do not depend on it).
- ``spike_precision``: ``"on_grid"`` is the hub's; ``"off_grid"`` (pyNN.nest's precise
  ``*_ps`` models) is run on the grid with a :class:`SpikePrecisionWarning`: every hub model
  is grid-constrained, spikes are multiples of the time step.
- ``t_flush``: unused: ``reset()`` on the hub starts every segment from the initial state, so
  there is nothing to flush.
- ``quit_on_end``, ``debug``, ``verbosity``, ``filename``, ``label``: logging and bookkeeping
  of other simulators; unused.
"""

from __future__ import annotations

import warnings

from ..errors import HubError

#: keywords that change nothing the hub simulates
UNUSED = ("t_flush", "quit_on_end", "debug", "verbosity", "filename", "label")


class SpikePrecisionWarning(UserWarning):
    """``setup(spike_precision="off_grid")``: the hub's spikes are on the time grid."""


def split(extra: dict) -> tuple[dict, dict]:
    """``extra`` (setup()'s keywords besides timestep, min_delay, max_delay, backend,
    rng_seed) as (PyNN's own, consumed here; the rest, for the backend)."""
    pynn = {k: extra[k] for k in (*UNUSED, "threads", "spike_precision") if k in extra}
    precision = pynn.get("spike_precision", "on_grid")
    if precision == "off_grid":
        warnings.warn(
            "setup(spike_precision='off_grid'): the hub's models are grid-constrained; "
            "spikes are on the time grid, as with spike_precision='on_grid'",
            SpikePrecisionWarning,
            stacklevel=3,
        )
    elif precision != "on_grid":
        raise HubError(
            f"setup(spike_precision={precision!r}): not a spike precision; "
            "use 'on_grid' (the hub's) or 'off_grid'"
        )
    return pynn, {k: v for k, v in extra.items() if k not in pynn}


def backend_options(backend: str, pynn: dict, options: dict) -> dict:
    """The options the hub backend receives: ``options`` and, if ``backend`` declares it,
    PyNN's ``threads``."""
    if pynn.get("threads") is None:
        return options
    from ..plugins import get_backend

    if "threads" in get_backend(backend).capabilities().options:
        return {"threads": pynn["threads"], **options}
    return options
