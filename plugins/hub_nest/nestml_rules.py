"""A learning rule written as statements (:class:`hub.equations.rules.RuleProgram`) as a
NESTML synapse, co-generated with the NESTML neuron it targets (:mod:`hub_nest.modules`).

The synapse does what NEST's ``stdp_synapse`` does with its traces, operation for operation,
and runs the rule's statements where the hub's event semantics put them
(:mod:`hub.equations.rules`).  NESTML hands the synapse, when it delivers a presynaptic spike
at ``t``, first every postsynaptic spike of the neuron's history with
``t_last - d < t_post <= t - d`` (``onReceive(post_spikes)``, ``t`` = ``t_post`` there, the
spike's time at the soma; the whole delay ``d`` is dendritic), then the presynaptic spike
(``onReceive(pre_spikes)``).  So:

* ``onReceive(post_spikes)``: each presynaptic trace ``x`` is read as
  ``K_x exp((t_last - (t_post + d)) / tau)`` (NEST's facilitation), each postsynaptic trace
  ``y`` as ``K_y exp((t_prev - t_post) * (1/tau))`` with ``t_prev`` the previous postsynaptic
  spike (NEST's ArchivingNode: the trace is kept at soma times, with the inverse time
  constant); ``on_post`` runs; then ``K_y <- y + 1``.  The two newest ``(K_y, t_post)`` are
  kept;
* ``onReceive(pre_spikes)``: ``x = K_x exp((t_last - t) / tau)``; ``y`` from the newest kept
  postsynaptic spike strictly before ``t - d`` (by more than NEST's ``stdp_eps``, 1e-6 ms,
  as ``get_K_value``), else 0; ``on_pre`` runs; the weight is transmitted with its sign
  (``w`` is a magnitude); ``K_x <- x + 1``, ``t_last <- t``.
* ``onReceive(teacher_spikes)`` (rules with ``on_teacher``): a volume-transmitter port, fed
  by the teacher neuron of the postsynaptic neuron (one volume transmitter and one copy of
  the synapse model per postsynaptic neuron, set up by the session); ``t`` there is the
  teacher spike's stamp time ``t_q``, so the spike reaches the synapse at ``t_q + d`` like a
  postsynaptic spike: ``x`` is read as in ``onReceive(post_spikes)``, ``y`` from the newest
  kept postsynaptic spike strictly before ``t_q`` (at one time ``on_post`` runs first and
  does not count itself); ``on_teacher`` runs.  NESTML 9's handling of such a port is
  patched in the generated C++ (:func:`hub_nest.nestml_build.patch_teacher`): teacher
  spikes run in time order between the postsynaptic ones (after those at the same time),
  up to and including the presynaptic spike's time, and never at a volume transmitter's
  delivery.

Every line is one floating-point operation (temporaries ``hub_s_r<k>``); ``clip(x, lo, hi)``
is ``lo if x < lo else (hi if x > hi else x)`` as the hub evaluates it, ``x**n`` repeated
products.  No physical units: parameters are ``real`` numbers in the hub's working units
(weights and weight-valued parameters in NEST's weight unit, set by the session).
Every state variable and parameter is declared strictly synaptic, so NESTML moves nothing
into the neuron.
"""

from __future__ import annotations

import ast
import re

from hub.equations import dims
from hub.equations.rules import SINCE_PRE, RuleProgram
from hub.equations.rules import WEIGHT_VARIABLE as WEIGHT

from . import nestml_build
from .nestml import literal, nest_name

#: names of the synapse's own variables (user names never start with ``hub_s_``: see _name)
DELAY = "hub_s_d"
SIGN = "hub_s_sign"
EPS = "hub_s_eps"
#: NEST's default stdp_eps (ms): a postsynaptic spike counts as "before" t if it is earlier by more
STDP_EPS = 1.0e-6
PRE_PORT = "pre_spikes"
POST_PORT = "post_spikes"
#: the volume-transmitter port of a rule with a teacher, and the delay (ms) of the teacher's
#: connection to its volume transmitter (the synapse takes it off the spike's time)
TEACHER_PORT = "teacher_spikes"
VT_DELAY = nestml_build.VT_DELAY


def synapse_name(program: RuleProgram) -> str:
    """The NESTML synapse's name: unique per definition text (without ``_with_``, which
    NESTML reads as the start of a pairing suffix)."""
    word = re.sub(r"[^A-Za-z0-9_]", "_", program.name).replace("_with_", "_w_") or "rule"
    return f"hub_rule_{word}_{program.digest}"


