"""Population, PopulationView and Assembly on PyNN's common classes.

A population keeps its parameters in the hub's names and units (``_parameters``: one array
per parameter, one value per neuron), evaluated by PyNN's machinery (``ParameterSpace``,
``RandomDistribution`` drawn with the script's RNG), and its initial values as PyNN does
(``initial_values``: lazy arrays).  Both reach the hub as concrete arrays when the network is
built; a parameter changed between runs goes to the running engine from the current time on.
"""

from __future__ import annotations

import numpy as np
from pyNN import common, errors
from pyNN.parameters import LazyArray, ParameterSpace, simplify
from pyNN.random import RandomDistribution

from . import simulator
from .errors import UnsupportedError
from .build import source_fields
from .custom_cells import CustomCellType, initial_value
from .recording import Recorder
from .values import hub_variable, initial_array


def _hub_states(celltype) -> tuple[str, ...]:
    """The state variables the hub model of ``celltype`` has (none for spike sources)."""
    from ..ir.neurons import NEURON_MODELS

    if isinstance(celltype, CustomCellType):
        return tuple(s.name for s in celltype.definition.model_class().state)
    for cls in NEURON_MODELS.values():
        if celltype.hub_model in cls.aliases:
            return tuple(s.name for s in cls.state)
    return ()


def _per_neuron(value, size: int) -> np.ndarray:
    """``value`` as an array of one value per neuron (PyNN gives one value for one neuron)."""
    arr = np.asarray(value)
    if arr.shape == (size,):
        return arr
    out = np.empty(size, dtype=arr.dtype)
    out[:] = [value] * size if arr.dtype == object else value
    return out


def _frozen(value, size: int):
    """``value`` as PyNN keeps it, except a ``RandomDistribution``, drawn now (once)."""
    if isinstance(value, RandomDistribution):
        return LazyArray(value, shape=(size,), dtype=float).evaluate(simplify=False)
    return value


def _check_spike_times(population) -> None:
    """A SpikeSourceArray's times must be in increasing order (PyNN's
    ``InvalidParameterValueError``, as pyNN.nest raises it)."""
    if "times" not in population._parameters:
        return
    for times in population._parameters["times"]:
        if np.any(np.diff(np.asarray(getattr(times, "value", times), float)) < 0):
            raise errors.InvalidParameterValueError(
                "Spike times given to SpikeSourceArray must be in increasing order"
            )


def _check_celltype(celltype) -> None:
    if not hasattr(celltype, "hub_model"):
        raise UnsupportedError(
            f"Population celltype {type(celltype).__module__}.{type(celltype).__name__}: "
            "not a hub.pynn cell type; use the cell types of hub.pynn "
            "(sim.IF_cond_exp(...) after `import hub.pynn as sim`), "
            "sim.list_standard_models() names them"
        )


def _standard_parameters(population, names):
    """PyNN-named parameters from the native ones (``reverse_translate``)."""
    celltype = population.celltype
    if any(name in celltype.computed_parameters() for name in names):
        native_names = celltype.get_native_names()  # computed ones need all of them
    else:
        native_names = celltype.get_native_names(*names)
    return celltype.reverse_translate(population._get_native_parameters(*native_names))


def _store(root, indices: np.ndarray, parameter_space) -> None:
    """Write native values for the neurons ``indices`` of the Population ``root`` and pass
    them to the running engine, if any (a spike source as a whole: its spikes so far stay)."""
    if simulator.state.built and getattr(root.celltype, "drawn", False):
        raise UnsupportedError(
            f"{root.label}.set({', '.join(parameter_space.keys())}) at t = "
            f"{simulator.state.t:g} ms: hub.pynn draws the {type(root.celltype).__name__} "
            "trains of a segment ahead; change it before the first run() or after reset()"
        )
    changed = {}
    for name, lazy in parameter_space.items():
        value = lazy.evaluate(simplify=True)
        stored = root._parameters[name]
        if np.ndim(value) == 0 or stored.dtype == object and not isinstance(value, np.ndarray):
            for i in indices:  # object arrays (spike times) take the one value per neuron
                stored[i] = value
        else:
            stored[indices] = value
        changed[name] = np.asarray(stored[indices])
    _check_spike_times(root)
    if root.celltype.injectable:
        simulator.state.set_neuron_parameters(root, indices, changed)
    elif simulator.state.built:
        simulator.state.engine.set(root.hub_label, **source_fields(root))


