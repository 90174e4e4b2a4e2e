"""PyNN's standard cell and synapse types, translated to the hub's models.

The hub's parameter names and units are PyNN's, so a translation is the identity for every
neuron model (``build_translations(("tau_m", "tau_m"), ...)``); the "native" parameters of
hub.pynn are the hub's.  The exceptions: ``SpikeSourcePoisson.duration`` becomes the hub's
``stop = start + duration`` and ``SpikeSourceArray.spike_times`` the hub's ``times``;
``TsodyksMarkramSynapse.tau_facil`` is the hub's ``tau_fac``.  Each cell type names the hub
model it becomes (``hub_model``: a PyNN alias known to :func:`hub.ir.neurons.model`), so the
defaults a script relies on are PyNN's: every parameter is passed to the hub explicitly.
Units: ms, mV, nA, uS, nF, Hz.
"""

from __future__ import annotations

import numpy as np
from pyNN import errors
from pyNN.standardmodels import build_translations, cells, synapses

from .errors import unsupported
from .renewal import RenewalSpikeSource
from .simulator import state


def identity_translations(model_class) -> dict:
    """Translations of a PyNN model whose parameters are the hub's, name for name."""
    return build_translations(*((name, name) for name in model_class.default_parameters))


def identity_type(base, module: str = __name__, **attributes) -> type:
    """``base`` (a PyNN standard model class) for hub.pynn, defined in ``module``: its own
    name and docstring, the identity translations, and ``attributes`` (e.g. ``hub_model``,
    the hub model it becomes)."""
    namespace = {"__doc__": base.__doc__, "__module__": module}
    namespace.update(translations=identity_translations(base), **attributes)
    return type(base.__name__, (base,), namespace)


def _cell_type(base, **attributes) -> type:
    """A standard cell type that becomes the hub model of the same PyNN name."""
    return identity_type(base, hub_model=base.__name__, **attributes)


# --- neurons ---------------------------------------------------------------------------------
IF_curr_exp = _cell_type(cells.IF_curr_exp)  # hub.LIF(synapse="exp")
IF_curr_alpha = _cell_type(cells.IF_curr_alpha)  # hub.LIF(synapse="alpha")
IF_curr_delta = _cell_type(cells.IF_curr_delta)  # hub.LIF(synapse="delta"); weights in mV
IF_cond_exp = _cell_type(cells.IF_cond_exp)  # hub.LIFCond(synapse="exp")
IF_cond_alpha = _cell_type(cells.IF_cond_alpha)  # hub.LIFCond(synapse="alpha")
Izhikevich = _cell_type(cells.Izhikevich)  # weights in mV; v_thresh 30 mV (NEST's V_th)
EIF_cond_exp_isfa_ista = _cell_type(cells.EIF_cond_exp_isfa_ista)  # hub.AdEx(synapse="exp")
EIF_cond_alpha_isfa_ista = _cell_type(cells.EIF_cond_alpha_isfa_ista)  # hub.AdEx(synapse="alpha")
# hub.HodgkinHuxley; tau_refrac 2 ms (NEST's t_ref); gap junctions have no hub counterpart
HH_cond_exp = _cell_type(cells.HH_cond_exp, receptor_types=("excitatory", "inhibitory"))


# --- spike sources -----------------------------------------------------------------------------
class SpikeSourcePoisson(cells.SpikeSourcePoisson):
    __doc__ = cells.SpikeSourcePoisson.__doc__
    translations = build_translations(
        ("rate", "rate"),
        ("start", "start"),
        ("duration", "stop", "start+duration", "stop-start"),
    )
    hub_model = "PoissonSource"  # drawn in the hub from the network seed


class SpikeSourceArray(cells.SpikeSourceArray):
    __doc__ = cells.SpikeSourceArray.__doc__
    translations = build_translations(("spike_times", "times"))
    hub_model = "SpikeTimes"  # time t is stamped round(t/dt)


