"""The golden vectors of docs/chip.md section 1 (from Lava's unit tests), bit for bit, on both
engines and through hub.run with the ChipLIF model."""

import numpy as np
import pytest

import hub
from hub_chip.engine import Engine, Probe
from hub_chip.fast import HAVE_NUMBA, FastEngine
from hub_chip.program import Program

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
