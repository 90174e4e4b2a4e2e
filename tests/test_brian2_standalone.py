"""codegen="standalone" on the Brian2 backend: the whole network as one C++ program.

Held against independent references: NEST (hub backend "nest") on networks where the
runtime Brian2 path is bit-identical to it, and the runtime numpy path of the same backend.
Every standalone compile costs 15-30 s here, so the fast tests share one network structure
(one compile per test session, in a per-session project directory).
"""

import numpy as np
import pytest

import hub

from test_cross_backend import max_state_difference

pytestmark = [pytest.mark.brian2]


@pytest.fixture(scope="session")
def standalone_cache(tmp_path_factory):
    """A per-session directory for the standalone projects (pass as ``cache_dir``)."""
    return str(tmp_path_factory.mktemp("brian2-standalone"))


def active_device():
    import brian2

    return type(brian2.get_device()).__name__


def lif_network(model=None, seed=7, n=200, duration=400.0, delays=(0.1, 2.5)):
    """LIF cells, 80 % excitatory / 20 % inhibitory, p = 0.05, with a Poisson source, a
    spike-time source with several spikes of one neuron in one step (an event of
    multiplicity 2), a DC current and a step current on part of the cells.  The smallest
    delay is one step unless ``delays`` say otherwise (NEST's min_delay)."""
    model = model or hub.LIF(synapse="exp", i_offset=0.1, tau_m=np.linspace(15.0, 25.0, n))
    net = hub.Network(dt=0.1, seed=seed)
    src = net.add_source(hub.PoissonSource(rate=40.0), size=60, label="input")
    times = net.add_source(
        hub.SpikeTimes(times=[[5.0, 5.0, 120.0], [30.0, 200.5, 200.5, 200.5]]),
        size=2,
        label="times",
    )
    cells = net.add_population(n, model, label="cells")
    cells.initialize(v=hub.Uniform(-65.0, -55.0))
    net.connect(src, cells, hub.FixedProbability(0.1), hub.Static(weight=0.5, delay=delays[0]))
    net.connect(times, cells, hub.AllToAll(), hub.Static(weight=1.5, delay=1.0))
    n_exc = int(0.8 * n)
    rng = np.random.default_rng(seed)
    for lo, hi, weight, rec in ((0, n_exc, 0.3, "excitatory"), (n_exc, n, -0.9, "inhibitory")):
        pre, post = np.nonzero(rng.random((hi - lo, n)) < 0.05)
        net.connect(
            cells,
            cells,
            hub.FromArrays(pre + lo, post),
            hub.Static(weight=weight, delay=hub.Uniform(*delays), receptor=rec),
        )
    net.inject(cells, hub.DCSource(amplitude=0.2, start=50.0, stop=250.0), indices=range(0, n, 4))
    net.inject(
        cells,
        hub.StepCurrentSource(times=[20.0, 150.0, 300.0], amplitudes=[0.15, -0.1, 0.05]),
        indices=range(1, n, 3),
    )
    net.record(cells, "spikes", "v")
    return hub.resolve(net, duration)


def assert_same(a, b, what):
    total = 0
    for label, st in a.spike_trains.items():
        assert st == b.spikes(label), f"{what}: spikes of {label} differ"
        total += len(st)
    assert total > 300, f"only {total} spikes: not a test of identity"
    for key, err in max_state_difference(a, b).items():
        assert err == 0.0, f"{what}: {key}: max |difference| = {err:.3g}"


def test_standalone_identical_to_nest_and_numpy(standalone_cache):
    """Spikes and V equal NEST's and the numpy target's, bit for bit; the run reports its
    build, compile and simulation seconds; a second standalone run in the same process
    reuses the compiled project; the runtime device is back after each run."""
    r = lif_network()
    sa = hub.run(r, backend="brian2", codegen="standalone", cache_dir=standalone_cache)
    assert active_device() == "RuntimeDevice"
    info = sa.provenance["brian2"]
    assert info["codegen"] == "standalone" and info["nest_order"] is True
    assert "-ffp-contract=off" in info["cflags"] and "-march=native" not in info["cflags"]
    assert set(info["timings"]) == {"codegen_s", "compile_s", "run_s", "binary_s"}
    assert info["build_dir"].startswith(standalone_cache)
    nest = hub.run(r, backend="nest")
    numpy = hub.run(r, backend="brian2", codegen="numpy")  # runtime after standalone
    assert numpy.provenance["brian2"]["codegen"] == "numpy"
    assert_same(nest, sa, "NEST / standalone")
    assert_same(numpy, sa, "numpy / standalone")
    again = hub.run(r, backend="brian2", codegen="standalone", cache_dir=standalone_cache)
    assert again.provenance["brian2"]["timings"]["compile_s"] < 5.0  # nothing to compile
    assert_same(sa, again, "standalone twice")


