"""Declarative translation tables: one :class:`PyNNModel` per hub model label.

The hub's units and parameter names are PyNN's (ms, mV, nA, uS, nF; ``cm``, ``tau_m``,
``v_thresh``, ``i_offset``, ... ; AdEx ``a`` in nS, ``b`` in nA), so most rules are plain
renames with a scale of 1; the table still names each one, so a change on either side is a
one-line edit here.  Weights are PyNN's too: current-based weights in nA and voltage
(delta, Izhikevich) weights in mV carry their sign (inhibitory <= 0), conductance weights in
uS are magnitudes and the receptor names the target; PyNN applies the simulator's own sign
convention (pyNN.nest negates inhibitory conductance weights), so weights pass unchanged.

What a PyNN standard cell type cannot express is a :class:`hub.CapabilityError` at build
time, never a silent change:

* ``fixed``: hub parameters the cell type does not have; the hub value must equal the one
  the cell type has built in (PyNN's ``Izhikevich`` fires at 30 mV; ``HH_cond_exp`` has no
  refractory parameter and NEST's ``hh_cond_exp_traub`` counts 2 ms);
* ``zero_state``: initial state PyNN cannot set (synaptic currents and conductances): 0.

Hodgkin-Huxley gating variables ``m``, ``h``, ``n`` start at their steady state at the
initial V, as the hub's rule book says (:func:`hub.propagators.hh_steady_state`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hub.propagators import hh_steady_state
from hub.translate import Computed, Rename, recordables


@dataclass(frozen=True)
class PyNNModel:
    """How one hub model label runs as one PyNN standard cell type.

    ``params`` and ``initial`` are translation rules (:mod:`hub.translate`) from the hub's
    per-neuron parameters (``initial`` rules see parameters and initial values together)
    to the cell type's parameters and initial values; ``record`` maps a hub variable to the
    PyNN recordable that carries it (values come back through ``rule.reverse``); ``fixed``
    and ``zero_state`` as in the module docstring."""

    cell_type: str
    params: tuple
    initial: tuple
    record: dict[str, Rename]
    fixed: dict[str, float] = field(default_factory=dict)
    zero_state: tuple[str, ...] = ()


def _same(*names: str) -> tuple[Rename, ...]:
    """Rules for parameters with the same name and unit in the hub and PyNN."""
    return tuple(Rename(n, n) for n in names)


_MEMBRANE = _same("cm", "tau_m", "v_rest", "v_reset", "v_thresh", "tau_refrac", "i_offset")
_SYN_TAUS = _same("tau_syn_E", "tau_syn_I")
_REVERSALS = _same("e_rev_E", "e_rev_I")
_V = _same("v")
_G = _same("gsyn_exc", "gsyn_inh")


def _lif(cell_type: str, synaptic: bool) -> PyNNModel:
    return PyNNModel(
        cell_type,
        _MEMBRANE + (_SYN_TAUS if synaptic else ()),
        _V,
        recordables(*_V),  # PyNN's IF_curr_* record spikes and v only
        zero_state=("isyn_exc", "isyn_inh") if synaptic else (),
    )


def _lif_cond(cell_type: str) -> PyNNModel:
    return PyNNModel(
        cell_type,
        _MEMBRANE + _SYN_TAUS + _REVERSALS,
        _V,
        recordables(*_V, *_G),
        zero_state=("gsyn_exc", "gsyn_inh"),
    )


def _adex(cell_type: str) -> PyNNModel:
    extra = _same("v_spike", "delta_T", "a", "b", "tau_w")
    return PyNNModel(
        cell_type,
        _MEMBRANE + _SYN_TAUS + _REVERSALS + extra,
        _V + _same("w"),
        recordables(*_V, Rename("w", "w"), *_G),
        zero_state=("gsyn_exc", "gsyn_inh"),
    )


def _gate(name: str):
    return lambda p: hh_steady_state(p["v"], p["v_offset"])[name]


_HH = PyNNModel(
    "HH_cond_exp",
    _same(
        "gbar_Na",
        "gbar_K",
        "g_leak",
        "cm",
        "v_offset",
        "e_rev_Na",
        "e_rev_K",
        "e_rev_leak",
        "e_rev_E",
        "e_rev_I",
        "tau_syn_E",
        "tau_syn_I",
        "i_offset",
    ),
    _V + tuple(Computed(g, _gate(g), "steady state at the initial v") for g in ("m", "h", "n")),
    recordables(*_V, *_G),
    fixed={"tau_refrac": 2.0},
    zero_state=("gsyn_exc", "gsyn_inh"),
)

_IZHIKEVICH = PyNNModel(
    "Izhikevich",
    _same("a", "b", "c", "d", "i_offset"),
    _same("v", "u"),
    recordables(*_same("v", "u")),
    fixed={"v_thresh": 30.0},
)

#: hub model label -> PyNN standard cell type (ChipLIF has none)
TABLES: dict[str, PyNNModel] = {
    "LIF[synapse=exp]": _lif("IF_curr_exp", True),
    "LIF[synapse=alpha]": _lif("IF_curr_alpha", True),
    "LIF[synapse=delta]": _lif("IF_curr_delta", False),
    "LIFCond[synapse=exp]": _lif_cond("IF_cond_exp"),
    "LIFCond[synapse=alpha]": _lif_cond("IF_cond_alpha"),
    "AdEx[synapse=exp]": _adex("EIF_cond_exp_isfa_ista"),
    "AdEx[synapse=alpha]": _adex("EIF_cond_alpha_isfa_ista"),
    "HodgkinHuxley": _HH,
    "Izhikevich": _IZHIKEVICH,
}
