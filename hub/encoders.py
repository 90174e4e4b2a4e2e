"""Encoders: data -> spike trains on the dt grid, computed in the hub (docs/encoders.md).

Every encoder is a pure function of (data, parameters, seed): the same call gives the same
spikes, and every backend receives those spikes (feed them to a network with
``net.add_source(trains.to_source(), size=trains.size)``).  The result is a
:class:`hub.SpikeTrains`: neuron ``indices[k]`` spikes at stamp ``stamps[k]`` (time
``stamps[k] * dt`` ms, stamps >= 1, see docs/semantics.md); a repeated (index, stamp) pair
is a spike of multiplicity > 1.

Times are placed on the grid with the hub's one rule, ``stamp = floor(t/dt + 0.5)``
(:func:`hub.resolve.to_steps`), and a stamp below 1 becomes 1.  Units: times and durations
in ms, rates in Hz, ``dt`` in ms.  Bad input (NaN, negative rates, a wrong shape) raises
:class:`hub.ValidationError` naming the argument and the fix.

Multi-dimensional data (images) is flattened in C order: pixel ``(r, c)`` of an ``H x W``
image is neuron ``r * W + c``.
"""

from __future__ import annotations

import math

import numpy as np

from .errors import Diagnostic, ValidationError
from .resolve import to_steps
from .results import SpikeTrains

__all__ = [
    "poisson",
    "regular",
    "latency",
    "binary",
    "gaussian_population",
    "rank_order",
    "delta",
    "burst",
    "phase",
    "concatenate",
    "stack",
]


# --- validation --------------------------------------------------------------------------------
def input_error(where: str, message: str, fix: str):
    """Raise a :class:`ValidationError` for one bad input of an encoder or decoder."""
    raise ValidationError(Diagnostic(where, message, fix))


def checked_data(
    x, where: str, *, ndim: int | None = None, lo: float | None = None, hi: float | None = None
) -> np.ndarray:
    """``x`` as a float array: finite, optionally of ``ndim`` dimensions and in [lo, hi]."""
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        input_error(where, f"{type(x).__name__} is not numeric data", "pass a numeric array")
    if ndim is not None and arr.ndim != ndim:
        input_error(
            where,
            f"array of shape {arr.shape} has {arr.ndim} dimension(s), expected {ndim}",
            "reshape the data" if ndim != 2 else "pass an array of shape (samples, channels)",
        )
    if arr.size and not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr.reshape(-1)))[0, 0]
        input_error(
            where,
            f"contains NaN or inf (first at flat index {bad})",
            "replace missing values before encoding",
        )
    if lo is not None and arr.size and arr.min() < lo:
        input_error(
            where,
            f"minimum {arr.min():g} is below {lo:g}",
            f"pass values >= {lo:g}" + (" (normalise the data to [0, 1])" if hi == 1 else ""),
        )
    if hi is not None and arr.size and arr.max() > hi:
        input_error(
            where,
            f"maximum {arr.max():g} is above {hi:g}",
            f"pass values <= {hi:g} (normalise the data to [0, 1])",
        )
    return arr.reshape(-1) if ndim is None else arr


def _positive(value, where: str, unit: str, allow_zero: bool = False) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        input_error(where, f"{value!r} is not a number", f"give a number in {unit}")
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        input_error(
            where,
            f"{value!r} {unit} must be {'>= 0' if allow_zero else '> 0'} and finite",
            f"give a {'non-negative' if allow_zero else 'positive'} value in {unit}",
        )
    return v


def _steps(duration: float, dt: float, where: str) -> int:
    return int(to_steps(_positive(duration, where, "ms"), dt))


def _stamp(times_ms: np.ndarray, dt: float) -> np.ndarray:
    return np.maximum(1, to_steps(times_ms, dt)).astype(np.int64)


def _trains(size, idx, stamps, dt) -> SpikeTrains:
    return SpikeTrains(int(size), np.asarray(idx, np.int64), np.asarray(stamps, np.int64), dt)


