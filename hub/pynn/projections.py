"""Projection on PyNN's common class.

PyNN's own connector code decides every connection (random connectors draw with the
script's RNG exactly as in any PyNN backend) and calls :meth:`Projection._convergent_connect`
with the native (hub-named) synapse parameters, once per post-synaptic neuron; the projection
gathers the calls and keeps them as arrays, one value per connection, in the order they were
made (:mod:`hub.pynn.columns`).  When the network is built they reach the
hub as explicit connections (``hub.FromArrays``) with per-connection weights and delays: one
hub projection per pair of underlying populations (a projection between views or assemblies
is split), each sorted by (pre, post) as the hub keeps them.
"""

from __future__ import annotations

import numpy as np
from pyNN import common
from pyNN.space import Space

from . import simulator
from .columns import ConnectionColumns
from .errors import UnsupportedError
from .standardmodels import STDPMechanism, StaticSynapse, TsodyksMarkramSynapse


def roots_of(neurons, indices: np.ndarray) -> tuple[list, np.ndarray, np.ndarray]:
    """Where the neurons ``indices`` of a Population, PopulationView or Assembly live:
    (the underlying Populations, which of them per neuron, the index in it per neuron)."""
    indices = np.asarray(indices, dtype=np.int64)
    if isinstance(neurons, common.Assembly):
        bounds = np.cumsum([0] + [p.size for p in neurons.populations])
        which = np.searchsorted(bounds[1:], indices, side="right")
        roots: list = []
        code = np.zeros(len(indices), np.int64)
        local = np.zeros(len(indices), np.int64)
        for k, part in enumerate(neurons.populations):
            sel = which == k
            part_roots, part_code, local[sel] = roots_of(part, indices[sel] - bounds[k])
            for root in part_roots:
                if not any(r is root for r in roots):
                    roots.append(root)
            remap = [next(n for n, r in enumerate(roots) if r is root) for root in part_roots]
            code[sel] = np.asarray(remap, np.int64)[part_code]
        return roots, code, local
    if isinstance(neurons, common.PopulationView):
        local = np.asarray(neurons.index_in_grandparent(indices), np.int64)
        return [neurons.grandparent], np.zeros(len(indices), np.int64), local
    return [neurons], np.zeros(len(indices), np.int64), indices


class Connection(common.Connection):
    """One connection: pre and post index in the projection's pre and post neurons, and its
    parameters (weight in nA, uS or mV as the target takes them; delay in ms)."""

    def __init__(self, projection, position: int):
        object.__setattr__(self, "projection", projection)
        object.__setattr__(self, "position", position)

    def __getattr__(self, name):
        try:
            return self.projection._attribute(name)[self.position]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name, value):
        """``connection.weight = 0.5``, ``connection.delay = 1.0`` (any synapse parameter):
        this connection only, before the first run (or after ``reset()``)."""
        columns = self.projection.columns
        if name not in columns or name in ("presynaptic_index", "postsynaptic_index"):
            raise AttributeError(f"connection attribute {name!r} cannot be set")
        simulator.state.refuse_after_build(
            f"{self.projection.label}.connections[{self.position}].{name} = {value!r}",
            "the hub cannot change synapses during a segment: call reset() first",
        )
        columns[name][self.position] = float(value)

    def as_tuple(self, *attribute_names):
        return tuple(getattr(self, name) for name in attribute_names)


