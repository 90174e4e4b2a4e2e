"""Setting up and running a simulation: PyNN's control functions on the hub.

``setup(timestep, min_delay, max_delay, backend="nest", rng_seed=42, **options)``: ``backend``
is any installed hub backend (``snn-hub backends``), ``rng_seed`` the network seed (Poisson
trains are drawn in the hub from it); PyNN's own keywords (``threads``, ``spike_precision``,
``t_flush``, ...) are handled in :mod:`hub.pynn.options`, the other options go to the
backend.  Times in ms.
"""

from __future__ import annotations

from pyNN import common
from pyNN.common.control import DEFAULT_MIN_DELAY, DEFAULT_TIMESTEP
from pyNN.recording import get_io

from ..errors import HubError
from . import options, simulator


def setup(timestep=DEFAULT_TIMESTEP, min_delay=DEFAULT_MIN_DELAY, **extra_params):
    """Start afresh: forget every population, projection and recording.  Returns the MPI
    rank (0: the hub runs one process)."""
    common.setup(timestep, min_delay, **extra_params)
    backend = extra_params.pop("backend", "nest")
    if not isinstance(backend, str):
        raise HubError(f"setup(backend={backend!r}): not a backend name; use e.g. 'nest'")
    state = simulator.state
    state.max_delay_setting = extra_params.pop("max_delay", "auto")
    state.seed = int(extra_params.pop("rng_seed", 42))
    state.clear()
    state.dt = float(timestep)
    state.min_delay_setting = min_delay
    state.backend = backend
    state.pynn_options, state.options = options.split(extra_params)
    return rank()


def end(compatible_output=True):
    """Write the data ``record(..., to_file=...)`` asked for."""
    state = simulator.state
    for population, variables, filename in state.write_on_end:
        population.write_data(get_io(filename), variables)
    state.write_on_end = []


run, run_until = common.build_run(simulator)
run_for = run

reset = common.build_reset(simulator)

initialize = common.initialize

(
    get_current_time,
    get_time_step,
    get_min_delay,
    get_max_delay,
    num_processes,
    rank,
) = common.build_state_queries(simulator)