# --- rate codes --------------------------------------------------------------------------------
def poisson(rates, duration: float, dt: float = 0.1, *, seed: int) -> SpikeTrains:
    """Poisson rate code: neuron i emits a homogeneous Poisson process of rate ``rates[i]``
    (Hz) for ``duration`` ms.

    On the grid: the number of spikes stamped s (s = 1..K, K = round(duration/dt)) is
    ``N_i(s) ~ Poisson(rates[i] * dt * 1e-3)``, independent over s and i, so the count in a
    window of length T has mean and variance ``rate * T`` (Fano factor 1), exactly as
    :class:`hub.PoissonSource` draws.  Several spikes in one step keep their multiplicity.
    ``seed`` (int) fixes the draw.
    """
    dt = _positive(dt, "poisson.dt", "ms")
    r = checked_data(rates, "poisson.rates", lo=0.0)
    steps = _steps(duration, dt, "poisson.duration")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        input_error("poisson.seed", f"{seed!r} is not an integer", "pass seed=<int>")
    counts = np.random.default_rng(int(seed)).poisson(r * dt * 1e-3, size=(steps, r.size))
    st, ix = np.nonzero(counts)
    mult = counts[st, ix]
    return _trains(r.size, np.repeat(ix, mult), np.repeat(st + 1, mult), dt)


def regular(rates, duration: float, dt: float = 0.1, *, phase=0.0) -> SpikeTrains:
    """Regular (periodic) rate code: neuron i spikes at ``t_k = (k + 1 - phase_i) / rate_i``
    (s, times 1000 for ms), k = 0, 1, ..., while ``t_k <= duration``; ``phase`` in [0, 1)
    shifts the train earlier by that fraction of a period.  A rate of 0 gives no spikes.
    Spikes are placed on the grid by the hub's rounding, so periods that are not multiples of
    dt jitter by at most dt/2.
    """
    dt = _positive(dt, "regular.dt", "ms")
    r = checked_data(rates, "regular.rates", lo=0.0)
    steps = _steps(duration, dt, "regular.duration")
    ph = checked_data(phase, "regular.phase", lo=0.0, hi=1.0)
    if ph.size not in (1, r.size):
        input_error(
            "regular.phase",
            f"{ph.size} phases for {r.size} rates",
            "give one phase or one per rate",
        )
    if (ph >= 1).any():
        input_error(
            "regular.phase", "phase 1 equals phase 0 of the next period", "use 0 <= phase < 1"
        )
    ph = np.broadcast_to(ph, r.shape)
    live = np.flatnonzero(r > 0)
    period = 1000.0 / r[live]
    n = np.floor(steps * dt / period + ph[live]).astype(np.int64) + 1  # one spare per train
    idx = np.repeat(live, n)
    k = np.arange(idx.size) - np.repeat(np.cumsum(n) - n, n)
    stamps = _stamp((k + 1 - ph[idx]) * (1000.0 / r[idx]), dt)
    keep = stamps <= steps
    return _trains(r.size, idx[keep], stamps[keep], dt)


# --- temporal codes ------------------------------------------------------------------------------
def latency(
    values,
    t_max: float,
    dt: float = 0.1,
    *,
    mode: str = "linear",
    t_min=None,
    threshold: float = 0.0,
    tau: float = 1.0,
) -> SpikeTrains:
    """Latency (time-to-first-spike) code: one spike per input, earlier for larger values.
    ``values`` in [0, 1]; inputs with ``x <= threshold`` do not spike.

    ``mode="linear"``:  ``t(x) = t_min + (t_max - t_min) (1 - x)``   (x = 1 fires at t_min)
    ``mode="log"``:     ``t(x) = t_min + tau ln(x / (x - threshold))`` (the time an RC
    membrane driven by x needs to reach ``threshold``; needs threshold > 0); spikes later
    than ``t_max`` are dropped.
    ``t_min`` defaults to dt (the first stamp); times in ms, ``tau`` in ms.
    """
    dt = _positive(dt, "latency.dt", "ms")
    x = checked_data(values, "latency.values", lo=0.0, hi=1.0)
    t_max = _positive(t_max, "latency.t_max", "ms")
    t_min = dt if t_min is None else _positive(t_min, "latency.t_min", "ms")
    if t_min > t_max:
        input_error(
            "latency.t_min", f"{t_min:g} ms is after t_max={t_max:g} ms", "use t_min <= t_max"
        )
    thr = float(checked_data(threshold, "latency.threshold", lo=0.0, hi=1.0)[0])
    fire = x > thr
    if mode == "linear":
        t = t_min + (t_max - t_min) * (1.0 - x[fire])
    elif mode == "log":
        if thr <= 0:
            input_error(
                "latency.threshold", "log latency needs a threshold > 0", "pass e.g. threshold=0.01"
            )
        tau = _positive(tau, "latency.tau", "ms")
        t = t_min + tau * np.log(x[fire] / (x[fire] - thr))
    else:
        input_error("latency.mode", f"{mode!r} is not a latency mode", "use 'linear' or 'log'")
    idx = np.flatnonzero(fire)
    keep = t <= t_max * (1 + 1e-12)
    return _trains(x.size, idx[keep], _stamp(t[keep], dt), dt)