def _name(name: str) -> str:
    """The synapse's name of a rule variable (parameter, trace or ``w``)."""
    out = nest_name(name)
    return f"hub_n_{out}" if out.startswith("hub_s_") else out


def _inverse(tau: str) -> str:
    return f"hub_s_inv_{tau}"


def post_taus(program: RuleProgram) -> list[str]:
    """The time constants of the postsynaptic traces (each gets its inverse parameter)."""
    return list(dict.fromkeys(program.post_traces.values()))


def state_variables(program: RuleProgram) -> list[str]:
    out = ["w", "hub_s_tlast", "hub_s_tp", "hub_s_tp0"]
    out += [f"hub_s_k_{x}" for x in program.pre_traces]
    for y in program.post_traces:
        out += [f"hub_s_k_{y}", f"hub_s_k0_{y}"]
    return out


def parameters(program: RuleProgram) -> list[str]:
    """The synapse's parameters (besides the delay): the rule's, the sign, the inverse
    time constants of the postsynaptic traces, NEST's stdp_eps."""
    return [
        *(_name(k) for k in program.param_units),
        SIGN,
        EPS,
        *(_inverse(t) for t in post_taus(program)),
        *([VT_DELAY] if program.on_teacher else []),
    ]


def synapse_values(program: RuleProgram, params: dict, weight_scale: float, sign: float):
    """The NEST values of the synapse's parameters from the hub's (resolved) ``params``:
    working units, weight-valued ones times ``weight_scale`` (a magnitude), the sign every
    transmitted weight carries, the inverse time constants."""
    working = program.working(params)
    out = {}
    for k, unit in program.param_units.items():
        value = float(working[k])
        out[_name(k)] = value * weight_scale if unit == dims.WEIGHT else value
    out[SIGN] = float(sign)
    out[EPS] = STDP_EPS
    for tau in post_taus(program):
        out[_inverse(tau)] = 1.0 / float(working[tau])
    return out


class _Code:
    """Straight-line NESTML, one operation per line (temporaries declared where assigned)."""

    def __init__(self, lines: list[str], program: RuleProgram, since: str = ""):
        self.lines = lines
        self.k = 0
        #: the rule's own names (read before units: a parameter may be called ``A``)
        self.names = {
            "w",
            *program.param_units,
            *program.pre_traces,
            *program.post_traces,
        }
        self.reads = {f"{v}_post": post_port(v) for v in program.post_state or {}}
        self.since = since  # the name holding dt_pre in this block
        self.declared: set[str] = set()

    def emit(self, text: str, kind: str = "real") -> str:
        self.k += 1
        name = f"hub_s_r{self.k}"
        self.lines.append(f"{name} {kind} = {text}")
        return name

    def expression(self, node) -> str:
        if isinstance(node, ast.Constant):
            return literal(float(node.value))
        if isinstance(node, ast.Name):
            if node.id in self.reads:
                return self.reads[node.id]
            if node.id == SINCE_PRE:
                return self.since
            if node.id not in self.names and node.id not in self.declared and _is_unit(node.id):
                return literal(float(dims.unit_value(node.id)))
            return _name(node.id)
        if isinstance(node, ast.UnaryOp):
            inner = self.expression(node.operand)
            return self.emit(f"-{inner}") if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Pow):
                base = self.expression(node.left)
                acc = base
                for _ in range(node.right.value - 1):
                    acc = self.emit(f"{acc} * {base}")
                return acc
            op = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}[type(node.op)]
            left = self.expression(node.left)
            return self.emit(f"{left} {op} {self.expression(node.right)}")
        if isinstance(node, ast.Call) and node.func.id == "clip":
            x, lo, hi = (self.expression(a) for a in node.args)
            above = self.emit(f"{x} > {hi}", "boolean")
            upper = self.emit(f"{above} ? {hi} : {x}")
            below = self.emit(f"{x} < {lo}", "boolean")
            return self.emit(f"{below} ? {lo} : {upper}")
        if isinstance(node, ast.Call) and node.func.id == "step":
            positive = self.emit(f"{self.expression(node.args[0])} > 0.0", "boolean")
            return self.emit(f"{positive} ? 1.0 : 0.0")
        if isinstance(node, ast.Call):
            fn = {"log": "ln"}.get(node.func.id, node.func.id)
            return self.emit(f"{fn}({self.expression(node.args[0])})")
        raise TypeError(ast.unparse(node))  # pragma: no cover - whitelisted by the parser

    def statements(self, statements) -> None:
        for a in statements:
            value = self.expression(a.value)
            target = _name(a.var)
            if a.op == "=" and a.var != WEIGHT and a.var not in self.declared:
                self.declared.add(a.var)  # a local: declared where first assigned
                self.lines.append(f"{target} real = {value}")
            elif a.op == "=":
                self.lines.append(f"{target} = {value}")
            else:
                op = "+" if a.op == "+=" else "-"
                self.lines.append(f"{target} = {target} {op} {value}")


