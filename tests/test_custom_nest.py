"""Custom neuron models (``hub.define_neuron``) on NEST through NESTML.

In this process (the pip wheel of NEST, which cannot compile modules): a network with a
custom model is refused before NEST's kernel is touched, with the way to enable it.

In a child process with the NEST that `make nest-mpi` builds first on the path (prefix
$SNN_HUB_NEST_MPI, default ~/.cache/snn-hub/nest-3.10.0-mpi; skipped with that reason
otherwise): a custom LIF and a custom Izhikevich give exactly the spikes and recorded state
of NEST's built-in models and of the same custom model on Brian2 (tests/custom/nest_runs.py),
and a module is compiled once and then loaded from the cache.  The child's modules are
cached as usual (~/.cache/snn-hub/nestml), so only the first run compiles (~10 s a model).

Learning rules written as statements (``hub.define_rule``) on NEST, in the child process:
the rule's NESTML synapse is compiled with the LIF written as equations it targets (~20-30 s
per module, once): the pair rule in NEST's arithmetic learns NEST's stdp_synapse weights bit
for bit, the additive pair rule within rounding, BCM agrees with Brian2 and the hub's
reference.  In this process: a rule onto a NEST built-in neuron is refused before anything
is built.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import hub
from hub.errors import CapabilityError

if importlib.util.find_spec("nest") is None:  # not imported here: hub_nest imports it quietly
    pytest.skip("NEST not installed", allow_module_level=True)

from hub_nest import custom, modules  # noqa: E402

HERE = Path(__file__).resolve().parent
NETWORKS = HERE / "custom" / "nest_runs.py"
PREFIX = Path(
    os.environ.get("SNN_HUB_NEST_MPI", Path.home() / ".cache/snn-hub/nest-3.10.0-mpi")
).expanduser()
SITE = next(iter(sorted(PREFIX.glob("lib/python3*/site-packages"))), None)

source_nest = pytest.mark.skipif(
    not (PREFIX / ".snn-hub-complete").exists() or SITE is None,
    reason=f"no NEST built from source in {PREFIX}: run `make nest-mpi` (docs/distributed.md)",
)
with_nestml = pytest.mark.skipif(
    not modules.nestml_installed(), reason=f"NESTML is not installed: {modules.NESTML_HINT}"
)

sys.path.insert(0, str(NETWORKS.parent))
import nest_runs as networks  # noqa: E402


def _wheel_only():
    if not isinstance(modules.buildable_prefix(), str):
        pytest.skip("the NEST imported here can compile modules (not the pip wheel)")


def test_wheel_refuses_custom_models_before_building():
    """The pip wheel cannot compile modules: refused before the kernel is reset, and the
    message tells how to get a NEST that can."""
    _wheel_only()
    backend = hub.get_backend("nest")
    builtin = backend.build(hub.resolve(networks.leak_builtin(), 20.0))
    with pytest.raises(CapabilityError) as info:
        backend.build(hub.resolve(networks.leak(), 20.0))
    text = str(info.value)
    for fix in ("make nest-mpi", "site-packages first on PYTHONPATH", "docs/distributed.md"):
        assert fix in text, text
    assert "neuron:Custom" in info.value.missing
    assert "brian2" in text  # the alternative
    builtin.run()  # the first session still owns the kernel: nothing was reset
    assert builtin.results().spike_trains["p"].stamps.size
    builtin.close()


def test_missing_nestml_names_the_install(monkeypatch):
    monkeypatch.setattr(modules, "buildable_prefix", lambda: (PREFIX, "3.10.0"))
    monkeypatch.setattr(modules, "nestml_installed", lambda: False)
    with pytest.raises(CapabilityError, match=r"pip install nestml==9\.0\.0"):
        custom.tables_for(hub.resolve(networks.leak(), 20.0))


def test_the_nestml_model_is_one_operation_per_line():
    """The rendered model: no equations, no units, ports read as `port * 1 s`."""
    from hub.equations import program
    from hub_nest import nestml

    text = nestml.render(program(networks.LIF), "current")
    assert "equations" not in text and " mV" not in text
    assert "excitatory spike" in text and "inhibitory spike" in text
    assert f"buf_in = {nestml.PORT_IN} * 1 s\n" in text and "buf_in = -buf_in" in text
    izh = nestml.render(program(networks.IZH), "voltage")
    assert f"{nestml.PORT_SINGLE} <- spike" in izh and "inhibitory" not in izh


def _child(*args, env=None, timeout=900.0) -> subprocess.CompletedProcess:
    """``python tests/custom/nest_runs.py ARGS`` with the source-built NEST first on the path
    and this checkout's hub and plugins next."""
    import hub_nest

    code = [str(Path(hub.__file__).parent.parent), str(Path(hub_nest.__file__).parent.parent)]
    environ = dict(os.environ, **(env or {}))
    environ["PYTHONPATH"] = os.pathsep.join(
        [str(SITE), *dict.fromkeys(code), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    environ.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    environ.setdefault("OMP_NUM_THREADS", "1")
    done = subprocess.run(
        [sys.executable, str(NETWORKS), *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _child_arrays(tmp_path_factory, command: str) -> dict:
    """The arrays (by name) a child's ``command`` saves."""
    out = tmp_path_factory.mktemp(command) / f"{command}.npz"
    _child(command, str(out))
    with np.load(out) as z:
        return {k: z[k] for k in z.files}


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """Every run of networks.RUNS, once (arrays by "case/run/item")."""
    return _child_arrays(tmp_path_factory, "compare")


@source_nest
@with_nestml
@pytest.mark.parametrize(
    "case,run",
    [
        ("lif", "custom-nest"),
        ("lif", "custom-brian2"),
        ("lif", "custom-again"),
        ("izh", "custom-nest"),
        ("izh", "custom-brian2"),
        ("lifchange", "custom-nest"),
        ("lifchange", "custom-brian2"),
    ],
)
def test_custom_model_is_bit_identical_to_the_builtin(compared, case, run):
    """The custom model gives NEST's built-in spikes and recorded state bit for bit (on NEST
    through NESTML, on Brian2, on NEST again after other kernels and modules, and on NEST
    with parameter changes between run segments)."""
    items = [k.split("/", 2)[2] for k in compared if k.startswith(f"{case}/builtin/")]
    assert {"spikes/stamps", "spikes/indices", "v"} <= set(items)
    assert compared[f"{case}/builtin/spikes/stamps"].size > 100  # the neurons do fire
    for item in items:
        want, got = compared[f"{case}/builtin/{item}"], compared[f"{case}/{run}/{item}"]
        assert want.shape == got.shape, item
        assert np.array_equal(want, got), (item, float(np.max(np.abs(want - got))))


@source_nest
@with_nestml
def test_a_module_is_compiled_once_then_loaded_from_the_cache(tmp_path):
    """A fresh cache: the first process compiles (one spike-port read patched), the second
    loads the same library without compiling; no scratch directory is left behind."""
    env = {"SNN_HUB_NESTML_CACHE": str(tmp_path / "nestml")}
    facts = []
    for k in range(2):
        out = tmp_path / f"cache{k}.json"
        _child("cache", str(out), env=env)
        facts.append(json.loads(out.read_text()))
    first, second = facts
    assert first["builds"] == 1 and second["builds"] == 0
    assert first["library"] == second["library"]
    assert first["mtime_ns"] == second["mtime_ns"]
    assert first["spikes"] == second["spikes"] > 0
    assert first["build"]["patched_reads"] == 1
    assert Path(first["library"]).is_relative_to(tmp_path / "nestml")
    leftovers = [p.name for p in (tmp_path / "nestml").rglob("*.build-*")]
    assert not leftovers


@source_nest
@with_nestml
def test_snn_hub_compare_reports_identical_spikes_for_a_custom_model(tmp_path):
    """`snn-hub compare models/custom_lif.py -b nest,brian2`: 500 LIF neurons written as
    equations, 1 s, run in one process per backend: identical spike trains, and identity is
    what the contract promises (both backends declare tier 1 for custom models)."""
    out = tmp_path / "compare.json"
    model = HERE.parent / "models" / "custom_lif.py"
    _child("cli", "compare", str(model), "-b", "nest,brian2", "--no-progress", "--save", str(out))
    [pair] = json.loads(out.read_text())["agreement"]
    assert (pair["a"], pair["b"], pair["expect"]) == ("nest", "brian2", "identical")
    assert pair["identical"] and pair["totals"]["spikes_a"] == pair["totals"]["spikes_b"] > 5000


# --- learning rules written as statements --------------------------------------------------
def test_a_rule_onto_a_builtin_lif_or_izhikevich_runs_on_its_twin():
    """NEST's iaf_psc_exp and izhikevich under a rule written as statements: the population
    becomes the twin written as equations with the same numbers (Izhikevich's i_offset is
    the twin's I_e in mV/ms, times 1000); other populations are left as they are."""
    net = networks.stdp("builtin-post")
    src = net.populations[0]
    izh = net.add_population(4, hub.Izhikevich(i_offset=0.01, a=0.03), label="izh")
    net.connect(src, izh, hub.AllToAll(), hub.Plastic(networks.STDP_RULE(), 1.0, 1.0))
    net.add_population(3, hub.LIF(), label="plain")
    resolved = hub.resolve(net, 20.0)
    twinned = custom.with_twins(resolved)
    p, i = twinned.populations["p"], twinned.populations["izh"]
    assert p.model.label.startswith("Custom[") and "name=lif_exp" in p.model.label
    for name, values in resolved.populations["p"].params.items():
        np.testing.assert_array_equal(p.params[name], values)
    assert set(p.initial) == {"v", "I_ex", "I_in"}
    assert "name=izhikevich" in i.model.label and np.all(i.params["I_e"] == 10.0)
    assert np.all(i.params["a"] == 0.03) and "i_offset" not in i.params
    assert twinned.populations["plain"] is resolved.populations["plain"]
    assert resolved.populations["p"].model.kind == "LIF"  # the input is not changed


def test_a_rule_onto_a_builtin_neuron_without_a_twin_is_refused_before_building(monkeypatch):
    """A built-in population that needs to stay one (a current injected into it) or has no
    twin (alpha synapses): refused before anything is built, with the fix; the kernel of an
    existing session is untouched."""
    monkeypatch.setattr(modules, "check", lambda labels: (PREFIX, "3.10.0"))
    monkeypatch.setattr(modules, "module_for", _must_not_build)
    injected = networks.stdp("builtin-post")
    injected.inject(injected.populations[1], hub.DCSource(amplitude=0.1))
    alpha = networks.stdp("builtin-post")
    alpha.add_population(3, hub.LIF(synapse="alpha"), label="a")
    alpha.connect(
        alpha.populations[0],
        alpha.populations[-1],
        hub.AllToAll(),
        hub.Plastic(networks.STDP_RULE(), 0.1, 1.0),
        label="syn_a",
    )
    for net, where in ((injected, "'syn_p'"), (alpha, "'syn_a'")):
        with pytest.raises(CapabilityError) as info:
            custom.tables_for(custom.with_twins(hub.resolve(net, 20.0)))
        text = str(info.value)
        assert info.value.missing == ["plasticity:CustomRule"]
        for fix in ("hub.define_neuron", "twins written as equations", "injected", where):
            assert fix in text, text
        assert "brian2" in text  # the alternative


def test_a_builtin_stdp_rule_beside_a_rule_written_as_statements_is_refused(monkeypatch):
    """The paired NESTML neuron keeps its spike history for its own synapses: NEST's
    stdp_synapse onto it would never learn, so the mix is refused, naming the fix."""
    monkeypatch.setattr(modules, "check", lambda labels: (PREFIX, "3.10.0"))
    monkeypatch.setattr(modules, "module_for", _must_not_build)
    net = networks.stdp("custom")
    src, p = net.populations[0], net.populations[1]
    net.connect(src, p, hub.AllToAll(), hub.Plastic(hub.STDP(), 0.1, 1.0), label="builtin")
    with pytest.raises(CapabilityError, match=r"never learn.*hub\.define_rule.*'builtin'"):
        custom.tables_for(hub.resolve(net, 20.0))


def test_the_wheel_declares_no_custom_rules_and_says_why():
    _wheel_only()
    caps = hub.get_backend("nest").capabilities()
    reason = caps.refusals["plasticity:CustomRule"]
    assert "learning rules written as statements" in reason and "make nest-mpi" in reason


def _must_not_build(*args, **kwargs):
    raise AssertionError("a module was built")


def test_the_nestml_synapse_is_one_operation_per_line():
    """The rendered synapse: no units, the traces NEST's way (the postsynaptic one with the
    inverse time constant, from soma times), one operation per line, paired options."""
    from hub.equations import rule_program
    from hub_nest import nestml_rules

    program = rule_program(networks.STDP_RULE)
    text = nestml_rules.render(program)
    assert " mV" not in text and "equations" not in text
    assert "hub_s_r8 real = hub_s_r7 * hub_s_inv_tau_minus\n" in text
    assert "emit_spike(hub_s_r15)" in text
    body = [line.strip() for line in text.splitlines() if " real = " in line]
    ops = ("+", "-", "*", "/", "?")
    assert all(sum(line.split("=", 1)[1].count(op) for op in ops) <= 1 for line in body), body
    options = nestml_rules.codegen_options("n", [program], {})
    name = nestml_rules.synapse_name(program)
    assert options["synapse_models"] == [name]
    assert options["neuron_synapse_pairs"][0]["synapses"][name]["post_ports"] == ["post_spikes"]
    defaults = {n: d for n, _, d in networks.STDP_RULE.declared_parameters()}
    values = nestml_rules.synapse_values(program, defaults, 1000.0, -1.0)
    assert values["w_max"] == 1000.0 and values["a_plus"] == 10.0 and values["tau_plus"] == 20.0
    assert values["hub_s_sign"] == -1.0 and values["hub_s_inv_tau_minus"] == 1.0 / 20.0


def test_steps_locals_dt_pre_and_postsynaptic_reads_render_one_operation_per_line():
    """Brader-Fusi's statements in NESTML: ``step(x)`` a comparison then a selection,
    locals declared where first assigned, ``dt_pre`` from the previous presynaptic spike, a
    parameter named like a unit (``A``, ampere) read as the parameter, ``v_post`` from a
    continuous port paired with the neuron's variable holding V (``v`` is kept relative to
    the resting value, so the neuron adds it back every step)."""
    import brader_fusi

    from hub.equations import program as neuron_program
    from hub.equations import rule_program
    from hub_nest import nestml, nestml_rules

    rule = rule_program(brader_fusi.BRADER_FUSI)
    text = nestml_rules.render(rule)
    assert "hub_s_post_v real <- continuous" in text
    assert "hub_s_r2 real = hub_s_r1 - hub_s_tlast\n" in text  # dt_pre
    assert "drift real = " in text and "up real = " in text and "\n        c real = " in text
    steps = [line.strip() for line in text.splitlines() if "? 1.0 : 0.0" in line]
    assert len(steps) == 8 and all(" boolean = " not in line for line in steps)
    assert text.count(" boolean = ") >= 8 and "> 0.0" in text
    assert "hub_s_post_v - theta_v" in text
    body = [line.strip() for line in text.splitlines() if " real = " in line]
    ops = ("+", "-", "*", "/", "?")
    assert all(sum(line.split("=", 1)[1].count(op) for op in ops) <= 1 for line in body), body
    lif = neuron_program(networks.LIF)
    exported = nestml.exports(lif, {"v"})
    assert exported == {"v": "hub_read_v"}
    neuron = nestml.render(lif, "current", read={"v"})
    assert neuron.rstrip().endswith(f"hub_read_v = v + {lif.shift['v']}")
    options = nestml_rules.codegen_options("n", [rule], exported)
    name = nestml_rules.synapse_name(rule)
    ports = options["neuron_synapse_pairs"][0]["synapses"][name]["post_ports"]
    assert ports == ["post_spikes", ["hub_s_post_v", "hub_read_v"]]
    resume = rule_program(RESUME_LIKE)
    assert "hub_s_r7 real = A * x\n" in nestml_rules.render(resume)  # not 1.0 * x


#: ReSuMe's depression alone (no teacher): a parameter called A, as ReSuMe's
RESUME_LIKE = hub.define_rule(
    "resume_like",
    {"A": "0.02 weight", "tau": "15 ms", "w_max": "1 weight"},
    pre_traces={"x": "tau"},
    on_post="w = clip(w - A * x, 0, w_max)",
)


@source_nest
@with_nestml
def test_nest_passes_the_kits_checks_of_models_and_rules_written_as_equations(tmp_path):
    """With a NEST that compiles NESTML, NEST declares neuron:Custom and
    plasticity:CustomRule, so the kit's checks of both apply: the LIF written as equations
    against the reference engine, and the pair rule written as statements through the
    plasticity proof (relays written as equations, weights within 1e-12 relative, the
    transmitted weights too)."""
    out = tmp_path / "kit.json"
    _child("kit", str(out))
    outcome = json.loads(out.read_text())
    assert outcome == {name: "passed" for name in networks.KIT_CHECKS}, outcome


@pytest.fixture(scope="module")
def voltage(tmp_path_factory):
    """networks.voltage() once (arrays by name)."""
    return _child_arrays(tmp_path_factory, "voltage")


@source_nest
@with_nestml
@pytest.mark.parametrize("label", networks.VOLTAGE_LABELS)
def test_rules_reading_the_postsynaptic_state_agree_with_brian2_and_the_reference(voltage, label):
    """Brader-Senn-Fusi (models/brader_fusi.py: v_post at presynaptic spikes, step(),
    locals, dt_pre, a postsynaptic calcium trace) and a rule reading v_post at postsynaptic
    spikes, onto hub.LIF, which NEST runs as its twin written as equations: NEST, Brian2 and
    the hub's reference agree on every weight within 1e-14 (measured 8e-17 absolute on
    weights of 0.1, NEST's time doubles in dt_pre), with the same spikes; the weights moved.
    A NEST that read V at delivery with a min_delay of 10 steps was off by 0.085."""
    np.testing.assert_array_equal(voltage["nest/spikes"], voltage["brian2/spikes"])
    assert voltage["nest/spikes"].size > 50
    assert str(voltage["nest/model"][0]).startswith("hub_lif_exp_")
    reference = voltage[f"nest/{label}/reference"]
    for backend in ("nest", "brian2"):
        got = voltage[f"{backend}/{label}/weights"]
        assert np.max(np.abs(got - reference)) < 1e-14
    assert np.sum(voltage[f"nest/{label}/weights"] != 0.1) > 0.9 * reference.size
    np.testing.assert_array_equal(reference, voltage[f"brian2/{label}/reference"])


@pytest.fixture(scope="module")
def learned(tmp_path_factory):
    """networks.rules() once (arrays by name)."""
    return _child_arrays(tmp_path_factory, "rules")


def _rel(a, b):
    return float(np.max(np.abs(a - b) / np.abs(b)))


@source_nest
@with_nestml
def test_the_pair_rule_in_nests_arithmetic_learns_stdp_synapse_bit_for_bit(learned):
    """The pair rule written with NEST's stdp_synapse arithmetic (steps relative to w_max)
    onto the LIF written as equations learns exactly (==) the weights of NEST's built-in
    stdp_synapse onto its iaf_psc_exp, final and sampled every 100 ms; the spikes agree."""
    want, got = learned["stdp/builtin/q/weights"], learned["stdp/custom/q/weights"]
    assert want.size > 150 and np.all(want != 0.4)  # every weight moved
    np.testing.assert_array_equal(learned["stdp/builtin/q/spikes"], learned["stdp/custom/q/spikes"])
    np.testing.assert_array_equal(want, got)
    np.testing.assert_array_equal(
        learned["stdp/builtin/q/samples"], learned["stdp/custom/q/samples"]
    )
    assert learned["stdp/custom/q/samples"].shape == (20, 5)
    assert learned["stdp/custom/builds"][0] <= 1  # one module: the neuron and both synapses


@source_nest
@with_nestml
def test_the_additive_pair_rule_learns_stdp_synapse_within_rounding(learned):
    """The additive pair rule as tests/test_custom_rules.py writes it (``w + a_plus x``)
    learns NEST's stdp_synapse weights to rounding, not bit for bit: NEST computes
    ``(w/Wmax + (a_plus/w_max) x) Wmax`` (its steps are relative to Wmax), the rule
    ``w + a_plus x``, equal in exact arithmetic only (measured 2.2e-15 relative, about one
    weight in ten equal: 15 of 196); the traces are the same doubles (the previous test)."""
    want, got = learned["stdp/builtin/p/weights"], learned["stdp/custom/p/weights"]
    assert np.all(want != 0.4)
    np.testing.assert_array_equal(learned["stdp/builtin/p/spikes"], learned["stdp/custom/p/spikes"])
    assert _rel(got, want) < 1e-14
    assert _rel(got, learned["stdp/custom/p/reference"]) < 1e-14
    assert _rel(learned["stdp/custom/q/weights"], learned["stdp/custom/q/reference"]) < 1e-14


@source_nest
@with_nestml
@pytest.mark.parametrize("label", ["fast->out", "slow->out", "fast-|out"])
def test_bcm_on_nest_agrees_with_brian2_and_the_reference(learned, label):
    """BCM (models/bcm.py) onto the LIF written as equations, excitatory and inhibitory
    (the sign applied on transmission): NEST, Brian2 and the hub's reference agree on every
    weight within 1e-12 relative (measured 2.3e-14), with the same spikes; the rule moved
    the weights both ways."""
    np.testing.assert_array_equal(learned["bcm/nest/spikes"], learned["bcm/brian2/spikes"])
    nest_w, brian_w = learned[f"bcm/nest/{label}/weights"], learned[f"bcm/brian2/{label}/weights"]
    reference = learned[f"bcm/nest/{label}/reference"]
    big = np.abs(reference) > 1e-9
    assert np.all(np.abs(nest_w[~big]) < 1e-9) and np.all(np.abs(brian_w[~big]) < 1e-9)
    for got in (nest_w, brian_w):
        assert _rel(got[big], reference[big]) < 1e-12
    initial = -0.05 if label == "fast-|out" else 0.2
    assert np.any(np.abs(nest_w) > abs(initial)) and np.any(np.abs(nest_w) < abs(initial))
    assert np.all(np.sign(nest_w[big]) == np.sign(initial))


@source_nest
@with_nestml
def test_a_nonlinear_model_with_exp_is_identical_where_exp_is_libms(tmp_path):
    """The exponential integrate-and-fire neuron (forward Euler, an exp per step): NEST
    (NESTML's C++, std::exp) and Brian2 with Cython (libm's exp) compute the same doubles;
    Brian2 with numpy (numpy's own exp, off by an ulp at times) gives identical spikes and V
    within 1e-12 mV (measured 4.2e-13 over 1 s, 2141 spikes)."""
    out = tmp_path / "eif.npz"
    _child("eif", str(out))
    with np.load(out) as z:
        runs = {k: z[k] for k in z.files}
    assert runs["nest/stamps"].size > 1000
    for item in ("stamps", "indices", "v"):
        assert np.array_equal(runs[f"nest/{item}"], runs[f"cython/{item}"]), item
    for item in ("stamps", "indices"):
        assert np.array_equal(runs[f"nest/{item}"], runs[f"numpy/{item}"]), item
    assert np.abs(runs["nest/v"] - runs["numpy/v"]).max() < 1e-12


# --- rules with a teacher (ReSuMe) ---------------------------------------------------------
def test_a_rule_with_a_teacher_gets_a_volume_transmitter_port():
    """The teacher's spikes reach the NESTML synapse through a volume-transmitter port
    (``vt_ports``; NESTML 9 wants the key on every synapse of the pair), read like a
    postsynaptic spike one operation per line; the synapse's delay to its volume
    transmitter is a parameter.  The C++ patch fails loudly when NESTML's output is not the
    text it replaces."""
    from hub.equations import rule_program
    from hub_nest import nestml_build, nestml_rules

    program = rule_program(networks.TEACHER_TRACES)
    text = nestml_rules.render(program)
    assert "        teacher_spikes <- spike\n" in text and "onReceive(teacher_spikes):" in text
    teach = text.split("onReceive(teacher_spikes):")[1]
    assert "hub_s_r3 real = hub_s_r1 + hub_s_r2\n" in teach  # arrival = stamp + delay
    assert "hub_s_r7 real = hub_s_r3 - hub_s_tlast\n" in teach  # dt_pre
    assert "hub_s_r8 real = hub_s_r1 - hub_s_tp\n" in teach and "if hub_s_r8 > hub_s_eps:" in teach
    assert f"{nestml_rules.VT_DELAY} real = 0.0" in text
    body = [line.strip() for line in text.splitlines() if " real = " in line]
    ops = ("+", "-", "*", "/", "?")
    assert all(sum(line.split("=", 1)[1].count(op) for op in ops) <= 1 for line in body), body
    plain = rule_program(networks.STDP_RULE)
    options = nestml_rules.codegen_options("n", [program, plain], {})
    pair = options["neuron_synapse_pairs"][0]["synapses"]
    assert pair[nestml_rules.synapse_name(program)]["vt_ports"] == ["teacher_spikes"]
    assert pair[nestml_rules.synapse_name(plain)]["vt_ports"] == []
    assert nestml_build._teachers(options) == {nestml_rules.synapse_name(program): "teacher_spikes"}
    assert nestml_rules.VT_DELAY not in nestml_rules.render(plain)


def test_the_teacher_patch_refuses_c_plus_plus_it_does_not_know(tmp_path):
    from hub_nest import nestml_build

    (tmp_path / "syn__with_n.h").write_text("++vt_spikes_idx_;\n")
    with pytest.raises(RuntimeError, match="occurs 1 times, not 2.*NESTML's output changed"):
        nestml_build.patch_teacher(str(tmp_path), {"syn": "teacher_spikes"})
    with pytest.raises(RuntimeError, match="no C\\+\\+ header for other"):
        nestml_build.patch_teacher(str(tmp_path), {"other": "teacher_spikes"})


def test_what_nest_cannot_do_with_a_teacher_is_refused_before_building(monkeypatch):
    """A teacher whose spikes NEST draws (native Poisson), ``on_teacher`` reading the
    postsynaptic state, more teacher neurons than NEST has synapse models for: refused,
    naming why, before anything is built."""
    monkeypatch.setattr(modules, "check", lambda labels: (PREFIX, "3.10.0"))
    monkeypatch.setattr(modules, "module_for", _must_not_build)

    def refused(net, match):
        with pytest.raises(CapabilityError, match=match):
            custom.tables_for(custom.with_twins(hub.resolve(net, 20.0)))

    net = networks.teacher_network()
    net.add_source(hub.PoissonSource(rate=10.0, resolve="native"), size=4, label="nat")
    next(p for p in net.projections if p.label == "traces").synapse.rule.teacher = "nat"
    refused(net, r"teach_traces uses a teacher whose spikes NEST draws")
    reading = hub.define_rule(
        "teach_v",
        {"a": "0.01 weight", "theta": "-60 mV"},
        post_state={"v": "mV"},
        on_post="w = w - a",
        on_teacher="w = w + a * step(v_post - theta)",
    )
    net = networks.teacher_network()
    net.connect("grid", "out", hub.AllToAll(), hub.Plastic(reading(teacher="ties"), 0.1, 1.0))
    refused(net, r"teach_v uses the postsynaptic state in on_teacher")
    monkeypatch.setattr(custom, "TEACHER_MODELS", 11)
    refused(networks.teacher_network(), r"reach 13 postsynaptic neurons.*at most 511")


@source_nest
@with_nestml
def test_a_modulator_reaches_every_synapse_on_nest_as_on_brian2(taught):
    """A three-factor rule whose third factor is a modulator (a spike source of one neuron:
    its spikes reach every synapse of the projection, through one volume transmitter on
    NEST), potentiating by the product of the pre- and postsynaptic traces: NEST, Brian2 and
    the reference agree on every weight within 1e-14 absolute; the weights moved both ways."""
    label = networks.MODULATED_LABEL
    reference = taught[f"nest/{label}/reference"]
    np.testing.assert_array_equal(reference, taught[f"brian2/{label}/reference"])
    for backend in ("nest", "brian2"):
        assert np.max(np.abs(taught[f"{backend}/{label}/weights"] - reference)) < 1e-14
    assert np.any(reference > 0.01) and np.any(reference < 0.01)


@pytest.fixture(scope="module")
def taught(tmp_path_factory):
    """networks.teacher() once (arrays by name)."""
    return _child_arrays(tmp_path_factory, "teacher")


@source_nest
@with_nestml
@pytest.mark.parametrize("label", networks.TEACHER_LABELS)
def test_rules_with_a_teacher_agree_with_brian2_and_the_reference(taught, label):
    """ReSuMe (models/resume.py, onto hub.LIF: its twin written as equations on NEST) and,
    on a network made for equal times (teacher spikes arriving with presynaptic spikes and
    stamped with postsynaptic ones, weights clipped at 0), ReSuMe again and a rule whose
    on_teacher reads the postsynaptic trace, dt_pre and a local: NEST, Brian2 and the hub's
    reference agree on every weight within 1e-14 absolute (measured 4.8e-16 for NEST on
    weights up to 0.6: each backend times events in its own doubles, NEST as the sum of
    NEST's spike time and the delay), with the same spikes.  NESTML's own handling of the
    teacher's volume transmitter (teacher before postsynaptic spikes at one time, deliveries
    every min_delay that run events after the last presynaptic spike) was 0.19 off on such a
    network (/tmp probe; plugins/hub_nest/nestml_build.py patches it)."""
    for item in ("stamps", "indices"):
        np.testing.assert_array_equal(taught[f"nest/{item}"], taught[f"brian2/{item}"])
    assert taught["nest/stamps"].size > 1000
    assert str(taught["nest/model"][0]).startswith("hub_lif_exp_")
    reference = taught[f"nest/{label}/reference"]
    np.testing.assert_array_equal(reference, taught[f"brian2/{label}/reference"])
    for backend in ("nest", "brian2"):
        assert np.max(np.abs(taught[f"{backend}/{label}/weights"] - reference)) < 1e-14
    assert np.sum(reference != reference[0]) > 0.5 * reference.size  # the weights moved
    if label != "in->out":  # the network made for equal times
        at_pre, at_post = taught[f"nest/{label}/equal"]
        assert at_pre >= 40 and at_post >= 1000
        assert np.sum(reference == 0.0) > 0.5 * reference.size  # clipped: order matters
