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
    *(f"check_lif_subtract_dc_closed_form_{syn}" for syn in ("exp", "alpha", "delta")),
    *(f"check_lif_subtract_many_dc_closed_form_{syn}" for syn in ("exp", "alpha", "delta")),
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


def test_many_spikes_check_detects_one_spike_per_step(reference_backend, monkeypatch):
    """spikes="many" run as "one" (the reference engine ignoring the option) fails the
    closed form: the check can fail."""
    from hub.testing import reference

    init = reference._init

    def one_only(p, dt):
        s = init(p, dt)
        s["max_spikes"] = None if "max_spikes" in s else s.get("max_spikes")
        return s

    monkeypatch.setattr(reference, "_init", one_only)
    with pytest.raises(AssertionError):
        CHECKS["check_lif_subtract_many_dc_closed_form_delta"](reference_backend)


@pytest.mark.parametrize("syn", ["exp", "delta"])
def test_many_spikes_networks_have_several_spikes_per_step(syn):
    """The kit's reference and feedforward networks for spikes="many" do exercise the rule:
    steps with 2 and more spikes of one neuron, and neurons held at their max_spikes."""
    import numpy as np

    import hub
    from hub.testing import checks, subtract_checks
    from hub.testing.reference import simulate

    for net, duration in (
        checks.random_network(subtract_checks._many(syn), 0, heterogeneous=True),
        checks.feedforward_network(subtract_checks._many(syn), 0, 100),
    ):
        res = simulate(hub.resolve(net, duration))
        sp = res.spikes("cells")
        _, counts = np.unique(sp.indices * 10**7 + sp.stamps, return_counts=True)
        assert counts.max() >= 2, counts.max()
        assert (counts >= 2).sum() >= 10, (counts >= 2).sum()
