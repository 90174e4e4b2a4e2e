"""PyNN's NEURON mechanisms, compiled once into a per-user cache and loaded from there.

``pyNN.neuron`` needs the NMODL mechanisms shipped in ``pyNN/neuron/nmodl`` compiled with
NEURON's ``nrnivmodl``.  PyNN itself loads them from its own package directory when
``pyNN.neuron.simulator`` is imported, and if they are missing it runs ``nrnivmodl`` *there*
(inside site-packages).  snn-hub instead compiles a copy of the ``.mod`` files into

    $SNN_HUB_CACHE or $XDG_CACHE_HOME/snn-hub or ~/.cache/snn-hub
        /pynn-neuron-<PyNN version>-<NEURON version>/

once (a one-line message on stderr while it compiles; a lock file serialises concurrent
processes; the build happens in a temporary directory renamed into place, so an interrupted
build leaves nothing half-made), loads the library with ``neuron.load_mechanisms`` and marks
PyNN's own directory as loaded, so PyNN's import neither compiles nor loads a second copy.
A failed compilation is a :class:`hub.BackendError` saying what to install.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

from hub.errors import BackendError

#: what a working ``nrnivmodl`` needs, for the error message
INSTALL_HINT = (
    "install NEURON's compiler tool chain: `pip install neuron==9.0.2` (or snn-hub[neuron]) "
    "provides nrnivmodl; it needs a C/C++ compiler and make (Debian/Ubuntu: "
    "`apt-get install build-essential`)"
)


def cache_root() -> Path:
    """The snn-hub cache directory: ``$SNN_HUB_CACHE``, else ``$XDG_CACHE_HOME/snn-hub``,
    else ``~/.cache/snn-hub``."""
    if os.environ.get("SNN_HUB_CACHE"):
        return Path(os.environ["SNN_HUB_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "snn-hub"


def pynn_nmodl_dir() -> Path:
    """PyNN's directory of ``.mod`` files (found without importing ``pyNN.neuron``)."""
    import pyNN

    return Path(pyNN.__file__).resolve().parent / "neuron" / "nmodl"


def mechanism_dir() -> Path:
    """Where this PyNN and NEURON's compiled mechanisms live in the cache."""
    from importlib import metadata

    return cache_root() / (f"pynn-neuron-{metadata.version('PyNN')}-{metadata.version('neuron')}")


def _library(path: Path) -> Path | None:
    """The compiled library under ``path`` (``<arch>/libnrnmech.so`` or ``.../.libs/``)."""
    for lib in sorted(path.glob("*/libnrnmech.*")) + sorted(path.glob("*/.libs/libnrnmech.*")):
        return lib
    return None


def find_nrnivmodl() -> str | None:
    """``nrnivmodl`` next to this Python (a virtual environment's bin/), else on PATH."""
    beside = Path(sys.executable).parent / "nrnivmodl"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("nrnivmodl")


def compile_mechanisms(target: Path, stream=None) -> Path:
    """Compile PyNN's ``.mod`` files into ``target`` unless a library is there already;
    returns ``target``.  Prints one line to ``stream`` (stderr) while it compiles."""
    if _library(target) is not None:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    import fcntl

    with open(target.parent / f"{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be compiling the same
        if _library(target) is not None:
            return target
        nrnivmodl = find_nrnivmodl()
        if nrnivmodl is None:
            raise BackendError(f"pynn.neuron: nrnivmodl was not found; {INSTALL_HINT}")
        print(
            f"snn-hub: compiling PyNN's NEURON mechanisms into {target} "
            "(once per PyNN and NEURON version)...",
            file=stream or sys.stderr,
            flush=True,
        )
        work = target.parent / f"{target.name}.build-{os.getpid()}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        for mod in pynn_nmodl_dir().glob("*.mod"):
            shutil.copy2(mod, work / mod.name)
        env = dict(os.environ, PATH=f"{Path(nrnivmodl).parent}{os.pathsep}{os.environ['PATH']}")
        proc = subprocess.run(
            [nrnivmodl], cwd=work, capture_output=True, text=True, env=env, check=False
        )
        if proc.returncode != 0 or _library(work) is None:
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
            shutil.rmtree(work, ignore_errors=True)
            raise BackendError(
                f"pynn.neuron: compiling PyNN's NMODL mechanisms with {nrnivmodl} failed "
                f"(exit {proc.returncode}); {INSTALL_HINT}. Output:\n{tail}"
            )
        work.rename(target)
    return target


def import_pynn_neuron():
    """``pyNN.neuron``, with its mechanisms compiled into and loaded from the cache."""
    if "pyNN.neuron" in sys.modules:  # imported before (by the user): its mechanisms are in
        return sys.modules["pyNN.neuron"]
    path = compile_mechanisms(mechanism_dir())
    import neuron

    if not neuron.load_mechanisms(str(path), warn_if_already_loaded=False):
        raise BackendError(f"pynn.neuron: no NEURON mechanisms could be loaded from {path}")
    # PyNN loads its own directory at import and compiles there if it finds nothing: the same
    # mechanisms are loaded now, so mark that directory as loaded (NEURON's own registry)
    neuron.nrn_dll_loaded.append(str(pynn_nmodl_dir()))
    with contextlib.redirect_stdout(io.StringIO()):  # "Mechanisms already loaded from ..."
        import pyNN.neuron

    return pyNN.neuron