class SpikeSourceGamma(RenewalSpikeSource, cells.SpikeSourceGamma):
    __doc__ = cells.SpikeSourceGamma.__doc__
    translations = build_translations(
        ("alpha", "alpha"),
        ("beta", "beta"),
        ("start", "start"),
        ("duration", "stop", "start+duration", "stop-start"),
    )

    @staticmethod
    def isi(rng, params, n):
        """Gamma intervals: shape alpha, scale 1000/beta ms."""
        if params["beta"] <= 0:
            return np.full(n, np.inf)
        return rng.gamma(params["alpha"], 1000.0 / params["beta"], n)


class SpikeSourcePoissonRefractory(RenewalSpikeSource, cells.SpikeSourcePoissonRefractory):
    __doc__ = cells.SpikeSourcePoissonRefractory.__doc__
    translations = build_translations(
        ("rate", "rate"),
        ("tau_refrac", "tau_refrac"),
        ("start", "start"),
        ("duration", "stop", "start+duration", "stop-start"),
    )

    @staticmethod
    def isi(rng, params, n):
        """tau_refrac plus an exponential interval of mean 1000/rate - tau_refrac ms."""
        rate, dead = params["rate"], params["tau_refrac"]
        if rate <= 0:
            return np.full(n, np.inf)
        if 1000.0 / rate <= dead:
            raise errors.InvalidParameterValueError(
                f"SpikeSourcePoissonRefractory: rate {rate} Hz with tau_refrac {dead} ms: "
                "the mean interval 1000/rate must exceed the dead time"
            )
        return dead + rng.exponential(1000.0 / rate - dead, n)


# --- synapses ----------------------------------------------------------------------------------
class _MinimumDelay:
    """PyNN's default delay (``delay=None``) is the minimum delay: ``min_delay``, or one
    time step when it is ``'auto'``."""

    def _get_minimum_delay(self):
        return state.min_delay


class StaticSynapse(_MinimumDelay, synapses.StaticSynapse):
    __doc__ = synapses.StaticSynapse.__doc__
    translations = build_translations(("weight", "weight"), ("delay", "delay"))


class TsodyksMarkramSynapse(_MinimumDelay, synapses.TsodyksMarkramSynapse):
    __doc__ = synapses.TsodyksMarkramSynapse.__doc__
    translations = build_translations(
        ("weight", "weight"),
        ("delay", "delay"),
        ("U", "U"),
        ("tau_rec", "tau_rec"),
        ("tau_facil", "tau_fac"),
    )
    hub_rule = "TsodyksMarkram"  # NEST tsodyks2_synapse (pyNN.nest uses tsodyks_synapse)


class STDPMechanism(_MinimumDelay, synapses.STDPMechanism):
    """PyNN's STDP mechanism on the hub's ``hub.STDP`` rule (NEST ``stdp_synapse``
    semantics, docs/learning.md): every delay is dendritic, the lower weight bound is 0."""

    base_translations = build_translations(
        ("weight", "weight"),
        ("delay", "delay"),
        ("dendritic_delay_fraction", "dendritic_delay_fraction"),
    )

    def __init__(
        self,
        timing_dependence=None,
        weight_dependence=None,
        voltage_dependence=None,
        dendritic_delay_fraction=1.0,
        weight=0.0,
        delay=None,
    ):
        if dendritic_delay_fraction != 1:
            raise unsupported(
                f"STDPMechanism(dendritic_delay_fraction={dendritic_delay_fraction!r})",
                "the hub's STDP treats the whole delay as dendritic (NEST's convention)",
                "use dendritic_delay_fraction=1.0",
            )
        if voltage_dependence is not None:
            raise unsupported(
                f"STDPMechanism(voltage_dependence={voltage_dependence!r})",
                "the hub has no voltage-dependent STDP",
                "leave voltage_dependence=None",
            )
        for part, kind in ((timing_dependence, "timing"), (weight_dependence, "weight")):
            if not hasattr(part, "hub_rule_values"):
                raise unsupported(
                    f"STDPMechanism({kind}_dependence={type(part).__name__})",
                    f"no hub counterpart for this {kind} dependence",
                    "use SpikePairRule with AdditiveWeightDependence, "
                    "MultiplicativeWeightDependence, GutigWeightDependence or "
                    "AdditivePotentiationMultiplicativeDepression",
                )
        super().__init__(
            timing_dependence,
            weight_dependence,
            voltage_dependence,
            dendritic_delay_fraction,
            weight,
            delay,
        )

    hub_rule = "STDP"


