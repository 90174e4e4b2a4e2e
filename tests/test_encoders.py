"""Encoders and decoders against their equations (hub.encoders, hub.decoders)."""

import math

import numpy as np
import pytest

import hub
from hub import decoders as dec
from hub import encoders as enc


# --- Poisson: statistics over many draws ----------------------------------------------------------
def test_poisson_rate_and_fano_factor_within_statistical_bounds():
    """2000 trains at 20 Hz for 1 s, 10 seeds: the mean count is 20 (standard error 0.1) and
    the Fano factor 1 (standard error about 0.032); bounds are 5 standard errors."""
    for seed in range(10):
        tr = enc.poisson(np.full(2000, 20.0), duration=1000.0, dt=1.0, seed=seed)
        n = dec.spike_count(tr)
        assert abs(n.mean() - 20.0) < 5 * math.sqrt(20.0 / 2000), n.mean()
        assert abs(n.var(ddof=1) / n.mean() - 1.0) < 5 * 0.032, n.var(ddof=1) / n.mean()


def test_poisson_counting_windows_are_independent_and_rates_heterogeneous():
    rates = np.array([0.0, 5.0, 50.0, 200.0])
    tr = enc.poisson(np.repeat(rates, 500), duration=2000.0, dt=0.1, seed=1)
    r = dec.rate(tr, 0.0, 2000.0).reshape(4, 500).mean(axis=1)
    se = np.sqrt(rates / 2.0 / 500)  # Poisson: var of a rate over 2 s is rate/2 (Hz^2)
    assert r[0] == 0 and np.all(np.abs(r - rates) <= 5 * se + 1e-12), r
    first, second = dec.spike_count(tr, 0, 1000), dec.spike_count(tr, 1000, 2000)
    hi = slice(1500, 2000)
    assert abs(np.corrcoef(first[hi], second[hi])[0, 1]) < 5 / math.sqrt(500)


def test_poisson_is_a_pure_function_of_its_seed():
    a = enc.poisson([30.0, 40.0], duration=500.0, seed=7)
    assert a == enc.poisson([30.0, 40.0], duration=500.0, seed=7)
    assert a != enc.poisson([30.0, 40.0], duration=500.0, seed=8)
    assert a.stamps.min() >= 1 and a.stamps.max() <= 5000


@pytest.mark.parametrize(
    "rates, field",
    [([1.0, -2.0], "poisson.rates"), ([1.0, np.nan], "poisson.rates"), ("abc", "poisson.rates")],
)
def test_poisson_rejects_bad_rates(rates, field):
    with pytest.raises(hub.ValidationError, match=field.replace(".", r"\.")) as err:
        enc.poisson(rates, duration=10.0, seed=0)
    assert err.value.diagnostics[0].fix


def test_poisson_needs_an_integer_seed():
    with pytest.raises(hub.ValidationError, match="poisson.seed"):
        enc.poisson([1.0], duration=10.0, seed=None)


# --- deterministic codes: exact formulas ----------------------------------------------------------
def test_regular_spikes_at_k_plus_one_minus_phase_periods():
    tr = enc.regular([100.0, 40.0, 0.0], duration=50.0, dt=0.1, phase=[0.0, 0.5, 0.0])
    per = tr.per_neuron()
    assert np.allclose(per[0], [10, 20, 30, 40, 50])
    assert np.allclose(per[1], [12.5, 37.5])
    assert len(per[2]) == 0


def test_latency_linear_is_exact():
    x = np.array([1.0, 0.75, 0.5, 0.123, 0.0])
    tr = enc.latency(x, t_max=20.0, dt=0.1, t_min=1.0)
    t = 1.0 + 19.0 * (1 - x[:4])
    got = dec.first_spike_time(tr)
    assert np.array_equal(np.round(got[:4] / 0.1).astype(int), np.floor(t / 0.1 + 0.5).astype(int))
    assert got[4] == np.inf and len(tr) == 4


