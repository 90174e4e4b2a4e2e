"""Hub runs on an MPI-enabled NEST under mpirun (docs/distributed.md).

Needs the NEST that `make nest-mpi` builds (prefix $SNN_HUB_NEST_MPI, default
~/.cache/snn-hub/nest-3.10.0-mpi) and Open MPI's mpirun; skipped with that reason otherwise.
The references are single-process runs of the same hub network in this process (the NEST
wheel) and on Brian2."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import hub
from hub.cli.common import EXIT_ERROR

HERE = Path(__file__).resolve().parent
NETWORKS = HERE / "mpi" / "networks.py"
PREFIX = Path(
    os.environ.get("SNN_HUB_NEST_MPI", Path.home() / ".cache/snn-hub/nest-3.10.0-mpi")
).expanduser()
SITE = next(iter(sorted(PREFIX.glob("lib/python3*/site-packages"))), None)

pytestmark = [
    pytest.mark.mpi,
    pytest.mark.skipif(
        not (PREFIX / ".snn-hub-complete").exists() or SITE is None,
        reason=f"no MPI-enabled NEST in {PREFIX}: run `make nest-mpi` (docs/distributed.md)",
    ),
    pytest.mark.skipif(shutil.which("mpirun") is None, reason="no mpirun (Open MPI) on PATH"),
]

sys.path.insert(0, str(NETWORKS.parent))
import networks  # noqa: E402


def mpirun(processes: int, *args: str, timeout: float = 300.0) -> subprocess.CompletedProcess:
    """``mpirun -np processes python ARGS`` with the MPI NEST first on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(SITE), str(HERE.parent), *filter(None, [env.get("PYTHONPATH")])]
    )
    env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMP_NUM_THREADS="1")
    env["OMPI_MCA_rmaps_base_oversubscribe"] = "1"  # 4 ranks on 2 cores
    cmd = ["mpirun", "-np", str(processes), sys.executable, *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)


