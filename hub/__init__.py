"""snn-hub: write a spiking network once, run it on NEST, Brian2 or the chip model.

>>> import hub
>>> net = hub.Network(dt=0.1, seed=42)
>>> exc = net.add_population(100, hub.LIF(), label="exc")
>>> r = hub.run(net, backend="nest", duration=100.0)   # doctest: +SKIP
"""

import sys

from .backend import Backend, BackendSpec, Capabilities, Option, Session, Tolerance
from . import comparison as _comparison
from .comparison import Comparison, compare
from .errors import (
    BackendError,
    CapabilityError,
    Diagnostic,
    HubError,
    PluginError,
    ResourceError,
    ValidationError,
)
from .hookspecs import hookimpl
from .ir import *  # noqa: F401,F403 - the IR vocabulary is the public API
from .ir import __all__ as _ir_all
from .api import check_capabilities, load, model, run, save  # noqa: F401 - see the plugins' kinds
from .interop import from_nir, run_nir, to_nir
from .plugins import backend_specs, get_backend, make_plugin_manager, plugin_manager
from .resolve import ResolvedNetwork, resolve
from .simulation import Simulation
from .results import Results, Signal, SpikeTrains
from .version import __version__  # noqa: F401


# ``hub.compare`` is the function; the module that defines it is ``hub.comparison``.  The
# alias keeps ``from hub.compare import schema`` (the old module path) working without
# letting an ``import hub.compare`` rebind ``hub.compare`` to a module.
sys.modules.setdefault(__name__ + ".compare", _comparison)


def define_neuron(*args, **kwargs):
    """A neuron model written as equations: :func:`hub.equations.define_neuron` (imported
    when first used: ``import hub`` stays light)."""
    from .equations import define_neuron as define

    return define(*args, **kwargs)


def define_rule(*args, **kwargs):
    """A learning rule written as statements: :func:`hub.equations.define_rule`."""
    from .equations import define_rule as define

    return define(*args, **kwargs)


__all__ = [
    *_ir_all,
    "run",
    "Simulation",
    "compare",
    "Comparison",
    "from_nir",
    "to_nir",
    "run_nir",
    "define_neuron",
    "define_rule",
    "resolve",
    "check_capabilities",
    "Backend",
    "BackendSpec",
    "Capabilities",
    "Option",
    "Session",
    "Tolerance",
    "HubError",
    "ValidationError",
    "CapabilityError",
    "PluginError",
    "BackendError",
    "ResourceError",
    "Diagnostic",
    "hookimpl",
    "backend_specs",
    "get_backend",
    "make_plugin_manager",
    "plugin_manager",
    "ResolvedNetwork",
    "Results",
    "Signal",
    "SpikeTrains",
]