def test_latency_log_is_exact_and_drops_late_spikes():
    x = np.array([1.0, 0.5, 0.0105, 0.005])
    tr = enc.latency(x, t_max=5.0, dt=0.1, mode="log", threshold=0.01, tau=2.0)
    t = 0.1 + 2.0 * np.log(x[:3] / (x[:3] - 0.01))
    got = dec.first_spike_time(tr)
    assert t[2] > 5.0 and got[2] == np.inf and got[3] == np.inf
    assert np.array_equal(np.round(got[:2] / 0.1), np.floor(t[:2] / 0.1 + 0.5))


def test_latency_validates_its_input():
    with pytest.raises(hub.ValidationError, match=r"latency\.values.*above 1"):
        enc.latency([0.5, 1.5], t_max=10.0)
    with pytest.raises(hub.ValidationError, match=r"latency\.threshold"):
        enc.latency([0.5], t_max=10.0, mode="log")
    with pytest.raises(hub.ValidationError, match=r"latency\.mode"):
        enc.latency([0.5], t_max=10.0, mode="cubic")


def test_binary_spikes_once_above_threshold():
    tr = enc.binary(np.array([[0.2, 0.9], [0.5, 0.51]]), threshold=0.5, dt=0.1, time=2.0)
    assert list(tr.indices) == [1, 3] and set(tr.stamps) == {20}


