"""A custom neuron model's statements (:class:`hub.equations.NeuronProgram`) as NESTML text.

The model NEST runs is the hub's program written out, one floating-point operation per
line, with every number NESTML could get in the way of kept outside it:

* ``state``: the program's state variables (working units, stored form: a variable kept
  relative to a constant is stored relative to it, as the hub stores it);
* ``parameters``: the program's constants, computed by the hub per neuron and set on every
  node (``real``, or ``integer`` for step counts);
* no ``equations`` block and no physical units: every variable is ``real``, ``integer`` or
  ``boolean``, so NESTML solves nothing and converts nothing;
* ``update``: the program's update statements, then its input statements with each
  receptor's buffer read from a spike port (the step's summed weights) and its zeroing
  dropped, then the threshold test whose body is the reset statements and ``emit_spike()``.

Temporaries are declared at the top of ``update`` (``real``, ``integer`` or ``boolean``) and
assigned afterwards, so a statement is an assignment of one operation wherever it stands.
``sel(c, a, b)`` is NESTML's ``c ? a : b``, ``int(c)`` of a boolean ``c ? 1 : 0``, ``log``
NESTML's ``ln``.

Spike ports: NESTML types a spike port as 1/s and multiplies each read by 0.001 in the
generated C++; the model reads ``port * 1 s`` and :mod:`hub_nest.modules` removes both
factors from the C++ before compiling (else the weights pick up a rounding).  A model whose
receptors share one buffer has one port (``spikes``); otherwise the ports are qualified
``excitatory`` and ``inhibitory``, which makes NEST sort each weight by its sign on
receptor 0 (as its own models do) and hand the inhibitory port the weight's magnitude: for
current and voltage weights (negative on the inhibitory receptor) the model negates it back.
"""

from __future__ import annotations

import re

from hub.equations.program import THRESHOLD_FLAG, NeuronProgram, Stmt

#: spike ports (names the hub's programs never use: theirs start with a letter and have no
#: leading ``hub_port``)
PORT_SINGLE = "hub_port_spikes"
PORT_EX = "hub_port_exc"
PORT_IN = "hub_port_inh"

#: names NESTML or the generated C++ give a meaning of their own: a program variable with one
#: of these names is renamed ``hub_n_<name>`` in the model (the tables map it back)
RESERVED = frozenset(
    """
    model neuron synapse state parameters internals equations input output update function
    return if elif else for while in step and or not recordable inline kernel spike
    continuous excitatory inhibitory integer real string boolean void true false True False
    onReceive onCondition emit_spike resolution timestep steps print println exp ln log10
    cos sin tan cosh sinh tanh erf erfc info warning random_normal random_poisson
    random_uniform expm1 clip pow max min abs ceil floor round delta integrate_odes convolve
    e t inf pi
    alignas alignof asm auto bool break case catch char class const constexpr const_cast
    continue decltype default delete do double dynamic_cast enum explicit export extern float
    friend goto int long mutable namespace new noexcept nullptr operator private protected
    public register reinterpret_cast short signed sizeof static static_assert static_cast
    struct switch template this thread_local throw try typedef typeid typename union unsigned
    using virtual volatile wchar_t
    std nest get set S_ P_ V_ B_ origin
    """.split()
)
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def nest_name(name: str) -> str:
    """The model's name for a program variable (itself unless NESTML or C++ reserve it)."""
    if name in RESERVED or not _NAME.match(name) or name.startswith(("hub_port", "hub_read")):
        return f"hub_n_{name}"
    return name


def model_name(program: NeuronProgram) -> str:
    """The NEST model's name: unique per definition text (``hub_<name>_<digest>``)."""
    word = re.sub(r"[^A-Za-z0-9_]", "_", program.name) or "model"
    return f"hub_{word}_{program.digest}"


def module_name(program: NeuronProgram) -> str:
    """The extension module's name (NESTML wants it to end in ``module``)."""
    return f"{model_name(program)}module"


_TYPES = {"float": "real", "integer": "integer", "boolean": "boolean"}
_ZERO = {"real": "0.0", "integer": "0", "boolean": "false"}


def literal(x) -> str:
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    x = float(x)
    if x != x or x in (float("inf"), float("-inf")):
        raise ValueError(f"the number {x} cannot be written in NESTML")
    text = repr(x)
    return f"({text})" if x < 0 else text


def _arg(x) -> str:
    return nest_name(x) if isinstance(x, str) else literal(x)


