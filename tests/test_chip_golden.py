"""The golden vectors of docs/chip.md section 1 (from Lava's unit tests), bit for bit, on both
engines and through hub.run with the ChipLIF model."""

import numpy as np
import pytest

import hub
from hub_chip.engine import Engine, Probe
from hub_chip.fast import HAVE_NUMBA, FastEngine
from hub_chip.program import NegativeGroups, Program

ENGINES = [Engine] + ([FastEngine] if HAVE_NUMBA else [])


def one_compartment(du, dv, bias=0, vth_mant=(1 << 17) - 1, refractory=0, input_stamps=()):
    """One compartment fed by one input axon with weight 128 (mantissa 128, exponent 0)."""
    a = lambda x: np.array([x], np.int64)  # noqa: E731
    return Program(
        1,
        a(du),
        a(dv),
        a(bias),
        a(vth_mant << 6),
        a(refractory),
        a(0),
        a(0),
        np.zeros(0, np.int64),
        1,
        np.array([0, 0, 1], np.int64),
        a(0),
        a(0),
        a(128 << 6),
        None,
        np.zeros(len(input_stamps), np.int64),
        np.asarray(input_stamps, np.int64),
    )


def trace(engine_cls, program, steps):
    eng = engine_cls(program, [Probe("u", np.array([0])), Probe("v", np.array([0]))])
    out = eng.run(steps)
    return out.samples[0][:, 0], out.samples[1][:, 0], out.spike_steps + 1


@pytest.mark.parametrize("engine_cls", ENGINES)
def test_current_decay_du_2048(engine_cls):
    # input 128 arrives in the step after the spike stamped 1 was sent: u = 128 << 6 = 8192
    u, _, _ = trace(engine_cls, one_compartment(du=2048, dv=0, input_stamps=[1]), 10)
    assert list(u[1:]) == [8192, 4096, 2048, 1024, 512, 256, 128, 64, 32]


@pytest.mark.parametrize("engine_cls", ENGINES)
def test_voltage_du1_dv2048(engine_cls):
    _, v, _ = trace(engine_cls, one_compartment(du=1, dv=2048, input_stamps=[1]), 9)
    assert list(v[1:]) == [8192, 12286, 14331, 15351, 15859, 16111, 16235, 16295]


@pytest.mark.parametrize("engine_cls", ENGINES)
def test_bias_spikes_at_5_and_10(engine_cls):
    _, v, stamps = trace(engine_cls, one_compartment(du=0, dv=0, bias=2 << 6, vth_mant=8), 12)
    assert list(stamps) == [5, 10]
    assert list(v[:6]) == [128, 256, 384, 512, 0, 128]


@pytest.mark.parametrize("engine_cls", ENGINES)
def test_subtractive_reset_keeps_the_excess(engine_cls):
    """With ``subtract`` a spike takes the effective threshold vth + 1 = 65 from v (bias 40 per
    step, no decay): v = 40, 80 -> 15, 55, 95 -> 30, ..., integer arithmetic by hand."""
    prog = one_compartment(du=0, dv=0, bias=40, vth_mant=1)
    prog.subtract = np.array([True])
    _, v, stamps = trace(engine_cls, prog, 40)
    want_v, want_stamps, x = [], [], 0
    for step in range(40):
        x += 40
        if x > 64:
            x -= 65
            want_stamps.append(step + 1)
        want_v.append(x)
    assert list(v) == want_v and list(stamps) == want_stamps
    assert want_v[:5] == [40, 15, 55, 30, 5] and len(want_stamps) == 24


