"""The conformance kit fails backends that are wrong on purpose (tests/kit_mutants.py).

Each mutant is registered as a plugin and run through the kit three ways: the checks that
must catch it (fast, in the default run), ``snn-hub check-backend`` (exit 1, slow for the
full kit) and ``parametrize_with_checks`` in an inner pytest session (at least one failed
test).
"""

import pytest

from hub.plugins import plugin_manager
from hub.testing import check_backend, verdict
from tests.kit_mutants import MUTANTS, MutantPlugin

#: mutant -> checks that must each report it as failed
CAUGHT_BY = {
    "empty": ["check_kit_coverage"],
    "liar": [
        "check_ode_lifcond_exp",
        "check_ode_lifcond_alpha",
        "check_ode_adex_exp",
        "check_ode_adex_alpha",
        "check_ode_hodgkin_huxley",
    ],
    "crash": ["check_recording_times", "check_reference_network_lif_exp"],
    "sloppy_v": [
        "check_capabilities_declared",
        "check_lif_dc_closed_form",
        "check_reference_network_lif_exp",
        "check_heterogeneous_izhikevich",
    ],
    "sloppy_v_tier2": ["check_reference_network_lif_alpha", "check_feedforward_lif_exp"],
    "lsb_cheat": ["check_plasticity_all_additive", "check_plasticity_dopamine"],
    "late_delay": ["check_delay_and_multiplicity", "check_reference_network_lif_delta"],
    "late_change": ["check_parameter_change_closed_form"],
    "shifted_window": ["check_lif_dc_closed_form", "check_step_current_timing"],
    "refrac_floor": ["check_heterogeneous_lif_exp", "check_heterogeneous_lif_delta"],
    "flipped_rule": ["check_plasticity_all_additive", "check_plasticity_nn_symmetric_additive"],
    "custom_no_refractory": ["check_custom_lif_against_the_reference_engine"],
}


@pytest.fixture
def mutants():
    pm = plugin_manager()
    plugin = MutantPlugin()
    pm.register(plugin, name="kit-mutants")
    yield pm
    pm.unregister(plugin)


def test_every_mutant_has_catching_checks():
    assert set(CAUGHT_BY) == set(MUTANTS)


@pytest.mark.parametrize("mutant", sorted(CAUGHT_BY))
def test_the_kit_catches(mutants, mutant):
    """Every listed check reports the mutant as failed, and the run's verdict is a fail."""
    outcomes = []
    for name in CAUGHT_BY[mutant]:
        [outcome] = [o for o in check_backend(f"mutant_{mutant}", select=name) if o.check == name]
        outcomes.append(outcome)
    statuses = {o.check: (o.status, o.detail[:200]) for o in outcomes}
    assert all(o.status == "failed" for o in outcomes), statuses
    ok, why = verdict(outcomes)
    assert not ok and "failed" in why
    if mutant == "crash":  # an exception of the backend is a failure, not an abort
        assert all(
            o.detail.startswith("raised ") and "this backend builds nothing" in o.detail
            for o in outcomes
        ), statuses


def test_no_model_check_applied_fails_the_verdict(mutants):
    outcomes = check_backend("mutant_empty")
    assert {o.status for o in outcomes} == {"passed", "failed", "not applicable"}
    ok, why = verdict([o for o in outcomes if o.check != "check_kit_coverage"])
    assert not ok and why == "no check of a neuron model applied"


# --- as a third party meets them: installed plugins, the command line, pytest ------------------
MUTANT_DIST = """
from tests.kit_mutants import MutantPlugin

_plugin = MutantPlugin()
hub_register_backends = _plugin.hub_register_backends
"""


@pytest.fixture
def installed_mutants(make_dist):
    """The mutants as an installed distribution (entry point in group snn_hub)."""
    make_dist("snn_hub_mutants", {"snn_hub_mutants": MUTANT_DIST}, {"mutants": "snn_hub_mutants"})


def _cli(capsys, *argv):
    from hub.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("mutant", sorted(CAUGHT_BY))
def test_check_backend_exits_1(installed_mutants, capsys, mutant):
    """``snn-hub check-backend`` on the checks that catch the mutant: exit 1, each reported
    failed, and the summary says why."""
    for name in CAUGHT_BY[mutant]:
        code, out, err = _cli(capsys, "check-backend", f"mutant_{mutant}", "-k", name)
        row = next(line for line in out.splitlines() if line.startswith(name + " "))
        assert code == 1 and " failed " in row, out + err
        assert f"mutant_{mutant} does not pass the kit: 1 failed" in out


@pytest.mark.slow
@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_check_backend_full_kit_exits_1(installed_mutants, capsys, mutant):
    """The whole kit, as a third party runs it: exit 1 for every mutant."""
    code, out, err = _cli(capsys, "check-backend", f"mutant_{mutant}")
    assert code == 1 and "does not pass the kit" in out, out + err


INNER_TEST = """
from hub.testing import parametrize_with_checks

@parametrize_with_checks({backends!r})
def test_conformance(backend, check):
    check(backend)
"""


def test_parametrize_with_checks_fails(installed_mutants, pytester):
    """``parametrize_with_checks`` over every mutant in one inner pytest session (as a
    third party's test suite runs it), selecting the checks that catch each: every one of
    them is a failed test."""
    backends = [f"mutant_{m}" for m in sorted(CAUGHT_BY)]
    pytester.makepyfile(test_inner=INNER_TEST.format(backends=backends))
    wanted = [f"mutant_{m}-{name}" for m in sorted(CAUGHT_BY) for name in CAUGHT_BY[m]]
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q", "-k", " or ".join(wanted))
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == len(wanted), result.stdout.str()[-3000:]
    failed = {
        line.split("[", 1)[1].split("]", 1)[0]
        for line in result.stdout.lines
        if line.startswith("FAILED")
    }
    assert failed == set(wanted)
