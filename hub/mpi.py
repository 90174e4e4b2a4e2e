"""The MPI job this process belongs to, if any, and the few collectives the hub needs.

A process started by ``mpirun``/``mpiexec``/``srun`` finds its job size in the launcher's
environment; only then is mpi4py imported (and with it MPI initialised).  Outside an MPI job
every function here answers for a job of one process, without importing anything.
"""

from __future__ import annotations

import os
import sys

from .errors import HubError

#: launcher variables that give the number of processes (Open MPI, MPICH/Hydra, MVAPICH, Slurm)
SIZE_VARIABLES = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "MV2_COMM_WORLD_SIZE", "SLURM_NTASKS")


def launched_size(environ=os.environ) -> int:
    """The number of processes the launcher started, from its environment (1 outside a job).
    ``SLURM_NTASKS`` counts only under ``srun`` (``SLURM_STEP_ID`` set)."""
    for name in SIZE_VARIABLES:
        if name == "SLURM_NTASKS" and "SLURM_STEP_ID" not in environ:
            continue
        value = environ.get(name, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    return 1


_COMM: list = []


#: prefixes of the variables a launcher gives its processes (a child process must not inherit
#: them, or it would take itself for a member of the job)
LAUNCHER_PREFIXES = ("OMPI_", "PMI_", "PMIX_", "MV2_", "HYDRA_", "MPI_LOCAL")


def without_launcher(environ: dict) -> dict:
    """A copy of ``environ`` without the MPI launcher's variables, for a child process that
    runs on its own (a compare worker started from rank 0)."""
    out = {k: v for k, v in environ.items() if not k.startswith(LAUNCHER_PREFIXES)}
    out.pop("SLURM_STEP_ID", None)
    return out


def comm():
    """mpi4py's ``COMM_WORLD`` inside an MPI job of more than one process, else None."""
    if launched_size() <= 1:
        return None
    if not _COMM:
        try:
            from mpi4py import MPI
        except ImportError:
            _COMM.append(None)  # said once; from then on each process acts alone
            raise HubError(
                f"this process is one of {launched_size()} MPI processes but mpi4py is not "
                "installed: build NEST with MPI and mpi4py with `make nest-mpi` and put its "
                "site-packages on PYTHONPATH (docs/distributed.md)"
            ) from None
        _COMM.append(MPI.COMM_WORLD)
    return _COMM[0]


def rank() -> int:
    """This process's rank (0 outside a job)."""
    c = comm()
    return 0 if c is None else c.Get_rank()


def size() -> int:
    """Processes in the job (1 outside a job)."""
    c = comm()
    return 1 if c is None else c.Get_size()


def is_root() -> bool:
    """True on rank 0, the process that prints and writes files."""
    return rank() == 0


def allgather(value) -> list:
    """``value`` of every rank, in rank order, on every rank (``[value]`` outside a job).

    Every collective call of the hub carries a tag, so a rank that failed and calls
    :func:`agree` meets the others wherever they are: if any rank brings an error, every rank
    raises (an error marked :func:`agreed`)."""
    c = comm()
    if c is None:
        return [value]
    _CALLS.append(1)
    return _checked(c.allgather(("ok", value)))


#: one entry per collective call made (:func:`started`)
_CALLS: list = []


def started() -> bool:
    """True once this process has made a collective call of the hub's (:func:`allgather`,
    :func:`bcast`, :func:`agree`, :func:`on_root`).  Before that, an error is one every rank
    meets in the same place (reading arguments, validating, drawing)."""
    return bool(_CALLS)


def _checked(tagged: list) -> list:
    failed = [(r, note) for r, (kind, note) in enumerate(tagged) if kind == "error"]
    if failed:
        r, note = failed[0]
        raise _agreed(HubError(f"MPI rank {r} of {len(tagged)} failed: {note}"))
    return [v for _, v in tagged]


def bcast(value):
    """Rank 0's ``value`` on every rank."""
    c = comm()
    if c is None:
        return value
    _CALLS.append(1)
    return c.bcast(value, root=0)


def on_root(compute):
    """``compute()`` on rank 0 only, its value (or its error, as a HubError) on every rank."""
    c = comm()
    if c is None:
        return compute()
    outcome, error = None, None
    if c.Get_rank() == 0:
        try:
            outcome = ("ok", compute())
        except BaseException as exc:  # noqa: BLE001 - handed to every rank below
            outcome, error = ("error", _describe(exc)), exc
    _CALLS.append(1)
    outcome = c.bcast(outcome, root=0)
    if outcome[0] == "ok":
        return outcome[1]
    if error is not None:
        raise _agreed(error)
    raise _agreed(HubError(f"MPI rank 0 failed: {outcome[1]}"))


def agree(error: BaseException | None) -> None:
    """A point every rank reaches: if any rank brings an error, every rank raises one (the
    lowest failing rank's, as a HubError naming that rank), so none is left waiting in a
    collective call that the failed rank will never make."""
    c = comm()
    if c is None:
        if error is not None:
            raise error
        return
    if error is not None and getattr(error, "agreed_by_all_ranks", False):
        # raised by a collective call: every rank knows already
        raise error
    _CALLS.append(1)
    tagged = c.allgather(("ok", None) if error is None else ("error", _describe(error)))
    failed = [r for r, (kind, _) in enumerate(tagged) if kind == "error"]
    if failed and error is not None and failed[0] == c.Get_rank():
        raise _agreed(error)
    try:
        _checked(tagged)
    except HubError as exc:
        raise exc from error


def _agreed(error: BaseException) -> BaseException:
    """Mark ``error`` as raised on every rank (:func:`agreed`)."""
    try:
        error.agreed_by_all_ranks = True  # type: ignore[attr-defined]
    except AttributeError:  # pragma: no cover - exceptions with __slots__
        pass
    return error


def agreed(error: BaseException) -> bool:
    """True if every rank raised ``error``: at :func:`agree`, :func:`on_root` or a collective
    call, or before any collective call (:func:`started`).  Each rank can then end normally;
    any other error on one rank of a job must end the job (:func:`abort`)."""
    if comm() is None or not started():
        return True
    return bool(getattr(error, "agreed_by_all_ranks", False))


def abort(code: int = 1) -> None:
    """End every process of the job (``MPI_Abort``); nothing outside a job."""
    c = comm()
    if c is not None:
        sys.stdout.flush()
        sys.stderr.flush()
        c.Abort(code)


def _describe(error: BaseException) -> str:
    return str(error) if isinstance(error, HubError) else f"{type(error).__name__}: {error}"


def abort_on_uncaught() -> None:
    """Inside an MPI job, make an uncaught exception end the whole job (``MPI_Abort``) after
    printing it, instead of leaving the other ranks waiting for this one."""
    c = comm()
    if c is None:
        return
    previous = sys.excepthook

    def hook(kind, value, tb):
        previous(kind, value, tb)
        abort(1)

    sys.excepthook = hook


__all__ = [
    "without_launcher",
    "launched_size",
    "comm",
    "rank",
    "size",
    "is_root",
    "allgather",
    "bcast",
    "on_root",
    "agree",
    "agreed",
    "started",
    "abort",
    "abort_on_uncaught",
]