class _WeightDependence:
    """w_min and w_max (the target's weight unit); the hub's lower bound is always 0."""

    translations = build_translations(("w_max", "w_max"), ("w_min", "w_min"))
    #: the hub's STDP(weight_dependence=...) and the exponents it implies
    hub_weight_dependence: tuple[str, dict] = ("additive", {})

    def __init__(self, w_min=0.0, w_max=1.0, **exponents):
        if w_min != 0:
            raise unsupported(
                f"{type(self).__name__}(w_min={w_min!r})",
                "the hub's STDP bounds weights to [0, w_max] (NEST's stdp_synapse)",
                "use w_min=0.0",
            )
        super().__init__(w_min=w_min, w_max=w_max, **exponents)

    @staticmethod
    def hub_rule_values(native: dict) -> dict:
        """The hub STDP parameters of this weight dependence (``w_min`` is checked)."""
        return {"w_max": native["w_max"]}


class AdditiveWeightDependence(_WeightDependence, synapses.AdditiveWeightDependence):
    __doc__ = synapses.AdditiveWeightDependence.__doc__


class MultiplicativeWeightDependence(_WeightDependence, synapses.MultiplicativeWeightDependence):
    __doc__ = synapses.MultiplicativeWeightDependence.__doc__
    hub_weight_dependence = ("multiplicative", {})


class AdditivePotentiationMultiplicativeDepression(
    _WeightDependence, synapses.AdditivePotentiationMultiplicativeDepression
):
    __doc__ = synapses.AdditivePotentiationMultiplicativeDepression.__doc__
    hub_weight_dependence = ("gutig", {"mu_plus": 0.0, "mu_minus": 1.0})


class GutigWeightDependence(_WeightDependence, synapses.GutigWeightDependence):
    __doc__ = synapses.GutigWeightDependence.__doc__
    translations = build_translations(
        ("w_max", "w_max"), ("w_min", "w_min"), ("mu_plus", "mu_plus"), ("mu_minus", "mu_minus")
    )
    hub_weight_dependence = ("gutig", {})

    @staticmethod
    def hub_rule_values(native: dict) -> dict:
        return {k: native[k] for k in ("w_max", "mu_plus", "mu_minus")}


class SpikePairRule(synapses.SpikePairRule):
    __doc__ = synapses.SpikePairRule.__doc__
    translations = build_translations(
        ("tau_plus", "tau_plus"),
        ("tau_minus", "tau_minus"),
        ("A_plus", "A_plus"),
        ("A_minus", "A_minus"),
    )

    @staticmethod
    def hub_rule_values(native: dict) -> dict:
        """All-to-all pairing (NEST ``stdp_synapse``)."""
        return {k: native[k] for k in ("tau_plus", "tau_minus", "A_plus", "A_minus")}


__all__ = [
    "IF_curr_exp",
    "IF_curr_alpha",
    "IF_curr_delta",
    "IF_cond_exp",
    "IF_cond_alpha",
    "Izhikevich",
    "EIF_cond_exp_isfa_ista",
    "EIF_cond_alpha_isfa_ista",
    "HH_cond_exp",
    "SpikeSourcePoisson",
    "SpikeSourceArray",
    "SpikeSourceGamma",
    "SpikeSourcePoissonRefractory",
    "StaticSynapse",
    "TsodyksMarkramSynapse",
    "STDPMechanism",
    "AdditiveWeightDependence",
    "MultiplicativeWeightDependence",
    "AdditivePotentiationMultiplicativeDepression",
    "GutigWeightDependence",
    "SpikePairRule",
]
