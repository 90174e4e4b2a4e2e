"""One array per connection attribute, from PyNN's connect calls.

PyNN's connectors call ``Projection._convergent_connect`` once per post-synaptic neuron (12,000
times for the 4000-neuron Vogels-Abbott network).  :class:`ConnectionColumns` makes each call
three list appends (no array is made per call) and builds the arrays once, when the connector
is done: the pre indices concatenated, the post index repeated by each call's count, and a
parameter given as one scalar per call (PyNN evaluates a homogeneous parameter to a scalar)
repeated the same way.
"""

from __future__ import annotations

import numpy as np


class ConnectionColumns:
    """The connect calls of one projection, gathered (:meth:`add`) and turned into arrays
    (:meth:`arrays`)."""

    def __init__(self):
        self.pre: list = []
        self.post: list = []
        self.parameters: list[dict] = []

    def add(self, presynaptic_indices, postsynaptic_index, parameters: dict) -> None:
        """One call: pre indices (an integer array), one post index, and the parameters
        (native names; scalars or one value per pre index)."""
        self.pre.append(presynaptic_indices)
        self.post.append(postsynaptic_index)
        self.parameters.append(parameters)

    def arrays(self) -> dict[str, np.ndarray]:
        """``presynaptic_index``, ``postsynaptic_index`` (int64) and one float array per
        parameter, one value per connection in the order the calls made them."""
        pre = [np.asarray(p, dtype=np.int64).ravel() for p in self.pre]
        counts = np.fromiter(map(len, pre), np.int64, len(pre))
        out = {
            "presynaptic_index": np.concatenate(pre) if pre else np.zeros(0, np.int64),
            "postsynaptic_index": np.repeat(np.asarray(self.post, np.int64), counts),
        }
        names = dict.fromkeys(name for call in self.parameters for name in call)
        for name in names:
            out[name] = _column([call[name] for call in self.parameters], counts)
        return out


def _column(values: list, counts: np.ndarray) -> np.ndarray:
    """One value per connection from one value (scalar or array) per call."""
    try:
        flat = np.asarray(values, dtype=float)
    except ValueError:  # arrays of different lengths
        flat = None
    if flat is not None and flat.ndim == 1:  # one scalar per call
        return np.repeat(flat, counts)
    return np.concatenate(
        [np.broadcast_to(np.asarray(v, dtype=float), (n,)) for v, n in zip(values, counts)]
    )