def _is_unit(name: str) -> bool:
    from hub.ir import units

    return units.is_unit(name)


def _decay(code: _Code, trace: str, stored: str, since: str, now: str, tau: str, inverse: bool):
    """``trace real = stored * exp((since - now) / tau)`` (or ``* (1/tau)``), one op a line."""
    diff = code.emit(f"{since} - {now}")
    scaled = code.emit(f"{diff} * {_inverse(tau)}" if inverse else f"{diff} / {_name(tau)}")
    factor = code.emit(f"exp({scaled})")
    code.lines.append(f"{_name(trace)} real = {stored} * {factor}")


def reads(statements, name: str) -> bool:
    """Whether ``statements`` read the name ``name``."""
    return any(
        isinstance(node, ast.Name) and node.id == name
        for a in statements
        for node in ast.walk(a.value)
    )


def post_port(var: str) -> str:
    """The synapse's continuous port that reads the postsynaptic neuron's ``var``."""
    return f"hub_s_post_{var}"


def _on_post(program: RuleProgram) -> list[str]:
    lines: list[str] = []
    code = _Code(lines, program)
    ts = code.emit("t / 1 ms")
    _at_arrival(code, program, program.on_post, ts)
    for y, tau in program.post_traces.items():
        _decay(code, y, f"hub_s_k_{y}", "hub_s_tp", ts, tau, True)
    code.statements(program.on_post)
    for y in program.post_traces:
        lines.append(f"hub_s_k0_{y} = hub_s_k_{y}")
        lines.append(f"hub_s_k_{y} = {_name(y)} + 1.0")
    lines += ["hub_s_tp0 = hub_s_tp", f"hub_s_tp = {ts}"]
    return lines


def _on_pre(program: RuleProgram) -> list[str]:
    lines: list[str] = []
    code = _Code(lines, program)
    ts = code.emit("t / 1 ms")
    if reads(program.on_pre, SINCE_PRE):
        code.since = code.emit(f"{ts} - hub_s_tlast")
    for x, tau in program.pre_traces.items():
        _decay(code, x, f"hub_s_k_{x}", "hub_s_tlast", ts, tau, False)
    if program.post_traces:
        dd = code.emit(f"{DELAY} / 1 ms")
        _posts_before(code, program, code.emit(f"{ts} - {dd}"))
    code.statements(program.on_pre)
    sent = code.emit(f"w * {SIGN}")
    lines.append(f"emit_spike({sent})")
    for x in program.pre_traces:
        lines.append(f"hub_s_k_{x} = {_name(x)} + 1.0")
    lines.append(f"hub_s_tlast = {ts}")
    return lines


def _on_teacher(program: RuleProgram) -> list[str]:
    lines: list[str] = []
    code = _Code(lines, program)
    ts = code.emit("t / 1 ms")  # the teacher spike's stamp time (nestml_build.patch_teacher)
    _at_arrival(code, program, program.on_teacher, ts)
    if program.post_traces:  # the postsynaptic spikes that arrived strictly before
        _posts_before(code, program, ts)
    code.statements(program.on_teacher)
    return lines


def _at_arrival(code: _Code, program: RuleProgram, statements, ts: str) -> None:
    """An event stamped ``ts`` that reaches the synapse at ``ts + d`` (a postsynaptic or a
    teacher spike): the presynaptic traces decayed to then, and ``dt_pre`` if read."""
    since = reads(statements, SINCE_PRE)
    if program.pre_traces or since:
        dd = code.emit(f"{DELAY} / 1 ms")
        arrival = code.emit(f"{ts} + {dd}")
        for x, tau in program.pre_traces.items():
            _decay(code, x, f"hub_s_k_{x}", "hub_s_tlast", arrival, tau, False)
        if since:
            code.since = code.emit(f"{arrival} - hub_s_tlast")


