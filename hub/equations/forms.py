"""Which built-in model a custom neuron model is, when it is one: the form a backend with a
fixed set of neuron dynamics (the chip's compartment) can run.

A custom model has the **LIF form** when the hub found (:mod:`hub.equations.numerics`) one
leaky variable V (``dV/dt = (E - V)/tau_m + (sum of decays)/C + drive/C``), fed by exponential
decays ``dI/dt = -I/tau`` on which the receptors add their weights (or receptors that add to V
directly: the delta form), a threshold ``V >= <parameters>``, a reset ``V = <parameters>`` and
refractoriness of V only.  Then it is ``hub.LIF`` with the parameters :func:`lif_parameters`
computes; otherwise :class:`NoForm` names the first term that does not fit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy

from . import dims
from .numerics import evaluate_sympy
from .program import NeuronProgram


class NoForm(ValueError):
    """The model has no LIF form; the message names the term."""


@dataclass(frozen=True)
class LifForm:
    synapse: str  # "exp" | "delta"
    v: str  # the leaky variable
    exc: str | None  # the decay the excitatory receptor feeds (exp)
    inh: str | None


def lif_form(program: NeuronProgram) -> LifForm:
    """The LIF form of ``program``, or :class:`NoForm` naming what does not fit."""
    s = program.structure
    for var, info in s.items():
        if info["kind"] == "euler":
            raise NoForm(
                f"d{var}/dt has the term {_show(info['nonlinear'][0])}, integrated by "
                "forward Euler: not a linear leak"
            )
        if info["kind"] == "matrix":
            raise NoForm(f"d{var}/dt is linear but not a decay or a leak fed by decays")
    leaky = [v for v, info in s.items() if info["kind"] == "leaky"]
    if len(leaky) != 1:
        raise NoForm(f"{len(leaky)} leaky variables ({', '.join(leaky) or 'none'}); one is needed")
    v = leaky[0]
    info = s[v]
    caps = {sympy.fraction(c)[1] for c in info["coupling"].values()}
    caps |= {sympy.fraction(c)[1] for c, _ in info["drives"]}
    numerators = {sympy.fraction(c)[0] for c in info["coupling"].values()}
    numerators |= {sympy.fraction(c)[0] for c, _ in info["drives"]}
    if len(caps) > 1 or numerators - {1}:
        terms = [f"{y}*({c})" for y, c in info["coupling"].items()]
        raise NoForm(f"d{v}/dt couples {', '.join(terms)}: not one capacitance 1/C")
    if len(info["drives"]) > 1 or any(len(q) > 1 for _, q in info["drives"]):
        raise NoForm(f"d{v}/dt has more than one constant drive")
    if len(info["rest"]) > 1:
        raise NoForm(f"d{v}/dt has a resting value of several terms {info['rest']}")
    if program.held - {v}:
        raise NoForm(f"{', '.join(sorted(program.held - {v}))} held while refractory")
    if program.threshold_expr is None or program.threshold_expr[:2] != (v, ">="):
        raise NoForm(f"the threshold is not '{v} >= <parameters>'")
    resets = [st for st in program.reset if st.target != "refr_count"]
    if len(resets) != 1 or resets[0].target != v or resets[0].op != "copy":
        raise NoForm(f"the reset is not '{v} = <parameters>'")
    targets = {}
    for receptor, buf in program.buffers.items():
        adds = [st for st in program.inputs if buf in st.args]
        if len(adds) != 1 or adds[0].op != "+":
            raise NoForm(f"the {receptor} receptor's weight is scaled")
        var = next(st.target for st in program.inputs if adds[0].target in st.args)
        targets[receptor] = var
    if set(targets.values()) == {v}:
        return LifForm("delta", v, None, None)
    exc, inh = targets.get("excitatory"), targets.get("inhibitory")
    for var in (exc, inh):
        if var is not None and (s[var]["kind"] != "decay" or var not in info["coupling"]):
            raise NoForm(f"a receptor adds to {var}, which is not a decay feeding {v}")
    if set(s) - {v, exc, inh}:
        raise NoForm(f"the state {sorted(set(s) - {v, exc, inh})} has no place in a LIF")
    return LifForm("exp", v, exc, inh)


def _show(term: str) -> str:
    try:
        return str(sympy.sympify(term).evalf(6)).replace(".00000", "")
    except (sympy.SympifyError, TypeError):
        return term


def lif_parameters(program: NeuronProgram, form: LifForm, params: dict, initial: dict):
    """``hub.LIF`` parameters and initial values (hub units: nF, ms, mV, nA) per neuron for a
    population of the custom model with resolved ``params`` and ``initial`` (declared units)."""
    working = {
        k: dims.convert_to_working(np.asarray(a, float), program.param_units[k])
        for k, a in params.items()
    }
    c = program.constant_values(working, 0.1)
    n = len(next(iter(params.values())))
    info = program.structure[form.v]

    def each(expr):
        names = sorted(working)
        return np.array(
            [evaluate_sympy(expr, {k: float(working[k][i]) for k in names}) for i in range(n)]
        )

    zero = np.zeros(n)
    rest = each(info["rest"][0]) if info["rest"] else zero
    den = next(iter({sympy.fraction(x)[1] for x in info["coupling"].values()}), None)
    if den is None and info["drives"]:
        den = sympy.fraction(info["drives"][0][0])[1]
    cm = each(den) / 1000.0 if den is not None else np.full(n, 1.0)  # pF -> nF
    drive = each(info["drives"][0][1][0]) / 1000.0 if info["drives"] else zero  # pA -> nA
    theta, reset = c[program.threshold_expr[2]], c[program.reset[0].args[0]]
    out = {
        "cm": cm,
        "tau_m": each(info["tau"]),
        "v_rest": rest,
        "v_thresh": theta + rest if form.v in program.shift else theta,
        "v_reset": reset + rest if form.v in program.shift else reset,
        "tau_refrac": _refractory_ms(program, params, n),
        "i_offset": drive,
    }
    for key, var in (("tau_syn_E", form.exc), ("tau_syn_I", form.inh or form.exc)):
        out[key] = each(program.structure[var]["tau"]) if var else np.full(n, 5.0)
    init = {"v": np.asarray(initial[form.v], float)}
    if form.synapse == "exp":
        init["isyn_exc"] = _current(program, form.exc, initial, n)
        init["isyn_inh"] = _current(program, form.inh, initial, n) if form.inh != form.exc else zero
    return out, init


def _current(program, var, initial, n):
    if var is None:
        return np.zeros(n)
    value = dims.convert_to_working(np.asarray(initial[var], float), program.units[var])
    return np.broadcast_to(value / 1000.0, (n,)).copy()  # pA -> nA


def _refractory_ms(program, params, n):
    if program.refractory_param:
        return np.asarray(params[program.refractory_param], float)
    return np.full(n, program.refractory_ms or 0.0)


__all__ = ["LifForm", "NoForm", "lif_form", "lif_parameters"]