def test_refused_before_brian2_builds_anything(standalone_cache):
    """What standalone mode cannot run is a CapabilityError naming the option, the feature
    and the fix, raised before the standalone device is made active."""
    from hub.resolve import ParameterChange

    r = hub.resolve(plastic_network(label="plastic"), 10.0)
    r.changes = [ParameterChange(5, "cells", np.arange(5), {"i_offset": np.full(5, 0.1)})]
    with pytest.raises(hub.CapabilityError) as err:
        hub.run(r, backend="brian2", codegen="standalone", cache_dir=standalone_cache)
    text = str(err.value)
    assert "codegen='standalone': plastic projection 'plastic'" in text
    assert "parameter changes between run segments" in text
    assert "use codegen='cython'" in text
    assert active_device() == "RuntimeDevice"


def test_native_poisson_with_several_targets_refused(standalone_cache):
    net = hub.Network(dt=0.1, seed=1)
    src = net.add_source(hub.PoissonSource(rate=20.0, resolve="native"), size=4, label="noise")
    cells = net.add_population(3, hub.LIF(synapse="exp"), label="cells")
    net.connect(src, cells, hub.AllToAll(), hub.Static(weight=0.5, delay=1.0))
    with pytest.raises(hub.CapabilityError, match="PoissonSource 'noise'.*resolve='hub'"):
        hub.run(net, backend="brian2", duration=10.0, codegen="standalone")
    assert active_device() == "RuntimeDevice"


@pytest.mark.slow
@pytest.mark.parametrize(
    "model",
    [
        pytest.param(lambda n: hub.LIF(synapse="delta", i_offset=0.8), id="lif_delta"),
        pytest.param(lambda n: hub.LIF(synapse="alpha", i_offset=0.1), id="lif_alpha"),
    ],
)
def test_other_lif_models_identical(model, standalone_cache):
    r = lif_network(model(200))
    sa = hub.run(r, backend="brian2", codegen="standalone", cache_dir=standalone_cache)
    assert_same(hub.run(r, backend="nest"), sa, "NEST / standalone")


@pytest.mark.slow
def test_without_the_nest_order_sort_equals_runtime_without_it(standalone_cache):
    """NEST's min_delay of 5 steps and differing delays: runtime Brian2 sorts the queue in
    NEST's order, standalone cannot (tier 2).  It equals the runtime path with
    nest_order=False bit for bit, and NEST's spikes on this network."""
    r = lif_network(delays=(0.5, 2.5))
    sa = hub.run(r, backend="brian2", codegen="standalone", cache_dir=standalone_cache)
    assert sa.provenance["brian2"]["nest_order"] is False
    unsorted = hub.run(r, backend="brian2", codegen="numpy", nest_order=False)
    assert_same(unsorted, sa, "numpy (nest_order=False) / standalone")
    nest = hub.run(r, backend="nest")
    for label, st in nest.spike_trains.items():
        assert st == sa.spikes(label)
    for key, err in max_state_difference(nest, sa).items():
        assert err <= 1e-12, f"{key}: {err:.3g}"


@pytest.mark.slow
def test_two_structures_in_one_process(standalone_cache):
    """Two different standalone networks one after the other, then runtime again."""
    a = lif_network(n=120, duration=200.0)
    b = lif_network(hub.Izhikevich(), n=150, duration=200.0)
    ra = hub.run(a, backend="brian2", codegen="standalone", cache_dir=standalone_cache)
    rb = hub.run(b, backend="brian2", codegen="standalone", cache_dir=standalone_cache)
    assert_same(hub.run(a, backend="brian2", codegen="numpy"), ra, "first network")
    assert_same(hub.run(b, backend="nest"), rb, "second network (Izhikevich) / NEST")


@pytest.mark.slow
def test_auto_chooses_standalone_by_the_estimate(standalone_cache, monkeypatch):
    """codegen="auto" runs standalone where its numpy estimate reaches the threshold (here
    lowered to 0 s) and standalone keeps the numbers; the next run finds the project warm."""
    from hub_brian2 import compiled

    monkeypatch.setattr(compiled, "AUTO_STANDALONE_S", 0.0)
    r = lif_network(n=120, duration=200.0)
    first = hub.run(r, backend="brian2", cache_dir=standalone_cache)
    info = first.provenance["brian2"]
    assert info["codegen"] == "standalone" and info["requested"] == "auto"
    assert "numpy estimated at" in info["auto"]
    monkeypatch.setattr(compiled, "AUTO_STANDALONE_S", 1e9)
    second = hub.run(r, backend="brian2", cache_dir=standalone_cache)
    assert second.provenance["brian2"]["auto"].startswith("a compiled standalone project")
    assert_same(hub.run(r, backend="brian2", codegen="numpy"), second, "auto / numpy")
    # plastic networks never run standalone under auto
    assert not __import__("hub_brian2.standalone").standalone.same_numbers(
        hub.resolve(plastic_network(), 10.0)
    )


def plastic_network(label=None):
    net = hub.Network(dt=0.1, seed=1)
    src = net.add_source(hub.PoissonSource(rate=20.0), size=10, label="input")
    cells = net.add_population(5, hub.LIF(synapse="exp"), label="cells")
    net.connect(
        src,
        cells,
        hub.AllToAll(),
        hub.Plastic(hub.STDP(A_plus=0.01, A_minus=0.0105, w_max=1.0), 0.5, delay=1.0),
        label=label,
    )
    return net
