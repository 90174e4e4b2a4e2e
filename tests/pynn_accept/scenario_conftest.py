"""conftest.py for PyNN's scenarios, copied next to them in the material cache (never into
snn-hub's tests, never into PyNN's files) by tests/pynn_accept/scenarios.py.

PyNN's scenarios are parametrised by ``scenarios.fixtures.run_with_simulators("nest", ...)``
with a ``LazySimulator`` that imports ``pyNN.<name>``.  This conftest is imported before the
scenario modules; it replaces ``run_with_simulators`` so every scenario runs once, on the
simulator named in ``$PYNN_ACCEPT_SIM``:

* ``pyNN.nest`` (any ``pyNN.<name>``): PyNN's own ``LazySimulator``, the baseline;
* ``hub.pynn[nest]``, ``hub.pynn[brian2]``: :class:`HubSimulator`, hub.pynn whose ``setup``
  passes ``backend=<name>``.

The simulators PyNN declares for a scenario are kept (``declared`` in the results).  One JSON
line per test goes to ``$PYNN_ACCEPT_OUT``: ``{"start": nodeid}`` when it starts, then
``{"nodeid", "outcome", "message", "where", "declared"}`` when it ends (``where``: the
file and line the exception was raised at).  A test still running after
``$PYNN_ACCEPT_TIMEOUT`` seconds is interrupted (SIGALRM) and fails.
"""

import importlib
import json
import os
import signal

import pytest

import scenarios.fixtures as fixtures

SIM = os.environ["PYNN_ACCEPT_SIM"]
OUT = os.environ["PYNN_ACCEPT_OUT"]
TIMEOUT = int(os.environ.get("PYNN_ACCEPT_TIMEOUT", "300"))
HUB_PREFIX = "hub.pynn["


class HubSimulator:
    """hub.pynn as a PyNN simulator module on one hub backend (``setup`` adds ``backend``)."""

    def __init__(self, backend):
        self._backend = backend

    @property
    def __name__(self):
        return f"{HUB_PREFIX}{self._backend}]"

    def __str__(self):
        return self.__name__

    def __repr__(self):
        return self.__name__

    def setup(self, *args, **kwargs):
        kwargs.setdefault("backend", self._backend)
        return importlib.import_module("hub.pynn").setup(*args, **kwargs)

    def __getattr__(self, name):
        # an import error of hub.pynn fails the test; PyNN's LazySimulator would skip it
        return getattr(importlib.import_module("hub.pynn"), name)


def make_simulator(label):
    """The object a scenario receives as ``sim`` for ``label``."""
    if label.startswith(HUB_PREFIX) and label.endswith("]"):
        return HubSimulator(label[len(HUB_PREFIX) : -1])
    if label.startswith("pyNN."):
        return fixtures.LazySimulator(label[len("pyNN.") :])
    raise ValueError(f"PYNN_ACCEPT_SIM={label!r}: use pyNN.<name> or hub.pynn[<backend>]")


def run_with_simulators(*sim_names):
    """Replaces PyNN's: one parameter, the simulator under test; PyNN's list kept as a mark."""
    param = pytest.param(make_simulator(SIM), id=SIM, marks=pytest.mark.pynn_declared(*sim_names))
    return pytest.mark.parametrize("sim", [param])


fixtures.run_with_simulators = run_with_simulators


def pytest_configure(config):
    config.addinivalue_line("markers", "pynn_declared(*names): PyNN's simulators")


def _write(record):
    with open(OUT, "a") as f:
        f.write(json.dumps(record) + "\n")


def _first_line(report):
    """The first line of what ended the test: the exception message or the skip reason."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):  # a skip: (file, line, reason)
        text = str(longrepr[2])
    elif hasattr(longrepr, "reprcrash") and longrepr.reprcrash is not None:
        text = longrepr.reprcrash.message
    else:
        text = str(longrepr)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else ""


def _where(report):
    """``file:line`` where the exception was raised (the innermost frame)."""
    crash = getattr(report.longrepr, "reprcrash", None)
    return f"{crash.path}:{crash.lineno}" if crash is not None else ""


_state = {}


def _timeout(signum, frame):
    raise TimeoutError(f"no result after {TIMEOUT} s (interrupted by the acceptance harness)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    mark = item.get_closest_marker("pynn_declared")
    _state[item.nodeid] = {
        "nodeid": item.nodeid,
        "outcome": "passed",
        "message": "",
        "where": "",
        "declared": list(mark.args) if mark else [],
    }
    _write({"start": item.nodeid})
    previous = signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(TIMEOUT)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    _write(_state.pop(item.nodeid))


def pytest_runtest_logreport(report):
    record = _state.get(report.nodeid)
    if record is None or record["outcome"] != "passed":
        return  # the first failure or skip is the one that counts
    if report.failed:
        record.update(
            outcome="failed", message=f"{report.when}: {_first_line(report)}", where=_where(report)
        )
    elif report.skipped:
        record.update(outcome="skipped", message=_first_line(report))


def pytest_collectreport(report):
    if report.failed:
        _write(
            {
                "nodeid": report.nodeid,
                "outcome": "failed",
                "message": f"collection: {_first_line(report)}",
                "declared": [],
            }
        )
