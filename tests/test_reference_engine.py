"""The reference engine against closed forms: the kit's own checks, run on it."""

import pytest

from hub.plugins import make_plugin_manager, reset_plugin_manager
from hub.testing import CHECKS
from hub.testing.reference import ReferencePlugin

CLOSED_FORM = [
    "check_capabilities_declared",
    "check_lif_dc_closed_form",
    "check_delay_and_multiplicity",
    "check_step_current_timing",
    "check_recording_times",
    "check_results_provenance",
    "check_record_spikes_subset",
    "check_record_source_spikes_subset",
    "check_record_state_subset_unsorted",
]


@pytest.fixture
def reference_backend():
    reset_plugin_manager(make_plugin_manager(autoload=False, plugins=[ReferencePlugin()]))
    yield "reference"
    reset_plugin_manager(None)


@pytest.mark.parametrize("name", CLOSED_FORM)
def test_reference_engine_passes_closed_form_checks(reference_backend, name):
    CHECKS[name](reference_backend)


def test_closed_form_check_detects_a_wrong_engine(reference_backend, monkeypatch):
    """The closed-form check must fail for an engine with an off-by-one refractory period."""
    from hub.testing import reference

    monkeypatch.setattr(
        reference,
        "refractory_steps",
        lambda t, dt: __import__("numpy").ceil(t / dt).astype(int) + 1,
    )
    with pytest.raises(AssertionError):
        CHECKS["check_lif_dc_closed_form"](reference_backend)
