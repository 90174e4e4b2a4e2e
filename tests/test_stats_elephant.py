"""The statistics the hub computes (hub.stats, SpikeTrains.rate, hub.decoders) agree with
Elephant's on the same trains, read through ``Results.to_neo()``.

Elephant (``pip install 'snn-hub[analysis]'``) is the independent reference; each test names
the Elephant function.  One documented difference: the hub bins a spike by the step it
fired in (stamp s falls in bin ``floor((s-1)/B)``, so a spike at exactly a bin's end
belongs to that bin), Elephant by its time in left-closed bins; the counts agree exactly
when Elephant is given the middle of each spike's step, ``(s - 1/2) dt``, and differ by
exactly the spikes on bin edges when it is given the raw times."""

import math
import warnings

import numpy as np
import pytest

import hub
from hub import Results, SpikeTrains, decoders, stats

elephant_statistics = pytest.importorskip("elephant.statistics")
neo = pytest.importorskip("neo")
pq = pytest.importorskip("quantities")
from elephant.conversion import BinnedSpikeTrain  # noqa: E402
from elephant.spike_train_correlation import correlation_coefficient  # noqa: E402
from elephant.spike_train_dissimilarity import van_rossum_distance  # noqa: E402

T = 1000.0  # ms
DT = 0.1


def random_trains(seed, size=40):
    """Neurons from silent to ~60 Hz, some with 1 or 2 spikes (no CV), no repeated stamp."""
    rng = np.random.default_rng(seed)
    idx, st = [], []
    for i in range(size):
        n = [0, 1, 2][i] if i < 3 else int(rng.integers(3, 60))
        stamps = rng.choice(np.arange(1, int(T / DT) + 1), n, replace=False)
        idx += [i] * n
        st += list(stamps)
    return SpikeTrains(size, idx, st, DT)


def neo_trains(trains, shift=0.0):
    """Per neuron, as ``Results.to_neo()`` exports them (times shifted by ``shift`` ms)."""
    res = Results({"p": trains}, provenance={"duration": T, "backend": "test"})
    out = res.to_neo().segments[0].spiketrains
    assert [s.annotations["index"] for s in out] == list(range(trains.size))
    assert all(s.t_start == 0 * pq.ms and s.t_stop == T * pq.ms for s in out)  # the whole run
    if shift:
        out = [neo.SpikeTrain(s.times + shift * pq.ms, t_stop=T * pq.ms) for s in out]
    return out


def merged(trains, shift=0.0):
    """The whole population as one neo.SpikeTrain."""
    return neo.SpikeTrain(np.sort(trains.times) + shift, units="ms", t_stop=T)


@pytest.fixture(params=[1, 2, 3])
def trains(request):
    return random_trains(request.param)


def test_rates(trains):
    ref = np.array(
        [float(elephant_statistics.mean_firing_rate(s).rescale("Hz")) for s in neo_trains(trains)]
    )
    assert ref[:3].tolist() == [0.0, 1.0, 2.0]
    assert np.allclose(stats.neuron_rates(trains, T), ref, rtol=1e-12)
    assert trains.rate(T) == pytest.approx(ref.mean(), rel=1e-12)
    # decoders.rate over a window that holds every spike
    assert np.allclose(decoders.rate(trains, 0.0, T), ref, rtol=1e-12)


def test_isi(trains):
    ref = [np.asarray(elephant_statistics.isi(s).rescale("ms")) for s in neo_trains(trains)]
    assert np.allclose(stats.isi(trains), np.concatenate(ref), rtol=0, atol=1e-9)


def test_cv_isi_is_the_mean_cv_over_neurons_with_three_spikes_or_more(trains):
    cvs = [
        elephant_statistics.cv(np.asarray(elephant_statistics.isi(s)))
        for s in neo_trains(trains)
        if len(s) >= 3
    ]
    assert len(cvs) == trains.size - 3
    assert stats.cv_isi(trains) == pytest.approx(float(np.mean(cvs)), rel=1e-9)


def test_cv_isi_of_a_population_without_three_spikes_is_nan():
    few = SpikeTrains(2, [0, 0, 1], [10, 20, 30], DT)
    assert math.isnan(stats.cv_isi(few))


