"""The PyNN objects of a segment as one :class:`hub.Network`.

Populations become hub populations or sources with one array per parameter (PyNN's values,
defaults included, in the hub's units) and their initial values; projections become explicit
connections (``hub.FromArrays``) with per-connection weights and delays; current sources are
injected; recorders become probes.  Each PyNN population and projection learns the hub label
it got (``hub_label``, ``hub_parts_built``), which the recorders and ``Projection.get`` use
to read the results.
"""

from __future__ import annotations

import numpy as np

from .. import ir
from ..ir.neurons import model as hub_model
from . import renewal
from .errors import UnsupportedError
from .seeds import segment_seed
from .values import hub_variable, initial_array


def build_network(state, until: float) -> ir.Network:
    """The hub network of ``state``'s populations, projections, sources and recorders, with
    the sampled currents (ACSource, NoisyCurrentSource) of the steps before ``until`` ms."""
    net = ir.Network(
        dt=state.dt, seed=segment_seed(state.seed, state.segment_counter), label="hub.pynn"
    )
    taken: set[str] = set()
    for pop in state.populations:
        pop.hub_label = _unique(pop.label, taken)
        _add_population(net, pop, until, state)
    for prj in state.projections:
        prj.hub_parts_built = []
        for k, (pre, post, positions, pre_idx, post_idx) in enumerate(prj.hub_parts()):
            label = _unique(prj.label or f"projection{k}", taken)
            net.connect(
                pre.hub_label,
                post.hub_label,
                ir.FromArrays(
                    pre_idx,
                    post_idx,
                    weight=prj.columns["weight"][positions],
                    delay=prj.columns["delay"][positions],
                ),
                _synapse(prj, positions),
                label=label,
            )
            prj.hub_parts_built.append((label, positions))
    for source in state.current_sources:
        for root, indices, current in source.injections(0, int(round(until / state.dt))):
            net.inject(root.hub_label, current, indices)
    for recorder in state.recorders:
        _add_probes(net, recorder)
    return net


def _unique(label: str, taken: set[str]) -> str:
    out, k = label, 1
    while out in taken:
        k += 1
        out = f"{label}#{k}"
    taken.add(out)
    return out


def _simple(values):
    """A scalar if every neuron has the same value, else the float array."""
    arr = np.atleast_1d(np.asarray(values, dtype=float))
    return float(arr[0]) if arr.size and (arr == arr[0]).all() else arr


def _add_population(net, pop, until: float, state) -> None:
    params, kind = pop.native_values, pop.celltype.hub_model
    if getattr(pop.celltype, "drawn", False):  # trains hub.pynn draws (SpikeSourceGamma...)
        times = renewal.trains(state, pop, until)
        net.add_source(ir.SpikeTimes(times=times), size=pop.size, label=pop.hub_label)
    elif kind == "SpikeTimes":
        net.add_source(ir.SpikeTimes(**source_fields(pop)), size=pop.size, label=pop.hub_label)
    elif kind == "PoissonSource":
        net.add_source(ir.PoissonSource(**source_fields(pop)), size=pop.size, label=pop.hub_label)
    else:
        values = {name: _simple(v) for name, v in params.items()}
        custom = getattr(pop.celltype, "hub_neuron", None)  # a custom cell type's definition
        model = custom(values) if custom else hub_model(kind, **values)
        states = {s.name for s in type(model).state}
        hub_names = {name: hub_variable(pop.celltype, name) for name in pop.initial_values}
        initial = {
            hub_names[name]: _simple(initial_array(pop, name))
            for name in pop.initial_values
            if hub_names[name] in states
        }
        net.add_population(pop.size, model, label=pop.hub_label, initial_values=initial)


def source_fields(pop) -> dict:
    """The fields of the hub source of spike-source population ``pop`` (ms, Hz)."""
    params = pop.native_values
    if pop.celltype.hub_model == "SpikeTimes":
        return {"times": [np.asarray(getattr(t, "value", t), float) for t in params["times"]]}
    window = {k: _simple(params[k]) for k in ("start", "stop")}
    for k, v in window.items():
        if np.ndim(v):
            raise UnsupportedError(
                f"{pop.label}: SpikeSourcePoisson {'duration' if k == 'stop' else k} "
                "differs between neurons; the hub's Poisson source has one start and stop "
                "per population: use one population per value"
            )
    return {"rate": _simple(params["rate"]), **window}


def _synapse(prj, positions):
    """The hub synapse of projection ``prj`` (its rule's parameters must be the same for
    every connection: the hub's rules have one value per projection)."""
    kind = prj.hub_rule()
    if kind is None:
        return ir.Static(receptor=prj.receptor_type)
    names = [n for n in prj.synapse_type.get_native_names() if n not in ("weight", "delay")]
    values = {}
    for name in names:
        value = _simple(prj.columns[name][positions]) if len(positions) else 0.0
        if np.ndim(value):
            raise UnsupportedError(
                f"{prj.label}: {type(prj.synapse_type).__name__} parameter {name!r} differs "
                "between connections; the hub's learning rules take one value per projection: "
                "use one projection per value"
            )
        values[name] = value
    if kind == "STDP":
        td, wd = prj.synapse_type.timing_dependence, prj.synapse_type.weight_dependence
        dependence, exponents = wd.hub_weight_dependence
        rule = ir.STDP(
            pairing="all",
            weight_dependence=dependence,
            **td.hub_rule_values(values),
            **wd.hub_rule_values(values),
            **exponents,
        )
    else:
        rule = ir.TsodyksMarkram(**values)
    return ir.Plastic(rule=rule, receptor=prj.receptor_type)


def _add_probes(net, recorder) -> None:
    label = recorder.population.hub_label
    for variable, ids in recorder.recorded.items():
        if not ids:
            continue
        indices = np.sort(recorder.population.id_to_index(np.array(sorted(ids), dtype=int)))
        interval = None if variable.name == "spikes" else recorder.sampling_interval
        name = hub_variable(recorder.population.celltype, variable.name)
        net.record(label, name, interval=interval, indices=indices)
