"""Run one of PyNN's examples, unchanged, on pyNN.<name> or on hub.pynn, and dump its spikes.

Run as a script, in a scratch directory (the examples write ``Results/...``)::

    python example_runner.py OUT.json EXAMPLE.py SIMULATOR [ARG ...]

SIMULATOR is ``nest`` (PyNN's own ``pyNN.nest``) or ``hubnest`` / ``hubbrian2``: a module
``pyNN.hub<backend>`` registered in ``sys.modules`` before the example starts, holding
hub.pynn's names with a ``setup`` that passes ``backend=<backend>``.  The example's
``get_simulator()`` / ``get_script_args()`` / ``import pyNN.<name>`` find it like any PyNN
backend; nothing of the example is rewritten.  Plots stay off (no ``--plot-figure``;
matplotlib's Agg backend).  An unseeded ``NumpyRNG()`` or ``np.random`` gets a fixed seed
(:func:`seed_unseeded_rngs`) so that two runs draw the same numbers.

The spikes the example produces are collected two ways: every Neo block it asks for with
``get_data()`` (PyNN's ``BasePopulation.get_data`` and ``Assembly.get_data``, wrapped; key
``get_data #k``), and every Neo file it wrote (``.pkl``, ``.h5``; key: the file name without
date, time, simulator name and process count).  OUT.json gets ``{"ok": bool, "error": first
line, "where": file:line, "files": {key: [[segment, [[channel, [t, ...]], ...]], ...]}}``, so
runs on different simulators can be compared key by key.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import re
import runpy
import sys
import traceback
import types
from pathlib import Path

HUB_PREFIX = "hub"


def alias_module(backend: str) -> types.ModuleType:
    """``pyNN.hub<backend>``: hub.pynn's namespace, ``setup`` fixed to ``backend``."""
    hub_pynn = importlib.import_module("hub.pynn")
    name = f"pyNN.{HUB_PREFIX}{backend}"
    module = types.ModuleType(name, hub_pynn.__doc__)
    public = {k: v for k, v in vars(hub_pynn).items() if not k.startswith("__")}
    module.__dict__.update(public)
    if hasattr(hub_pynn, "__all__"):
        module.__all__ = list(hub_pynn.__all__)

    @functools.wraps(hub_pynn.setup)
    def setup(*args, **kwargs):
        kwargs.setdefault("backend", backend)
        return hub_pynn.setup(*args, **kwargs)

    module.setup = setup
    sys.modules[name] = module
    setattr(importlib.import_module("pyNN"), name.rpartition(".")[2], module)
    return module


def file_key(path: Path, simulator: str) -> str:
    """``Results/20250101/x_hubnest_np1_20250101-120000.pkl`` -> ``x.pkl``."""
    stem = path.name
    for pattern in (rf"_{re.escape(simulator)}(?=[_.])", r"_np\d+", r"_\d{8}-\d{6}"):
        stem = re.sub(pattern, "", stem)
    return stem


def spikes_of(path: Path) -> list:
    """[[segment, [[channel, [t, ...]], ...]], ...] of a Neo file (times in ms)."""
    from neo.io import get_io

    return block_spikes(get_io(str(path)).read_block())


def block_spikes(block) -> list:
    """[[segment, [[channel, [t, ...]], ...]], ...] of a Neo block (times in ms)."""
    out = []
    for k, seg in enumerate(block.segments):
        trains = []
        for j, st in enumerate(seg.spiketrains):
            channel = st.annotations.get("source_index", j)
            trains.append([int(channel), [float(t) for t in st.rescale("ms").magnitude]])
        out.append([k, trains])
    return out


def capture_get_data(store: dict) -> None:
    """Keep the spikes of every block ``get_data()`` returns, in call order."""
    from pyNN.common import populations

    def wrap(method):
        @functools.wraps(method)
        def get_data(self, *args, **kwargs):
            block = method(self, *args, **kwargs)
            store[f"get_data #{len(store) + 1}"] = block_spikes(block)
            return block

        return get_data

    for cls in (populations.BasePopulation, populations.Assembly):
        cls.get_data = wrap(cls.get_data)


def seed_unseeded_rngs(base: int = 1234) -> None:
    """``NumpyRNG()`` without a seed gets ``base + k`` (k-th such RNG) and numpy's global RNG
    starts from ``base``: the same draws in every run, so that runs on different simulators
    can be compared (brunel.py records ``E_net.sample(50)`` with an unseeded RNG,
    update_spike_source_array.py draws phases with ``np.random``).  Seeded RNGs, and examples
    calling ``np.random.seed`` themselves, are left alone."""
    import itertools

    import numpy as np
    from pyNN.random import NumpyRNG

    np.random.seed(base)
    counter = itertools.count()
    init = NumpyRNG.__init__

    @functools.wraps(init)
    def __init__(self, seed=None, *args, **kwargs):
        init(self, base + next(counter) if seed is None else seed, *args, **kwargs)

    NumpyRNG.__init__ = __init__


def main(argv: list[str]) -> int:
    out, example, simulator, *args = argv
    os.environ.setdefault("MPLBACKEND", "Agg")
    result: dict = {"ok": False, "error": "", "files": {}}
    captured: dict = {}
    try:
        capture_get_data(captured)
        seed_unseeded_rngs()
        if simulator.startswith(HUB_PREFIX):
            alias_module(simulator[len(HUB_PREFIX) :])
        sys.argv = [example, simulator, *args]
        sys.path.insert(0, str(Path(example).parent))
        runpy.run_path(example, run_name="__main__")
        result["ok"] = True
    except SystemExit as exc:
        result["ok"] = exc.code in (0, None)
        result["error"] = "" if result["ok"] else f"SystemExit: {exc.code}"
    except BaseException as exc:  # the example's own failure is the result
        result["error"] = f"{_name(type(exc))}: {exc}".split("\n")[0]
        result["where"] = _where(exc)
        traceback.print_exc()
    result["files"].update(captured)
    for path in sorted(Path.cwd().rglob("*")):
        if path.suffix in (".pkl", ".h5") and path.is_file():
            try:
                result["files"][file_key(path, simulator)] = spikes_of(path)
            except Exception as exc:  # a file Neo cannot read back is reported, not fatal
                result["files"][file_key(path, simulator)] = f"unreadable: {exc}"
    Path(out).write_text(json.dumps(result))
    return 0


def _name(cls: type) -> str:
    """``KeyError``, ``hub.errors.HubError``: builtins without their module."""
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def _where(exc: BaseException) -> str:
    """``file:line`` of the innermost frame of ``exc``."""
    tb = traceback.extract_tb(exc.__traceback__)
    return f"{tb[-1].filename}:{tb[-1].lineno}" if tb else ""


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