def run_cli(processes, network, out, *extra):
    done = mpirun(
        processes, "-m", "hub", "run", str(NETWORKS), "--param", f"network={network}",
        "-b", "nest", "--out", str(out), "--json", *extra,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def single():
    """Single-process runs (NEST wheel) of each network, once."""
    return {
        name: hub.run(networks.build(name), "nest", networks.DURATION) for name in networks.NETWORKS
    }


def assert_same_spikes(a: hub.Results, b: hub.Results):
    assert a.spike_trains.keys() == b.spike_trains.keys()
    for label in a.spike_trains:
        x, y = a.spike_trains[label], b.spike_trains[label]
        np.testing.assert_array_equal(x.stamps, y.stamps, err_msg=label)
        np.testing.assert_array_equal(x.indices, y.indices, err_msg=label)


@pytest.mark.parametrize("processes,threads", [(1, 1), (2, 1), (4, 1), (2, 2)])
def test_one_block_is_bit_identical_at_any_layout(tmp_path, single, processes, threads):
    out = tmp_path / "r.npz"
    done = run_cli(processes, "one_block", out, "--option", f"threads={threads}")
    got = hub.Results.load(out)
    ref = single["one_block"]
    assert len(ref.spike_trains["e"]) > 40_000
    assert_same_spikes(got, ref)
    np.testing.assert_array_equal(got.signals[("e", "v")].values, ref.signals[("e", "v")].values)
    # rank 0 alone prints and writes
    assert done.stdout.count('"model": ') == 1
    nest = got.provenance["nest"]
    assert (nest["processes"], nest["threads"]) == (processes, threads)
    assert len(nest["peak_rss_mb_per_rank"]) == processes


def test_mpi_nest_equals_brian2(tmp_path, single):
    run_cli(2, "one_block", tmp_path / "r.npz")
    b2 = hub.run(networks.build("one_block"), "brian2", networks.DURATION)
    assert_same_spikes(hub.Results.load(tmp_path / "r.npz"), b2)


def test_final_weights_are_gathered_in_the_projection_order(tmp_path, single):
    run_cli(2, "plastic", tmp_path / "r.npz")
    got, ref = hub.Results.load(tmp_path / "r.npz"), single["plastic"]
    assert_same_spikes(got, ref)
    w, w_ref = got.synapse_state[("stdp", "weight")], ref.synapse_state[("stdp", "weight")]
    assert len(w) == len(w_ref) > 2000
    assert not np.allclose(w_ref, 0.5)  # the weights moved
    np.testing.assert_array_equal(w, w_ref)


def script(tmp_path, body: str) -> str:
    """A job script; ``report(dict)`` in it writes that rank's JSON file (two ranks printing
    at once can interleave their lines)."""
    path = tmp_path / "job.py"
    head = (
        "import sys, json\nsys.path.insert(0, %r)\nimport hub, networks\nfrom hub import mpi\n"
        "def report(d):\n"
        "    open(%r + f'/rank{mpi.rank()}.json', 'w').write(json.dumps(d))\n"
    ) % (str(NETWORKS.parent), str(tmp_path))
    path.write_text(head + body)
    return str(path)


def reports(tmp_path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(tmp_path.glob("rank*.json"))]


def test_hub_run_on_a_single_process_backend_runs_on_rank_0(tmp_path):
    body = (
        "r = hub.run(networks.build('one_block'), 'brian2', 100.0)\n"
        "report({'rank': mpi.rank(), 'spikes': len(r.spike_trains['e'])})\n"
    )
    done = mpirun(2, script(tmp_path, body))
    assert done.returncode == 0, done.stderr
    lines = reports(tmp_path)
    assert sorted(x["rank"] for x in lines) == [0, 1]
    assert len({x["spikes"] for x in lines}) == 1 and lines[0]["spikes"] > 1000


def test_an_error_on_one_rank_while_building_reaches_every_rank(tmp_path):
    body = (
        "import hub_nest.session as S\n"
        "inject = S.NestSession._inject\n"
        "def broken(self):\n"
        "    if mpi.rank() == 1:\n"
        "        raise RuntimeError('disk full on rank 1')\n"
        "    inject(self)\n"
        "S.NestSession._inject = broken\n"
        "try:\n"
        "    hub.run(networks.build('one_block'), 'nest', 50.0)\n"
        "except hub.HubError as exc:\n"
        "    report({'rank': mpi.rank(), 'error': str(exc)})\n"
    )
    done = mpirun(2, script(tmp_path, body), timeout=120)
    assert done.returncode == 0, done.stderr
    lines = reports(tmp_path)
    assert sorted(x["rank"] for x in lines) == [0, 1]
    assert all("disk full on rank 1" in x["error"] for x in lines)
    assert any("MPI rank 1 of 2 failed" in x["error"] for x in lines)


def test_an_error_on_one_rank_while_running_ends_the_job(tmp_path):
    body = (
        "import hub_nest.session as S\n"
        "bias = S.NestSession._set_bias\n"
        "def broken(self, step):\n"
        "    if mpi.rank() == 1 and step > 0:\n"
        "        raise RuntimeError('node lost on rank 1')\n"
        "    bias(self, step)\n"
        "S.NestSession._set_bias = broken\n"
        "hub.run(networks.build('one_block'), 'nest', 100.0, progress=lambda f: None)\n"
        "print('finished')\n"
    )
    done = mpirun(2, script(tmp_path, body), timeout=120)  # a hang fails by the timeout
    assert done.returncode != 0
    assert "node lost on rank 1" in done.stderr
    assert "finished" not in done.stdout


def test_cli_errors_print_once(tmp_path):
    done = mpirun(
        2, "-m", "hub", "run", str(NETWORKS), "-b", "nest", "--option", "threads=0", "--out",
        str(tmp_path / "r.npz"),
    )  # fmt: skip
    assert done.returncode == EXIT_ERROR
    assert done.stderr.count("error:") == 1, done.stderr
    assert "threads" in done.stderr
    assert not (tmp_path / "r.npz").exists()


def test_a_nest_without_mpi_in_an_mpi_job_is_refused(tmp_path):
    """The wheel's NEST (no MPI) under mpirun would run the whole network twice."""
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    env["PYTHONPATH"] = str(HERE.parent)  # the MPI prefix left out: the wheel's NEST
    cmd = ["mpirun", "-np", "2", "--oversubscribe", sys.executable, "-m", "hub", "run",
           str(NETWORKS), "-b", "nest"]  # fmt: skip
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert "built without MPI" in done.stderr or "mpi4py is not installed" in done.stderr


def test_compare_inside_an_mpi_job(tmp_path):
    """`mpirun -np 2 snn-hub compare ... -b nest,brian2`: NEST runs on both ranks, Brian2 in a
    worker started by rank 0; one report, identical spikes."""
    done = mpirun(
        2, "-m", "hub", "compare", str(NETWORKS), "--param", "network=one_block", "-b",
        "nest,brian2", "--duration", "100", "--save", str(tmp_path / "c.json"),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((tmp_path / "c.json").read_text())
    (pair,) = report["agreement"]
    assert pair["identical"] is True and pair["within_contract"] is True, pair
    assert [r["status"] for r in report["backends"]] == ["ok", "ok"]
    assert done.stdout.count("written to") == 1


def test_senders_of_two_models_agree_to_the_last_bits(tmp_path, single):
    """Where the layout cannot keep the order: a target receives, in one step, spikes of
    neurons of two NEST blocks (two models), which NEST delivers rank by rank.  Measured
    here: the spikes stay identical over 300 ms, V differs by at most 7.1e-15 mV from
    4.1 ms on."""
    run_cli(2, "two_models", tmp_path / "r.npz")
    got, ref = hub.Results.load(tmp_path / "r.npz"), single["two_models"]
    assert_same_spikes(got, ref)
    dv = np.abs(got.signals[("e", "v")].values - ref.signals[("e", "v")].values)
    assert 0 < dv.max() <= 1e-12


@pytest.mark.slow
@pytest.mark.parametrize("synapse", ["alpha", "exp"])
def test_brunel_quarter_scale_is_identical_at_any_layout(tmp_path, synapse):
    """Brunel (models/brunel.py, scale 0.25: 3,125 neurons, 0.98 M synapses, 200 ms, hub-drawn
    Poisson input) on 1, 2, 4 processes and 2 x 2: the spikes of one process and of Brian2."""
    model = str(HERE.parent / "models" / "brunel.py")
    params = ["--param", "scale=0.25", "--param", f"synapse={synapse}"]
    runs = {}
    for processes, threads in [(1, 1), (2, 1), (4, 1), (2, 2)]:
        out = tmp_path / f"r{processes}x{threads}.npz"
        done = mpirun(
            processes, "-m", "hub", "run", model, *params, "-b", "nest", "--option",
            f"threads={threads}", "--out", str(out),
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        runs[(processes, threads)] = hub.Results.load(out)
    sys.path.insert(0, str(HERE.parent / "models"))
    import brunel

    b2 = hub.run(brunel.build(scale=0.25, synapse=synapse), "brian2", brunel.DURATION)
    assert len(b2.spike_trains["exc"]) > 20_000
    for res in runs.values():
        assert_same_spikes(res, b2)


def test_nest_s_own_connection_rules_under_mpi(tmp_path, single):
    """resolve="native": NEST draws the connections on each rank with its per-thread RNGs,
    another realization per layout; the statistics hold (rate within 10 %)."""
    run_cli(2, "native", tmp_path / "r.npz")
    got, ref = hub.Results.load(tmp_path / "r.npz"), single["native"]
    n, n_ref = len(got.spike_trains["e"]), len(ref.spike_trains["e"])
    assert n_ref > 10_000
    assert abs(n / n_ref - 1) < 0.10, (n, n_ref)