class Assembly(common.Assembly):
    __doc__ = common.Assembly.__doc__
    _simulator = simulator


class PopulationView(common.PopulationView):
    __doc__ = common.PopulationView.__doc__
    _assembly_class = Assembly
    _simulator = simulator

    def _root_indices(self) -> np.ndarray:
        return np.asarray(self.index_in_grandparent(np.arange(self.size)), dtype=np.int64)

    def _get_parameters(self, *names):
        return _standard_parameters(self, names)

    def _get_native_parameters(self, *names):
        root, idx = self.grandparent, self._root_indices()
        return ParameterSpace(
            {name: simplify(root._parameters[name][idx]) for name in names}, shape=(self.size,)
        )

    def _set_parameters(self, parameter_space):
        _store(self.grandparent, self._root_indices(), parameter_space)

    def initialize(self, **initial_values):
        """Initial values of the view's neurons (the rest of the population keeps its own)."""
        root, idx = self.grandparent, self._root_indices()
        for variable, value in initial_values.items():
            full = initial_array(root, variable)
            full[idx] = LazyArray(value, shape=(self.size,), dtype=float).evaluate()
            root.initialize(**{variable: full[0] if (full == full[0]).all() else full})

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)


class Population(common.Population):
    __doc__ = common.Population.__doc__
    _simulator = simulator
    _recorder_class = Recorder
    _assembly_class = Assembly

    def __init__(
        self, size, cellclass, cellparams=None, structure=None, initial_values={}, label=None
    ):
        simulator.state.refuse_after_build("creating a Population")
        super().__init__(size, cellclass, cellparams, structure, initial_values, label)
        simulator.state.populations.append(self)

    def _create_cells(self):
        _check_celltype(self.celltype)
        first = simulator.state.id_counter
        self.all_cells = np.array(
            [simulator.ID(i) for i in range(first, first + self.size)], dtype=simulator.ID
        )
        self._mask_local = np.ones(self.size, dtype=bool)
        for cell in self.all_cells:
            cell.parent = self
        simulator.state.id_counter += self.size
        parameter_space = self.celltype.native_parameters
        parameter_space.shape = (self.size,)
        parameter_space.evaluate(simplify=False)
        self._parameters = {
            name: _per_neuron(value, self.size) for name, value in parameter_space.items()
        }
        _check_spike_times(self)

    def initialize(self, **initial_values):
        """Initial values (mV, nA, uS, ...) of state variables, kept lazy as PyNN keeps
        them (``initial_values['v'].evaluate(simplify=True)`` is PyNN's scalar for a
        homogeneous value), except a ``RandomDistribution``: drawn once, with its RNG, at
        this call (as in pyNN.nest), not again when the network is built or the data read.
        A custom cell type's default that names a parameter is that parameter's values."""
        super().initialize(
            **{
                name: _frozen(initial_value(self, value), self.size)
                for name, value in initial_values.items()
            }
        )

    def _set_initial_value_array(self, variable, initial_values):
        simulator.state.refuse_after_build(
            f"{self.label}.initialize({variable}=...)",
            "the hub sets state only at t = 0: call reset() first",
        )
        states = _hub_states(self.celltype)
        if hub_variable(self.celltype, variable) in states:
            return
        default = self.celltype.default_initial_values.get(variable)
        if default is not None and np.all(np.asarray(initial_values.base_value) == default):
            return  # PyNN's own default of a variable the hub computes (HH_cond_exp m, h, n)
        raise UnsupportedError(
            f"{self.label}.initialize({variable}=...): the hub's "
            f"{type(self.celltype).__name__} has no settable state {variable!r}; "
            f"use one of {list(states)}"
        )

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)

    @property
    def native_values(self) -> dict[str, np.ndarray]:
        """Every parameter in the hub's names and units, one value per neuron."""
        return self._parameters

    def _get_parameters(self, *names):
        return _standard_parameters(self, names)

    def _get_native_parameters(self, *names):
        return ParameterSpace(
            {name: simplify(self._parameters[name]) for name in names}, shape=(self.size,)
        )

    def _set_parameters(self, parameter_space):
        parameter_space.shape = (self.size,)
        _store(self, np.arange(self.size), parameter_space)
