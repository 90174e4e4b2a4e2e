"""Runtime Cython for the hot code objects only, optionally compiled in worker processes.

With ``codegen="cython"`` the backend compiles only the code objects whose per-step cost
grows with the network (the model update, and the synaptic propagation); everything else
(thresholds, resets, the relay, monitors, connecting, pushing spikes into the queue) runs as
numpy code, which needs no compiler.  Both targets evaluate the hub's one-operation-per-
statement code in IEEE double arithmetic, so mixing them changes no number.

A cold cache compiles each code object once (Cython's own translation, about 2 s of Python,
then g++, about 3 s).  Brian2 compiles them one after the other while the network prepares
its run.  With ``jobs > 1`` the code object class here instead hands every code object that
is not in the cache to a pool of worker processes (forked, so they need not import Brian2
again) and waits for it only when the code object is first executed; the worker writes the
module into the cache directory and the main process then loads it from there through
Brian2's own extension manager, under Brian2's file lock.  Measured on 2 cores shared with
other jobs this was slower than compiling in sequence (CUBA cold: 16.2 s with 2 workers,
11.8 s with 1; each g++ took 8 s instead of 3 s), so the default is ``jobs=1``.
"""

from __future__ import annotations

import atexit
import concurrent.futures as cf
import hashlib
import multiprocessing
import os
import sys

#: flags for codegen="cython": strict IEEE (no -ffast-math, no FMA contraction, no -march)
STRICT_GCC_FLAGS = ["-w", "-O3", "-ffp-contract=off", "-fno-fast-math", "-std=c++11"]

_POOL: dict = {}


def default_jobs() -> int:
    """Sequential compilation: see the module docstring for the measurement."""
    return 1


def _pool(jobs: int):
    if _POOL.get("jobs") != jobs:
        shutdown()
        # the workers inherit the Cython compiler instead of importing it each
        import Cython.Build  # noqa: F401
        import Cython.Compiler.Main  # noqa: F401

        _POOL["pool"] = cf.ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"))
        _POOL["jobs"] = jobs
        if not _POOL.get("atexit"):
            atexit.register(shutdown)
            _POOL["atexit"] = True
    return _POOL["pool"]


def shutdown():
    pool = _POOL.pop("pool", None)
    _POOL.pop("jobs", None)
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def _compile(code: str, kwargs: dict, cache_dir: str) -> None:
    """In a worker: compile ``code`` into the cache (nothing to do if it is there)."""
    import brian2
    from brian2.codegen.runtime.cython_rt.extension_manager import cython_extension_manager

    brian2.prefs.codegen.runtime.cython.cache_dir = cache_dir
    cython_extension_manager.create_extension(code, **kwargs)


def module_path(code: str, cache_dir: str) -> str:
    """Where Brian2's extension manager keeps the module for ``code`` (its own key)."""
    import Cython
    import numpy

    from brian2.codegen.runtime.cython_rt.extension_manager import cython_extension_manager
    from brian2.utils.stringtools import deindent

    key = (
        deindent(code),
        sys.version_info,
        sys.executable,
        Cython.__version__,
        ".".join(numpy.__version__.split(".")[:2]),
        os.environ.get("CC", None),
        os.environ.get("CXX", None),
    )
    name = f"_cython_magic_{hashlib.md5(str(key).encode('utf-8')).hexdigest()}"
    return os.path.join(cache_dir, name + cython_extension_manager.so_ext)


class _Pending:
    """Stands for a compiled module until it is first used."""

    def __init__(self, future, load):
        self._future, self._load, self._module = future, load, None

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if self._module is None:
            self._future.result()  # re-raises a compile error
            self._module = self._load()
        return getattr(self._module, name)


_CLASSES: dict = {}


def code_object_class(b2, jobs: int):
    """A ``CythonCodeObject`` subclass that compiles missing modules in ``jobs`` worker
    processes (``jobs=1``: Brian2's own sequential compilation)."""
    from brian2.codegen.runtime.cython_rt.cython_rt import CythonCodeObject

    if jobs <= 1:
        return CythonCodeObject
    if jobs in _CLASSES:
        return _CLASSES[jobs]

    class HubCythonCodeObject(CythonCodeObject):
        class_name = "cython"

        def compile_block(self, block):
            code = getattr(self.code, block, "").strip()
            if not code or "EMPTY_CODE_BLOCK" in code:
                return None
            cache_dir = os.path.expanduser(
                b2.prefs.codegen.runtime.cython.cache_dir
                or os.path.join("~", ".cython", "brian_extensions")
            )
            if os.path.isfile(module_path(code, cache_dir)):
                return super().compile_block(block)
            kwargs = dict(
                define_macros=list(self.define_macros),
                libraries=list(self.libraries),
                extra_compile_args=list(self.extra_compile_args),
                extra_link_args=list(self.extra_link_args),
                include_dirs=list(self.include_dirs),
                library_dirs=list(self.library_dirs),
                runtime_library_dirs=list(self.runtime_library_dirs),
                compiler=self.compiler,
                sources=list(self.sources),
            )
            os.makedirs(cache_dir, exist_ok=True)
            future = _pool(jobs).submit(_compile, code, kwargs, cache_dir)
            parent = super()
            return _Pending(future, lambda: parent.compile_block(block))

    HubCythonCodeObject.__name__ = "HubCythonCodeObject"
    _CLASSES[jobs] = HubCythonCodeObject
    return HubCythonCodeObject