@pytest.mark.parametrize("engine_cls", ENGINES)
@pytest.mark.parametrize("cap", [2, 3])
def test_several_spikes_per_step_send_the_row_k_times(engine_cls, cap):
    """LIFSubtract[spikes=many] on the chip: neuron 0 (bias 150 a step, no decay, effective
    threshold vth + 1 = 65) emits k = min(cap, v // 65) spikes and loses 65 k; its one synapse
    (weight 448) to neuron 1 (u without memory, v without decay, never spikes) is sent k times,
    so v1 grows by 448 k one step later.  Integer arithmetic by hand."""
    a = lambda *x: np.array(x, np.int64)  # noqa: E731
    prog = Program(
        n_neurons=2,
        du=a(0, 4096),
        dv=a(0, 0),
        bias=a(150, 0),
        vth=a(64, (1 << 23) - 1),
        refractory=a(0, 0),
        u0=a(0, 0),
        v0=a(0, 0),
        join_parent=np.zeros(0, np.int64),
        n_inputs=0,
        ptr=a(0, 1, 1),
        target=a(1),
        delay=a(0),
        weight=a(448),
        neg=None,
        input_index=np.zeros(0, np.int64),
        input_stamp=np.zeros(0, np.int64),
        subtract=np.array([True, False]),
        max_spikes=a(cap, 1),
    )
    eng = engine_cls(prog, [Probe("v", np.array([0, 1]))])
    out = eng.run(12)
    v0, v1 = out.samples[0][:, 0], out.samples[0][:, 1]
    want0, want1, want_stamps, x, y, sent = [], [], [], 0, 0, 0
    for step in range(12):
        x += 150
        y += 448 * sent  # last step's spikes arrive
        sent = min(cap, x // 65) if x > 64 else 0
        x -= 65 * sent
        want_stamps += [step + 1] * sent
        want0.append(x)
        want1.append(y)
    assert list(v0) == want0 and list(v1) == want1
    assert sorted(out.spike_steps[out.spike_neurons == 0] + 1) == want_stamps
    assert out.synaptic_events == len(want_stamps)  # one synapse per spike
    if cap == 2:  # 150 -> 20, 170 -> 40, ...: two spikes a step and v climbs by 20
        assert want0[:4] == [20, 40, 60, 80] and want_stamps[:4] == [1, 1, 2, 2]
    else:  # 210 // 65 = 3 in step 4: v falls back to 15
        assert want0[:5] == [20, 40, 60, 15, 35] and want_stamps.count(4) == 3
    assert want1[:3] == [0, 896, 1792]


def test_golden_vectors_through_hub_run():
    """The same vectors with ChipLIF populations, a spike source and hub delays."""
    net = hub.Network(dt=0.1, seed=1)
    src = net.add_source(hub.SpikeTimes([0.1]), size=1, label="src")
    a = net.add_population(1, hub.ChipLIF(du=2048, dv=0, vth_mant=(1 << 17) - 1), label="a")
    b = net.add_population(1, hub.ChipLIF(du=1, dv=2048, vth_mant=(1 << 17) - 1), label="b")
    c = net.add_population(
        1, hub.ChipLIF(du=0, dv=0, bias_mant=2, bias_exp=6, vth_mant=8), label="c"
    )
    for pop in (a, b):
        net.connect(src, pop, hub.OneToOne(), hub.Static(weight=128, delay=0.1))
    net.record(a, "u")
    net.record(b, "v")
    net.record(c, "spikes")
    res = hub.run(net, backend="chip", duration=1.0)
    # source stamp 1, hub delay 1 step: the input arrives at stamp 2 (programmed delay 0)
    assert list(res.signal("a", "u").values[1:, 0]) == [
        8192,
        4096,
        2048,
        1024,
        512,
        256,
        128,
        64,
        32,
    ]
    assert list(res.signal("b", "v").values[1:9, 0]) == [
        8192,
        12286,
        14331,
        15351,
        15859,
        16111,
        16235,
        16295,
    ]
    assert list(res.spikes("c").stamps) == [5, 10]


# --- bias mantissa and exponent ---------------------------------------------------------------
ENGINE_NAMES = ["numpy"] + (["numba"] if HAVE_NUMBA else [])
VTH_MAX = (1 << 17) - 1  # vth = VTH_MAX << 6 = 8388544, just below the v clip 8388607


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_bias_mantissa_and_exponent(engine):
    """ChipLIF's bias is ``bias_mant << bias_exp`` per step, by hand (no decay unless said):

    * 3 << 5 = 96, vth_mant 4 (256): v = 96, 192, 288 > 256 spikes: stamps 3, 6, 9, ...;
    * 4095 << 7 = 524160 (the largest): v = 524160 k up to 16 steps (8386560, below vth
      8388544); the 17th would be 8910720, clipped to 8388607 > vth: a spike, stamps 17, 34;
    * -4095 << 7: v = -524160 k, then held at the clip -8388607 from step 16 on;
    * -3 << 2 = -12 with dv 2048 (v keeps half, truncated toward zero): v = -12, -18, -21,
      -22, -23, -23, ... (a floor would settle at -24).
    The report counts the clips: 2 (positive) + 24 (steps 16..39 negative)."""
    net = hub.Network(dt=0.1, seed=1)
    pops = {
        "a": hub.ChipLIF(du=0, dv=0, bias_mant=3, bias_exp=5, vth_mant=4),
        "b": hub.ChipLIF(du=0, dv=0, bias_mant=4095, bias_exp=7, vth_mant=VTH_MAX),
        "c": hub.ChipLIF(du=0, dv=0, bias_mant=-4095, bias_exp=7, vth_mant=VTH_MAX),
        "d": hub.ChipLIF(du=0, dv=2048, bias_mant=-3, bias_exp=2, vth_mant=VTH_MAX),
    }
    for label, model in pops.items():
        net.record(net.add_population(1, model, label=label), "v")
        net.record(net.populations[-1], "spikes")
    res = hub.run(net, backend="chip", duration=4.0, engine=engine)  # 40 steps
    v = {label: list(res.signal(label, "v").values[:, 0]) for label in pops}
    assert v["a"][:9] == [96, 192, 0, 96, 192, 0, 96, 192, 0]
    assert list(res.spikes("a").stamps) == list(range(3, 41, 3))
    assert v["b"][:18] == [524160 * k for k in range(1, 17)] + [0, 524160]
    assert v["b"][32:35] == [524160 * 16, 0, 524160]
    assert list(res.spikes("b").stamps) == [17, 34]
    assert v["c"] == [-524160 * k for k in range(1, 17)] + [-(2**23 - 1)] * 24
    assert len(res.spikes("c")) == 0
    assert v["d"][:8] == [-12, -18, -21, -22, -23, -23, -23, -23]
    counts = res.extra["chip"]["counts"]
    assert counts["v_clips"] == 2 + 24 and counts["u_wraps"] == 0


def test_bias_quantizer_takes_the_smallest_exponent_that_fits():
    """quantize.bias (float models): exponent e = the smallest with |b| / 2^e <= 4095, then
    the mantissa rounded half to even; beyond 4095 << 7 the mantissa saturates.  By hand:
    96 -> 96 << 0; 4095 -> 4095 << 0; 4096 -> 2048 << 1; -5000 -> -2500 << 1;
    6000.5 -> 3000 << 1 (3000.25 rounded); 100000 -> 3125 << 5 (6250 at e = 4 does not fit);
    524160 -> 4095 << 7; 1e6 -> 4095 << 7, saturated (7812.5 needed); 0.4 -> 0;
    2.5 -> 2, 3.5 -> 4, -2.5 -> -2 (half to even)."""
    from hub_chip import quantize

    b = [96, 4095, 4096, -5000, 6000.5, 100000, 524160, 1e6, 0.4, 2.5, 3.5, -2.5]
    mant, exp, saturated = quantize.bias(np.array(b))
    assert list(mant) == [96, 4095, 2048, -2500, 3000, 3125, 4095, 4095, 0, 2, 4, -2]
    assert list(exp) == [0, 0, 1, 1, 1, 5, 7, 7, 0, 0, 0, 0]
    assert saturated == 1


# --- 24-bit wrap of u, clip of v ----------------------------------------------------------------
@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_u_wraps_and_v_clips_counted(engine):
    """Five source neurons spike at stamp 1 into three ChipLIF neurons (no threshold reached
    but where said); weight 32640 is mantissa 255 with exponent 7: 255 << 13 = 2088960 in u.

    * "w" (du 4096: u is this step's input): weights 32640 x 4 and 512 in one projection
      (one group, exponent 7, so 512 is mantissa 4: 4 << 13 = 32768): u = 4 * 2088960 +
      32768 = 2^23, which wraps to -2^23 = -8388608 (one wrap); v = -8388608 is clipped to
      -8388607 (one clip), and stays there;
    * "n" (an inhibitory projection): weights -32640 x 5: u = -10444800 wraps to
      -10444800 + 2^24 = 6332416 (one wrap);
    * "p" (du 0: u holds): weights 32640 x 4: u = 8355840 < 2^23 (no wrap); v = 8355840,
      then 16711680, clipped to 8388607 > vth 8388544: a spike every second step, one clip
      each (steps 2, 4, 6, 8 of 10).
    Counts: u_wraps 2, v_clips 1 + 4."""
    net = hub.Network(dt=0.1, seed=1)
    src = net.add_source(hub.SpikeTimes([0.1]), size=5, label="src")
    weights = {"w": [32640] * 4 + [512], "n": [-32640] * 5, "p": [32640] * 4}
    du = {"w": 4096, "n": 4096, "p": 0}
    for label, w in weights.items():
        pop = net.add_population(1, hub.ChipLIF(du=du[label], dv=0, vth_mant=VTH_MAX), label=label)
        pre = np.arange(len(w))
        conn = hub.FromArrays(pre, np.zeros_like(pre), weight=np.array(w, float))
        receptor = "inhibitory" if w[0] < 0 else "excitatory"
        net.connect(src, pop, conn, hub.Static(weight=0, delay=0.1, receptor=receptor))
        for var in ("u", "v", "spikes"):
            net.record(pop, var)
    res = hub.run(net, backend="chip", duration=1.0, engine=engine)
    u = {label: list(res.signal(label, "u").values[:, 0]) for label in weights}
    v = {label: list(res.signal(label, "v").values[:, 0]) for label in weights}
    assert u["w"] == [0, -(2**23)] + [0] * 8
    assert v["w"] == [0] + [-(2**23 - 1)] * 9
    assert u["n"] == [0, 6332416] + [0] * 8 and v["n"] == [0] + [6332416] * 9
    assert u["p"] == [0] + [8355840] * 9
    assert v["p"] == [0, 8355840, 0, 8355840, 0, 8355840, 0, 8355840, 0, 8355840]
    assert list(res.spikes("p").stamps) == [3, 5, 7, 9]
    assert len(res.spikes("w")) == len(res.spikes("n")) == 0
    counts = res.extra["chip"]["counts"]
    assert counts["u_wraps"] == 2 and counts["v_clips"] == 5


# --- weights beyond 8 bits: mantissa and shared exponent ----------------------------------------
@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_weights_beyond_255_get_a_mantissa_and_the_groups_exponent(engine):
    """ChipLIF weights |w| > 255: the group's exponent is the smallest e with max |w| / 2^e
    <= 255, each mantissa rint(w / 2^e) (half to even), and u receives ``mant << (6 + e)``.

    * one projection (one group) with weights 300, 301, 303, 511, 1000: max 1000 gives e = 2,
      mantissas 75, 75, 76, 128, 250, u += 19200, 19200, 19456, 32768, 64000 (rounding to
      the group's exponent costs 301 and 303 their last bits: 75.25 and 75.75); sources
      spike one per step, du 4096 shows each input alone;
    * weights each alone in a projection (its own group; negative ones inhibitory):
      300 -> 150 << 1 (19200), 301 -> 150.5 rounded to 150 (19200), 303 -> 151.5 to 152
      (19456), 511 -> 127.75 to 128 << 2 (32768), 510 -> 255 << 1 (32640, exact), 1000 ->
      250 << 2 (64000), -700 -> -175 << 2 (-44800), 255 -> 255 << 0 (16320), 256 -> 128 << 1
      (16384), 32640 -> 255 << 7 (2088960), 40000 -> 312.5 at the largest exponent 7:
      saturated to 255 (2088960), which the quantization report counts."""
    net = hub.Network(dt=0.1, seed=1)
    shared = [300, 301, 303, 511, 1000]
    alone = [300, 301, 303, 511, 510, 1000, -700, 255, 256, 32640, 40000]
    src = net.add_source(
        hub.SpikeTimes([[0.1 * (k + 1)] for k in range(len(shared))]), size=len(shared), label="s"
    )
    src_all = net.add_source(hub.SpikeTimes([0.1]), size=len(alone), label="s_all")
    model = hub.ChipLIF(du=4096, dv=0, vth_mant=VTH_MAX)
    g = net.add_population(1, model, label="g")
    h = net.add_population(len(alone), model, label="h")
    pre = np.arange(len(shared))
    conn = hub.FromArrays(pre, np.zeros_like(pre), weight=np.array(shared, float))
    net.connect(src, g, conn, hub.Static(weight=0, delay=0.1))
    for k, w in enumerate(alone):
        conn = hub.FromArrays(np.array([k]), np.array([k]), weight=np.array([float(w)]))
        receptor = "inhibitory" if w < 0 else "excitatory"
        net.connect(src_all, h, conn, hub.Static(weight=0, delay=0.1, receptor=receptor))
    net.record(g, "u")
    net.record(h, "u")
    res = hub.run(net, backend="chip", duration=1.0, engine=engine)
    # source k spikes at stamp k + 1; with hub delay 1 step it reaches u in step k + 1
    assert list(res.signal("g", "u").values[1:7, 0]) == [
        19200,
        19200,
        19456,
        32768,
        64000,
        0,
    ]
    assert list(res.signal("h", "u").values[1]) == [
        19200,
        19200,
        19456,
        32768,
        32640,
        64000,
        -44800,
        16320,
        16384,
        2088960,
        2088960,
    ]
    assert res.extra["chip"]["quantization"]["weights"]["saturated"] == 1


def test_weight_quantizer_exponents_by_hand():
    """quantize.weights and group_exponents: the exponent from the group's largest |w|;
    negative exponents (allowed only where asked) for small weights: 100 -> -1 (mantissa
    200), 1 -> -7 (128), 0.5 -> -8 (128), 255 -> 0, 256 -> 1, 0 -> 0."""
    from hub_chip import quantize

    mant, exp, sat = quantize.weights(
        np.array([300.0, 301, 303, 511, 1000, -700]), np.zeros(6, np.int64), 1, False
    )
    assert list(mant) == [75, 75, 76, 128, 250, -175] and list(exp) == [2] and sat == 0
    e = quantize.group_exponents(np.array([100, 1, 0.5, 255, 256, 0]), allow_negative=True)
    assert list(e) == [-1, -7, -8, 0, 1, 0]
    e = quantize.group_exponents(np.array([100, 1, 255, 256, 32640, 40000]), allow_negative=False)
    assert list(e) == [0, 0, 0, 1, 7, 7]


def negative_exponent_program():
    """Two targets fed by input axons through groups with negative exponents (u without
    memory, du 4096, so u is each step's input):

    * target 0, group A (exponent -1): mantissas 3, 3, -3, -5 from axons 0, 1, 2, 3;
    * target 1, group B (exponent -8): 255, 255 from axons 4, 5; group C (exponent -2): 3
      from axon 4.
    Spikes arrive in steps 1..7: {0, 1}, {0}, {2}, {2, 3}, {0, 2}, {0, 1, 3}, {1, 2, 3} on
    group A; {4}, {4, 5}, {5} in steps 1, 2, 3 on B and C."""
    a = lambda *x: np.array(x, np.int64)  # noqa: E731
    arrivals = {0: [1, 2, 5, 6], 1: [1, 6, 7], 2: [3, 4, 5, 7], 3: [4, 6, 7], 4: [1, 2], 5: [2, 3]}
    inputs = sorted((s, axon) for axon, stamps in arrivals.items() for s in stamps)
    # negative-group synapses as a CSR over senders (2 neurons, then axons 0..5)
    rows = [  # (axon, aux slot, mantissa)
        (0, 0, 3),
        (1, 0, 3),
        (2, 0, -3),
        (3, 0, -5),
        (4, 1, 255),
        (4, 2, 3),
        (5, 1, 255),
    ]
    counts = np.bincount([2 + r[0] for r in rows], minlength=8)
    return Program(
        n_neurons=2,
        du=a(4096, 4096),
        dv=a(0, 0),
        bias=a(0, 0),
        vth=a((1 << 23) - 1, (1 << 23) - 1),
        refractory=a(0, 0),
        u0=a(0, 0),
        v0=a(0, 0),
        join_parent=np.zeros(0, np.int64),
        n_inputs=6,
        ptr=np.zeros(9, np.int64),
        target=np.zeros(0, np.int64),
        delay=np.zeros(0, np.int64),
        weight=np.zeros(0, np.int64),
        neg=NegativeGroups(
            ptr=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
            aux=a(*[r[1] for r in rows]),
            delay=a(*[0] * len(rows)),
            mant=a(*[r[2] for r in rows]),
            aux_target=a(0, 1, 1),  # slot 0: (A, 0); slot 1: (B, 1); slot 2: (C, 1)
            aux_shift=a(1, 8, 2),
        ),
        input_index=a(*[axon for _, axon in inputs]),
        input_stamp=a(*[s for s, _ in inputs]),
    )


def test_negative_weight_exponent_floors_each_groups_sum():
    """``u += (A >> -e) << 6`` with A the group's summed mantissas, a floor (numpy engine).
    Group A (e = -1): 3 + 3 = 6 -> 3 (192, where flooring each synapse would give 128);
    3 -> 1 (64); -3 -> -2 (-128, a floor, not -1); -3 - 5 = -8 -> -4 (-256); 3 - 3 = 0;
    3 + 3 - 5 = 1 -> 0; 3 - 3 - 5 = -5 -> -3 (-192).  Target 1: group B (e = -8) 255 -> 0
    alone, 255 + 255 = 510 -> 1 (64) together; group C (e = -2) 3 -> 0 on its own floor."""
    eng = Engine(negative_exponent_program(), [Probe("u", np.array([0, 1]))])
    out = eng.run(9)
    u = out.samples[0]
    assert list(u[:, 0]) == [0, 192, 64, -128, -256, 0, 0, -192, 0]
    assert list(u[:, 1]) == [0, 0, 64, 0, 0, 0, 0, 0, 0]
    # every synapse activation counts, whether its group's sum shifts to 0 or not: axons 0-3
    # spike 4, 3, 4, 3 times, axon 4 (two synapses) twice, axon 5 twice
    assert out.synaptic_events == 4 + 3 + 4 + 3 + 2 * 2 + 2 and out.input_spikes == 18


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba not installed")
def test_numba_engine_refuses_negative_weight_exponents():
    """The numba engine has no negative-exponent path: it refuses the program (the backend
    then runs the numpy engine)."""
    with pytest.raises(ValueError, match="negative weight exponents: use the numpy engine"):
        FastEngine(negative_exponent_program())


# --- refractory edge cases ----------------------------------------------------------------------
@pytest.mark.parametrize("engine_cls", ENGINES)
def test_refractory_0_spikes_every_step(engine_cls):
    """bias 100 > vth 64 and no refractory period: a spike in every step, v 0 after each."""
    _, v, stamps = trace(engine_cls, one_compartment(du=0, dv=0, bias=100, vth_mant=1), 10)
    assert list(stamps) == list(range(1, 11)) and list(v) == [0] * 10


@pytest.mark.parametrize("engine_cls", ENGINES)
@pytest.mark.parametrize("refractory", [0, 1, 2, 5])
def test_refractory_period_holds_v_that_many_steps(engine_cls, refractory):
    """bias 40, vth 64: v = 40, 80 > 64 spikes, then ``refractory`` steps held at 0, then 40
    again: a spike every refractory + 2 steps, the first at stamp 2."""
    prog = one_compartment(du=0, dv=0, bias=40, vth_mant=1, refractory=refractory)
    _, v, stamps = trace(engine_cls, prog, 30)
    period = refractory + 2
    assert list(stamps) == list(range(2, 31, period))
    assert list(v[:period]) == [40] + [0] * (period - 1)
    assert list(v[period : 2 * period]) == [40] + [0] * (period - 1)


@pytest.mark.parametrize("engine_cls", ENGINES)
def test_input_during_refractory_period_reaches_u(engine_cls):
    """No decay, vth 312 << 6 = 19968, refractory 2, input 8192 arriving in steps 1, 3 and 5:
    u = 8192, 8192, 16384 and v = 8192, 16384, 32768 -> a spike in step 3; steps 4 and 5 hold
    v at 0 while u keeps integrating (the input of step 5 makes u 24576), so step 6 sees
    v = 0 + 24576 > vth at once: a spike every third step from then on.  (Dropping the input
    of step 5 would give v = 16384 in step 6, no spike; keeping v during the hold would give
    v = 16384 in step 4.)"""
    prog = one_compartment(du=0, dv=0, vth_mant=312, refractory=2, input_stamps=[1, 3, 5])
    u, v, stamps = trace(engine_cls, prog, 16)
    assert list(u) == [0, 8192, 8192, 16384, 16384] + [24576] * 11
    assert list(v) == [0, 8192, 16384] + [0] * 13
    assert list(stamps) == [4, 7, 10, 13, 16]


@pytest.mark.parametrize("engine_cls", ENGINES)
def test_refractory_on_a_subtracting_compartment_zeroes_the_excess(engine_cls):
    """A subtracting compartment with a refractory period (the program allows it; LIFSubtract
    itself has none): bias 40, vth + 1 = 65, refractory 1.  v = 40, 80 -> a spike keeps the
    excess 15, then the held step sets v to 0 (docs/chip.md: v = 0 while refractory), so the
    excess is lost: v = 40, 15, 0, 40, 15, 0, ...; spikes at stamps 2, 5, 8, ... (without the
    period: 40, 15, 55, 30, 5, ...)."""
    prog = one_compartment(du=0, dv=0, bias=40, vth_mant=1, refractory=1)
    prog.subtract = np.array([True])
    _, v, stamps = trace(engine_cls, prog, 12)
    assert list(v) == [40, 15, 0] * 4
    assert list(stamps) == [2, 5, 8, 11]