def binary(values, threshold: float = 0.5, dt: float = 0.1, *, time=None) -> SpikeTrains:
    """Binary (threshold) code: input i spikes once, at ``time`` (ms, default dt), iff
    ``values[i] > threshold``."""
    dt = _positive(dt, "binary.dt", "ms")
    x = checked_data(values, "binary.values")
    thr = float(checked_data(threshold, "binary.threshold")[0])
    t = dt if time is None else _positive(time, "binary.time", "ms")
    idx = np.flatnonzero(x > thr)
    return _trains(x.size, idx, np.full(idx.size, _stamp(np.array([t]), dt)[0]), dt)


def gaussian_population(
    values,
    n_per_input: int,
    t_max: float,
    dt: float = 0.1,
    *,
    x_min: float = 0.0,
    x_max: float = 1.0,
    beta: float = 1.5,
    r_min: float = 0.1,
    t_min=None,
) -> SpikeTrains:
    """Population code with Gaussian receptive fields (Bohte, Kok and La Poutre 2002).

    Each scalar input x is seen by M = ``n_per_input`` neurons with centres and width

        mu_j = x_min + (2 j - 3)/2 * (x_max - x_min)/(M - 2),   j = 1..M
        sigma = (x_max - x_min) / (beta (M - 2))

    Neuron j's response ``r_j = exp(-(x - mu_j)^2 / (2 sigma^2))`` in (0, 1] becomes a latency
    ``t_j = t_min + (t_max - t_min)(1 - r_j)``; neurons with ``r_j < r_min`` stay silent.
    Output neuron ``i * M + (j - 1)`` belongs to input i.  ``M >= 3``.
    """
    dt = _positive(dt, "gaussian_population.dt", "ms")
    x = checked_data(values, "gaussian_population.values")
    if (
        isinstance(n_per_input, bool)
        or not isinstance(n_per_input, (int, np.integer))
        or n_per_input < 3
    ):
        input_error(
            "gaussian_population.n_per_input",
            f"{n_per_input!r} is not an integer >= 3",
            "use at least 3 receptive fields per input",
        )
    if not x_max > x_min:
        input_error(
            "gaussian_population.x_max", f"range [{x_min}, {x_max}] is empty", "use x_max > x_min"
        )
    m = int(n_per_input)
    j = np.arange(1, m + 1)
    mu = x_min + (2 * j - 3) / 2 * (x_max - x_min) / (m - 2)
    sigma = (x_max - x_min) / (_positive(beta, "gaussian_population.beta", "1") * (m - 2))
    r = np.exp(-((x[:, None] - mu[None, :]) ** 2) / (2 * sigma**2)).reshape(-1)
    t_max = _positive(t_max, "gaussian_population.t_max", "ms")
    t_min = dt if t_min is None else _positive(t_min, "gaussian_population.t_min", "ms")
    fire = np.flatnonzero(r >= r_min)
    t = t_min + (t_max - t_min) * (1.0 - r[fire])
    return _trains(x.size * m, fire, _stamp(t, dt), dt)


