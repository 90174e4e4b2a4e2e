"""Learning rules on NEST: the native synapse models with translated parameters
(pure data and numpy; no NEST import).

| hub rule | NEST synapse model | on the postsynaptic neuron |
|---|---|---|
| ``STDP[pairing=all]`` | ``stdp_synapse`` | ``tau_minus`` |
| ``STDP[pairing=nearest_symmetric]`` | ``stdp_nn_symm_synapse`` | ``tau_minus`` |
| ``STDP[pairing=nearest_restricted]`` | ``stdp_nn_restr_synapse`` | ``tau_minus`` |
| ``TripletSTDP`` | ``stdp_triplet_synapse`` | ``tau_minus``, ``tau_minus_triplet`` |
| ``DopamineSTDP`` | ``stdp_dopamine_synapse`` + ``volume_transmitter`` | ``tau_minus`` |
| ``TsodyksMarkram`` | ``tsodyks2_synapse`` (``u = U``, ``x = 1`` set explicitly) | |
| ``VogelsSprekeler`` | ``vogels_sprekeler_synapse`` | ``tau_minus = tau`` |

STDP: ``lambda = A_plus``, ``alpha = A_minus / A_plus``, ``mu_plus``/``mu_minus`` from the weight
dependence, ``Wmax = w_max``.  Weight-valued parameters are scaled like the weights
(``NestModel.weight_scale``: nA -> pA, uS -> nS) and carry the sign NEST gives the weights
(negative on the inhibitory receptor), since NEST's rules act on magnitudes with the sign of
``Wmax``.  ``DopamineSTDP``: one volume transmitter per projection, fed by the modulator
population with delay ``modulator_delay``; its ``deliver_interval`` is longer than the run,
so (as in the hub's reference) synapses are updated only at presynaptic spikes.

NEST keeps the postsynaptic time constants on the neuron, so all plastic projections onto
one population must agree on them (else :class:`hub.CapabilityError`).

Rules written as statements (``CustomRule``) run as NESTML synapses compiled with the custom
neuron model they target (plugins/hub_nest/nestml_rules.py, plugins/hub_nest/custom.py);
the synapse keeps the weight's magnitude (hub weight x ``weight_scale``) and its own
postsynaptic traces, and transmits the weight with the receptor's sign.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from hub.errors import CapabilityError
from hub.ir.plasticity import STDP

#: every rule label the NEST backend runs
LABELS = tuple(
    [
        STDP(pairing=p, weight_dependence=w).label
        for p in STDP.options["pairing"]
        for w in STDP.options["weight_dependence"]
    ]
    + ["TripletSTDP", "DopamineSTDP", "TsodyksMarkram", "VogelsSprekeler"]
)

_STDP_MODELS = {
    "all": "stdp_synapse",
    "nearest_symmetric": "stdp_nn_symm_synapse",
    "nearest_restricted": "stdp_nn_restr_synapse",
}
#: readable synapse state: hub variable -> (NEST key, scaled like a weight)
STATE_KEYS = {"weight": ("weight", True), "c": ("c", True), "u": ("u", False), "x": ("x", False)}


@dataclass(frozen=True)
class NestRule:
    """How one hub rule kind runs on NEST (the shape of ``NestModel``): ``model(rule)`` the
    synapse model, ``defaults(p, rule, scale)`` its ``CopyModel`` parameters from the hub
    parameters ``p`` and the signed factor ``scale`` hub weight magnitude -> NEST weight, and
    ``post(p)`` the time constants NEST keeps on the postsynaptic neuron."""

    model: Callable[[Any], str]
    defaults: Callable[[dict, Any, float], dict]
    post: Callable[[dict], dict] = lambda p: {}


def _stdp_defaults(p, rule, scale):
    mu_plus, mu_minus = rule.rule.exponents()
    if p["A_plus"] == 0 and p["A_minus"] != 0:
        raise CapabilityError(
            "nest",
            [
                "STDP with A_plus = 0 and A_minus > 0 (NEST writes "
                "A_minus as alpha * lambda with lambda = A_plus)"
            ],
        )
    alpha = p["A_minus"] / p["A_plus"] if p["A_plus"] else 1.0
    return {
        "tau_plus": p["tau_plus"],
        "lambda": p["A_plus"],
        "alpha": alpha,
        "mu_plus": mu_plus,
        "mu_minus": mu_minus,
        "Wmax": p["w_max"] * scale,
    }


def _triplet_defaults(p, rule, scale):
    return {
        "tau_plus": p["tau_plus"],
        "tau_plus_triplet": p["tau_plus_triplet"],
        "Aplus": p["A_plus"] * abs(scale),
        "Aminus": p["A_minus"] * abs(scale),
        "Aplus_triplet": p["A_plus_triplet"] * abs(scale),
        "Aminus_triplet": p["A_minus_triplet"] * abs(scale),
        "Wmax": p["w_max"] * scale,
    }


def _dopamine_defaults(p, rule, scale):
    # NEST's weight is signed; magnitudes flip with a negative scale
    lo, hi = sorted((p["w_min"] * scale, p["w_max"] * scale))
    return {
        "A_plus": p["A_plus"] * scale,
        "A_minus": p["A_minus"] * scale,
        "tau_plus": p["tau_plus"],
        "tau_c": p["tau_c"],
        "tau_n": p["tau_n"],
        "b": p["b"],
        "Wmin": lo,
        "Wmax": hi,
    }


def _tau_minus(p):
    return {"tau_minus": p["tau_minus"]}


#: hub rule kind -> NEST translation
RULES: dict[str, NestRule] = {
    "STDP": NestRule(
        lambda rule: _STDP_MODELS[rule.rule.option_values["pairing"]], _stdp_defaults, _tau_minus
    ),
    "TripletSTDP": NestRule(
        lambda rule: "stdp_triplet_synapse",
        _triplet_defaults,
        lambda p: {"tau_minus": p["tau_minus"], "tau_minus_triplet": p["tau_minus_triplet"]},
    ),
    "DopamineSTDP": NestRule(lambda rule: "stdp_dopamine_synapse", _dopamine_defaults, _tau_minus),
    "TsodyksMarkram": NestRule(
        lambda rule: "tsodyks2_synapse",
        lambda p, rule, scale: {
            "U": p["U"],
            "u": p["U"],
            "x": 1.0,
            "tau_rec": p["tau_rec"],
            "tau_fac": p["tau_fac"],
        },
    ),
    "VogelsSprekeler": NestRule(
        lambda rule: "vogels_sprekeler_synapse",
        lambda p, rule, scale: {
            "tau": p["tau"],
            "eta": p["eta"] * abs(scale),
            "alpha": p["alpha"],
            "Wmax": p["w_max"] * scale,
        },
        lambda p: {"tau_minus": p["tau"]},
    ),
}


def synapse_model(rule) -> str:
    """The NEST synapse model of a resolved rule."""
    return RULES[rule.kind].model(rule)


def synapse_defaults(rule, scale: float) -> dict:
    """NEST defaults of the projection's synapse model (``CopyModel`` parameters); ``scale`` is
    the signed factor hub weight magnitude -> NEST weight (e.g. -1000 for an inhibitory
    current synapse).  The volume transmitter is added by the session."""
    return RULES[rule.kind].defaults(rule.params, rule, scale)


def neuron_parameters(rule) -> dict[str, float]:
    """The rule's postsynaptic time constants as NEST neuron parameters (none for a rule
    written as statements: its synapse keeps its postsynaptic traces)."""
    if rule.kind == "CustomRule":
        return {}
    return RULES[rule.kind].post(rule.params)


def custom_synapse(rule, table, magnitude_sign: float) -> tuple[str, dict]:
    """(NEST synapse model, ``CopyModel`` parameters) of a rule written as statements onto a
    custom model whose table is ``table``: the NESTML synapse paired with the model in its
    module (plugins/hub_nest/nestml_rules.py), the rule's parameters in working units with
    the weight-valued ones in NEST's weight unit (magnitudes), and the sign the transmitted
    weight carries (``magnitude_sign``: -1 on the inhibitory receptor)."""
    from hub.equations import rule_program

    from . import nestml_rules

    program = rule_program(rule.rule)
    values = nestml_rules.synapse_values(program, rule.params, table.weight_scale, magnitude_sign)
    return table.module.synapse(program.digest), values


def teacher_settings(volume_transmitter, delay_ms: float) -> dict:
    """``CopyModel`` parameters of a rule with a teacher (written as statements) for the
    postsynaptic neuron whose teacher feeds ``volume_transmitter`` with delay ``delay_ms``
    (plugins/hub_nest/nestml_rules.py)."""
    from . import nestml_rules

    return {"volume_transmitter": volume_transmitter, nestml_rules.VT_DELAY: float(delay_ms)}


def post_settings(projections) -> dict[str, dict[str, float]]:
    """Neuron parameters per postsynaptic population; a conflict is a CapabilityError."""
    out: dict[str, dict[str, float]] = {}
    for proj in projections:
        if proj.rule is None:
            continue
        have = out.setdefault(proj.post, {})
        for key, value in neuron_parameters(proj.rule).items():
            if key in have and have[key] != value:
                raise CapabilityError(
                    "nest",
                    [
                        f"plastic projections onto {proj.post!r} with different {key} "
                        f"({have[key]:g} and {value:g} ms): NEST keeps the postsynaptic trace on "
                        "the neuron, one time constant per neuron"
                    ],
                )
            have[key] = value
    return out
