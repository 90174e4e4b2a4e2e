"""The hub's random streams and its rounding of times to steps: the two primitives every draw
in :mod:`hub.resolve` and :mod:`hub.connectivity` is made of."""

from __future__ import annotations

import hashlib

import numpy as np

from .ir import units
from .ir.random import Distribution


def stream(seed: int, *keys) -> np.random.Generator:
    """An independent generator for (seed, keys): stable across runs and platforms."""
    words = [int.from_bytes(hashlib.sha256(str(k).encode()).digest()[:4], "little") for k in keys]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, *words])))


def to_steps(ms, dt: float):
    """Round a time in ms to whole steps of ``dt`` the way NEST does
    (``ld_round(ms * STEPS_PER_MS)``): floor(ms * (1/dt) + 0.5)."""
    return np.floor(np.asarray(ms, float) * (1.0 / dt) + 0.5)


def values(value, unit: str, n: int, rng_keys: tuple, seed: int) -> np.ndarray:
    """``n`` float values of ``value`` in ``unit``: drawn from ``stream(seed, *rng_keys)`` if
    it is a distribution, else the scalar broadcast (or the array as given)."""
    if isinstance(value, Distribution):
        return value.draw(stream(seed, *rng_keys), n).astype(float)
    arr = np.asarray(units.convert(value, unit), dtype=float)
    return np.broadcast_to(arr, (n,)).copy() if arr.ndim == 0 else arr.astype(float)