def test_fano_factor_of_spike_counts(trains):
    ref = elephant_statistics.fanofactor(neo_trains(trains))
    assert stats.fano_factor(trains.counts()) == pytest.approx(float(ref), rel=1e-12)


def test_binned_counts_are_elephants_time_histogram_of_the_step_middles(trains):
    bin_ms = 5.0
    ref = elephant_statistics.time_histogram(
        neo_trains(trains, shift=-DT / 2),
        bin_size=bin_ms * pq.ms,
        t_start=0 * pq.ms,
        t_stop=T * pq.ms,
    )
    ours = stats.binned_counts(trains, T, bin_ms)
    assert np.array_equal(ours, np.asarray(ref).ravel().astype(int))
    # on the raw times Elephant moves each spike at a bin's end to the next bin (and drops
    # one at T): the counts differ by exactly the spikes on edges
    on_edge = trains.stamps % int(bin_ms / DT) == 0
    assert on_edge.any()
    with warnings.catch_warnings():  # "Binning discarded 1 last spike(s)": the one at T
        warnings.simplefilter("ignore", UserWarning)
        raw = elephant_statistics.time_histogram(
            neo_trains(trains), bin_size=bin_ms * pq.ms, t_start=0 * pq.ms, t_stop=T * pq.ms
        )
    moved = np.abs(ours - np.asarray(raw).ravel()).sum()
    assert 0 < moved <= 2 * on_edge.sum()


def test_synchrony_is_the_fano_factor_of_elephants_population_histogram(trains):
    ref = np.asarray(
        elephant_statistics.time_histogram(
            [merged(trains, -DT / 2)], bin_size=5 * pq.ms, t_start=0 * pq.ms, t_stop=T * pq.ms
        )
    ).ravel()
    assert stats.synchrony(trains, T, 5.0) == pytest.approx(ref.var() / ref.mean(), rel=1e-12)


def test_rate_correlation_is_elephants_correlation_coefficient():
    a, b = random_trains(4), random_trains(5)
    binned = BinnedSpikeTrain(
        [merged(a, -DT / 2), merged(b, -DT / 2)],
        bin_size=5 * pq.ms,
        t_start=0 * pq.ms,
        t_stop=T * pq.ms,
    )
    ref = correlation_coefficient(binned)[0, 1]
    assert stats.rate_correlation(a, b, T, 5.0) == pytest.approx(float(ref), rel=1e-9)


def test_van_rossum_per_neuron_on_random_trains():
    a, b = random_trains(6, size=8), random_trains(7, size=8)
    tau = 5.0
    ref = [
        van_rossum_distance([sa, sb], time_constant=tau * pq.ms)[0, 1]
        for sa, sb in zip(neo_trains(a), neo_trains(b))
    ]
    assert np.allclose(stats.van_rossum(a, b, tau), ref, rtol=1e-7, atol=1e-9)


def test_statistics_of_a_run_agree_with_elephant():
    """The same on the spikes of a real run (the chip: no simulator to install)."""
    net = hub.Network(dt=0.1, seed=11)
    exc = net.add_population(30, hub.LIF(tau_syn_E=5.0), label="exc")
    inp = net.add_source(hub.PoissonSource(rate=40.0), size=20, label="input")
    net.connect(inp, exc, hub.FixedProbability(0.3), hub.Static(weight=1.0, delay=1.0))
    net.record(exc, "spikes")
    r = hub.run(net, backend="chip", duration=500.0)
    st = r.spikes("exc")
    trains = [s for s in r.to_neo().segments[0].spiketrains if s.annotations["population"] == "exc"]
    assert len(st) > 200
    rates = [float(elephant_statistics.mean_firing_rate(s).rescale("Hz")) for s in trains]
    assert np.allclose(stats.neuron_rates(st, 500.0), rates, rtol=1e-12)
    cvs = [elephant_statistics.cv(elephant_statistics.isi(s)) for s in trains if len(s) >= 3]
    assert stats.cv_isi(st) == pytest.approx(float(np.mean(cvs)), rel=1e-9)
