"""The conformance kit: the checks every snn-hub backend must pass, shipped in the wheel.

A third-party backend runs the same kit as the built-in ones::

    # tests/test_conformance.py of your plugin
    from hub.testing import parametrize_with_checks

    @parametrize_with_checks(["mybackend"])
    def test_conformance(backend, check):
        check(backend)

or from the command line: ``snn-hub check-backend mybackend``.

Checks are plain functions ``check_x(backend_name)`` that declare the features they
need with ``@needs(...)``, built from :mod:`hub.features` (``@needs(features.neuron(
"LIF[synapse=exp]"), features.SPIKE_SOURCE)``; a string that does not parse fails at
import).  A check whose features the backend does not declare is *not applicable*
(reported as such, never as passed).  A backend lists checks it
knowingly fails in ``Capabilities.known_gaps`` as ``{check name: reason}``; they are
reported as expected failures.

A check signals a wrong backend by raising :class:`CheckFailed` through the helpers of
:mod:`hub.testing.expectations` (``expect``, ``expect_equal``, ``expect_close``,
``expect_same_spikes``), never with a statement that ``python -O`` strips, so the kit
still works under ``python -O``.

Registration is by import: ``@needs`` adds each check to the one registry
:data:`CHECKS` (``hub.testing.checks.CHECKS``, ``{name: function}`` in declaration order).
The kit is the checks of the modules in :data:`CHECK_MODULES`, imported below:
``checks`` (the contract, the reference engine, the chip's compartment, the encoders) and
``plasticity_checks`` (one check per learning rule).  A new module of checks is added to
that tuple.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import checks, ode_checks, plasticity_checks
from .checks import CHECKS, needs  # noqa: F401
from .expectations import (  # noqa: F401  (public: hub.testing.CheckFailed, ...)
    CheckFailed,
    expect,
    expect_close,
    expect_equal,
    expect_same_spikes,
    fail,
)

#: the modules whose ``@needs`` functions make up the kit; importing them fills CHECKS
CHECK_MODULES = (checks, plasticity_checks, ode_checks)


@dataclass
class Outcome:
    check: str
    status: str  # passed | failed | not applicable | known gap
    detail: str = ""


def applicable(backend: str, check) -> tuple[bool, str]:
    from ..plugins import get_backend

    caps = get_backend(backend).capabilities()
    missing = [f for f in getattr(check, "needs", ()) if f not in caps.features]
    if missing:
        return False, f"backend does not declare {missing}"
    return True, ""


def check_backend(backend: str, select: str | None = None) -> list[Outcome]:
    """Run every check on ``backend``; return one :class:`Outcome` per check."""
    from ..plugins import get_backend

    gaps = get_backend(backend).capabilities().known_gaps
    out = []
    for name, check in CHECKS.items():
        if select and select not in name:
            continue
        ok, why = applicable(backend, check)
        if not ok:
            out.append(Outcome(name, "not applicable", why))
            continue
        try:
            check(backend)
        except AssertionError as exc:  # CheckFailed, or an assert of a third-party check
            status = "known gap" if name in gaps else "failed"
            out.append(Outcome(name, status, gaps.get(name) or str(exc)))
            continue
        out.append(Outcome(name, "passed"))
    return out


def parametrize_with_checks(backends):
    """pytest decorator: one test per (backend, check), with readable ids.  Inapplicable
    checks are skipped with the reason; known gaps are xfail(strict=True)."""
    import pytest

    from ..plugins import get_backend

    params = []
    for b in backends:
        gaps = get_backend(b).capabilities().known_gaps
        for name, check in CHECKS.items():
            marks = []
            ok, why = applicable(b, check)
            if not ok:
                marks.append(pytest.mark.skip(reason=why))
            elif name in gaps:
                marks.append(pytest.mark.xfail(reason=gaps[name], strict=True))
            params.append(pytest.param(b, check, id=f"{b}-{name}", marks=marks))
    return pytest.mark.parametrize("backend, check", params)
