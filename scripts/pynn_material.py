"""PyNN 0.13.0's own test scenarios and examples, fetched into a cache outside the repository.

hub.pynn is accepted against material nobody here wrote: PyNN's system scenarios
(``test/system/scenarios/``) and its ``examples/``.  None of PyNN's files is committed to
snn-hub; this script gets the source distribution from the package registry with pip and
extracts those two directories::

    python scripts/pynn_material.py            # prints the material directory
    make pynn-material                         # the same

Cache: ``$SNN_HUB_PYNN_MATERIAL`` if set, else ``~/.cache/snn-hub/pynn-0.13.0/``.  The layout
there is ``pynn-0.13.0.tar.gz``, ``scenarios/`` (PyNN's package, its own name kept),
``examples/`` and ``DONE`` (written last: a directory without it is extracted again).  A
second call reuses the cache and needs no network.  Standard library only: it imports
nothing of snn-hub.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VERSION = "0.13.0"
SDIST = f"pynn-{VERSION}.tar.gz"
ENV_CACHE = "SNN_HUB_PYNN_MATERIAL"
#: member prefix in the archive -> directory name in the cache
PARTS = {
    f"pynn-{VERSION}/test/system/scenarios/": "scenarios",
    f"pynn-{VERSION}/examples/": "examples",
}


class MaterialError(RuntimeError):
    """The material could not be fetched or extracted (the message says why and what to do)."""


def cache_dir() -> Path:
    """Where the material lives: ``$SNN_HUB_PYNN_MATERIAL`` or ``~/.cache/snn-hub/pynn-0.13.0``."""
    env = os.environ.get(ENV_CACHE)
    if env:
        return Path(env).expanduser().resolve()
    return Path.home() / ".cache" / "snn-hub" / f"pynn-{VERSION}"


def _download(target: Path, python: str) -> Path:
    """``pip download`` the source distribution into ``target``; its path."""
    cmd = [python, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps"]
    cmd += ["--quiet", "--dest", str(target), f"PyNN=={VERSION}"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        code, out = proc.returncode, (proc.stderr or proc.stdout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        code, out = -1, str(exc)
    sdist = target / SDIST
    if code != 0 or not sdist.is_file():
        tail = out.strip().splitlines()[-3:]
        raise MaterialError(
            f"could not download PyNN {VERSION}'s source distribution with "
            f"`{' '.join(cmd)}` (exit {code}): {' / '.join(tail) or 'no output'}. "
            f"Put {SDIST} into {target} by hand, or set {ENV_CACHE} to a directory holding it."
        )
    return sdist


def _extract(sdist: Path, root: Path) -> None:
    """Extract :data:`PARTS` of ``sdist`` into ``root`` (replacing earlier, partial copies)."""
    with tempfile.TemporaryDirectory(dir=root) as tmp, tarfile.open(sdist) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith(tuple(PARTS))]
        if not members:
            raise MaterialError(f"{sdist} holds none of {sorted(PARTS)}: not PyNN {VERSION}?")
        tar.extractall(tmp, members=members, filter="data")
        for prefix, name in PARTS.items():
            src = Path(tmp) / prefix
            if not src.is_dir():
                raise MaterialError(f"{sdist} has no {prefix}")
            shutil.rmtree(root / name, ignore_errors=True)
            shutil.move(str(src), root / name)


def ensure(root: Path | None = None, python: str = sys.executable) -> Path:
    """The material directory (``scenarios/`` and ``examples/`` in it), fetched if needed.

    Idempotent: when ``DONE`` is there nothing is downloaded or extracted again.
    Raises :class:`MaterialError` with the reason when the download is impossible."""
    root = Path(root) if root is not None else cache_dir()
    done = root / "DONE"
    if done.is_file():
        return root
    root.mkdir(parents=True, exist_ok=True)
    sdist = root / SDIST
    if not sdist.is_file():
        _download(root, python)
    _extract(sdist, root)
    done.write_text(f"PyNN {VERSION}: {', '.join(PARTS.values())}\n")
    return root


def main() -> int:
    try:
        print(ensure())
    except MaterialError as exc:
        print(f"pynn_material: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
