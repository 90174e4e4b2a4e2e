"""Sparse linear maps with a delay per entry: the composition of NIR's linear nodes.

A :class:`Sparse` is an ``n_out x n_in`` matrix in coordinate form whose every entry also
carries an integer delay (extra steps, from ``Delay`` nodes on its path).  Composing two
maps multiplies the values and adds the delays of every pair of entries that meet; entries
with equal (row, column, delay) are then summed, so a map is exactly the set of hub
connections it becomes (``pre = cols``, ``post = rows``).  numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Sparse:
    """``value[k]`` from input ``cols[k]`` to output ``rows[k]`` after ``delays[k]`` extra
    steps; ``shape = (n_out, n_in)``."""

    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray
    delays: np.ndarray
    shape: tuple[int, int]

    @classmethod
    def make(cls, rows, cols, vals, shape, delays=None) -> "Sparse":
        rows, cols = (np.asarray(x, np.int64).ravel() for x in np.broadcast_arrays(rows, cols))
        vals = np.broadcast_to(np.asarray(vals, float), rows.shape).astype(float)
        d = np.zeros(rows.shape, np.int64) if delays is None else np.asarray(delays, np.int64)
        return cls(rows, cols, vals, np.broadcast_to(d, rows.shape).copy(), tuple(shape))

    @classmethod
    def dense(cls, matrix) -> "Sparse":
        """The nonzero entries of a dense ``n_out x n_in`` matrix."""
        m = np.asarray(matrix, float)
        r, c = np.nonzero(m)
        return cls.make(r, c, m[r, c], m.shape)

    @classmethod
    def identity(cls, n: int, delays=None) -> "Sparse":
        i = np.arange(n)
        return cls.make(i, i, 1.0, (n, n), delays)

    @classmethod
    def diagonal(cls, values) -> "Sparse":
        v = np.asarray(values, float).ravel()
        i = np.flatnonzero(v)
        return cls.make(i, i, v[i], (v.size, v.size))

    def __matmul__(self, other: "Sparse") -> "Sparse":
        """``self @ other`` (apply ``other`` first): delays add along each path."""
        if self.shape[1] != other.shape[0]:
            raise ValueError(f"cannot compose {self.shape} with {other.shape}")
        order = np.argsort(self.cols, kind="stable")
        a_cols = self.cols[order]
        lo = np.searchsorted(a_cols, other.rows, "left")
        cnt = np.searchsorted(a_cols, other.rows, "right") - lo
        total = int(cnt.sum())
        b_idx = np.repeat(np.arange(other.rows.size), cnt)
        a_idx = order[np.repeat(lo, cnt) + np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt)]
        out = Sparse(
            self.rows[a_idx],
            other.cols[b_idx],
            self.vals[a_idx] * other.vals[b_idx],
            self.delays[a_idx] + other.delays[b_idx],
            (self.shape[0], other.shape[1]),
        )
        return out.merged()

    def __add__(self, other: "Sparse") -> "Sparse":
        if self.shape != other.shape:
            raise ValueError(f"cannot add {self.shape} and {other.shape}")
        cat = [np.concatenate([getattr(self, f), getattr(other, f)]) for f in ("rows", "cols")]
        vals = np.concatenate([self.vals, other.vals])
        delays = np.concatenate([self.delays, other.delays])
        return Sparse(cat[0], cat[1], vals, delays, self.shape).merged()

    def merged(self) -> "Sparse":
        """Entries with equal (row, column, delay) summed, exact zeros dropped, sorted by
        (row, column, delay)."""
        if not self.rows.size:
            return self
        order = np.lexsort((self.delays, self.cols, self.rows))
        r, c, d, v = self.rows[order], self.cols[order], self.delays[order], self.vals[order]
        new = np.ones(r.size, bool)
        new[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1]) | (d[1:] != d[:-1])
        starts = np.flatnonzero(new)
        v = np.add.reduceat(v, starts)
        keep = v != 0.0
        return Sparse(r[starts][keep], c[starts][keep], v[keep], d[starts][keep], self.shape)

    def to_dense(self) -> np.ndarray:
        """The matrix with delays ignored (entries of one (row, column) summed)."""
        m = np.zeros(self.shape)
        np.add.at(m, (self.rows, self.cols), self.vals)
        return m

    def __len__(self) -> int:
        return int(self.rows.size)