def rank_order(
    values, dt: float = 0.1, *, spacing=None, t_start=None, threshold: float = 0.0
) -> SpikeTrains:
    """Rank-order code (Thorpe and Gautrais 1998): inputs with ``x > threshold`` spike once,
    in order of decreasing value, the k-th (k = 0, 1, ...) at ``t_start + k * spacing`` ms
    (defaults: t_start = dt, spacing = dt, one rank per step).  Ties keep index order."""
    dt = _positive(dt, "rank_order.dt", "ms")
    x = checked_data(values, "rank_order.values")
    spacing = dt if spacing is None else _positive(spacing, "rank_order.spacing", "ms")
    t0 = dt if t_start is None else _positive(t_start, "rank_order.t_start", "ms")
    idx = np.flatnonzero(x > threshold)
    order = idx[np.argsort(-x[idx], kind="stable")]
    return _trains(x.size, order, _stamp(t0 + np.arange(order.size) * spacing, dt), dt)


def delta(
    signal, threshold: float, dt: float = 0.1, *, sample_interval=None, off: bool = True
) -> SpikeTrains:
    """Delta (send-on-delta, event-camera style) code of a sampled signal.

    ``signal`` has shape (samples, channels); sample k is taken at ``(k + 1) * sample_interval``
    ms (default dt; a multiple of dt).  Each channel keeps a reference level ``ref``, starting
    at sample 0.  At each later sample, with ``d = x - ref``:

        m = floor(|d| / threshold);  if m > 0: one spike of multiplicity m on the ON
        (d > 0) or OFF (d < 0) neuron, and ref += sign(d) * m * threshold

    ON neuron of channel c is c, OFF neuron is ``channels + c`` (``off=False``: ON only, and
    decreases only move the reference).  The spike's stamp is that of the sample.
    """
    dt = _positive(dt, "delta.dt", "ms")
    x = checked_data(signal, "delta.signal", ndim=2)
    thr = _positive(threshold, "delta.threshold", "signal units")
    every = (
        1
        if sample_interval is None
        else int(to_steps(_positive(sample_interval, "delta.sample_interval", "ms"), dt))
    )
    if sample_interval is not None and abs(every * dt - float(sample_interval)) > 1e-9 * dt:
        input_error(
            "delta.sample_interval",
            f"{sample_interval} ms is not a multiple of dt={dt} ms",
            "use a multiple of dt",
        )
    n_samples, n = x.shape
    ref = x[0].copy() if n_samples else np.zeros(n)
    idx, stamps = [], []
    for k in range(1, n_samples):
        d = x[k] - ref
        m = np.floor(np.abs(d) / thr + 1e-12).astype(np.int64)
        on, neg = (m > 0) & (d > 0), (m > 0) & (d < 0)
        ref += np.sign(d) * m * thr
        for mask, base in ((on, 0), (neg, n)):
            if base and not off:
                continue
            ch = np.flatnonzero(mask)
            idx.append(np.repeat(ch + base, m[ch]))
            stamps.append(np.full(int(m[ch].sum()), (k + 1) * every))
    return _trains(
        2 * n if off else n, np.concatenate(idx or [[]]), np.concatenate(stamps or [[]]), dt
    )


def burst(
    values,
    dt: float = 0.1,
    *,
    n_max: int = 5,
    isi_min: float = 2.0,
    isi_max: float = 10.0,
    t_start=None,
) -> SpikeTrains:
    """Burst code (Park et al. 2019): input x in [0, 1] fires a burst of

        n(x) = ceil(n_max * x) spikes,
        inter-spike interval isi(x) = isi_max - (isi_max - isi_min) x

    (ms), the k-th spike (k = 0..n-1) at ``t_start + k * isi(x)`` (t_start defaults to dt).
    ``isi_min >= dt`` so that a burst never collapses into one step."""
    dt = _positive(dt, "burst.dt", "ms")
    x = checked_data(values, "burst.values", lo=0.0, hi=1.0)
    isi_min = _positive(isi_min, "burst.isi_min", "ms")
    isi_max = _positive(isi_max, "burst.isi_max", "ms")
    if isi_min < dt or isi_max < isi_min:
        input_error(
            "burst.isi_min",
            f"intervals [{isi_min:g}, {isi_max:g}] ms with dt={dt:g} ms",
            "use dt <= isi_min <= isi_max",
        )
    if isinstance(n_max, bool) or not isinstance(n_max, (int, np.integer)) or n_max < 1:
        input_error("burst.n_max", f"{n_max!r} is not an integer >= 1", "use n_max >= 1")
    t0 = dt if t_start is None else _positive(t_start, "burst.t_start", "ms")
    n = np.ceil(n_max * x - 1e-12).astype(np.int64)
    isi = isi_max - (isi_max - isi_min) * x
    idx = np.repeat(np.arange(x.size), n)
    k = np.arange(idx.size) - np.repeat(np.cumsum(n) - n, n)
    return _trains(x.size, idx, _stamp(t0 + k * isi[idx], dt), dt)


