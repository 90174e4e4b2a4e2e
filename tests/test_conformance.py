"""The shipped conformance kit, run on our own backends exactly as a third party runs it."""
import pytest

from hub.plugins import backend_specs
from hub.testing import CHECKS, check_backend, parametrize_with_checks

BUILT_IN = ["nest", "brian2"]


def test_built_in_backends_are_installed():
    """A missing built-in backend must fail here rather than silently skip the kit."""
    assert set(BUILT_IN) <= set(backend_specs())


@parametrize_with_checks(BUILT_IN)
def test_conformance(backend, check):
    check(backend)


def test_check_backend_reports_every_check():
    outcomes = check_backend("nest", select="check_recording_times")
    assert [o.check for o in outcomes] == ["check_recording_times"]
    assert outcomes[0].status == "passed", outcomes[0].detail
    assert len(CHECKS) >= 10
