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


def window_counts(spikes, windows, size):
    """Spike counts (n_windows, size) of each neuron in each presentation window."""
    from hub import decoders

    return (
        np.stack([decoders.spike_count(spikes, a, b) for a, b in windows])
        if len(spikes)
        else np.zeros((len(windows), size))
    )