def test_gaussian_population_follows_bohte_2002():
    m, x = 6, np.array([0.3, 0.8])
    tr = enc.gaussian_population(x, m, t_max=10.0, dt=0.1, r_min=0.0)
    j = np.arange(1, m + 1)
    mu = (2 * j - 3) / 2 / (m - 2)
    sigma = 1.0 / (1.5 * (m - 2))
    r = np.exp(-((x[:, None] - mu) ** 2) / (2 * sigma**2)).ravel()
    expected = np.floor((0.1 + 9.9 * (1 - r)) / 0.1 + 0.5)
    got = dec.first_spike_time(tr)
    assert tr.size == 12 and np.array_equal(np.round(got / 0.1), expected)
    # the population vector of the earliest-firing (strongest) fields recovers x
    for i in range(2):
        sub = hub.SpikeTrains(
            m, tr.indices[tr.indices // m == i] % m, tr.stamps[tr.indices // m == i], 0.1
        )
        near = dec.population_vector(sub, mu, t_stop=2.0)
        assert abs(near - x[i]) < 0.08, (near, x[i])


def test_rank_order_fires_in_decreasing_value():
    tr = enc.rank_order([0.1, 0.9, 0.0, 0.5, 0.9], dt=0.1, spacing=0.5)
    assert list(tr.indices) == [1, 4, 3, 0]
    assert list(tr.stamps) == [1, 6, 11, 16]


def test_delta_matches_send_on_delta_by_hand():
    sig = np.array([[0.0, 1.0], [0.25, 1.0], [0.55, 0.65], [0.2, 0.65]])
    tr = enc.delta(sig, threshold=0.1, dt=0.1, sample_interval=1.0)
    # ch0: +0.25 -> ON x2 (ref 0.2); +0.35 -> ON x3 (ref 0.5); -0.3 -> OFF x3 (ref 0.2)
    # ch1: -0.35 -> OFF x3 (ref 0.7); 0.65 - 0.7 = -0.05: nothing
    events = sorted(zip(tr.stamps.tolist(), tr.indices.tolist()))
    assert events == [
        (20, 0),
        (20, 0),
        (30, 0),
        (30, 0),
        (30, 0),
        (30, 3),
        (30, 3),
        (30, 3),
        (40, 2),
        (40, 2),
        (40, 2),
    ]
    assert tr.size == 4
    assert enc.delta(sig, 0.1, off=False).size == 2
    with pytest.raises(hub.ValidationError, match=r"delta\.signal.*expected 2"):
        enc.delta([0.0, 1.0], 0.1)


def test_burst_counts_and_intervals():
    tr = enc.burst([1.0, 0.5, 0.0], dt=0.1, n_max=4, isi_min=2.0, isi_max=10.0)
    per = tr.per_neuron()
    assert np.allclose(per[0], [0.1, 2.1, 4.1, 6.1])
    assert np.allclose(per[1], [0.1, 6.1]) and len(per[2]) == 0
    with pytest.raises(hub.ValidationError, match=r"burst\.isi_min"):
        enc.burst([0.5], dt=0.1, isi_min=0.05)


def test_phase_code_roundtrip_within_one_lsb():
    x = np.array([0.0, 0.5, 0.123456, 0.999])
    tr = enc.phase(x, duration=3.2, dt=0.1, bits=8)
    back = dec.phase_value(tr, bits=8)
    assert np.all((x - back >= 0) & (x - back < 2**-8))
    assert len(tr) == 4 * int(np.sum([bin(int(v * 256)).count("1") for v in x]))  # 4 periods


def test_stack_places_populations_side_by_side():
    both = enc.stack([enc.binary([1, 0], 0.5), enc.rank_order([0.2, 0.1, 0.3])])
    assert both.size == 5 and list(zip(both.indices, both.stamps)) == [
        (0, 1),
        (4, 1),
        (2, 2),
        (3, 3),
    ]


def test_concatenate_shifts_samples_by_the_period():
    a, b = enc.binary([1, 0], 0.5), enc.binary([0, 1], 0.5)
    both = enc.concatenate([a, b], period=5.0)
    assert list(zip(both.indices, both.stamps)) == [(0, 1), (1, 51)]


# --- the encoders' output is what the network receives --------------------------------------------
def test_to_source_resolves_to_the_same_stamps():
    tr = enc.poisson(np.full(20, 80.0), duration=100.0, dt=0.1, seed=3)
    net = hub.Network(dt=0.1, seed=1)
    net.add_source(tr.to_source(), size=tr.size, label="in")
    r = hub.resolve(net, 100.0).sources["in"]
    assert hub.SpikeTrains(tr.size, r.indices, r.stamps, 0.1) == tr


def test_decoders_validate_their_window():
    tr = enc.binary([1.0], 0.5)
    with pytest.raises(hub.ValidationError, match=r"spike_count\.t_stop"):
        dec.spike_count(tr, 5.0, 1.0)
    with pytest.raises(hub.ValidationError, match=r"population_vector\.preferred"):
        dec.population_vector(tr, [1.0, 2.0])


def test_decoders_take_the_window_as_a_pair_or_two_numbers():
    tr = enc.regular([10.0, 20.0], duration=300.0, dt=0.1)  # spikes at 100, 200, 300 / 50, 100, ...
    for window in [((0.0, 100.0),), ([0.0, 100.0],), (0.0, 100.0)]:
        assert list(dec.spike_count(tr, *window)) == [1, 2]
        assert list(dec.rate(tr, *window)) == [10.0, 20.0]
        assert list(dec.first_spike_time(tr, *window)) == pytest.approx([100.0, 50.0])
    assert list(dec.spike_count(tr, (100.0, 300.0))) == [2, 4]
    assert dec.population_vector(tr, [1.0, 4.0], (0.0, 100.0)) == pytest.approx(3.0)


@pytest.mark.parametrize(
    "call, field",
    [
        (lambda tr: dec.rate(tr), r"rate\.t_start: the window is unbounded"),
        (lambda tr: dec.rate(tr, (0.0, None)), r"rate\.t_stop: the window is unbounded"),
        (lambda tr: dec.rate(tr, "0", 100.0), r"rate\.t_start: '0' is not a time in ms"),
        (lambda tr: dec.spike_count(tr, (0.0,)), r"spike_count\.t_start: window \(0\.0,\) is not"),
        (lambda tr: dec.spike_count(tr, (0.0, 1.0), 5.0), r"spike_count\.t_start: .*given with"),
        (lambda tr: dec.first_spike_time(tr, float("nan")), r"first_spike_time\.t_start: is NaN"),
        (lambda tr: dec.spike_count([1, 2]), r"spike_count\.trains: list is not a hub\.SpikeT"),
        (lambda tr: dec.phase_value((1, 2)), r"phase_value\.trains: tuple is not"),
        (lambda tr: dec.phase_value(tr, bits=0), r"phase_value\.bits: 0 is not an integer >= 1"),
    ],
)
def test_decoder_arguments_are_validation_errors_naming_the_argument(call, field):
    tr = enc.regular([10.0, 20.0], duration=300.0, dt=0.1)
    with pytest.raises(hub.ValidationError, match=field):
        call(tr)
