"""The shipped conformance kit, run on our own backends exactly as a third party runs it."""

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


# A backend that is wrong on purpose: the reference engine with every V sample 1 uV high.
_WRONG_BACKEND_UNDER_O = r"""
import json, sys
from hub.backend import BackendSpec
from hub.hookspecs import hookimpl
from hub.plugins import make_plugin_manager, reset_plugin_manager
from hub.testing import check_backend
from hub.testing.reference import ReferenceBackend, _ReferenceSession


class OffSession(_ReferenceSession):
    def results(self):
        res = super().results()
        for (pop, var), sig in res.signals.items():
            if var == "v":
                sig.values = sig.values + 1e-3
        return res


class OffBackend(ReferenceBackend):
    name = "off_by_a_microvolt"

    def build(self, resolved, **options):
        return OffSession(resolved)


class OffPlugin:
    @hookimpl
    def hub_register_backends(self):
        return [BackendSpec("off_by_a_microvolt", OffBackend, "wrong on purpose")]


stripped = True
assert not stripped  # python -O removes this line; without -O it raises here
reset_plugin_manager(make_plugin_manager(autoload=False, plugins=[OffPlugin()]))
out = check_backend("off_by_a_microvolt", select="check_lif_dc_closed_form")
print(json.dumps({"optimize": sys.flags.optimize,
                  "outcomes": [[o.check, o.status, o.detail] for o in out]}))
"""


def test_a_wrong_backend_fails_under_python_O(tmp_path):
    """python -O strips assert statements; the kit raises CheckFailed explicitly, so a wrong
    backend is still reported as failed, with the neuron and time that differ."""
    import json
    import os
    import subprocess
    import sys

    script = tmp_path / "wrong_backend.py"
    script.write_text(_WRONG_BACKEND_UNDER_O)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.run(
        [sys.executable, "-O", str(script)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["optimize"] == 1
    [(check, status, detail)] = report["outcomes"]
    assert (check, status) == ("check_lif_dc_closed_form", "failed"), detail
    assert "neuron 0: V against the closed form" in detail and "t=0.1" in detail, detail


def test_the_kit_is_the_checks_of_its_modules():
    """Registration is explicit: every registered check comes from a module listed in
    CHECK_MODULES, and every @needs function of those modules is registered."""
    from hub.testing import CHECK_MODULES

    modules = {m.__name__ for m in CHECK_MODULES}
    assert {c.__module__ for c in CHECKS.values()} == modules
    for module in CHECK_MODULES:
        for name, obj in vars(module).items():
            if name.startswith("check_") and hasattr(obj, "needs"):
                assert CHECKS[name] is obj