def expression(s: Stmt) -> str:
    """The right-hand side of ``s`` in NESTML (one operation)."""
    a = [_arg(x) for x in s.args]
    if s.op in ("+", "-", "*", "/", ">=", ">", "<=", "<", "==", "!=", "and", "or"):
        return f"{a[0]} {s.op} {a[1]}"
    if s.op == "neg":
        return f"-{a[0]}"
    if s.op == "not":
        return f"not {a[0]}"
    if s.op == "copy":
        return a[0]
    if s.op == "sel":
        return f"{a[0]} ? {a[1]} : {a[2]}"
    if s.op == "int":
        return f"{a[0]} ? 1 : 0"
    if s.op in ("exp", "sqrt", "abs"):
        return f"{s.op}({a[0]})"
    if s.op == "log":
        return f"ln({a[0]})"
    raise ValueError(f"no NESTML for the operation {s.op!r}")


def negated_inhibitory(input_kind: str) -> bool:
    """Whether the model negates the inhibitory port's sum: NEST hands it the magnitude of
    negative weights, and current or voltage weights keep their sign in the hub (conductance
    weights reach NEST negated for the inhibitory receptor and come back positive)."""
    return input_kind != "conductance"


def exports(program: NeuronProgram, variables) -> dict[str, str]:
    """The model's variable that holds each of ``variables`` (state variables) as a state
    probe reads it, for the synapses that read it: the state itself, or for a variable kept
    relative to a constant ``E`` the state ``hub_read_<var>`` set to ``X + E`` at the end of
    every step (the same addition the recorded values get)."""
    return {v: f"hub_read_{v}" if v in program.shift else nest_name(v) for v in sorted(variables)}


def render(program: NeuronProgram, input_kind: str, name: str | None = None, read=()) -> str:
    """The NESTML model of ``program``; ``input_kind`` is the model's ``input``
    (``current``, ``voltage`` or ``conductance``); ``name`` the model's name (default
    :func:`model_name`); ``read``: state variables synapses read (:func:`exports`)."""
    exported = {v: n for v, n in exports(program, read).items() if v in program.shift}
    types = {n: _TYPES[t] for n, t in program.variables.items()}
    constants = [c.name for c in program.constants]
    state = list(program.state)
    buffers = set(program.buffers.values())
    taken = set(state) | set(constants)
    locals_ = [n for n in types if n not in taken]
    lines = [f"model {name or model_name(program)}:", "    state:"]
    lines += [f"        {nest_name(n)} {types[n]} = {_ZERO[types[n]]}" for n in state]
    lines += [f"        {n} real = 0.0" for n in exported.values()]
    if constants:
        lines.append("")
        lines.append("    parameters:")
        lines += [f"        {nest_name(n)} {types[n]} = {_ZERO[types[n]]}" for n in constants]
    single = buffers == {"buf"}
    lines += ["", "    input:"]
    if single:
        lines.append(f"        {PORT_SINGLE} <- spike")
    else:
        lines.append(f"        {PORT_EX} <- excitatory spike")
        lines.append(f"        {PORT_IN} <- inhibitory spike")
    lines += ["", "    output:", "        spike", "", "    update:"]
    body = [f"{nest_name(n)} {types[n]} = {_ZERO[types[n]]}" for n in locals_]
    body += [_assign(s) for s in program.update]
    body += _buffer_reads(program, single, input_kind)
    body += [_assign(s) for s in program.inputs if not _zeroing(s, buffers)]
    reset = [_assign(s) for s in program.reset] + ["emit_spike()"]
    if program.threshold_expr is not None:
        a, op, b = program.threshold_expr
        condition = f"{_arg(a)} {op} {_arg(b)}"
    else:
        body += [_assign(s) for s in program.threshold]
        condition = nest_name(THRESHOLD_FLAG)
    body.append(f"if {condition}:")
    body += [f"    {line}" for line in reset]
    body += [f"{n} = {nest_name(v)} + {nest_name(program.shift[v])}" for v, n in exported.items()]
    lines += [f"        {line}" for line in body]
    return "\n".join(lines) + "\n"


def _assign(s: Stmt) -> str:
    return f"{nest_name(s.target)} = {expression(s)}"


def _zeroing(s: Stmt, buffers: set[str]) -> bool:
    return s.target in buffers and s.op == "copy" and not isinstance(s.args[0], str)


def _buffer_reads(program: NeuronProgram, single: bool, input_kind: str) -> list[str]:
    """The step's summed weights into the buffer variables, from the ports."""
    if single:
        return [f"{nest_name(b)} = {PORT_SINGLE} * 1 s" for b in set(program.buffers.values())]
    out = []
    ex = program.buffers.get("excitatory")
    inh = program.buffers.get("inhibitory")
    if ex is not None:
        out.append(f"{nest_name(ex)} = {PORT_EX} * 1 s")
    if inh is not None:
        out.append(f"{nest_name(inh)} = {PORT_IN} * 1 s")
        if negated_inhibitory(input_kind):
            out.append(f"{nest_name(inh)} = -{nest_name(inh)}")
    return out