def phase(
    values, duration: float, dt: float = 0.1, *, bits: int = 8, phase_steps: int = 1
) -> SpikeTrains:
    """Phase code (Kim et al. 2018, weighted spikes): x in [0, 1) is written in ``bits``
    binary digits, ``x ~ sum_k b_k 2^-(k+1)`` (most significant first, truncated).  Time is
    divided into periods of ``bits`` phases of ``phase_steps`` steps each; in every period the
    input spikes at the first step of phase k iff ``b_k = 1``:

        stamp = p * bits * phase_steps + k * phase_steps + 1,   p = 0, 1, ... (within duration)

    Decode with :func:`hub.decoders.phase_value`.
    """
    dt = _positive(dt, "phase.dt", "ms")
    x = checked_data(values, "phase.values", lo=0.0, hi=1.0)
    if x.size and x.max() >= 1:
        input_error("phase.values", f"maximum {x.max():g} is not below 1", "pass values in [0, 1)")
    for name, v in (("bits", bits), ("phase_steps", phase_steps)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            input_error(f"phase.{name}", f"{v!r} is not an integer >= 1", f"use {name} >= 1")
    steps = _steps(duration, dt, "phase.duration")
    digits = (np.floor(x[:, None] * 2.0 ** np.arange(1, bits + 1)) % 2).astype(bool)
    i, k = np.nonzero(digits)
    period = bits * phase_steps
    starts = np.arange(0, steps, period)
    stamps = (starts[None, :] + (k * phase_steps + 1)[:, None]).reshape(-1)
    idx = np.repeat(i, starts.size)
    keep = stamps <= steps
    return _trains(x.size, idx[keep], stamps[keep], dt)


# --- presenting several samples ------------------------------------------------------------------
def concatenate(trains, period: float) -> SpikeTrains:
    """Present encoded samples one after another: sample n is shifted by ``n * period`` ms
    (a multiple of dt).  All samples need the same size and dt; spikes after ``period`` within
    a sample are kept (shift, not clip)."""
    trains = list(trains)
    if not trains:
        input_error("concatenate.trains", "no samples", "pass at least one SpikeTrains")
    size, dt = trains[0].size, trains[0].dt
    if any(t.size != size or t.dt != dt for t in trains):
        input_error(
            "concatenate.trains", "samples differ in size or dt", "encode every sample alike"
        )
    shift = int(to_steps(_positive(period, "concatenate.period", "ms"), dt))
    if abs(shift * dt - float(period)) > 1e-9 * dt:
        input_error(
            "concatenate.period",
            f"{period} ms is not a multiple of dt={dt} ms",
            "use a multiple of dt",
        )
    return _trains(
        size,
        np.concatenate([t.indices for t in trains]),
        np.concatenate([t.stamps + n * shift for n, t in enumerate(trains)]),
        dt,
    )


def stack(trains) -> SpikeTrains:
    """Several encoded populations side by side as one: neurons of ``trains[n]`` follow those
    of ``trains[n - 1]`` (same dt)."""
    trains = list(trains)
    if not trains or any(t.dt != trains[0].dt for t in trains):
        input_error("stack.trains", "no trains, or trains with different dt", "encode with one dt")
    offsets = np.cumsum([0] + [t.size for t in trains])
    return _trains(
        offsets[-1],
        np.concatenate([t.indices + o for t, o in zip(trains, offsets)]),
        np.concatenate([t.stamps for t in trains]),
        trains[0].dt,
    )
