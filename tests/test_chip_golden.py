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
