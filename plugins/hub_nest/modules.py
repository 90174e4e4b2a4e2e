"""NESTML modules of custom neuron models: where NEST can load them from, built once.

A custom model runs on NEST as an extension module that NESTML generates and compiles
against NEST's C++ headers (:mod:`hub_nest.nestml` writes the model).  That needs

* a NEST installed with its headers and a working ``nest-config`` in the prefix the
  imported ``nest`` package belongs to (a NEST built from source: ``make nest-mpi``,
  docs/distributed.md).  The pip wheel's ``nest-config`` names the directory the wheel was
  built in, so it cannot compile modules: :func:`check` says so before anything is built;
* pynestml (``pip install nestml==9.0.0``, or snn-hub[nestml]).

Modules are cached per definition and build:

    $SNN_HUB_NESTML_CACHE, else ($SNN_HUB_CACHE or $XDG_CACHE_HOME/snn-hub or
    ~/.cache/snn-hub)/nestml
        /<definition digest>/<key>/<module>.so   (+ the .nestml, the C++, build.json)

``key`` hashes the NESTML text (the neuron's and its synapses'), NESTML's version, the NEST
prefix and version and the generator script with its C++ patches (nestml_build.py), so a
change of any of them builds anew.  A lock file serialises processes that want the same
entry (MPI ranks, parallel test runs); the build happens in a scratch directory renamed into
place when complete, so a half-built entry is never used.  :data:`BUILDS` counts the
compilations this process ran.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from hub.errors import BackendError, CapabilityError


NESTML_VERSION = "9.0.0"
#: how to make a NEST that compiles modules (the message of every refusal says it)
SOURCE_BUILD_HINT = (
    "build NEST from source with `make nest-mpi` (scripts/build-nest-mpi.sh) and put its "
    "site-packages first on PYTHONPATH (docs/distributed.md); the pip wheel of NEST ships "
    "no usable nest-config to compile modules against"
)
NESTML_HINT = f"`pip install nestml=={NESTML_VERSION}` (or snn-hub[nestml])"

#: compilations run by this process (a cache hit does not count)
BUILDS = 0


@dataclass(frozen=True)
class Module:
    """A compiled module: its name, the NEST model it registers and the library."""

    name: str
    model: str
    library: Path
    built: bool  # compiled by this call (False: taken from the cache)
    #: (rule digest, NEST synapse model) of each learning rule paired with ``model``
    synapses: tuple = ()

    def synapse(self, digest: str) -> str:
        """The NEST synapse model of the learning rule with ``digest``."""
        return dict(self.synapses)[digest]


def cache_root() -> Path:
    """Where modules are cached (module docstring)."""
    if os.environ.get("SNN_HUB_NESTML_CACHE"):
        return Path(os.environ["SNN_HUB_NESTML_CACHE"]).expanduser()
    if os.environ.get("SNN_HUB_CACHE"):
        return Path(os.environ["SNN_HUB_CACHE"]).expanduser() / "nestml"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "snn-hub" / "nestml"


def nest_prefix() -> Path | None:
    """The install prefix of the ``nest`` package Python would import (found without
    importing it), or None when there is none."""
    spec = importlib.util.find_spec("nest")
    if spec is None or spec.origin is None:
        return None
    # <prefix>/lib/python3.X/site-packages/nest/__init__.py
    return Path(spec.origin).resolve().parents[4]


@functools.lru_cache(maxsize=None)
def _nest_config(prefix: Path) -> tuple[str, str] | None:
    """(prefix, version) as ``prefix/bin/nest-config`` reports them, or None."""
    tool = prefix / "bin" / "nest-config"
    if not tool.is_file():
        return None
    try:
        said = [
            subprocess.run(
                [str(tool), flag], capture_output=True, text=True, timeout=30, check=True
            ).stdout.strip()
            for flag in ("--prefix", "--version")
        ]
    except (OSError, subprocess.SubprocessError):
        return None
    return said[0], said[1]


def buildable_prefix() -> tuple[Path, str] | str:
    """(prefix, NEST version) of the imported NEST if modules can be compiled against it,
    else the reason they cannot."""
    prefix = nest_prefix()
    if prefix is None:
        return "NEST is not installed"
    if not (prefix / "include" / "nest" / "config.h").is_file():  # first: no subprocess
        return f"the NEST in {prefix} has no C++ headers (include/nest/config.h)"
    config = _nest_config(prefix)
    if config is None:
        return f"the NEST in {prefix} has no bin/nest-config"
    said, version = config
    if not Path(said).is_dir() or Path(said).resolve() != prefix:
        return f"the NEST in {prefix} has a nest-config that names another prefix ({said})"
    return prefix, version


def nestml_installed() -> bool:
    """Whether pynestml can be imported (it is not imported here)."""
    return importlib.util.find_spec("pynestml") is not None


def unavailable(subject: str = "custom neuron models") -> str | None:
    """Why ``subject`` (custom neuron models, or learning rules written as statements)
    cannot run on the NEST imported here (with the fix), or None."""
    found = buildable_prefix()
    if isinstance(found, str):
        return (
            f"{subject} run on NEST as NESTML modules compiled against NEST's "
            f"headers, but {found}: {SOURCE_BUILD_HINT}"
        )
    if not nestml_installed():
        return f"{subject} run on NEST as NESTML modules: {NESTML_HINT}"
    return None


def check(labels) -> tuple[Path, str]:
    """Raise :class:`CapabilityError` naming the fix unless modules can be built here
    (``labels``: the custom model labels that need them); returns (prefix, NEST version)."""
    why = unavailable()
    if why is not None:
        raise CapabilityError(
            "nest",
            ["neuron:Custom"],
            reasons={"neuron:Custom": f"{why} (models: {', '.join(labels)})"},
            alternatives={"neuron:Custom": ["brian2"]},
        )
    found = buildable_prefix()
    assert not isinstance(found, str)
    return found


def _nestml_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("nestml")
    except metadata.PackageNotFoundError:  # pragma: no cover
        return "unknown"


def module_for(program, input_kind: str, prefix: Path, version: str, rules=()) -> Module:
    """The compiled module of ``program`` for the NEST in ``prefix``: from the cache, or
    built into it (module docstring).  ``rules`` (:class:`hub.equations.rules.RuleProgram`)
    are the learning rules of the plastic projections onto the model: their synapses are
    generated with the neuron, paired with it (:mod:`hub_nest.nestml_rules`), and the
    neuron gets a name of its own in that module (two modules that register one model name
    cannot be loaded together)."""
    from . import nestml, nestml_build, nestml_rules  # (hub.equations: only when compiling)

    global BUILDS
    rules = sorted({r.digest: r for r in rules}.values(), key=lambda r: r.digest)
    neuron = nestml.model_name(program)
    if rules:
        together = hashlib.sha256("".join(r.digest for r in rules).encode()).hexdigest()[:8]
        neuron = f"{neuron}_r{together}"
    read = {v for r in rules for v in r.post_state or {}}
    text = nestml.render(program, input_kind, name=neuron, read=read)
    name = f"{neuron}module"
    sources = {neuron: text}
    options: dict = {}
    if rules:
        sources.update({nestml_rules.synapse_name(r): nestml_rules.render(r) for r in rules})
        options = nestml_rules.codegen_options(neuron, rules, nestml.exports(program, read))
    facts = {"nestml": text, "pynestml": _nestml_version(), "nest": version, "prefix": str(prefix)}
    if rules:
        facts["synapses"] = [sources[nestml_rules.synapse_name(r)] for r in rules]
    # the generator and its patches of the C++ as they are now (a changed patch rebuilds)
    facts["builder"] = hashlib.sha256(Path(nestml_build.__file__).read_bytes()).hexdigest()[:12]
    key = hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:12]
    home = cache_root() / program.digest
    entry = home / key
    library = entry / f"{name}.so"
    if library.is_file():
        return _module(name, neuron, library, False, rules)
    home.mkdir(parents=True, exist_ok=True)
    import fcntl

    with open(home / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be building the same entry
        if library.is_file():
            return _module(name, neuron, library, False, rules)
        work = home / f"{key}.build-{os.getpid()}"
        shutil.rmtree(work, ignore_errors=True)
        try:
            seconds, patched = _compile(sources, name, work, prefix, version, options)
            models = _registered(work / "cpp", neuron, rules)
            (work / "build.json").write_text(
                json.dumps(
                    {**facts, "seconds": seconds, "patched_reads": patched, "models": models},
                    indent=1,
                )
            )
            work.rename(entry)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        BUILDS += 1
    return _module(name, neuron, library, True, rules)


def _module(name: str, neuron: str, library: Path, built: bool, rules) -> Module:
    """The Module of a cached entry (the NEST models from its build.json, else from its
    C++)."""
    models = json.loads((library.parent / "build.json").read_text()).get("models")
    if models is None:
        models = _registered(library.parent / "cpp", neuron, rules)
    return Module(name, models["neuron"], library, built, tuple(models["synapses"].items()))


def _registered(cpp: Path, neuron: str, rules) -> dict:
    from . import nestml_rules

    """The NEST models a module defines, from its generated C++: the neuron (paired with the
    synapses NESTML names it ``<neuron>__with_<synapses>``) and each rule's synapse
    (``<synapse>__with_<paired neuron>``; NESTML's naming differs with the number of
    synapses, so the names are read, not predicted)."""
    if not rules:
        return {"neuron": neuron, "synapses": {}}

    def one(prefix: str) -> str:
        found = sorted(p.stem for p in cpp.glob(f"{prefix}__with_*.h"))
        if len(found) != 1:
            raise BackendError(f"NESTML generated {found or 'no'} C++ for {prefix} in {cpp}")
        return found[0]

    return {
        "neuron": one(neuron),
        "synapses": {r.digest: one(nestml_rules.synapse_name(r)) for r in rules},
    }


def _compile(
    sources: dict[str, str], name, work: Path, prefix: Path, version: str, options
) -> tuple[float, int]:
    """Generate and compile ``sources`` (model name -> NESTML, the neuron first) in ``work``
    (a child process: pynestml keeps global state and writes into its working directory);
    keeps the library, the models and their C++ (``work/cpp``)."""
    scratch = work / "scratch"
    scratch.mkdir(parents=True)
    files = []
    for model_name, text in sources.items():
        files.append(work / f"{model_name}.nestml")
        files[-1].write_text(text)
    first = next(iter(sources))
    script = Path(__file__).with_name("nestml_build.py")
    target = scratch / "target"
    args = [name, str(target), str(work), str(prefix), version, json.dumps(options)]
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(script), *args, *map(str, files)],
        cwd=scratch,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - t0
    library = work / f"{name}.so"
    if done.returncode != 0 or not library.is_file():
        logs = [done.stdout, done.stderr]
        for log in sorted(target.glob("*_std*.txt")):
            logs.append(log.read_text(errors="replace"))
        tail = "\n".join("\n".join(logs).strip().splitlines()[-25:])
        raise BackendError(
            f"NESTML could not build the NEST module of {first} (exit {done.returncode}); "
            f"the models are in {work}.  Output:\n{tail}"
        )
    generated = work / "cpp"
    generated.mkdir()
    for path in target.glob("*"):
        if path.suffix in (".cpp", ".h"):
            shutil.copy2(path, generated / path.name)
    shutil.rmtree(scratch, ignore_errors=True)
    patched = json.loads(done.stdout.strip().splitlines()[-1])["patched"]
    return seconds, patched


def install(nest, module: Module) -> None:
    """Load ``module`` into NEST's kernel unless its model is there already (a kernel reset
    forgets it; installing twice raises)."""
    if module.model not in nest.node_models:
        nest.Install(str(module.library))
