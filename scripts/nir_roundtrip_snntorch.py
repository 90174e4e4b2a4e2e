"""snnTorch's half of ``make nir-roundtrip`` (scripts/nir_roundtrip.py): read the graph
snn-hub wrote (``hub_roundtrip.nir``), import it with snnTorch's own ``import_from_nir`` and
step it over the stored inputs from rest; write the output spikes and every layer's float32
membrane after each step (``hub_roundtrip_snntorch.npz``).  Runs in the frameworks venv;
imports nothing of snn-hub.

    python scripts/nir_roundtrip_snntorch.py [--out tests/data/nir]
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import json
import sys
from pathlib import Path

import numpy as np

NAME = "hub_roundtrip"
ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    import nir
    import snntorch.utils
    import torch
    from snntorch.import_nir import import_from_nir

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "tests" / "data" / "nir")
    args = ap.parse_args(argv)
    graph = nir.read(str(args.out / f"{NAME}.nir"))
    with np.load(args.out / f"{NAME}_inputs.npz") as z:
        x = torch.as_tensor(z["inputs"], dtype=torch.float32)
    net = import_from_nir(graph)
    leaky = [m for m in net.modules() if type(m).__name__ == "Leaky"]
    snntorch.utils.reset(net)
    spikes, mems = [], []
    with torch.no_grad():
        for t in range(x.shape[0]):
            out = net(x[t])
            while isinstance(out, tuple):  # nirtorch's executor returns (output, state)
                out = out[0]
            spikes.append(out.numpy().copy())
            mems.append([m.mem.numpy().copy() for m in leaky])  # after the reset
    spk = np.asarray(spikes)
    mem = {f"mem{k}": np.asarray([row[k] for row in mems]) for k in range(len(leaky))}
    meta = {
        "versions": {n: md.version(n) for n in ("snntorch", "nir", "nirtorch", "torch")},
        "import": "snntorch.import_nir.import_from_nir(nir.read(file))",
        "layers": [
            {
                "beta": np.unique(m.beta.numpy()).tolist(),
                "beta_dtype": str(m.beta.dtype),
                "threshold": float(np.unique(m.threshold.numpy())[0]),
                "threshold_dtype": str(m.threshold.dtype),
                "mem_dtype": str(m.mem.dtype),
                "reset_mechanism": m.reset_mechanism,
                "reset_delay": m.reset_delay,
            }
            for m in leaky
        ],
    }
    np.savez_compressed(
        args.out / f"{NAME}_snntorch.npz",
        out_spikes=spk.astype(np.uint8),
        meta=json.dumps(meta),
        **mem,
    )
    print(f"snntorch: {int(spk.sum())} output spikes; layers {meta['layers']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
