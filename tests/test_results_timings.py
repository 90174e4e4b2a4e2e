"""``Results.timings``: build, run and collect, each measured by the hub around the backend's
own calls, and together within the wall time of ``hub.run``."""

import time

import pytest

import hub


def recorded_net(n=200):
    net = hub.Network(dt=0.1, seed=3)
    exc = net.add_population(n, hub.LIF(tau_syn_E=5.0), label="exc")
    inp = net.add_source(hub.PoissonSource(rate=40.0), size=20, label="input")
    net.connect(inp, exc, hub.FixedProbability(0.2), hub.Static(weight=1.0, delay=1.0))
    net.record(exc, "spikes", "v")
    return net


@pytest.mark.parametrize("backend", [pytest.param("nest", marks=pytest.mark.nest), "chip"])
def test_timings_have_build_run_and_collect_within_the_wall_time(backend):
    net = recorded_net()
    hub.run(net, backend=backend, duration=10.0)  # plugins and simulator imported once
    t0 = time.perf_counter()
    r = hub.run(net, backend=backend, duration=300.0)
    wall = time.perf_counter() - t0
    parts = [r.timings[k] for k in ("build_s", "run_s", "collect_s")]
    assert min(parts) > 0, r.timings
    assert sum(parts) <= wall, (r.timings, wall)
    # collecting 200 neurons x 3000 samples of v is real work, not a constant
    assert r.signal("exc", "v").values.shape == (3000, 200)


class _SlowSession(hub.Session):
    """A session whose results() takes a known 0.2 s: collect_s must see it."""

    def __init__(self, inner):
        self.inner = inner

    def run(self, progress=None):
        self.inner.run(progress=progress)

    def results(self):
        time.sleep(0.2)
        return self.inner.results()

    def close(self):
        self.inner.close()


def test_collect_s_is_the_time_spent_in_session_results(monkeypatch):
    from hub.plugins import plugin_manager

    backend = plugin_manager().get_backend("chip")
    build = type(backend).build
    monkeypatch.setattr(
        type(backend), "build", lambda self, resolved, **o: _SlowSession(build(self, resolved, **o))
    )
    net = recorded_net(5)
    r = hub.run(net, backend="chip", duration=20.0)
    assert r.timings["collect_s"] >= 0.2 > r.timings["run_s"]


def test_a_simulation_segment_has_the_same_timings_and_its_resolve_time():
    sim = hub.Simulation(recorded_net(5), backend="chip")
    sim.run(20.0)
    r = sim.results()
    assert set(r.timings) >= {"resolve_s", "build_s", "run_s", "collect_s"}
    assert min(r.timings.values()) > 0
