"""NEST's native plastic synapses: what the conformance kit does not cover (signs on the
inhibitory receptor, read-out timing when min_delay is long, threads, multapses, the
neuron-side time constants)."""

import numpy as np
import pytest

import hub
from hub.plasticity import reference_state

pytestmark = pytest.mark.nest


def poisson_net(
    rule,
    *,
    receptor="excitatory",
    model=None,
    delays=(0.1, 1.0, 2.3),
    weight_scale=0.01,
    interval=7.0,
    multapses=False,
    seed=1,
):
    net = hub.Network(dt=0.1, seed=seed)
    rng = np.random.default_rng(seed)
    pre = net.add_source(hub.PoissonSource(rate=40.0), size=6, label="pre")
    drive = net.add_source(hub.PoissonSource(rate=30.0), size=3, label="drive")
    post = net.add_population(
        3, model or hub.LIF(synapse="delta", tau_m=1.0, tau_refrac=0.0), label="post"
    )
    pi, qi = (a.ravel() for a in np.meshgrid(np.arange(6), np.arange(3), indexing="ij"))
    if multapses:  # every pair twice, with another delay and weight
        pi, qi = np.concatenate([pi, pi]), np.concatenate([qi, qi])
    w = rng.uniform(0.1, 0.9, pi.size) * weight_scale
    if receptor == "inhibitory" and post.model.input != "conductance":
        w = -w
    proj = net.connect(
        pre,
        post,
        hub.FromArrays(pi, qi, weight=w, delay=rng.choice(delays, pi.size)),
        hub.Plastic(rule, 0.0, receptor=receptor),
        label="plastic",
    )
    drive_w = 100.0 if post.model.input == "voltage" else 50.0
    net.connect(drive, post, hub.OneToOne(), hub.Static(weight=drive_w, delay=min(delays)))
    net.record(post, "spikes")
    net.record(proj, *rule.state, interval=interval)
    return net


def agree(net, duration=400.0, **options):
    res = hub.run(net, backend="nest", duration=duration, **options)
    state, signals = reference_state(hub.resolve(net, duration), res)
    assert len(res.spikes("post")) > 20
    for key, want in state.items():
        assert np.allclose(res.final_state(*key), want, rtol=1e-12, atol=0), key
        assert not np.allclose(res.synapse_signal(*key).values[0], want), "nothing learned"
    for key, want in signals.items():
        assert np.allclose(res.synapse_signal(*key).values, want.values, rtol=1e-12, atol=0)
    return res


STDP = hub.STDP(A_plus=0.05, A_minus=0.06, w_max=0.01)


@pytest.mark.parametrize(
    "model", [hub.LIF(synapse="exp", tau_refrac=0.0), hub.LIFCond(synapse="exp", tau_refrac=0.0)]
)
def test_inhibitory_receptor_keeps_the_hub_sign(model):
    net = poisson_net(STDP, receptor="inhibitory", model=model)
    res = agree(net)
    w = res.weights("plastic")
    assert (w <= 0).all() if model.input == "current" else (w >= 0).all()


def test_read_out_with_long_min_delay_and_two_threads():
    """min_delay 10 steps: sampling every 0.7 ms needs a one-step min_delay (added by the
    session); a 5 ms interval does not; threads do not change the weights."""
    for interval, threads, duration in [(0.7, 1, 400.0), (5.0, 2, 403.3)]:
        agree(poisson_net(STDP, delays=(1.0, 2.3), interval=interval), duration, threads=threads)


@pytest.mark.parametrize("delays", [(0.1, 1.0, 2.3), (1.0,)])
def test_multapses_are_mapped_back_to_the_hub_order(delays):
    """Parallel connections with one delay are told apart by their initial weights (mapped
    before the run); the others by source, target and delay at the first read-out."""
    agree(
        poisson_net(
            hub.TripletSTDP(
                A_plus=1e-4, A_minus=1e-4, A_plus_triplet=1e-4, A_minus_triplet=1e-5, w_max=0.01
            ),
            multapses=True,
            delays=delays,
        )
    )


def test_postsynaptic_time_constants_must_agree_per_population():
    net = poisson_net(STDP)
    net.connect(
        "pre", "post", hub.AllToAll(), hub.Plastic(hub.STDP(tau_minus=30.0, w_max=0.01), 0.001)
    )
    with pytest.raises(hub.CapabilityError, match="different tau_minus"):
        hub.run(net, backend="nest", duration=10.0)


def test_depression_without_potentiation_is_refused_clearly():
    net = poisson_net(hub.STDP(A_plus=0.0, A_minus=0.01, w_max=0.01))
    with pytest.raises(hub.CapabilityError, match="A_plus = 0"):
        hub.run(net, backend="nest", duration=10.0)


def test_provenance_names_the_synapse_models():
    net = poisson_net(hub.STDP(pairing="nearest_restricted", w_max=0.01))
    res = hub.run(net, backend="nest", duration=20.0)
    assert res.provenance["nest"]["synapse_models"] == {"plastic": "stdp_nn_restr_synapse"}


@pytest.mark.brian2
def test_a_plastic_projection_with_one_synapse():
    """NEST returns scalars, not arrays, for one connection: the read-back must still give
    the weight, equal to Brian2's (this crashed with an IndexError)."""
    net = hub.Network(dt=0.1, seed=1)
    pre = net.add_source(hub.SpikeTimes([1.0, 5.0, 9.0, 14.0]), size=1, label="pre")
    drive = net.add_source(hub.SpikeTimes([3.0, 7.0, 12.0]), size=1, label="drive")
    post = net.add_population(1, hub.LIF(synapse="delta"), label="post")
    proj = net.connect(
        pre,
        post,
        hub.OneToOne(),
        hub.Plastic(hub.STDP(A_plus=0.01, A_minus=0.012, w_max=1.0), 0.5),
        label="pl",
    )
    net.connect(drive, post, hub.OneToOne(), hub.Static(weight=100.0, delay=0.1))
    net.record(proj, "weight", interval=1.0)
    net.record(post, "spikes")
    got = {b: hub.run(net, backend=b, duration=20.0) for b in ("nest", "brian2")}
    assert len(got["nest"].spikes("post")) == 3
    w = got["nest"].weights("pl")
    assert w.shape == (1,) and w[0] != 0.5  # the rule did act
    assert w[0] == got["brian2"].weights("pl")[0]
    np.testing.assert_array_equal(
        got["nest"].synapse_signal("pl", "weight").values,
        got["brian2"].synapse_signal("pl", "weight").values,
    )