def _posts_before(code: _Code, program: RuleProgram, tq: str) -> None:
    """The postsynaptic traces at soma time ``tq`` of the spikes earlier than it by more
    than NEST's eps (``get_K_value``: the newest kept spike, else the one before, else 0)."""
    lines = code.lines
    gap1 = code.emit(f"{tq} - hub_s_tp")
    gap0 = code.emit(f"{tq} - hub_s_tp0")
    for y in program.post_traces:
        lines.append(f"{_name(y)} real = 0.0")
    lines.append(f"if {gap1} > {EPS}:")
    for y, tau in program.post_traces.items():
        lines += [f"    {line}" for line in _read_post(y, tau, "", tq)]
    lines.append(f"elif {gap0} > {EPS}:")
    for y, tau in program.post_traces.items():
        lines += [f"    {line}" for line in _read_post(y, tau, "0", tq)]


def _read_post(y: str, tau: str, which: str, tq: str) -> list[str]:
    """``y = K_y * exp((t_y - tq) * (1/tau))`` from the newest (``which`` "") or the
    previous ("0") kept postsynaptic spike (names local to the branch)."""
    tag = f"hub_s_{y}{which}"
    return [
        f"{tag}_a real = hub_s_tp{which} - {tq}",
        f"{tag}_b real = {tag}_a * {_inverse(tau)}",
        f"{tag}_c real = exp({tag}_b)",
        f"{_name(y)} = hub_s_k{which}_{y} * {tag}_c",
    ]


def render(program: RuleProgram) -> str:
    """The NESTML synapse of ``program`` (module docstring)."""
    state = state_variables(program)
    start = {"hub_s_tp": "-1.0", "hub_s_tp0": "-1.0"}  # ArchivingNode's last_spike_
    lines = [f"model {synapse_name(program)}:", "    state:"]
    lines += [f"        {v} real = {start.get(v, '0.0')}" for v in state]
    lines += ["", "    parameters:", f"        {DELAY} ms = 1 ms"]
    lines += [f"        {p} real = 0.0" for p in parameters(program)]
    lines += [
        "",
        "    input:",
        f"        {PRE_PORT} <- spike",
        f"        {POST_PORT} <- spike",
        *([f"        {TEACHER_PORT} <- spike"] if program.on_teacher else []),
        *(f"        {post_port(v)} real <- continuous" for v in program.post_state or {}),
        "",
        "    output:",
        "        spike",
        "",
        f"    onReceive({POST_PORT}):",
    ]
    lines += [f"        {line}" for line in _on_post(program)]
    lines += ["", f"    onReceive({PRE_PORT}):"]
    lines += [f"        {line}" for line in _on_pre(program)]
    if program.on_teacher:
        lines += ["", f"    onReceive({TEACHER_PORT}):"]
        lines += [f"        {line}" for line in _on_teacher(program)]
    return "\n".join(lines) + "\n"


def codegen_options(neuron: str, programs: list[RuleProgram], exports: dict) -> dict:
    """NESTML's code-generator options that pair the synapses of ``programs`` with the
    neuron model ``neuron`` (one module); ``exports``: the neuron's variable holding each
    state variable a rule reads (:func:`hub_nest.nestml.exports`)."""
    names = [synapse_name(p) for p in programs]

    def ports(p: RuleProgram) -> list:
        return [POST_PORT, *([post_port(v), exports[v]] for v in p.post_state or {})]

    return {
        "synapse_models": names,  # (else NESTML takes only names ending in "synapse")
        "neuron_synapse_pairs": [
            {
                "neuron": neuron,
                "synapses": {  # (NESTML 9 wants both keys for every synapse of a pair)
                    n: {"post_ports": ports(p), "vt_ports": [TEACHER_PORT] if p.on_teacher else []}
                    for n, p in zip(names, programs)
                },
            }
        ],
        "delay_variable": {n: DELAY for n in names},
        "weight_variable": {n: "w" for n in names},
        "strictly_synaptic_vars": {
            n: [*state_variables(p), *parameters(p)] for n, p in zip(names, programs)
        },
    }
