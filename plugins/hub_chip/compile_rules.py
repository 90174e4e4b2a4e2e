"""The hub's learning rules compiled to the learning engine's sum of products (rule.py).

Units: ``W`` is a synapse's weight mantissa magnitude (0 .. ``W_max``, one LSB = ``lsb``
hub weight units); a trace register reads ``x = I K`` (``I`` trace units per spike,
:func:`trace_impulse` of the option ``trace_impulse`` and the trace's time constant), so a
float trace ``K`` is ``x / I`` (each ``I`` below is the impulse of the trace it divides).
With the hub's rule book (docs/learning.md) in mantissa units:

* ``STDP`` (pairing ``all``): potentiation at a postsynaptic arrival (``y0``)
  ``A+ W_max (1 - W/W_max)^mu+ x1 / I``, depression at a presynaptic spike (``x0``)
  ``A- W_max (W/W_max)^mu- y1 / I``; for an integer mu the powers are products of the
  factors ``(w - W_max)`` and ``w``: additive (mu = 0) and multiplicative (mu = 1) compile,
  Guetig's non-integer mu does not;
* ``STDP`` (pairing ``nearest_symmetric``): the same products with saturating traces
  (impulse 127 = K 1: one spike fills the register, so it holds only the nearest spike)
  and the presynaptic trace full at step 0 (NEST starts with a presynaptic spike at t = 0);
* ``TripletSTDP``: ``y0 x1 (a2+ + a3+ y2 / I) / I - x0 y1 (a2- + a3- x2 / I) / I`` with the
  ``a`` in LSB (the postsynaptic ``y2`` and presynaptic ``x2`` are read before the step's
  own spikes, Pfister and Gerstner's ``t-``);
* ``VogelsSprekeler``: ``y0 eta x1 / I + x0 (eta y1 / I - alpha eta)`` (eta in LSB);
* ``CustomRule`` (a rule written as statements) of the product form
  (:mod:`hub.equations.rule_forms`: one ``w = clip(w + polynomial, 0, w_max)`` per event):
  each term ``c w^k prod K^p`` as ``c lsb^(k-1) W^k prod (x/I)^p``.

A rule without such a form raises :class:`CapabilityError` naming the term
(:data:`NO_FORM`).  A coefficient becomes up to three products with 4-bit mantissas
(:func:`split_scale`, about 8 significant bits); a term whose coefficient rounds to zero is
dropped and listed in the report.
"""

from __future__ import annotations

from hub.errors import CapabilityError

from .rule import TRACE_MAX, Factor, Product, ProductRule, TraceSpec, quantize_scale

MAX_TERMS = 3  # products per coefficient (split_scale)
REFERENCE_TAU = 20.0  # ms: the time constant at which a trace gets ``trace_impulse``

#: hub rule labels the engine runs through a compiled product rule
COMPILED = (
    "STDP[pairing=all,weight_dependence=additive]",
    "STDP[pairing=all,weight_dependence=multiplicative]",
    "STDP[pairing=nearest_symmetric,weight_dependence=additive]",
    "STDP[pairing=nearest_symmetric,weight_dependence=multiplicative]",
    "TripletSTDP",
    "VogelsSprekeler",
)

#: hub rules with no sum-of-products form, and the term that has none
NO_FORM = {
    **{
        f"STDP[pairing={pairing},weight_dependence=gutig]": (
            "(1 - w/w_max)^mu_plus and (w/w_max)^mu_minus are products of synapse variables "
            "only for integer mu: use weight_dependence='multiplicative' (mu = 1) or "
            "'additive' (mu = 0)"
        )
        for pairing in ("all", "nearest_symmetric")
    },
    **{
        f"STDP[pairing=nearest_restricted,weight_dependence={wd}]": (
            "the restriction to the first postsynaptic spike after a presynaptic one needs "
            "a per-synapse record of which spike came last, which no trace or tag holds"
        )
        for wd in ("additive", "multiplicative", "gutig")
    },
    "TsodyksMarkram": (
        "u and x change the transmitted efficacy at every presynaptic spike; the learning "
        "engine changes weights only between steps and has no per-synapse u, x"
    ),
}


def trace_impulse(impulse: int, tau: float) -> int:
    """Trace units per spike of a trace with time constant ``tau`` (ms): ``impulse`` at
    20 ms, scaled by 20 ms / tau (1 .. 127), so that every trace saturates at the same
    rate (127 / impulse spikes within 20 ms)."""
    return int(min(TRACE_MAX, max(1, round(impulse * REFERENCE_TAU / tau))))


