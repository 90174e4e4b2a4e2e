"""``NativeRNG``: in PyNN, "the simulator's own generator".  hub.pynn makes every draw of
connectivity and parameters itself, before the hub runs, so its native generator is a
:class:`pyNN.random.NumpyRNG` seeded with the seed given, or with the network seed
(``setup(rng_seed)``) when none is: a script gives the same network on every hub backend."""

from __future__ import annotations

from pyNN.random import NumpyRNG

from . import simulator


class NativeRNG(NumpyRNG):
    """A NumpyRNG (``seed`` or, if None, the network seed)."""

    def __init__(self, seed=None, parallel_safe=True):
        super().__init__(simulator.state.seed if seed is None else seed, parallel_safe)

    def __str__(self):
        return f"NativeRNG(seed={self.seed})"
