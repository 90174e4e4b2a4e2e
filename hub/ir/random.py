"""Random value distributions.  Pure descriptions: the draw happens in ``hub.resolve``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class Distribution:
    """A distribution of parameter, weight, delay or initial values (drawn in the hub)."""

    kind: str = ""

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def to_dict(self) -> dict:
        return {"type": self.kind, **self.__dict__}


@dataclass(frozen=True)
class Uniform(Distribution):
    """Uniform on [low, high)."""

    low: float
    high: float
    kind = "Uniform"

    def draw(self, rng, n):
        return rng.uniform(self.low, self.high, n)


@dataclass(frozen=True)
class Normal(Distribution):
    """Normal with mean ``mu`` and standard deviation ``sigma``; optionally clipped to
    [low, high] by redrawing (PyNN ``normal_clipped``)."""

    mu: float
    sigma: float
    low: float = -np.inf
    high: float = np.inf
    kind = "Normal"

    def draw(self, rng, n):
        out = rng.normal(self.mu, self.sigma, n)
        bad = (out < self.low) | (out > self.high)
        while bad.any():
            out[bad] = rng.normal(self.mu, self.sigma, int(bad.sum()))
            bad = (out < self.low) | (out > self.high)
        return out


DISTRIBUTIONS = {"Uniform": Uniform, "Normal": Normal}


def distribution_from_dict(d: dict) -> Distribution:
    d = dict(d)
    return DISTRIBUTIONS[d.pop("type")](**d)
