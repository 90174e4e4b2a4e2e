"""hub.pynn: a PyNN simulator module whose engine is the hub.

``import hub.pynn as sim`` works where a script says ``import pyNN.nest as sim``::

    sim.setup(timestep=0.1, backend="brian2")     # any installed hub backend; default nest
    cells = sim.Population(100, sim.IF_cond_exp(tau_m=15.0), label="cells")
    ...
    sim.run(1000.0)
    block = cells.get_data()                      # a neo.Block, as PyNN gives it

Built on PyNN 0.13's own classes (``pyNN.common``, ``pyNN.standardmodels``,
``pyNN.connectors``, ``pyNN.recording``) the way PyNN's backends are; on the first ``run()``
the PyNN objects become one :class:`hub.Network` (every random draw made, every parameter an
array) that a hub backend simulates.  A model written as equations (:func:`hub.define_neuron`)
is a cell type too: ``sim.custom_cell_type(definition)`` (:mod:`hub.pynn.custom_cells`).
What differs from pyNN.nest and what is unsupported:
docs/pynn.md.
"""

from ..errors import HubError

try:
    import pyNN
except ImportError as exc:  # the core runs without PyNN; this front end needs it
    raise HubError("hub.pynn needs PyNN 0.13: pip install 'snn-hub[pynn]'") from exc
if not pyNN.__version__.startswith("0.13."):
    raise HubError(
        f"hub.pynn is built on PyNN 0.13, found PyNN {pyNN.__version__}: "
        "pip install 'snn-hub[pynn]'"
    )

from pyNN import errors, random, space  # noqa: E402, F401
from pyNN.connectors import *  # noqa: E402, F401, F403
from pyNN.network import Network  # noqa: E402, F401
from pyNN.random import GSLRNG, NumpyRNG, RandomDistribution  # noqa: E402, F401
from pyNN.recording import *  # noqa: E402, F401, F403
from pyNN.space import Space  # noqa: E402, F401
from pyNN.standardmodels import StandardCellType  # noqa: E402

from .composed import *  # noqa: E402, F401, F403
from .control import (  # noqa: E402, F401
    end,
    get_current_time,
    get_max_delay,
    get_min_delay,
    get_time_step,
    initialize,
    num_processes,
    rank,
    reset,
    run,
    run_for,
    run_until,
    setup,
)
from .connectors import FixedTotalNumberConnector  # noqa: E402, F401
from .custom_cells import custom_cell_type  # noqa: E402, F401
from .electrodes import DCSource, StepCurrentSource  # noqa: E402, F401
from .errors import UnsupportedError  # noqa: E402, F401
from .options import SpikePrecisionWarning  # noqa: E402, F401
from .sampled_sources import ACSource, NoisyCurrentSource  # noqa: E402, F401
from .populations import Assembly, Population, PopulationView  # noqa: E402, F401
from .procedural_api import connect, create, record, record_gsyn, record_v, set  # noqa: E402, F401
from .projections import Projection  # noqa: E402, F401
from .rng import NativeRNG  # noqa: E402, F401
from .standardmodels import *  # noqa: E402, F401, F403
from .unsupported import *  # noqa: E402, F401, F403


def list_standard_models():
    """The names of the standard cell types hub.pynn runs."""
    return [
        obj.__name__
        for obj in globals().values()
        if isinstance(obj, type) and issubclass(obj, StandardCellType) and hasattr(obj, "hub_model")
    ]
