"""The cost of the PyNN path: ``hub.pynn`` against PyNN's own NEST and Brian2 backends on the
Vogels-Abbott benchmark written in PyNN (:mod:`hub.benchmarks.pynn_va`).

    python -m hub.benchmarks.pynn_cost [--repeat 3] [--variant coba] [--scale-brian2 1]

Every run is a fresh process (:mod:`hub.benchmarks.pynn_worker`); per backend the hub.pynn
path and PyNN's module alternate (hub, PyNN, PyNN, hub, ...), so a change of the shared
machine's load touches both; medians over the repeats and the ratios hub.pynn / PyNN are
reported.  Build counts PyNN's object construction on every path plus, for hub.pynn, the
lazy first-run build (the hub network, ``resolve`` and the backend's build); simulate is the
simulator's run call on every path (docs/pynn.md, section Cost).

``make bench`` runs it (:mod:`hub.benchmarks.suite`, entry ``pynn-cost``) and the target
tests read the report it writes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile

from ..runner import spawn_worker, timing_spread
from .bench import machine

#: backend -> (hub.pynn path, PyNN's path)
PAIRS = {"nest": ("hub.pynn[nest]", "pyNN.nest"), "brian2": ("hub.pynn[brian2]", "pyNN.brian2")}
#: hub.pynn / PyNN targets: on NEST build at least 4x faster and simulate within 5 %; on
#: Brian2 build at least 20x faster
TARGETS = {"nest": {"build_s": 1 / 4, "run_s": 1.05}, "brian2": {"build_s": 1 / 20}}
RATIO_KEYS = ("build_s", "run_s", "peak_rss_mb")
#: a plausible mean rate (Hz) of each population in every repeat: below it the kick did not
#: start the network's self-sustained activity (a dead run), above it the network ran away
PLAUSIBLE_HZ = (2.0, 60.0)
#: the benchmark's settings (scale per backend pair: both paths of a pair run one scale)
DEFAULTS = {
    "variant": "coba",
    "seed": 98765,
    "duration_ms": 1000.0,
    "scales": {"nest": 1.0, "brian2": 1.0},
}


def _run_once(path: str, settings: dict, scale: float, stem: str, timeout: float) -> dict:
    request = {
        "path": path,
        "variant": settings["variant"],
        "seed": settings["seed"],
        "duration": settings["duration_ms"],
        "scale": scale,
    }
    return spawn_worker(
        path, None, {}, timeout, stem, None, module="hub.benchmarks.pynn_worker", request=request
    )


def summarise(path: str, scale: float, statuses: list[dict]) -> dict:
    """Medians of one path over its repeats (or its first failure)."""
    ok = [s for s in statuses if s.get("status") == "ok"]
    if len(ok) < len(statuses) or not ok:
        bad = next((s for s in statuses if s.get("status") != "ok"), {"error": "not run"})
        return {"path": path, "scale": scale, "status": bad.get("status", "error"), **bad}
    spread = timing_spread([s["timings"] for s in ok])
    return {
        "path": path,
        "scale": scale,
        "status": "ok",
        "repeats": len(ok),
        "timings": {k: v["median"] for k, v in spread.items()},
        "spread": spread,
        "peak_rss_mb": float(statistics.median(s["peak_rss_mb"] for s in ok)),
        "spikes": ok[0]["spikes"],
        "spikes_per_repeat": [s["spikes"] for s in ok],
        "spikes_digest": ok[0]["spikes_digest"],
        "same_spikes_every_repeat": len({s["spikes_digest"] for s in ok}) == 1,
        "connections": ok[0]["connections"],
    }


def rates(m: dict, duration_ms: float, spikes: dict | None = None) -> dict:
    """Mean firing rate (Hz) per population of a path's summary (of its first repeat, or of
    ``spikes``, one repeat's counts)."""
    from .pynn_va import N_EXC, N_INH

    spikes = m["spikes"] if spikes is None else spikes
    sizes = {"exc": int(N_EXC * m["scale"]), "inh": int(N_INH * m["scale"])}
    return {k: spikes[k] / (sizes[k] * duration_ms / 1000.0) for k in sizes}