def hot_code_class(b2, cache_dir: str, jobs: int):
    """The code object class of the hot code objects: Cython with ``STRICT_GCC_FLAGS``,
    modules cached in ``cache_dir``, missing ones compiled by ``jobs`` processes."""
    os.makedirs(cache_dir, exist_ok=True)
    b2.prefs.codegen.cpp.extra_compile_args_gcc = list(STRICT_GCC_FLAGS)
    b2.prefs.codegen.runtime.cython.cache_dir = cache_dir
    return code_object_class(b2, jobs)


def numpy_push(b2, pathway):
    """Let ``pathway`` push its spikes into the queue with a numpy code object (in runtime
    mode that code only calls ``SynapticPathway.push_spikes``; compiling it buys nothing)."""
    from brian2.codegen.codeobject import create_runner_codeobj
    from brian2.codegen.runtime.numpy_rt import NumpyCodeObject

    create = pathway.create_code_objects

    def create_code_objects(run_namespace):
        if pathway._pushspikes_codeobj is None:
            name = f"_{pathway.event}space"
            pathway._pushspikes_codeobj = create_runner_codeobj(
                pathway,
                "",
                "synapses_push_spikes",
                name=pathway.name + "_push_spikes",
                check_units=False,
                additional_variables=pathway.variables,
                needed_variables=[name],
                template_kwds={"eventspace_variable": pathway.source.variables[name]},
                run_namespace=run_namespace,
                codeobj_class=NumpyCodeObject,
            )
        create(run_namespace)

    pathway.create_code_objects = create_code_objects


#: codegen="auto" compiles a network on a cold cache from this many neuron-steps on
#: (neurons x time steps; CUBA: 4000 x 10000 = 4e7 per simulated second).  Measured on CUBA
#: (docs/brian2.md): a cold compile costs about 7.5 s more than a numpy run, and Cython
#: saves about 1 s per 4e7 neuron-steps, so it pays from about 3e8.
AUTO_NEURON_STEPS = 3e8

#: numpy's cost of calling one code object for one step (s): Brian2's Python per call, whatever
#: the network's size (measured: docs/brian2.md, "codegen='auto'")
NUMPY_S_PER_OBJECT_STEP = 3e-5
#: numpy's cost per neuron-step beyond that (s; CUBA: 2.5 s for 4e7 neuron-steps)
NUMPY_S_PER_NEURON_STEP = 4e-8
#: codegen="auto" runs standalone when the numpy run is estimated to take at least this
#: long (s): a cold standalone compile of a small network on this machine took 6-16 s
AUTO_STANDALONE_S = 10.0
#: ... and a network with plastic projections (not possible in standalone) in Cython from
#: this estimate on: its pathways are hot code objects that Cython compiles
AUTO_PLASTIC_CYTHON_S = 10.0


def numpy_seconds(steps: int, objects: int, neuron_steps: float) -> float:
    """The estimated time of a numpy run: the per-step calls of its code objects plus the
    work per neuron-step."""
    return steps * objects * NUMPY_S_PER_OBJECT_STEP + neuron_steps * NUMPY_S_PER_NEURON_STEP


def compiler_available() -> bool:
    """Cython importable and a C++ compiler on the PATH (what Brian2's runtime needs)."""
    import shutil
    import sysconfig

    try:
        import Cython  # noqa: F401
    except ImportError:
        return False
    cxx = (os.environ.get("CXX") or sysconfig.get_config_var("CXX") or "c++").split()[0]
    return shutil.which(cxx) is not None or shutil.which("g++") is not None


def auto_target(
    warm: bool,
    neuron_steps: float,
    estimate: float = 0.0,
    standalone: str | None = None,
    plastic: bool = False,
) -> tuple[str, str]:
    """codegen="auto": (target, why).  ``warm``: the Cython cache holds this network;
    ``estimate``: the numpy run's estimated seconds (:func:`numpy_seconds`); ``standalone``:
    None when standalone mode cannot run this network with the same numbers, else "warm"
    (a compiled project of this structure exists) or "cold".

    Standalone when its project is warm, or the numpy run would take at least
    ``AUTO_STANDALONE_S``; Cython when its cache holds this network, or the run has at least
    ``AUTO_NEURON_STEPS`` neuron-steps, or it is plastic and the numpy estimate is at least
    ``AUTO_PLASTIC_CYTHON_S``; numpy otherwise, and always when no compiler is available."""
    if not compiler_available():
        return "numpy", "no Cython or C++ compiler"
    if standalone == "warm":
        return "standalone", "a compiled standalone project of this network exists"
    if standalone == "cold" and estimate >= AUTO_STANDALONE_S:
        return "standalone", (
            f"numpy estimated at {estimate:.3g} s >= {AUTO_STANDALONE_S:.3g} s (a cold "
            "standalone compile)"
        )
    if warm:
        return "cython", "the compiler cache holds this network"
    if neuron_steps >= AUTO_NEURON_STEPS:
        return "cython", f"{neuron_steps:.3g} neuron-steps >= {AUTO_NEURON_STEPS:.3g}"
    if plastic and estimate >= AUTO_PLASTIC_CYTHON_S:
        return "cython", (
            f"plastic, numpy estimated at {estimate:.3g} s >= {AUTO_PLASTIC_CYTHON_S:.3g} s"
        )
    return "numpy", (
        f"cold compiler cache and {neuron_steps:.3g} neuron-steps < {AUTO_NEURON_STEPS:.3g}"
        f", numpy estimated at {estimate:.3g} s"
    )
