"""scikit-learn's bundled 8x8 digits (no download) as spike trains: shared by
models/digits_stdp.py and models/lsm.py."""

from __future__ import annotations

import numpy as np

from hub import encoders


def load(n: int, offset: int = 0, seed: int = 0):
    """``n`` digit images (values in [0, 1], shape (n, 64)) and labels, a seeded shuffle of
    the 1797 images starting at ``offset`` (so train and test sets do not overlap)."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:  # pragma: no cover - sklearn is in the test extra
        raise ImportError("the digit models need scikit-learn: pip install scikit-learn") from exc
    data = load_digits()
    order = np.random.default_rng(seed).permutation(len(data.target))[offset : offset + n]
    return data.data[order] / 16.0, data.target[order]


def present(images, rate_max: float, on_ms: float, off_ms: float, dt: float, seed: int):
    """Poisson spike trains (rate = pixel * rate_max Hz for ``on_ms``, then ``off_ms`` of
    silence) for each image, one after another.  Returns the SpikeTrains and the window
    (start, stop] in ms of each presentation."""
    trains = [
        encoders.poisson(img * rate_max, on_ms, dt, seed=seed + k) for k, img in enumerate(images)
    ]
    period = on_ms + off_ms
    windows = [(k * period, k * period + on_ms) for k in range(len(images))]
    return encoders.concatenate(trains, period), windows


def present_rows(images, rate_max: float, row_ms: float, off_ms: float, copies: int, dt, seed):
    """Each image scanned row by row: row r of an 8x8 image drives the ``8 * copies`` inputs
    (``copies`` independent Poisson inputs per column, rate = pixel * rate_max Hz) for
    ``row_ms``, rows one after another, then ``off_ms`` of silence.  Input ``c * copies + j``
    is copy j of column c.  Returns the SpikeTrains and the window (start, stop] in ms of each
    presentation (all 8 rows)."""
    on_ms = 8 * row_ms
    trains = []
    for k, img in enumerate(images):
        rows = np.asarray(img).reshape(8, 8)
        scan = [
            encoders.poisson(
                np.repeat(rows[r], copies) * rate_max, row_ms, dt, seed=seed + 8 * k + r
            )
            for r in range(8)
        ]
        trains.append(encoders.concatenate(scan, row_ms))
    period = on_ms + off_ms
    windows = [(k * period, k * period + on_ms) for k in range(len(images))]
    return encoders.concatenate(trains, period), windows


def window_counts(spikes, windows, size):
    """Spike counts (n_windows, size) of each neuron in each presentation window."""
    from hub import decoders

    return (
        np.stack([decoders.spike_count(spikes, a, b) for a, b in windows])
        if len(spikes)
        else np.zeros((len(windows), size))
    )
