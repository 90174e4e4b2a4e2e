"""Closed loop: weights change the spikes that change the weights.  NEST and Brian2 must stay
identical (spikes exactly, weights to 1e-9 relative; measured about 2e-15) over 1 s of a
recurrent LIF network with current synapses, and both must equal the reference
implementation run on their own spikes."""

import numpy as np
import pytest

import hub
from hub.plasticity import reference_state

pytestmark = [pytest.mark.nest, pytest.mark.brian2]
DURATION = 1000.0


def closed_loop(rule, seed=3, gain=1.0):
    net = hub.Network(dt=0.1, seed=seed)
    inp = net.add_source(hub.PoissonSource(rate=30.0), size=100, label="input")
    exc = net.add_population(80, hub.LIF(synapse="exp", tau_refrac=2.0, tau_syn_E=3.0), label="exc")
    inh = net.add_population(20, hub.LIF(synapse="exp", tau_refrac=2.0), label="inh")
    p_in = net.connect(
        inp,
        exc,
        hub.FixedProbability(0.2),
        hub.Plastic(rule, hub.Uniform(0.3 * gain, 0.9 * gain), delay=hub.Uniform(0.5, 2.0)),
        label="in",
    )
    p_rec = net.connect(
        exc,
        exc,
        hub.FixedProbability(0.1, allow_self_connections=False),
        hub.Plastic(rule, hub.Uniform(0.05 * gain, 0.3 * gain), delay=hub.Uniform(0.5, 3.0)),
        label="rec",
    )
    net.connect(exc, inh, hub.FixedProbability(0.3), hub.Static(0.4, 1.0))
    net.connect(inh, exc, hub.FixedProbability(0.3), hub.Static(-0.8, 1.0, receptor="inhibitory"))
    net.record(exc, "spikes")
    net.record(inh, "spikes")
    net.record(p_in, *rule.state, interval=100.0)
    net.record(p_rec, "weight", interval=50.0)
    return net


def identical(net, **brian2_options):
    runs = {
        b: hub.run(net, backend=b, duration=DURATION, **(brian2_options if b == "brian2" else {}))
        for b in ("nest", "brian2")
    }
    nest, b2 = runs["nest"], runs["brian2"]
    assert len(nest.spikes("exc")) > 500, "too quiet to be a closed-loop test"
    assert nest.spikes("exc") == b2.spikes("exc") and nest.spikes("inh") == b2.spikes("inh")
    resolved = hub.resolve(net, DURATION)
    for key, values in nest.synapse_state.items():
        scale = np.abs(values).max()
        assert np.max(np.abs(b2.synapse_state[key] - values)) <= 1e-9 * scale, key
        initial = next(p.weight for p in resolved.projections if p.label == key[0])
        if key[1] == "weight" and net.projections[0].synapse.rule.kind != "TsodyksMarkram":
            assert np.max(np.abs(values - initial)) > 1e-3 * scale, f"{key}: nothing learned"
    for key, sig in nest.synapse_signals.items():
        assert np.allclose(b2.synapse_signal(*key).values, sig.values, rtol=1e-9, atol=0)
    for res in runs.values():
        state, _ = reference_state(resolved, res)
        for key, want in state.items():
            assert np.allclose(res.synapse_state[key], want, rtol=1e-9, atol=1e-12), key
    return runs


def test_additive_stdp_closed_loop_is_identical_on_nest_and_brian2():
    identical(
        closed_loop(hub.STDP(A_plus=0.01, A_minus=0.0105, w_max=1.0, tau_plus=16.8, tau_minus=33.7))
    )


@pytest.mark.slow
def test_closed_loop_is_identical_with_compiled_code(cython_cache):
    """codegen="cython" compiles the plastic pathways too (strict flags): same numbers."""
    runs = identical(
        closed_loop(
            hub.DopamineSTDP(
                modulator="inh",
                modulator_delay=1.0,
                A_plus=0.02,
                A_minus=0.025,
                tau_c=100.0,
                tau_n=50.0,
                b=0.005,
                w_max=1.0,
            )
        ),
        codegen="cython",
        cache_dir=cython_cache,
    )
    compiled = runs["brian2"].provenance["brian2"]["compiled"]
    assert any(name.startswith("hub_plastic_in") for name in compiled), compiled


@pytest.mark.slow
@pytest.mark.parametrize(
    "rule",
    [
        hub.STDP(
            A_plus=0.01,
            A_minus=0.0105,
            w_max=1.0,
            pairing="nearest_symmetric",
            weight_dependence="multiplicative",
        ),
        hub.TripletSTDP(A_plus=1e-3, A_minus=2e-3, A_plus_triplet=2e-3, A_minus_triplet=1e-4),
        hub.VogelsSprekeler(eta=0.005, alpha=0.1),
        hub.TsodyksMarkram(U=0.4, tau_rec=100.0, tau_fac=50.0),
        hub.DopamineSTDP(
            modulator="inh",
            modulator_delay=1.0,
            A_plus=0.02,
            A_minus=0.025,
            tau_c=100.0,
            tau_n=50.0,
            b=0.005,
            w_max=1.0,
        ),
    ],
    ids=lambda r: r.kind,
)
def test_every_rule_closed_loop_is_identical_on_nest_and_brian2(rule):
    identical(closed_loop(rule, gain=4.0 if rule.kind == "TsodyksMarkram" else 1.0))


@pytest.mark.parametrize("backend", ["nest", "brian2", "chip"])
def test_plastic_projection_without_synapses(backend):
    net = hub.Network(dt=0.1, seed=1)
    a = net.add_source(hub.PoissonSource(rate=10.0), size=3, label="a")
    b = net.add_population(2, hub.LIF(), label="b")
    p = net.connect(a, b, hub.FixedProbability(0.0), hub.Plastic(hub.STDP(), 0.1), label="p")
    net.connect(a, b, hub.AllToAll(), hub.Static(0.1))
    net.record(p, "weight", interval=1.0)
    res = hub.run(net, backend=backend, duration=5.0)
    assert res.weights("p").shape == (0,) and res.synapse_signal("p").values.shape == (5, 0)
