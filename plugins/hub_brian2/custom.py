"""Custom neuron models (``hub.define_neuron``) on Brian2: the hub's statements as abstract code.

The table of a custom model is made from its :class:`hub.equations.NeuronProgram`: the
``update`` statements run in the slot ``groups``, the input and threshold statements after
the synapses, the reset statements in ``resets``; every variable (state, constants, buffers,
temporaries) is a per-neuron variable of the NeuronGroup.  One floating-point operation per
statement, so Brian2's code generators compute the hub's doubles (tier 1 against NEST, which
runs the same statements compiled by NESTML).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

import hub.equations as E
from hub.equations import dims
from hub.equations.program import FREE, REFRACTORY_COUNT, REFRACTORY_STEPS, THRESHOLD_FLAG

from .models import CUSTOM_TOLERANCE, B2Model, Context


def is_custom(label: str) -> bool:
    return label.startswith("Custom[")


def table(model) -> B2Model:
    """The Brian2 table of a custom neuron model (a ``CustomNeuron``).  The user's names are
    prefixed ``hub_u_`` in Brian2 (``cm`` is a Brian2 unit; the hub's own names start with
    ``hub_``, and the buffers and refractory variables keep theirs)."""
    program = E.program(model)
    keep = {*program.buffers.values(), THRESHOLD_FLAG, REFRACTORY_COUNT, REFRACTORY_STEPS, FREE}

    def b2(name):
        if not isinstance(name, str) or name in keep or name.startswith("hub_"):
            return name
        return f"hub_u_{name}"

    def params(p, init, ctx: Context):
        return {b2(k): v for k, v in program.values(p, init, ctx.h).items()}

    def reader(var):
        def read(values, params, idx):
            constants = {e: np.asarray(params[b2(e)])[idx][None, :] for e in program.shift.values()}
            return program.recorded(var, values, constants)

        return read

    def code(statements) -> str:
        renamed = [
            replace(st, target=b2(st.target), args=tuple(b2(a) for a in st.args))
            for st in statements
        ]
        return _code(renamed)

    if program.threshold_expr is not None:
        a, op, b = program.threshold_expr
        threshold = f"{b2(a)} {op} {b!r}" if isinstance(b, float) else f"{b2(a)} {op} {b2(b)}"
        checks = []
    else:
        threshold, checks = f"{THRESHOLD_FLAG}", program.threshold
    buffers = set(program.buffers.values())
    receptor = "single" if buffers == {"buf"} else "sign"
    if receptor == "sign" and model.input == "conductance":
        receptor = "conductance"
    how, factor = dims.to_working(program.weight_unit)
    return B2Model(
        label=model.label,
        nest_model=f"{program.name} (NESTML, the hub's statements)",
        variables={
            b2(n): ("integer" if t == "integer" else "boolean" if t == "boolean" else "float")
            for n, t in program.variables.items()
        },
        params=params,
        update=lambda ctx: code(program.update),
        inputs=code([*program.inputs, *checks]),
        threshold=threshold,
        reset=code(program.reset),
        receptor=receptor,
        weight_scale=factor if how == "mul" else 1.0 / factor,
        current_scale=1.0,
        record={var: (b2(var), reader(var)) for var in program.units},
        tolerance=CUSTOM_TOLERANCE,
        state=tuple(b2(n) for n in program.state),
        shifted={b2(v): b2(e) for v, e in program.shift.items()},
        integrator="; ".join(f"{v}: {s}" for v, s in program.scheme.items()),
    )


def _code(statements) -> str:
    return "\n".join(s.text() for s in statements) or "\n"


def tables_for(resolved) -> dict[str, B2Model]:
    """The tables of the custom models in ``resolved`` by label."""
    out = {}
    for pop in resolved.populations.values():
        if is_custom(pop.model.label) and pop.model.label not in out:
            out[pop.model.label] = table(pop.model)
    return out
