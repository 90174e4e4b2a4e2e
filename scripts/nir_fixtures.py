"""NIR fixtures made by the frameworks' own exporters (tests/data/nir/), not by hand.

Runs in a separate venv that has torch and the frameworks (``make nir-fixtures`` creates
or reuses it, ``~/.cache/snn-hub/nir-frameworks-venv``, pins in
scripts/nir_fixtures_requirements.txt); snn-hub's own venv never needs torch.  Imports
nothing of snn-hub.  For each framework it writes three files under ``--out``:

``<name>.nir``
    the graph, written by ``nir.write`` from the framework's own NIR export;
``<name>.json``
    metadata: framework and versions, training settings, input encoding, the framework's
    own accuracy (snnTorch), the time step the exporter assumed, the round-trip check;
``<name>.npz``
    the inputs given to the framework (``inputs``, time-major per sample: (N, T, n_in)
    spikes as uint8) and what the framework answered (``out_spikes`` (N, T, n_out),
    ``out_counts`` (N, n_out), ``out_v`` membrane (N, T, n_out) after the step's reset).

Fixtures:

- ``snntorch_digits``: 64 -> 32 LIF -> 10 LIF (``snn.Leaky``, reset to zero, no reset
  delay) trained with BPTT on scikit-learn's 8x8 digits, split as models/_digits.py splits
  them (seeded permutation of the 1797 images, train first, test after); Bernoulli (rate)
  input, one draw per time step with p = pixel / 16.  ``N_FIXTURE`` held-out samples.
- ``snntorch_digits_subtract``: the same classifier, trained the same way, with snnTorch's
  default reset (``snn.Leaky(beta)``: ``reset_mechanism="subtract"``, ``reset_delay=True``),
  which the NIR export does not record: its own import resets to zero.
- ``norse_tiny``: 16 -> 8 ``LIFCell`` (NIR CubaLIF) -> 4 ``LIFBoxCell`` (NIR LIF),
  seeded random weights, a few seeded Bernoulli inputs.
- ``rockpool_tiny``: 16 -> 8 ``LIFTorch`` (NIR CubaLIF) -> 4 ``LIFTorch``, seeded random
  weights, the same kind of inputs.

Each graph is also read back from the file and imported into the same framework with its
own NIR import; the JSON records whether that reproduces the framework's output spikes.

    python scripts/nir_fixtures.py [--out tests/data/nir]
        [--only snntorch,snntorch_subtract,norse,rockpool]
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import json
import sys
import traceback
from pathlib import Path

import numpy as np

SEED = 0  # the split seed (models/_digits.py: load(n, offset, seed))
N_TRAIN, N_TEST = 1497, 300  # all 1797 digits: train first, test after
N_FIXTURE = 50  # held-out samples stored with their outputs
STEPS = 25  # time steps per sample (snnTorch)
HIDDEN = 32
EPOCHS, BATCH, LR = 15, 64, 5e-3
TORCH_SEED = 1
ROOT = Path(__file__).resolve().parents[1]


def versions(*names: str) -> dict:
    """Installed versions of the named distributions."""
    return {n: md.version(n) for n in names}


def digits(seed: int = SEED):
    """Train and test images (values in [0, 1], (n, 64)), labels and dataset indices:
    the split of models/_digits.py (``load(N_TRAIN, seed=seed)``, ``load(N_TEST,
    offset=N_TRAIN, seed=seed)``), rewritten here because this venv has no snn-hub."""
    from sklearn.datasets import load_digits

    data = load_digits()
    order = np.random.default_rng(seed).permutation(len(data.target))
    tr, te = order[:N_TRAIN], order[N_TRAIN : N_TRAIN + N_TEST]
    x = data.data / 16.0
    return (x[tr], data.target[tr], tr), (x[te], data.target[te], te)


def bernoulli(images, steps: int, generator):
    """Rate encoding: spike of input i at step t with probability images[i]; (n, T, 64)."""
    import torch

    p = torch.as_tensor(images, dtype=torch.float32)[:, None, :].expand(-1, steps, -1)
    return torch.bernoulli(p, generator=generator)


def write(out: Path, name: str, graph, meta: dict, arrays: dict) -> None:
    """``<name>.nir`` / ``.json`` / ``.npz`` under ``out``."""
    import nir

    out.mkdir(parents=True, exist_ok=True)
    nir.write(str(out / f"{name}.nir"), graph)
    arrays = {k: np.asarray(v) for k, v in arrays.items()}
    np.savez_compressed(out / f"{name}.npz", **arrays)
    meta["arrays"] = {k: {"shape": list(v.shape), "dtype": str(v.dtype)} for k, v in arrays.items()}
    (out / f"{name}.json").write_text(json.dumps(meta, indent=2, sort_keys=False) + "\n")


def describe(graph) -> dict:
    """Node types, parameter shapes and edges of a NIR graph (for the JSON)."""
    nodes = {}
    for key, node in graph.nodes.items():
        params = {
            k: list(np.shape(v))
            for k, v in vars(node).items()
            if k not in ("input_type", "output_type", "metadata")
        }
        nodes[key] = {"type": type(node).__name__, "params": params}
    return {"nodes": nodes, "edges": sorted(map(list, graph.edges))}


def read_back(path: Path):
    """``nir.read`` the written file; if nir's type check rejects it, read it again without
    (``type_check=False``).  The graph and what happened (recorded in the JSON)."""
    import nir

    try:
        return nir.read(str(path)), {"type_check": True}
    except ValueError as exc:
        info = {"type_check": False, "error_with_type_check": f"{type(exc).__name__}: {exc}"}
        return nir.read(str(path), type_check=False), info


def compare(ref_spikes, ref_v, spikes, v) -> dict:
    """How far a re-imported model's outputs are from the original's."""
    ref_spikes, spikes = np.asarray(ref_spikes), np.asarray(spikes)
    res = {
        "spikes_identical": bool(np.array_equal(ref_spikes, spikes)),
        "spike_mismatches": int((ref_spikes != spikes).sum()),
        "spikes_total": int(ref_spikes.sum()),
    }
    if v is not None:
        res["max_abs_v_diff"] = float(np.max(np.abs(np.asarray(ref_v) - np.asarray(v))))
    return res


# --- snnTorch ---------------------------------------------------------------------------


#: snnTorch's reset settings per fixture: reset to zero without delay (what NIR's LIF and
#: snnTorch's own import mean), and the Leaky defaults (subtract the threshold, one step late)
RESETS = {
    "zero": {"reset_mechanism": "zero", "reset_delay": False},
    "subtract": {"reset_mechanism": "subtract", "reset_delay": True},
}
#: the per-step rule of each, as the JSON states it
UPDATES = {
    "zero": "U[t] = beta * U[t-1] + W x[t] + b; U[t] = 0 where S[t]",
    "subtract": "U[t] = beta * U[t-1] + W x[t] + b - threshold * S[t-1]",
}


def snntorch_net(hidden: int = HIDDEN, reset: str = "zero"):
    """64 -> hidden LIF -> 10 LIF, per-neuron beta/threshold (the exporter needs array
    parameters to infer the graph's types), with the reset ``RESETS[reset]``; "subtract"
    passes nothing, so the Leaky defaults are what is checked to be those settings."""
    import snntorch as snn
    import torch

    def leaky(n, beta, output=False):
        kw = RESETS[reset] if reset == "zero" else {}
        lif = snn.Leaky(
            beta=torch.full((n,), beta),
            threshold=torch.ones(n),
            init_hidden=True,
            output=output,
            **kw,
        )
        assert (lif.reset_mechanism, lif.reset_delay) == tuple(RESETS[reset].values())
        return lif

    return torch.nn.Sequential(
        torch.nn.Linear(64, hidden),
        leaky(hidden, 0.9),
        torch.nn.Linear(hidden, 10),
        leaky(10, 0.8, output=True),
    )


def snntorch_run(net, x, out_layer=None):
    """Step ``net`` over (n, T, 64) inputs from rest; output spikes and membrane (n, T, 10).
    ``out_layer`` is the module whose ``mem`` is the output membrane (re-imported models
    return spikes only)."""
    import snntorch.utils
    import torch

    snntorch.utils.reset(net)
    spikes, mems = [], []
    for t in range(x.shape[1]):
        out = net(x[:, t])
        spk = out[0] if isinstance(out, tuple) else out
        if isinstance(spk, tuple):  # nirtorch's executor returns (output, state)
            spk = spk[0]
        mem = out[1] if out_layer is None else out_layer.mem
        spikes.append(spk)
        mems.append(mem)
    return torch.stack(spikes, 1), torch.stack(mems, 1)


def make_snntorch(out: Path, reset: str = "zero") -> dict:
    """Train, evaluate, export, re-import; the fixture ``snntorch_digits`` (reset to zero) or
    ``snntorch_digits_subtract`` (snnTorch's default reset)."""
    import nir
    import torch
    from snntorch.export_nir import export_to_nir
    from snntorch.import_nir import import_from_nir

    torch.manual_seed(TORCH_SEED)
    torch.set_num_threads(2)
    (xtr, ytr, _), (xte, yte, ite) = digits()
    net = snntorch_net(reset=reset)
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    gen = torch.Generator().manual_seed(TORCH_SEED)
    ytr_t = torch.as_tensor(ytr)
    for epoch in range(EPOCHS):
        perm = torch.randperm(len(ytr), generator=gen)
        for k in range(0, len(ytr), BATCH):
            idx = perm[k : k + BATCH]
            x = bernoulli(xtr[idx.numpy()], STEPS, gen)
            spk, _ = snntorch_run(net, x)
            loss = torch.nn.functional.cross_entropy(spk.sum(1), ytr_t[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"snntorch epoch {epoch + 1}/{EPOCHS} loss {loss.item():.3f}", flush=True)

    test_gen = torch.Generator().manual_seed(1000 + SEED)
    x_test = bernoulli(xte, STEPS, test_gen)
    with torch.no_grad():
        spk, mem = snntorch_run(net, x_test)
    counts = spk.sum(1)
    # ties broken by the summed membrane, so a prediction is always defined
    score = counts + 1e-3 * torch.softmax(mem.sum(1), 1)
    pred = score.argmax(1).numpy()
    acc = float((pred == yte).mean())
    print(f"snntorch test accuracy {acc:.3f} on {len(yte)} held-out digits", flush=True)

    graph = export_to_nir(net, torch.zeros(64), model_name="snntorch_digits")
    name = "snntorch_digits" + ("" if reset == "zero" else "_" + reset)
    nir.write(str(out / f"{name}.nir"), graph)  # written now so the check reads the file
    n = N_FIXTURE
    fx = x_test[:n]
    graph_read, read_info = read_back(out / f"{name}.nir")
    imported = import_from_nir(graph_read)
    layers = [m for m in imported.modules() if type(m).__name__ == "Leaky"]
    with torch.no_grad():
        spk2, mem2 = snntorch_run(imported, fx, out_layer=layers[-1])
    check = compare(spk[:n], mem[:n], spk2, mem2)
    check["method"] = "snntorch.import_from_nir(nir.read(file)), stepped on the same inputs"
    if reset != "zero":
        check["note"] = "import_from_nir builds Leaky(reset_mechanism='zero'): not this network"

    meta = {
        "fixture": name,
        "framework": "snntorch",
        "versions": versions("snntorch", "nir", "nirtorch", "torch", "numpy", "scikit-learn"),
        "export": "snntorch.export_nir.export_to_nir(net, torch.zeros(64))",
        "exporter_dt": 1e-4,
        "network": {
            "layers": ["Linear(64, 32)", "Leaky(beta=0.9)", "Linear(32, 10)", "Leaky(beta=0.8)"],
            "threshold": 1.0,
            **RESETS[reset],
            "spike": "S[t] = (U[t] > threshold)",
            "update": UPDATES[reset],
            "same_step_propagation": True,
        },
        "data": {
            "dataset": "sklearn.datasets.load_digits (8x8, values / 16)",
            "split": "np.random.default_rng(0).permutation(1797): first 1497 train, "
            "next 300 test (models/_digits.py load(1497, seed=0) / load(300, offset=1497, "
            "seed=0))",
            "n_train": N_TRAIN,
            "n_test": N_TEST,
            "fixture_samples": f"the first {n} test images (dataset indices in 'indices')",
        },
        "encoding": {
            "kind": "bernoulli rate",
            "steps": STEPS,
            "rule": "input i spikes at step t with probability pixel_i / 16 (independent)",
            "draw": f"torch.bernoulli, torch.Generator().manual_seed({1000 + SEED}) over the "
            "whole test set in order; the drawn spikes are stored ('inputs')",
        },
        "training": {
            "method": "BPTT, snnTorch's default ATan surrogate gradient",
            "loss": "cross-entropy on output spike counts",
            "optimizer": f"Adam lr={LR}",
            "epochs": EPOCHS,
            "batch": BATCH,
            "torch_seed": TORCH_SEED,
            "input": "fresh Bernoulli draws each batch",
        },
        "accuracy": {
            "test": acc,
            "n_test": N_TEST,
            "fixture_samples": float((pred[:n] == yte[:n]).mean()),
            "readout": "argmax of output spike counts (ties: summed membrane)",
        },
        "graph": describe(graph),
        "nir_read": read_info,
        "roundtrip": check,
    }
    arrays = {
        "inputs": fx.numpy().astype(np.uint8),
        "images": xte[:n].astype(np.float32),
        "labels": yte[:n].astype(np.int64),
        "indices": ite[:n].astype(np.int64),
        "out_spikes": spk[:n].numpy().astype(np.uint8),
        "out_counts": counts[:n].numpy().astype(np.int64),
        "out_v": mem[:n].numpy().astype(np.float32),
        "predictions": pred[:n].astype(np.int64),
    }
    write(out, name, graph, meta, arrays)
    return meta


# --- Norse ------------------------------------------------------------------------------


def tiny_inputs(n=4, steps=40, n_in=16, p=0.25, seed=3):
    """A few seeded Bernoulli spike inputs (n, T, n_in), float32."""
    rng = np.random.default_rng(seed)
    return (rng.random((n, steps, n_in)) < p).astype(np.float32)


def make_norse(out: Path) -> dict:
    """A tiny seeded Norse network, exported, run, re-imported; ``norse_tiny``."""
    import nir
    import norse.torch as norse
    import torch

    torch.manual_seed(TORCH_SEED)
    # Norse's defaults, as per-neuron arrays: nir.write cannot store 0-d parameters
    full = lambda n, v: torch.full((n,), float(v))
    cuba = norse.LIFParameters(
        tau_syn_inv=full(8, 200.0),
        tau_mem_inv=full(8, 100.0),
        v_leak=full(8, 0),
        v_th=full(8, 1),
        v_reset=full(8, 0),
    )
    box = norse.LIFBoxParameters(
        tau_mem_inv=full(4, 100.0), v_leak=full(4, 0), v_th=full(4, 1), v_reset=full(4, 0)
    )
    net = norse.SequentialState(
        torch.nn.Linear(16, 8, bias=False),
        norse.LIFCell(cuba),
        torch.nn.Linear(8, 4),
        norse.LIFBoxCell(box),
    )
    with torch.no_grad():
        net[0].weight.mul_(20.0)
        net[2].weight.mul_(10.0)
    x = torch.as_tensor(tiny_inputs())

    def run(model):
        state, spikes = None, []
        for t in range(x.shape[1]):
            z, state = model(x[:, t], state)
            spikes.append(z)
        return torch.stack(spikes, 1)

    with torch.no_grad():
        spk = run(net)
    name = "norse_tiny"
    graph = norse.to_nir(net, torch.zeros(16), model_name=name)
    nir.write(str(out / f"{name}.nir"), graph)
    graph_read, read_info = read_back(out / f"{name}.nir")
    check: dict
    try:
        imported = norse.from_nir(graph_read)
        with torch.no_grad():
            spk2 = run(imported)
        check = compare(spk, None, spk2, None)
    except Exception as exc:  # recorded: the fixture is still the exporter's graph
        check = {"error": f"{type(exc).__name__}: {exc}"}
    check["method"] = "norse.torch.from_nir(nir.read(file)), stepped on the same inputs"
    meta = {
        "fixture": name,
        "framework": "norse",
        "versions": versions("norse", "nir", "nirtorch", "torch", "numpy"),
        "export": "norse.torch.to_nir(net, torch.zeros(16))  (dt=0.001 default)",
        "exporter_dt": 1e-3,
        "network": {
            "layers": [
                "Linear(16, 8, bias=False), weights x20",
                "LIFCell: tau_syn 5 ms, tau_mem 10 ms, v_th 1, v_leak 0, v_reset 0 (per neuron)",
                "Linear(8, 4), weights x10",
                "LIFBoxCell: tau_mem 10 ms, v_th 1, v_leak 0, v_reset 0 (per neuron)",
            ],
            "weights": f"torch default init after torch.manual_seed({TORCH_SEED}), scaled",
            "same_step_propagation": True,
        },
    }
    return write_tiny(out, name, graph, meta, read_info, check, x, spk, np.uint8)


# --- Rockpool ---------------------------------------------------------------------------


def make_rockpool(out: Path) -> dict:
    """A tiny seeded Rockpool (torch backend) network, exported, run, re-imported;
    ``rockpool_tiny``."""
    import nir
    import torch
    from rockpool.nn.combinators import Sequential
    from rockpool.nn.modules import LIFTorch, LinearTorch
    from rockpool.nn.modules.torch.nir import from_nir, to_nir

    torch.manual_seed(TORCH_SEED)
    dt = 1e-3
    net = Sequential(
        LinearTorch((16, 8), has_bias=False),
        LIFTorch(8, tau_mem=0.01, tau_syn=0.005, dt=dt),
        LinearTorch((8, 4), has_bias=False),
        LIFTorch(4, tau_mem=0.01, tau_syn=0.005, dt=dt),
    )
    with torch.no_grad():
        net[0].weight.mul_(0.3)
        net[2].weight.mul_(0.3)
    x = torch.as_tensor(tiny_inputs())
    with torch.no_grad():
        spk, _, _ = net(x)
    name = "rockpool_tiny"
    graph = to_nir(net, model_name=name)  # sample data: rockpool's own, zeros((1, 16))
    nir.write(str(out / f"{name}.nir"), graph)
    graph_read, read_info = read_back(out / f"{name}.nir")
    check: dict
    try:
        imported = from_nir(graph_read)
        with torch.no_grad():
            res = imported(x)
        spk2 = res[0] if isinstance(res, tuple) else res
        check = compare(spk, None, spk2, None)
    except Exception as exc:
        check = {"error": f"{type(exc).__name__}: {exc}"}
    check["method"] = "rockpool from_nir(nir.read(file)), evolved on the same inputs"
    meta = {
        "fixture": name,
        "framework": "rockpool",
        "versions": versions("rockpool", "nir", "nirtorch", "torch", "numpy"),
        "export": "rockpool.nn.modules.torch.nir.to_nir(net)  (samples zeros((1, 16)) itself)",
        "exporter_dt": dt,
        "network": {
            "layers": [
                "LinearTorch((16, 8), has_bias=False), weights x0.3",
                "LIFTorch(8, tau_mem=0.01, tau_syn=0.005, dt=0.001), threshold 1, bias 0",
                "LinearTorch((8, 4), has_bias=False), weights x0.3",
                "LIFTorch(4, tau_mem=0.01, tau_syn=0.005, dt=0.001), threshold 1, bias 0",
            ],
            "weights": f"rockpool default init after torch.manual_seed({TORCH_SEED}), scaled",
        },
    }
    return write_tiny(out, name, graph, meta, read_info, check, x, spk, np.int64)


def write_tiny(out, name, graph, meta, read_info, check, x, spk, spike_dtype) -> dict:
    """Complete a tiny fixture's metadata (its fixed input rule, the graph, the read-back
    and round-trip checks) and write it with its input and output spikes."""
    meta.update(
        encoding={
            "kind": "given spikes",
            "rule": "np.random.default_rng(3).random((4, 40, 16)) < 0.25",
        },
        graph=describe(graph),
        nir_read=read_info,
        roundtrip=check,
    )
    arrays = {
        "inputs": x.numpy().astype(np.uint8),
        "out_spikes": spk.numpy().astype(spike_dtype),
        "out_counts": spk.sum(1).numpy().astype(np.int64),
    }
    write(out, name, graph, meta, arrays)
    return meta


def make_snntorch_subtract(out: Path) -> dict:
    """The fixture ``snntorch_digits_subtract``: snnTorch's default reset by subtraction."""
    return make_snntorch(out, reset="subtract")


MAKERS = {
    "snntorch": make_snntorch,
    "snntorch_subtract": make_snntorch_subtract,
    "norse": make_norse,
    "rockpool": make_rockpool,
}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "tests" / "data" / "nir")
    ap.add_argument("--only", default=",".join(MAKERS))
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    failed = []
    for key in args.only.split(","):
        try:
            meta = MAKERS[key](args.out)
            print(f"{meta['fixture']}: roundtrip {meta['roundtrip']}", flush=True)
        except Exception:
            traceback.print_exc()
            failed.append(key)
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
