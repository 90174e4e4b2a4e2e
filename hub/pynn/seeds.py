"""The seeds hub.pynn draws from."""

from __future__ import annotations

import hashlib


def segment_seed(seed: int, segment: int) -> int:
    """The network seed of segment ``segment``: ``seed`` for the first, a new stream of draws
    (Poisson trains) after each ``reset()``, as a simulator's running RNG would give."""
    if segment == 0:
        return int(seed)
    digest = hashlib.sha256(f"{seed}/{segment}".encode()).digest()
    return int.from_bytes(digest[:4], "little")
