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
(reported as such, never as passed); a run in which most checks were not applicable is
*partial* (:func:`is_partial`) and fails :func:`verdict` unless ``allow_partial``.  A
backend lists checks it knowingly fails in ``Capabilities.known_gaps`` as ``{check name:
reason}``; they are reported as expected failures.

A check signals a wrong backend by raising :class:`CheckFailed` through the helpers of
:mod:`hub.testing.expectations` (``expect``, ``expect_equal``, ``expect_close``,
``expect_same_spikes``), never with a statement that ``python -O`` strips, so the kit
still works under ``python -O``.

Registration is by import: ``@needs`` adds each check to the one registry
:data:`CHECKS` (``hub.testing.checks.CHECKS``, ``{name: function}`` in declaration order).
The kit is the checks of the modules in :data:`CHECK_MODULES`, imported below:
``checks`` (the contract, the reference engine, the chip's compartment, the encoders),
``subtract_checks`` (``LIFSubtract``, one and several spikes per step: closed form and
reference engine),
``plasticity_checks`` (one check per learning rule) and ``ode_checks`` (the conductance-based
and Hodgkin-Huxley models against an accurate ODE solution) and ``change_checks`` (runs in
segments with parameter changes, :class:`hub.Simulation`).  What each declared tier is
held to is fixed by :mod:`hub.testing.tiers`.  A new module of checks is added to that tuple.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import change_checks, checks, custom_checks, ode_checks, plasticity_checks, subtract_checks
from .checks import CHECKS, missing_features, needs  # noqa: F401
from .expectations import (  # noqa: F401  (public: hub.testing.CheckFailed, ...)
    CheckFailed,
    expect,
    expect_close,
    expect_equal,
    expect_same_spikes,
    fail,
)

#: the modules whose ``@needs`` functions make up the kit; importing them fills CHECKS
CHECK_MODULES = (
    checks,
    subtract_checks,
    plasticity_checks,
    ode_checks,
    change_checks,
    custom_checks,
)


@dataclass
class Outcome:
    check: str
    status: str  # passed | failed | not applicable | known gap | unexpected pass
    detail: str = ""
    #: not applicable: the features the check needs that the backend does not declare
    missing: tuple[str, ...] = ()


#: statuses that make ``snn-hub check-backend`` fail; "known gap" too unless allowed
FAILING = ("failed", "unexpected pass")


def applicable(backend: str, check) -> tuple[bool, str]:
    from ..plugins import get_backend

    missing = missing_features(get_backend(backend).capabilities(), check)
    if missing:
        return False, f"backend does not declare {missing}"
    return True, ""


def _run_one(backend: str, check) -> str | None:
    """Run ``check``; None when it passed, else what went wrong.  Any exception is a
    failure: a backend that raises (a build error, a crash, a wrong type) fails the check."""
    try:
        check(backend)
    except AssertionError as exc:  # CheckFailed, or an assert of a third-party check
        return str(exc) or type(exc).__name__
    except Exception as exc:  # noqa: BLE001  (every error of the backend is a finding)
        return f"raised {type(exc).__name__}: {exc}"
    return None


def check_backend(backend: str, select: str | None = None) -> list[Outcome]:
    """Run every check on ``backend``; return one :class:`Outcome` per check.

    A check the backend lists in ``Capabilities.known_gaps`` that fails is a "known gap"
    (detail: the declared reason, then what failed); one that passes is an "unexpected
    pass" (the declaration is stale), reported as a failure."""
    from ..plugins import get_backend

    caps = get_backend(backend).capabilities()
    gaps = caps.known_gaps
    out = []
    for name, check in CHECKS.items():
        if select and select not in name:
            continue
        ok, why = applicable(backend, check)
        if not ok:
            out.append(Outcome(name, "not applicable", why, tuple(missing_features(caps, check))))
            continue
        error = _run_one(backend, check)
        if name in gaps:
            if error is None:
                out.append(Outcome(name, "unexpected pass", f"declared known gap: {gaps[name]}"))
            else:
                out.append(Outcome(name, "known gap", f"{gaps[name]} [{error}]"))
        elif error is None:
            out.append(Outcome(name, "passed"))
        else:
            out.append(Outcome(name, "failed", error))
    return out


def summary(outcomes: list[Outcome]) -> dict[str, int]:
    """{status: count} in a fixed order, plus ``applied`` (checks that ran)."""
    order = ("passed", "failed", "known gap", "unexpected pass", "not applicable")
    counts = {status: sum(o.status == status for o in outcomes) for status in order}
    counts = {k: v for k, v in counts.items() if v}
    counts["applied"] = sum(o.status != "not applicable" for o in outcomes)
    return counts


def is_partial(outcomes: list[Outcome]) -> bool:
    """Whether most of the run's checks (the whole kit, or those a selection kept) were not
    applicable: fewer applied than did not.  Such a run proves little about the backend."""
    applied = sum(o.status != "not applicable" for o in outcomes)
    return applied < len(outcomes) - applied


def undeclared(outcomes: list[Outcome]) -> dict[str, int]:
    """{feature: number of not-applicable checks that need it}, the features that kept the
    most checks from applying first (a check missing two features counts for both)."""
    counts: dict[str, int] = {}
    for o in outcomes:
        if o.status == "not applicable":
            for feature in o.missing:
                counts[feature] = counts.get(feature, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def verdict(
    outcomes: list[Outcome], allow_known_gaps: bool = False, allow_partial: bool = False
) -> tuple[bool, str]:
    """Whether a kit run proves the backend, and why not: any failure, any known gap
    (unless ``allow_known_gaps``), no check at all that ran a neuron model, or a *partial*
    run (:func:`is_partial`: most checks not applicable) unless ``allow_partial``."""
    counts = summary(outcomes)
    reasons = []
    for status in FAILING:
        if counts.get(status):
            reasons.append(f"{counts[status]} {status}")
    if counts.get("known gap") and not allow_known_gaps:
        reasons.append(f"{counts['known gap']} known gap (pass --allow-known-gaps to accept)")
    if outcomes and not any(_runs_a_model(o) for o in outcomes):
        reasons.append("no check of a neuron model applied")
    elif is_partial(outcomes) and not allow_partial:
        reasons.append(
            f"partial run: only {counts['applied']} of {len(outcomes)} checks applied "
            "(pass --allow-partial to accept)"
        )
    return (not reasons), "; ".join(reasons)


def _runs_a_model(outcome: Outcome) -> bool:
    check = CHECKS.get(outcome.check)
    features = getattr(check, "needs", ())
    return outcome.status != "not applicable" and any(f.startswith("neuron:") for f in features)


def parametrize_with_checks(backends, allow_known_gaps: bool = False):
    """pytest decorator: one test per (backend, check), with readable ids.  Inapplicable
    checks are skipped with the reason.  A declared known gap fails like any other check
    unless ``allow_known_gaps``: then it is an ``xfail(strict=True)``, so a gap that closes
    fails too (the declaration is stale)."""
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
            elif name in gaps and allow_known_gaps:
                marks.append(pytest.mark.xfail(reason=gaps[name], strict=True))
            params.append(pytest.param(b, check, id=f"{b}-{name}", marks=marks))
    return pytest.mark.parametrize("backend, check", params)
