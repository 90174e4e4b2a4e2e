"""Test-only backends for hub.compare: the reference engine under other names, some of which
misbehave inside the worker process.  Load with ``SNN_HUB_PLUGINS=compare_backends`` and
this folder on PYTHONPATH (tests/test_compare.py does both)."""

import os
import signal
import time

from hub import BackendSpec, hookimpl
from hub.testing.ode_reference import ODEReferenceBackend
from hub.testing.reference import ReferenceBackend, _ReferenceSession


class _Faulty(_ReferenceSession):
    mode = "ok"
    weight_scale = 1.0  # reported "final weights" = resolved weights x this

    def run(self, progress=None):
        if progress is not None:
            progress(0.5)
        if self.mode == "exit":
            os._exit(3)  # dies without a word
        if self.mode == "kill":
            os.kill(os.getpid(), signal.SIGKILL)  # killed mid-run
        if self.mode == "raise":
            raise RuntimeError("the test backend broke on purpose")
        if self.mode == "hang":
            time.sleep(600)
        super().run(progress)
        self._results.synapse_state = {
            (p.label, "weight"): p.weight * self.weight_scale for p in self.resolved.projections
        }


def _backend(name, mode):
    session = type(
        f"Session_{mode}",
        (_Faulty,),
        {"mode": mode, "weight_scale": 1.1 if name == "twin" else 1.0},
    )

    class Backend(ReferenceBackend):
        def build(self, resolved, **options):
            return session(resolved)

    Backend.name = name
    return Backend


MODES = {
    "steady": "ok",
    "twin": "ok",
    "exiter": "exit",
    "killed": "kill",
    "raiser": "raise",
    "hanger": "hang",
}


class ODE(ODEReferenceBackend):
    """The ODE reference (conductance-based models) under the name ``ode``."""

    name = "ode"


@hookimpl
def hub_register_backends():
    return [
        BackendSpec(name, _backend(name, mode), f"test backend ({mode})")
        for name, mode in MODES.items()
    ] + [BackendSpec("ode", ODE, "test backend: the ODE reference")]
