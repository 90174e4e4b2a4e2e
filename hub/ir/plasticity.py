"""Learning rules: each declared once, with parameters, units, defaults
and equations.  A rule is pure data; ``hub.Plastic(rule, weight, delay)`` puts it on a
projection.  The semantics are NEST's published synapse models, written out in
``hub.plasticity.reference`` (docs/learning.md has the full rule book).

Timing, common to every spike-timing rule (NEST's convention):

* a presynaptic spike stamped ``s`` is seen by the synapse at ``t_pre = s dt`` (no axonal
  delay); a postsynaptic spike stamped ``r`` reaches the synapse at ``r dt + d`` (the
  whole delay ``d = D dt`` is dendritic), and the transmitted weight reaches the target
  at ``t_pre + d``;
* the weight changes only when a presynaptic spike is processed: first the potentiation by
  every postsynaptic spike that reached the synapse since the previous presynaptic spike
  (``t_prev < r dt + d <= t_pre``), in order, then the depression by the new presynaptic
  spike (with the postsynaptic trace of spikes that arrived *strictly* before ``t_pre``);
* a weight read at time T is the weight after the last presynaptic spike stamped <= T;
* a presynaptic spike of multiplicity m (several source spikes in one step) is m
  presynaptic spikes at the same time: m updates, m trace increments, each transmitting
  the weight after its own update.

Weights and the weight-valued parameters (unit ``weight``: the target's weight unit, nA,
uS or mV) are magnitudes: the rule acts on ``|w|`` and the receptor gives the sign
(inhibitory current-based weights stay <= 0).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from .declared import Declared, Param
from .node import build, register

#: the unit that stands for the target's weight unit (nA, uS or mV; see NeuronModel.weight_unit)
WEIGHT = "weight"


class Rule(Declared):
    """Base class.  Subclasses declare ``kind``, ``parameters``, ``options``, the per-synapse
    ``state`` they expose (name -> unit) and their equations (class docstring)."""

    state: ClassVar[dict[str, str]] = {"weight": WEIGHT}
    #: parameters that live on the postsynaptic neuron in NEST (one value per neuron)
    post_parameters: ClassVar[tuple[str, ...]] = ()
    #: label of the population whose spikes modulate the rule (``DopamineSTDP``), else None
    modulator: str | None = None
    #: delay (ms) of the modulating spikes (``DopamineSTDP``; None: one step)
    modulator_delay = None

    @property
    def capability_key(self) -> str:
        """This rule's key in a backend's Capabilities (``plasticity:<key>``): its label;
        ``CustomRule`` for every rule written as statements."""
        return self.label


class STDP(Rule):
    """Pair-based spike-timing-dependent plasticity (NEST ``stdp_synapse``,
    ``stdp_nn_symm_synapse``, ``stdp_nn_restr_synapse``; Guetig et al. 2003).

    With ``x = |w| / w_max``, at each postsynaptic spike reaching the synapse (potentiation)
    and at each presynaptic spike (depression):

        x <- min(1, x + A_plus  (1 - x)^mu_plus  K_plus)
        x <- max(0, x - A_minus x^mu_minus        K_minus)

    ``weight_dependence``: ``additive`` (mu_plus = mu_minus = 0), ``multiplicative``
    (mu = 1, van Rossum 2000), ``gutig`` (the given mu_plus, mu_minus).
    ``pairing`` decides the traces:

    * ``all`` (all-to-all): ``K_plus = sum_pre exp(-(t - t_pre)/tau_plus)`` over earlier
      presynaptic spikes, ``K_minus = sum_post exp(-(t - t_post)/tau_minus)``;
    * ``nearest_symmetric``: each trace counts only the nearest earlier spike
      (``K = exp(-dt_nearest/tau)``), every spike pairs with its nearest neighbour;
    * ``nearest_restricted``: a presynaptic spike is depressed by the nearest earlier
      postsynaptic spike only if a postsynaptic spike arrived since the previous presynaptic
      spike, and only the first postsynaptic spike after a presynaptic one is potentiated.

    NEST starts the nearest-neighbour rules with a presynaptic spike at t = 0 (its
    ``t_lastspike`` is 0), which potentiates the first postsynaptic spikes; the hub keeps
    that.  Units: tau ms, A dimensionless (relative to w_max), w_max in the weight unit.
    """

    kind = "STDP"
    parameters = (
        Param("tau_plus", "ms", 20.0, "presynaptic trace time constant", "positive"),
        Param("tau_minus", "ms", 20.0, "postsynaptic trace time constant", "positive"),
        Param("A_plus", "1", 0.01, "potentiation step, relative to w_max", "nonneg"),
        Param("A_minus", "1", 0.01, "depression step, relative to w_max", "nonneg"),
        Param("w_max", WEIGHT, 1.0, "upper weight bound (the lower bound is 0)", "positive"),
        Param("mu_plus", "1", 0.4, "potentiation exponent (weight_dependence='gutig')", "nonneg"),
        Param("mu_minus", "1", 0.4, "depression exponent (weight_dependence='gutig')", "nonneg"),
    )
    options = {
        "pairing": ("all", "nearest_symmetric", "nearest_restricted"),
        "weight_dependence": ("additive", "multiplicative", "gutig"),
    }
    post_parameters = ("tau_minus",)

    def exponents(self) -> tuple[float, float]:
        """(mu_plus, mu_minus) of the chosen weight dependence."""
        wd = self.option_values["weight_dependence"]
        if wd == "additive":
            return 0.0, 0.0
        if wd == "multiplicative":
            return 1.0, 1.0
        return float(self.value("mu_plus")), float(self.value("mu_minus"))


class TripletSTDP(Rule):
    """Triplet STDP, all-to-all (Pfister and Gerstner 2006; NEST ``stdp_triplet_synapse``).

    Traces (each +1 at its own spikes): presynaptic ``r1`` (tau_plus), ``r2``
    (tau_plus_triplet); postsynaptic ``o1`` (tau_minus), ``o2`` (tau_minus_triplet).

        at a postsynaptic spike:  |w| <- min(w_max, |w| + r1 (A_plus + A_plus_triplet o2(t-)))
        at a presynaptic spike:   |w| <- max(0,     |w| - o1 (A_minus + A_minus_triplet r2(t-)))

    where ``(t-)`` is the trace just before the spike's own increment.  Units: tau ms, A in
    the weight unit.  Defaults: Pfister and Gerstner's visual-cortex fit (as NEST).
    """

    kind = "TripletSTDP"
    parameters = (
        Param("tau_plus", "ms", 16.8, "pair presynaptic trace time constant", "positive"),
        Param(
            "tau_plus_triplet", "ms", 101.0, "triplet presynaptic trace time constant", "positive"
        ),
        Param("tau_minus", "ms", 33.7, "pair postsynaptic trace time constant", "positive"),
        Param(
            "tau_minus_triplet", "ms", 125.0, "triplet postsynaptic trace time constant", "positive"
        ),
        Param("A_plus", WEIGHT, 5e-10, "pair potentiation amplitude", "nonneg"),
        Param("A_minus", WEIGHT, 7e-3, "pair depression amplitude", "nonneg"),
        Param("A_plus_triplet", WEIGHT, 6.2e-3, "triplet potentiation amplitude", "nonneg"),
        Param("A_minus_triplet", WEIGHT, 2.3e-4, "triplet depression amplitude", "nonneg"),
        Param("w_max", WEIGHT, 1.0, "upper weight bound (the lower bound is 0)", "positive"),
    )
    post_parameters = ("tau_minus", "tau_minus_triplet")


class DopamineSTDP(Rule):
    """Reward-modulated STDP with a dopamine signal (Izhikevich 2007; Potjans et al. 2010;
    NEST ``stdp_dopamine_synapse`` with a ``volume_transmitter``).

    An eligibility trace c collects STDP pairings, and a dopamine trace n collects the spikes
    of the population ``modulator`` (arriving ``modulator_delay`` ms after they are emitted,
    summed over all its neurons):

        dc/dt = -c/tau_c + A_plus K_plus(t) sum_post delta(t - t_post)
                         - A_minus K_minus(t) sum_pre delta(t - t_pre)
        dn/dt = -n/tau_n + sum_dopa delta(t - t_d) / tau_n
        dw/dt = c (n - b),   clipped to [w_min, w_max] at each update

    K_plus, K_minus as in all-to-all :class:`STDP` (tau_plus, tau_minus).  Between events w is
    integrated exactly, ``w += c0 [n0/T (1 - exp(-T dt)) - b tau_c (1 - exp(-dt/tau_c))]``
    with ``T = 1/tau_c + 1/tau_n``; as in NEST, w (and c, n) are brought up to date only when
    a presynaptic spike is processed, segment by segment (postsynaptic and dopamine spikes in
    between), and clipped at the end of each segment.
    Units: tau ms, A and w in the weight unit, b in 1/ms (n is in 1/ms).  Defaults are NEST's.
    Readable state: ``weight`` and the eligibility ``c`` (at the last presynaptic spike).
    """

    kind = "DopamineSTDP"
    parameters = (
        Param("tau_plus", "ms", 20.0, "presynaptic trace time constant", "positive"),
        Param("tau_minus", "ms", 20.0, "postsynaptic trace time constant", "positive"),
        Param(
            "A_plus", WEIGHT, 1.0, "eligibility increment per pairing (post after pre)", "nonneg"
        ),
        Param(
            "A_minus", WEIGHT, 1.5, "eligibility decrement per pairing (pre after post)", "nonneg"
        ),
        Param("tau_c", "ms", 1000.0, "eligibility trace time constant", "positive"),
        Param("tau_n", "ms", 200.0, "dopamine trace time constant", "positive"),
        Param("b", "1/ms", 0.0, "dopamine baseline"),
        Param("w_min", WEIGHT, 0.0, "lower weight bound", "nonneg"),
        Param("w_max", WEIGHT, 200.0, "upper weight bound", "positive"),
    )
    state = {"weight": WEIGHT, "c": WEIGHT}
    post_parameters = ("tau_minus",)

    arguments = ("modulator", "modulator_delay")

    def __init__(self, modulator=None, modulator_delay=None, **values):
        """``modulator``: the dopamine population (or its label); ``modulator_delay``: ms."""
        super().__init__(**values)
        self.modulator = getattr(modulator, "label", modulator)  # a Population or its label
        self.modulator_delay = modulator_delay


class TsodyksMarkram(Rule):
    """Short-term depression and facilitation (Tsodyks and Markram 1997, Maass and Markram
    2002; NEST ``tsodyks2_synapse``).  The weight w is fixed; a presynaptic spike transmits
    ``w u x``, with u and x updated *before* transmission from the interval h since the
    previous presynaptic spike (not at the first spike):

        x <- 1 + (x - x u - 1) exp(-h/tau_rec)
        u <- U + u (1 - U) exp(-h/tau_fac)        (tau_fac = 0: u <- U)

    Initially u = U and x = 1.  Units: tau ms, U dimensionless.
    """

    kind = "TsodyksMarkram"
    parameters = (
        Param("U", "1", 0.5, "utilisation increment (and initial u)", "nonneg"),
        Param("tau_rec", "ms", 800.0, "recovery time constant", "positive"),
        Param("tau_fac", "ms", 0.0, "facilitation time constant (0: none)", "nonneg"),
    )
    state = {"weight": WEIGHT, "u": "1", "x": "1"}


class VogelsSprekeler(Rule):
    """Inhibitory spike-timing-dependent plasticity (Vogels, Sprekeler et al. 2011; NEST
    ``vogels_sprekeler_synapse``): a symmetric window that drives the postsynaptic rate to
    ``rho0 = alpha / (2 tau)`` (alpha dimensionless, tau in ms: rho0 in 1/ms).

        at a postsynaptic spike:  |w| <- min(w_max, |w| + eta x_pre)
        at a presynaptic spike:   |w| <- min(w_max, |w| + eta x_post);
                                  |w| <- max(0, |w| - alpha eta)

    with traces ``x = sum exp(-(t - t_k)/tau)`` over earlier spikes (both sides use tau).
    Units: tau ms, eta and w_max in the weight unit.  Defaults are NEST's.
    """

    kind = "VogelsSprekeler"
    parameters = (
        Param("tau", "ms", 20.0, "time constant of both traces", "positive"),
        Param("eta", WEIGHT, 0.001, "learning rate", "nonneg"),
        Param("alpha", "1", 0.12, "depression per presynaptic spike, relative to eta", "nonneg"),
        Param("w_max", WEIGHT, 1.0, "upper weight bound (the lower bound is 0)", "positive"),
    )
    post_parameters = ("tau",)


RULES: dict[str, type[Rule]] = register(
    STDP, TripletSTDP, DopamineSTDP, TsodyksMarkram, VogelsSprekeler
)


def state_unit(rule: Rule, variable: str, weight_unit: str) -> str:
    """The unit of a rule's state variable on a target whose weights are in ``weight_unit``."""
    unit = rule.state[variable]
    return weight_unit if unit == WEIGHT else unit


def rule_from_dict(d: Mapping, arrays=None, extra_kinds: Mapping[str, type] | None = None) -> Rule:
    """The rule written as ``d`` (``Rule.to_dict``); ``arrays`` is the file's array table,
    ``extra_kinds`` adds rules from outside hub (kind -> class)."""
    return build(d, Rule, arrays, extra_kinds, "rule")
