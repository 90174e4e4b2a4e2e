"""Brunel on 1, 2 and 4 MPI processes of the NEST that `make nest-mpi` builds: peak memory of
each rank, build and simulation time, spike counts (docs/distributed.md).

    python scripts/mpi_scaling.py [--scale 1] [--processes 1,2,4] [--poisson native]
                                  [--out docs/distributed/scaling.json]

Each point is one ``mpirun -np P snn-hub run models/brunel.py -b nest`` (ranks beyond the
cores are oversubscribed: memory per rank is meaningful then, time is not).  Peak memory is
each rank's VmHWM (the whole process: Python, the hub's arrays and NEST), from the results'
provenance.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import hub  # noqa: E402


def nest_site(prefix: Path) -> Path:
    found = sorted(prefix.glob("lib/python3*/site-packages"))
    if not (prefix / ".snn-hub-complete").exists() or not found:
        raise SystemExit(f"no MPI-enabled NEST in {prefix}: run `make nest-mpi` first")
    return found[0]


def measure(processes: int, scale: float, poisson: str, site: Path, duration: float) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(ROOT)])
    env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMP_NUM_THREADS="1")
    env["OMPI_MCA_rmaps_base_oversubscribe"] = "1"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.npz"
        cmd = ["mpirun", "-np", str(processes), sys.executable, "-m", "hub", "run",
               str(ROOT / "models" / "brunel.py"), "-b", "nest", "--param", f"scale={scale}",
               "--param", f"poisson={poisson}", "--duration", str(duration), "--out", str(out),
               "--no-memory-check"]  # fmt: skip
        t0 = time.perf_counter()
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
        res = hub.Results.load(out)
    per_rank = res.provenance["nest"]["peak_rss_mb_per_rank"]
    return {
        "processes": processes,
        "peak_rss_mb_per_rank": per_rank,
        "peak_rss_mb_max": max(per_rank),
        "peak_rss_mb_sum": round(sum(per_rank), 1),
        "build_s": round(res.timings.get("build_s", float("nan")), 2),
        "run_s": round(res.timings.get("run_s", float("nan")), 2),
        "wall_s": round(wall, 2),
        "spikes": {k: len(v) for k, v in res.spike_trains.items()},
    }


def table(rows: list[dict]) -> str:
    one = rows[0]["peak_rss_mb_max"]
    lines = [
        "| processes | peak MiB per rank (max) | all ranks MiB | per rank / 1 process | "
        "build s | simulate s |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['processes']} | {r['peak_rss_mb_max']:.0f} | {r['peak_rss_mb_sum']:.0f} | "
            f"{r['peak_rss_mb_max'] / one:.2f} | {r['build_s']:.1f} | {r['run_s']:.1f} |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--processes", default="1,2,4")
    p.add_argument("--poisson", default="native", choices=["native", "hub"])
    p.add_argument("--duration", type=float, default=200.0)
    p.add_argument("--out", default=str(ROOT / "docs" / "distributed" / "scaling.json"))
    default_prefix = Path.home() / ".cache/snn-hub/nest-3.10.0-mpi"
    p.add_argument("--prefix", default=os.environ.get("SNN_HUB_NEST_MPI", str(default_prefix)))
    args = p.parse_args(argv)
    site = nest_site(Path(args.prefix).expanduser())
    rows = []
    for n in (int(x) for x in args.processes.split(",")):
        rows.append(measure(n, args.scale, args.poisson, site, args.duration))
        print(json.dumps(rows[-1]), flush=True)
    report = {
        "network": f"models/brunel.py scale={args.scale} poisson={args.poisson}",
        "duration_ms": args.duration,
        "cores": os.cpu_count(),
        "rows": rows,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
