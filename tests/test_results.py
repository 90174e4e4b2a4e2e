"""Results: exact spike equality, save/load round trip, neo export."""

import numpy as np
import pytest

from hub import Results, Signal, SpikeTrains


def sample():
    st = SpikeTrains(3, [2, 0, 0], [15, 12, 30], 0.1)
    sig = Signal(
        "v", "mV", np.arange(1, 6) * 0.1, np.array([0, 2]), np.linspace(-65, -60, 10).reshape(5, 2)
    )
    return Results(
        {"exc": st},
        {("exc", "v"): sig},
        {"build_s": 0.5, "run_s": 1.0},
        {"backend": "nest", "dt": 0.1, "seed": 3, "duration": 5.0},
    )


def test_spike_trains_sorted_and_exact():
    st = sample().spikes("exc")
    assert list(st.stamps) == [12, 15, 30] and list(st.indices) == [0, 2, 0]
    assert np.allclose(st.times, [1.2, 1.5, 3.0])
    assert st == SpikeTrains(3, [0, 2, 0], [12, 15, 30], 0.1)
    assert st != SpikeTrains(3, [0, 2, 0], [12, 15, 31], 0.1)
    assert [list(t) for t in st.per_neuron()] == [
        [pytest.approx(1.2), pytest.approx(3.0)],
        [],
        [pytest.approx(1.5)],
    ]
    assert st.rate(5.0) == pytest.approx(3 / 3 / 0.005)


def test_save_load_round_trip(tmp_path):
    r = sample()
    path = r.save(tmp_path / "r.npz")
    back = Results.load(path)
    assert back.spikes("exc") == r.spikes("exc")
    assert np.array_equal(back.signal("exc", "v").values, r.signal("exc", "v").values)
    assert back.provenance == r.provenance and back.timings == r.timings
    assert [p.name for p in tmp_path.iterdir()] == ["r.npz"], "temporary file left behind"


def test_to_neo():
    neo = pytest.importorskip("neo")
    block = sample().to_neo()
    assert isinstance(block, neo.Block)
    seg = block.segments[0]
    assert len(seg.spiketrains) == 3
    assert [float(t) for t in seg.spiketrains[0].times.rescale("ms")] == pytest.approx([1.2, 3.0])
    assert seg.spiketrains[2].annotations["population"] == "exc"
    sig = seg.analogsignals[0]
    assert sig.shape == (5, 2) and str(sig.units.dimensionality) == "mV"
    assert float(sig.t_start.rescale("ms")) == pytest.approx(0.1)


def test_unrecorded_population_is_a_clear_error():
    from hub import HubError

    with pytest.raises(HubError, match="no spikes recorded for 'inh'"):
        sample().spikes("inh")
