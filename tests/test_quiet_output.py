"""No internal warning reaches the user: what a backend's libraries say
about the hub's own code stays out of a run's output; warnings about the user's model do not
(the Brian2 relay: tests/test_brian2_backend.py)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("pyNN", reason="PyNN is not installed (pip install 'snn-hub[pynn]')")

SCRIPT = textwrap.dedent(
    """
    import hub

    net = hub.Network(dt=0.1, seed=1)
    src = net.add_source(hub.PoissonSource(rate=50.0), size=10, label="input")
    cells = net.add_population(5, hub.LIF(), label="cells")
    net.connect(src, cells, hub.AllToAll(), hub.Static(weight=0.5, delay=1.0))
    net.record(cells, "spikes", "v")
    print(hub.run(net, backend=BACKEND, duration=20.0).summary())
    """
)

#: what PyNN's modules made appear on stderr before: NEST's deprecation notes about PyNN's
#: SetStatus/GetStatus calls, NEURON's note on a missing X display
NOISE = ("is deprecated", "DISPLAY", "Warning")


@pytest.mark.parametrize(
    "backend, module",
    [
        pytest.param("pynn.nest", "nest", marks=pytest.mark.nest),
        ("pynn.neuron", "neuron"),
    ],
)
def test_a_pynn_run_prints_nothing_from_pynns_own_calls(backend, module):
    """In a fresh process: NEST says each deprecation once per process."""
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed")
    env = {k: v for k, v in os.environ.items() if k != "NEURON_MODULE_OPTIONS"}
    env.pop("DISPLAY", None)
    proc = subprocess.run(
        [sys.executable, "-W", "default", "-c", f"BACKEND = {backend!r}\n" + SCRIPT],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "'cells'" in proc.stdout
    assert not [w for w in NOISE if w in proc.stderr], proc.stderr


def test_pynn_brian2_runs_its_spike_sources_on_the_networks_clock():
    """pyNN.brian2 makes its SpikeGeneratorGroups on Brian2's default clock; at dt = 0.5 ms
    their pathways ran on 0.1 ms steps and Brian2 warned (synapses_dt_mismatch)."""
    if importlib.util.find_spec("brian2") is None:
        pytest.skip("brian2 is not installed")
    from brian2.utils.logger import catch_logs

    import hub

    net = hub.Network(dt=0.5, seed=1)
    src = net.add_source(hub.SpikeTimes([1.0, 5.0]), size=2, label="input")
    cells = net.add_population(3, hub.LIF(), label="cells")
    net.connect(src, cells, hub.AllToAll(), hub.Static(weight=0.5, delay=1.0))
    net.record(cells, "spikes")
    with catch_logs() as logs:
        res = hub.run(net, backend="pynn.brian2", duration=20.0)
    assert res.provenance["backend"] == "pynn.brian2"
    assert [m for _, name, m in logs if "dt_mismatch" in name] == []
    import brian2

    assert float(brian2.defaultclock.dt / brian2.ms) == pytest.approx(0.5)
