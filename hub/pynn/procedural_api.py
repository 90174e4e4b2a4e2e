"""PyNN's procedural API (``create``, ``connect``, ``record``, ``set``), as PyNN's backends
build it from the object API."""

from __future__ import annotations

from pyNN import common
from pyNN.common.procedural_api import set  # noqa: F401 - re-exported as sim.set
from pyNN.connectors import FixedProbabilityConnector

from . import simulator
from .populations import Population
from .projections import Projection
from .standardmodels import StaticSynapse

create = common.build_create(Population)

connect = common.build_connect(Projection, FixedProbabilityConnector, StaticSynapse)

record = common.build_record(simulator)


def record_v(source, filename):
    return record(["v"], source, filename)


def record_gsyn(source, filename):
    return record(["gsyn_exc", "gsyn_inh"], source, filename)