def compile_rule(rule, w_max: int, lsb: float, impulse: int) -> ProductRule:
    """The product rule of ``rule`` (a resolved hub rule) for synapses whose ``w_max`` is
    mantissa ``w_max`` and whose LSB is ``lsb`` weight units."""
    label = rule.label
    if label in NO_FORM:
        raise CapabilityError("chip", [f"plasticity:{label}: {NO_FORM[label]}"])
    p, terms = rule.params, []
    if rule.kind == "STDP":
        pairing = rule.rule.option_values["pairing"]
        mu_plus, mu_minus = (int(m) for m in rule.rule.exponents())
        if pairing == "all":
            traces = {
                "x1": TraceSpec(p["tau_plus"], trace_impulse(impulse, p["tau_plus"])),
                "y1": TraceSpec(p["tau_minus"], trace_impulse(impulse, p["tau_minus"])),
            }
        else:  # one spike fills the register; the presynaptic one starts full
            traces = {
                "x1": TraceSpec(p["tau_plus"], TRACE_MAX, TRACE_MAX),
                "y1": TraceSpec(p["tau_minus"], TRACE_MAX),
            }
        i1, j1 = traces["x1"].impulse, traces["y1"].impulse
        # (1 - W/W_max)^mu = (-1)^mu (w - W_max)^mu / W_max^mu
        terms.append(
            (
                "y0",
                p["A_plus"] * w_max ** (1 - mu_plus) * (-1) ** mu_plus / i1,
                ("x1",) + ("w-max",) * mu_plus,
                "A_plus (1 - w/w_max)^mu_plus K_plus at a postsynaptic spike",
            )
        )
        terms.append(
            (
                "x0",
                -p["A_minus"] * w_max ** (1 - mu_minus) / j1,
                ("y1",) + ("w",) * mu_minus,
                "A_minus (w/w_max)^mu_minus K_minus at a presynaptic spike",
            )
        )
    elif rule.kind == "TripletSTDP":
        traces = {
            name: TraceSpec(p[tau], trace_impulse(impulse, p[tau]))
            for name, tau in (
                ("x1", "tau_plus"),
                ("x2", "tau_plus_triplet"),
                ("y1", "tau_minus"),
                ("y2", "tau_minus_triplet"),
            )
        }
        i1, i2, j1, j2 = (traces[k].impulse for k in ("x1", "x2", "y1", "y2"))
        terms += [
            ("y0", p["A_plus"] / lsb / i1, ("x1",), "A_plus r1 at a postsynaptic spike"),
            (
                "y0",
                p["A_plus_triplet"] / lsb / (i1 * j2),
                ("x1", "y2"),
                "A_plus_triplet r1 o2 at a postsynaptic spike",
            ),
            ("x0", -p["A_minus"] / lsb / j1, ("y1",), "A_minus o1 at a presynaptic spike"),
            (
                "x0",
                -p["A_minus_triplet"] / lsb / (j1 * i2),
                ("y1", "x2"),
                "A_minus_triplet o1 r2 at a presynaptic spike",
            ),
        ]
    elif rule.kind == "VogelsSprekeler":
        I = trace_impulse(impulse, p["tau"])  # noqa: E741
        eta = p["eta"] / lsb
        traces = {"x1": TraceSpec(p["tau"], I), "y1": TraceSpec(p["tau"], I)}
        terms += [
            ("y0", eta / I, ("x1",), "eta x_pre at a postsynaptic spike"),
            ("x0", eta / I, ("y1",), "eta x_post at a presynaptic spike"),
            ("x0", -p["alpha"] * eta, (), "alpha eta at a presynaptic spike"),
        ]
    elif rule.kind == "CustomRule":
        traces, terms = _custom_terms(rule, lsb, impulse)
    else:
        raise CapabilityError("chip", [f"plasticity:{label}: no learning-engine form"])
    products, dropped = [], []
    for dep, value, names, meaning in terms:
        scales = split_scale(value)
        if not scales and value:
            dropped.append(f"{meaning} ({value:.3g} LSB, below 2^-24)")
        factors = tuple(Factor("w", -w_max) if n == "w-max" else Factor(n) for n in names)
        products += [Product("w", dep, m, e, factors, meaning) for m, e in scales]
    return ProductRule(tuple(products), traces, tuple(dropped))


def custom_form(rule):
    """The product form (:func:`hub.equations.rule_forms.product_form`) of a rule written as
    statements, or a :class:`CapabilityError` naming what has none."""
    from hub.equations import rule_program
    from hub.equations.rule_forms import NoForm, product_form

    program = rule_program(rule.rule)
    try:
        return program, product_form(program)
    except NoForm as e:
        raise CapabilityError("chip", [f"plasticity:CustomRule ({program.name}: {e})"]) from None


def _custom_terms(rule, lsb: float, impulse: int):
    """A rule written as statements: its pre traces in x1, x2, its post traces in y1..y3,
    each term ``c w^k prod K^p`` as ``c lsb^(k-1) / prod I^p`` times ``W^k prod x^p`` (W the
    mantissa, x = I K the registers), at ``x0`` (on_pre) or ``y0`` (on_post)."""
    program, form = custom_form(rule)
    working = program.working(rule.params)
    taus = {**program.pre_traces, **program.post_traces}
    registers = {x: f"x{k}" for k, x in enumerate(form.pre_traces, 1)}
    registers.update({y: f"y{k}" for k, y in enumerate(form.post_traces, 1)})
    traces = {
        registers[t]: TraceSpec(working[taus[t]], trace_impulse(impulse, working[taus[t]]))
        for t in registers
    }
    terms = []
    for term in form.terms:
        value = term.value(working)
        names: tuple[str, ...] = ()
        for var, power in term.powers:
            if var == "w":
                value *= lsb ** (power - 1)
                names += ("w",) * power
            else:
                value /= traces[registers[var]].impulse ** power
                names += (registers[var],) * power
        if not any(v == "w" for v, _ in term.powers):
            value /= lsb
        dep = "x0" if term.event == "pre" else "y0"
        terms.append((dep, value, names, f"{term.text()} at a {term.event}synaptic spike"))
    return traces, terms


def split_scale(value: float) -> list[tuple[int, int]]:
    """``value`` as a sum of at most ``MAX_TERMS`` scales ``m 2^e`` (4-bit mantissas): terms
    are added while the remainder exceeds ``2^-8 |value|``.  One 4-bit mantissa is only
    good to about 3 %, which erases the 5 % asymmetry of A_minus / A_plus that Song, Miller
    and Abbott's rule lives on; two or three products with the same factors keep it."""
    out: list[tuple[int, int]] = []
    rest = value
    while len(out) < MAX_TERMS and rest and abs(rest) > abs(value) * 2.0**-8:
        m, e = quantize_scale(rest)
        if m == 0:
            break
        out.append((m, e))
        rest = value - sum(mm * 2.0**ee for mm, ee in out)
    return out
