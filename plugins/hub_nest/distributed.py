"""NEST under MPI: the checks, the gathering of recorded data and the error handling that let
one hub run span several processes.

Every rank builds the same network (its share of the connections, :mod:`hub.connectivity`),
NEST records on each rank the neurons that live there, and the recorded events of all ranks
are gathered on every rank, so each returns the whole :class:`hub.Results`.  An error while
building reaches every rank at the next common point (:func:`hub.mpi.agree`); an error inside
a NEST simulation, where the other ranks wait in NEST's own collective calls, ends the job
with ``MPI_Abort`` after it is printed.
"""

from __future__ import annotations

import contextlib
import sys

import numpy as np
from hub import mpi
from hub.errors import HubError
from hub.rss import peak_rss_mb


def check_processes(nest) -> int:
    """NEST's number of processes, after checking that it is the launcher's: a NEST built
    without MPI in an MPI job would run the whole network once per process."""
    launched, processes = mpi.launched_size(), int(nest.NumProcesses())
    if launched != processes:
        raise HubError(
            f"NEST runs as {processes} process(es) but the MPI job has {launched}: this NEST "
            f"({nest.__file__}) is built without MPI (build_info have_mpi="
            f"{nest.build_info.get('have_mpi')}); build one with `make nest-mpi` and put its "
            "site-packages first on PYTHONPATH (docs/distributed.md)"
        )
    return processes


@contextlib.contextmanager
def together():
    """Run the block on every rank; if it fails on any, every rank raises (hub.mpi.agree)."""
    error = None
    try:
        yield
    except BaseException as exc:  # noqa: BLE001 - handed to every rank below
        error = exc
    mpi.agree(error)


@contextlib.contextmanager
def or_abort():
    """Run the block; inside an MPI job an error ends the whole job (the other ranks wait in
    NEST's collective calls and cannot hear of it)."""
    try:
        yield
    except BaseException as exc:
        if mpi.size() > 1:
            print(f"snn-hub: MPI rank {mpi.rank()} failed: {exc}", file=sys.stderr, flush=True)
            mpi.comm().Abort(1)
        raise


def events(device, keys) -> dict[str, np.ndarray]:
    """The ``events`` of a recording device, those of every rank concatenated."""
    ev = device.get("events")
    local = {k: np.asarray(ev[k]) for k in keys}
    if mpi.size() == 1:
        return local
    every = mpi.allgather(local)
    return {k: np.concatenate([e[k] for e in every]) for k in keys}


def gather_synapses(pre, post, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per-synapse ``values`` of this rank's share of a projection (ordered by (pre, post),
    parallel connections in drawn order) as the values of the whole projection in its order
    (every pair lies on the rank of its target, so the order within a pair is kept)."""
    if mpi.size() == 1:
        return values
    pre, post = np.asarray(pre, np.int64), np.asarray(post, np.int64)
    seq = _rank_in_pair(pre, post)
    every = mpi.allgather((pre, post, seq, values))
    cat = [np.concatenate([e[k] for e in every]) for k in range(3)]
    order = np.lexsort((cat[2], cat[1], cat[0]))
    return {v: np.concatenate([e[3][v] for e in every])[order] for v in values}


def _rank_in_pair(pre, post) -> np.ndarray:
    """0, 1, ... along each run of equal (pre, post) (the arrays are sorted by pair)."""
    n = len(pre)
    if n == 0:
        return np.zeros(0, np.int64)
    new = np.ones(n, bool)
    new[1:] = (pre[1:] != pre[:-1]) | (post[1:] != post[:-1])
    starts = np.flatnonzero(new)
    return np.arange(n) - np.repeat(starts, np.diff(np.append(starts, n)))


def rank_memory() -> dict:
    """``{"peak_rss_mb_per_rank": [...]}``: each rank's peak resident memory so far (MiB,
    the whole process: Python, the hub's arrays and NEST), in rank order."""
    return {"peak_rss_mb_per_rank": [round(m, 1) for m in mpi.allgather(peak_rss_mb())]}


def smallest(value: int | None) -> int | None:
    """The smallest of every rank's ``value`` (None: the rank has none); None if no rank
    has one.  Facts about the whole network that each rank sees only its share of (the
    smallest delay of the projections) must be the same on every rank."""
    if mpi.size() == 1:
        return value
    given = [v for v in mpi.allgather(value) if v is not None]
    return min(given) if given else None


def summed(values: np.ndarray) -> np.ndarray:
    """The element-wise sum of every rank's ``values`` (equal shapes)."""
    if mpi.size() == 1:
        return values
    return np.sum(mpi.allgather(np.asarray(values)), axis=0)