class Projection(common.Projection):
    __doc__ = common.Projection.__doc__
    _simulator = simulator
    _static_synapse_class = StaticSynapse

    def __init__(
        self,
        presynaptic_population,
        postsynaptic_population,
        connector,
        synapse_type=None,
        source=None,
        receptor_type=None,
        space=Space(),
        label=None,
    ):
        simulator.state.refuse_after_build("creating a Projection")
        if synapse_type is not None and not isinstance(
            synapse_type, (StaticSynapse, STDPMechanism, TsodyksMarkramSynapse)
        ):
            raise UnsupportedError(
                f"Projection synapse_type {type(synapse_type).__name__}: not a hub.pynn "
                "synapse type; use sim.StaticSynapse, sim.STDPMechanism or "
                "sim.TsodyksMarkramSynapse"
            )
        if source is not None:
            raise UnsupportedError(
                f"Projection(source={source!r}): the hub's neurons have one spike source; "
                "leave source=None"
            )
        common.Projection.__init__(
            self,
            presynaptic_population,
            postsynaptic_population,
            connector,
            synapse_type,
            source,
            receptor_type,
            space,
            label,
        )
        self._calls = ConnectionColumns()
        self.columns: dict[str, np.ndarray] = {}
        self.hub_parts_built: list[tuple[str, np.ndarray]] = []  # (hub label, positions)
        connector.connect(self)
        self.columns = self._calls.arrays()
        del self._calls
        simulator.state.projections.append(self)

    # --- made by PyNN's connectors -------------------------------------------------------------
    def _convergent_connect(
        self, presynaptic_indices, postsynaptic_index, location_selector=None, **parameters
    ):
        """Connect the pre neurons ``presynaptic_indices`` to post neuron
        ``postsynaptic_index``; ``parameters`` are native (hub) names, scalars or arrays."""
        if location_selector is not None:
            raise UnsupportedError(
                "Projection with location_selector: the hub simulates point neurons; "
                "leave location_selector=None"
            )
        self._calls.add(presynaptic_indices, postsynaptic_index, parameters)

    def __len__(self):
        return len(self.columns.get("presynaptic_index", ()))

    def __getitem__(self, i):
        if not -len(self) <= i < len(self):
            raise IndexError(f"connection {i} of a projection with {len(self)} connections")
        return Connection(self, i % len(self))

    @property
    def connections(self):
        return (Connection(self, i) for i in range(len(self)))

    # --- attributes ----------------------------------------------------------------------------
    def _attribute(self, name: str) -> np.ndarray:
        """One value per connection: the given one, or, for the weights of a plastic
        projection whose segment has run, the hub's weights at the current time."""
        values = self.columns[name]
        results = simulator.state.results()
        if name == "weight" and self.hub_rule() is not None and results is not None:
            values = values.copy()
            for label, positions in self.hub_parts_built:
                values[positions] = results.weights(label)
        return values

    def _get_attributes_as_list(self, names):
        columns = [self._attribute(n) for n in names]
        ints = {"presynaptic_index", "postsynaptic_index"}
        return [
            tuple(int(c[k]) if n in ints else float(c[k]) for n, c in zip(names, columns))
            for k in range(len(self))
        ]

    def _get_attributes_as_arrays(self, names, multiple_synapses="sum"):
        combine = common.Projection.MULTI_SYNAPSE_OPERATIONS[multiple_synapses]
        pre, post = self.columns["presynaptic_index"], self.columns["postsynaptic_index"]
        out = []
        for name in names:
            values = self._attribute(name)
            arr = np.full((self.pre.size, self.post.size), np.nan)
            if len(np.unique(pre * self.post.size + post)) == len(pre):
                arr[pre, post] = values
            else:  # several connections between one pair
                for i, j, v in zip(pre, post, values):
                    arr[i, j] = v if np.isnan(arr[i, j]) else combine(arr[i, j], v)
            out.append(arr)
        return out

    def _set_attributes(self, parameter_space):
        simulator.state.refuse_after_build(
            f"{self.label}.set({', '.join(parameter_space.keys())})",
            "the hub cannot change synapses during a segment: call reset() first",
        )
        pre, post = self.columns["presynaptic_index"], self.columns["postsynaptic_index"]
        for name, lazy in parameter_space.items():
            if lazy.is_homogeneous:
                self.columns[name] = np.full(len(pre), float(lazy.evaluate(simplify=True)))
            else:
                self.columns[name] = np.asarray(lazy.evaluate(), dtype=float)[pre, post]

    def _set_initial_value_array(self, variable, value):
        raise UnsupportedError(
            f"{self.label}.initialize({variable}=...): the hub starts synapse state at its "
            "rule's initial values (docs/learning.md); remove the call"
        )

    # --- what the hub receives -----------------------------------------------------------------
    def hub_rule(self):
        """The hub learning rule of this projection (None for a static synapse)."""
        return getattr(self.synapse_type, "hub_rule", None)

    def hub_parts(self) -> list[tuple]:
        """(pre Population, post Population, positions, pre indices, post indices) per pair
        of underlying populations; positions index this projection's connections, sorted by
        (pre index, post index) as the hub orders connections."""
        pre_roots, pre_code, pre_idx = roots_of(self.pre, self.columns["presynaptic_index"])
        post_roots, post_code, post_idx = roots_of(self.post, self.columns["postsynaptic_index"])
        parts = []
        for a, pre_root in enumerate(pre_roots):
            for b, post_root in enumerate(post_roots):
                sel = np.flatnonzero((pre_code == a) & (post_code == b))
                if len(sel):
                    sel = sel[np.lexsort((post_idx[sel], pre_idx[sel]))]
                    parts.append((pre_root, post_root, sel, pre_idx[sel], post_idx[sel]))
        return parts