def activity_problems(doc: dict) -> list[str]:
    """What is wrong with the activity a report measured, one line each: a path whose repeats
    gave different spikes (every path is seeded: the same script must give the same spikes),
    or a repeat whose rate is outside :data:`PLAUSIBLE_HZ` (a dead or runaway network)."""
    out = []
    duration = doc["settings"]["duration_ms"]
    low, high = PLAUSIBLE_HZ
    for path, m in doc["paths"].items():
        if m.get("status") != "ok":
            continue
        if not m["same_spikes_every_repeat"]:
            counts = m.get("spikes_per_repeat", [m["spikes"]])
            out.append(f"{path}: different spikes in its repeats ({counts})")
        for k, spikes in enumerate(m.get("spikes_per_repeat", [m["spikes"]])):
            for pop, rate in rates(m, duration, spikes).items():
                if not low < rate < high:
                    out.append(
                        f"{path}: repeat {k + 1}, {pop} fired at {rate:.2f} Hz "
                        f"({spikes[pop]} spikes; plausible {low:g}-{high:g} Hz)"
                    )
    return out


def _value(m: dict, key: str) -> float:
    return m["peak_rss_mb"] if key == "peak_rss_mb" else m["timings"][key]


def ratios(paths: dict) -> dict:
    """``{backend: {key: hub.pynn / PyNN}}`` for the pairs where both paths ran."""
    out = {}
    for backend, (hub_path, pynn_path) in PAIRS.items():
        a, b = paths.get(hub_path), paths.get(pynn_path)
        if a and b and a["status"] == b["status"] == "ok":
            out[backend] = {k: _value(a, k) / _value(b, k) for k in RATIO_KEYS}
    return out


def measure(settings: dict, repeat: int = 3, timeout: float = 3600.0, progress=print) -> dict:
    """Measure every path of :data:`PAIRS` ``repeat`` times; the report (a JSON document)."""
    work = tempfile.mkdtemp(prefix="snn-hub-pynn-cost-")
    paths = {}
    try:
        for backend, pair in PAIRS.items():
            scale = float(settings["scales"][backend])
            statuses: dict = {p: [] for p in pair}
            for k in range(repeat):
                for path in pair if k % 2 == 0 else pair[::-1]:
                    if statuses[path] and statuses[path][-1].get("status") != "ok":
                        continue  # failed once: do not retry
                    progress(f"{path} (scale {scale:g}) run {k + 1}/{repeat}")
                    stem = os.path.join(work, f"{path}.{k}")
                    statuses[path].append(_run_once(path, settings, scale, stem, timeout))
            paths.update({p: summarise(p, scale, statuses[p]) for p in pair})
    finally:
        shutil.rmtree(work, ignore_errors=True)
    hub_nest, hub_b2 = paths["hub.pynn[nest]"], paths["hub.pynn[brian2]"]
    same_scale = hub_nest.get("scale") == hub_b2.get("scale")
    return {
        "schema": "snn-hub/pynn-cost",
        "version": 1,
        "benchmark": f"vogels-abbott-{settings['variant']}",
        "script": "hub/benchmarks/pynn_va.py",
        "settings": {**settings, "repeat": repeat},
        "paths": paths,
        "ratios": ratios(paths),
        "targets": TARGETS,
        "identical_spikes_nest_brian2": (
            same_scale and hub_nest.get("spikes_digest") == hub_b2.get("spikes_digest")
        ),
        "machine": machine(),
    }


def save(doc: dict, path) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=2)
    os.replace(tmp, path)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m hub.benchmarks.pynn_cost", description=__doc__)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--variant", default=DEFAULTS["variant"], choices=["coba", "cuba"])
    ap.add_argument("--scale-nest", type=float, default=DEFAULTS["scales"]["nest"])
    ap.add_argument("--scale-brian2", type=float, default=DEFAULTS["scales"]["brian2"])
    ap.add_argument("--out", default=None, help="write the report (JSON) here")
    args = ap.parse_args(argv)
    settings = {
        **DEFAULTS,
        "variant": args.variant,
        "scales": {"nest": args.scale_nest, "brian2": args.scale_brian2},
    }
    doc = measure(settings, args.repeat)
    print(json.dumps({"paths": doc["paths"], "ratios": doc["ratios"]}, indent=1, default=str))
    for line in activity_problems(doc):
        print(f"WARNING: {line}", file=sys.stderr)
    if args.out:
        save(doc, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
