"""The network: populations, sources, projections, current injections and probes.

Pure data.  Build it with :class:`Network` methods, check it with :func:`validate`,
turn random rules into concrete arrays with :func:`hub.resolve`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import numpy as np

from ..errors import Diagnostic, ValidationError
from .connectors import Connector
from .neurons import NeuronModel
from .serialize import ArrayTable, encode_value
from .sources import CurrentSource, Source
from .synapses import Static, Synapse
from .validation import check

FORMAT_VERSION = 1


@dataclass(eq=False)
class Population:
    """``size`` neurons of one model (a :class:`NeuronModel` or a spike :class:`Source`)."""

    label: str
    size: int
    model: NeuronModel | Source
    initial_values: dict = field(default_factory=dict)

    @property
    def is_source(self) -> bool:
        return isinstance(self.model, Source)

    def initialize(self, **values):
        """Set initial state (``v=-60.0``, an array, or a Distribution)."""
        self.initial_values.update(values)
        return self

    def __len__(self):
        return self.size

    def __repr__(self):
        return f"Population({self.label!r}, {self.size}, {self.model!r})"


@dataclass(eq=False)
class Projection:
    """Connections from ``pre`` to ``post`` (population labels) by ``connector``."""

    label: str
    pre: str
    post: str
    connector: Connector
    synapse: Synapse


@dataclass(eq=False)
class Injection:
    """A current source injected into (a subset of) a population."""

    target: str
    source: CurrentSource
    indices: object = None


@dataclass(eq=False)
class SynapseProbe:
    """Record ``variable`` (``"weight"`` or another state of the projection's rule) of the
    synapses ``indices`` (positions in the resolved connection list, default all) of
    ``projection`` every ``interval`` ms (default dt).  A sample at time T is the value after
    the last presynaptic spike stamped <= T (docs/learning.md)."""

    projection: str
    variable: str = "weight"
    interval: float | None = None
    indices: object = None


@dataclass(eq=False)
class Probe:
    """Record ``variable`` of ``population`` (``"spikes"`` or a state variable) every
    ``interval`` ms (default dt) for ``indices`` (default all)."""

    population: str
    variable: str
    interval: float | None = None
    indices: object = None


class Network:
    """A spiking network description.

    >>> net = Network(dt=0.1, seed=42)
    >>> exc = net.add_population(10, LIF(), label="exc")
    """

    def __init__(
        self,
        dt: float = 0.1,
        seed: int | None = None,
        label: str = "",
        metadata: dict | None = None,
    ):
        self.dt, self.seed, self.label = dt, seed, label
        self.metadata = dict(metadata or {})
        self.populations: list[Population] = []
        self.projections: list[Projection] = []
        self.injections: list[Injection] = []
        self.probes: list[Probe] = []
        self.synapse_probes: list[SynapseProbe] = []

    # --- building -----------------------------------------------------------------------
    def add_population(self, size, model, label: str | None = None, initial_values=None):
        pop = Population(
            label or f"pop{len(self.populations)}", size, model, dict(initial_values or {})
        )
        self.populations.append(pop)
        return pop

    def add_source(self, source: Source, size: int = 1, label: str | None = None):
        return self.add_population(size, source, label or f"source{len(self.populations)}")

    def connect(
        self,
        pre,
        post,
        connector: Connector,
        synapse: Synapse | None = None,
        label: str | None = None,
    ) -> Projection:
        proj = Projection(
            label or f"proj{len(self.projections)}",
            self._own(pre, "connect", "pre"),
            self._own(post, "connect", "post"),
            connector,
            synapse if synapse is not None else Static(),
        )
        self.projections.append(proj)
        return proj

    def inject(self, target, source: CurrentSource, indices=None) -> Injection:
        inj = Injection(self._own(target, "inject", "target"), source, indices)
        self.injections.append(inj)
        return inj

    def record(self, population, *variables: str, interval: float | None = None, indices=None):
        """Record ``variables`` of a population (default ``"spikes"``), or of the synapses of
        a plastic projection (pass the :class:`Projection`; default ``"weight"``)."""
        if isinstance(population, Projection):
            if not any(p is population for p in self.projections):
                raise ValidationError(
                    Diagnostic(
                        "record.population",
                        f"projection {population.label!r} belongs to another Network",
                        "record projections made by this network's connect()",
                    )
                )
            for var in variables or ("weight",):
                self.synapse_probes.append(SynapseProbe(population.label, var, interval, indices))
            return self
        for var in variables or ("spikes",):
            self.probes.append(
                Probe(self._own(population, "record", "population"), var, interval, indices)
            )
        return self

    def _own(self, obj, method: str, argument: str) -> str:
        """The label of ``obj`` (a label string, or a Population that must be one of this
        network's: refused by identity, since another network may use the same label)."""
        if isinstance(obj, str) or any(p is obj for p in self.populations):
            return _label(obj)
        what = f"population {obj.label!r}" if isinstance(obj, Population) else repr(obj)
        raise ValidationError(
            Diagnostic(
                f"{method}.{argument}",
                f"{what} belongs to another Network"
                if isinstance(obj, Population)
                else f"{what} is not a population",
                "use a population this network's add_population/add_source returned, or its label",
            )
        )

    # --- lookup -------------------------------------------------------------------------
    def population(self, label: str) -> Population:
        for p in self.populations:
            if p.label == label:
                return p
        raise KeyError(label)

    def validate(self):
        """Raise :class:`~hub.errors.ValidationError` listing every problem; return self."""
        check(self)
        return self

    # --- (de)serialisation ----------------------------------------------------------------
    def to_dict(self, arrays: ArrayTable | None = None) -> dict:
        """The network as JSON data; arrays go to ``arrays`` if given (inline otherwise)."""
        enc = lambda v: encode_value(v, arrays)
        return {
            "format": "snn-hub-network",
            "version": FORMAT_VERSION,
            "dt": self.dt,
            "seed": self.seed,
            "label": self.label,
            "metadata": self.metadata,
            "populations": [
                {
                    "label": p.label,
                    "size": p.size,
                    "model": p.model.to_dict(arrays),
                    "initial_values": {k: enc(v) for k, v in p.initial_values.items()},
                }
                for p in self.populations
            ],
            "projections": [
                {
                    "label": j.label,
                    "pre": j.pre,
                    "post": j.post,
                    "connector": j.connector.to_dict(arrays),
                    "synapse": j.synapse.to_dict(arrays),
                }
                for j in self.projections
            ],
            "injections": [
                {"target": i.target, "source": i.source.to_dict(arrays), "indices": enc(i.indices)}
                for i in self.injections
            ],
            "probes": [
                {
                    "population": p.population,
                    "variable": p.variable,
                    "interval": p.interval,
                    "indices": enc(p.indices),
                }
                for p in self.probes
            ],
            "synapse_probes": [
                {
                    "projection": p.projection,
                    "variable": p.variable,
                    "interval": p.interval,
                    "indices": enc(p.indices),
                }
                for p in self.synapse_probes
            ],
        }

    def __eq__(self, other):
        """Equal when the saved forms are equal (arrays compared by content)."""
        return isinstance(other, Network) and canonical(self) == canonical(other)

    __hash__ = None  # mutable

    def __repr__(self):
        return (
            f"Network(dt={self.dt}, seed={self.seed}, populations="
            f"{[p.label for p in self.populations]}, projections={len(self.projections)})"
        )


def canonical(network: Network) -> str:
    """A stable text form of ``network`` (its saved form, arrays replaced by content hashes
    of their bytes, dtype and shape): two networks are equal when these are."""
    table = ArrayTable()
    doc = network.to_dict(table)
    digests = [
        hashlib.sha1(
            np.ascontiguousarray(a).tobytes() + str(a.dtype).encode() + str(a.shape).encode()
        ).hexdigest()
        for a in (table.get(i) for i in range(len(table)))
    ]
    return json.dumps(doc, sort_keys=True, default=str) + "|" + ",".join(digests)


def _label(obj) -> str:
    return obj if isinstance(obj, str) else obj.label
