"""A liquid state machine on scikit-learn's 8x8 digits, as a task that needs the liquid's
fading memory: each image is scanned row by row (row r drives the inputs for 15 ms, the 8
rows one after another, 8 Poisson inputs per column), and the digit is read out from the
last 30 ms of its presentation only, when the input carries its last two rows.  A random
recurrent LIF network (the liquid, static synapses, 10 ms excitatory synaptic currents)
keeps a trace of the earlier rows; a linear classifier (logistic regression) reads each
liquid neuron's spike count in that window.  The baseline is the same classifier on the
input's spike counts in the same window: what the readout could do without the liquid.

(A static presentation, the whole image at once and the readout on the counts of the whole
presentation, is not a task for a reservoir: there the same readout on the input alone scored
87 % and the liquid 84 %, NEST, 400 / 200 images; the pixels are already nearly linearly
separable.)

Runs on every backend (no plasticity).  ``build()`` is the demo (40 images); the experiment,
``python models/lsm.py [backend] [n_train] [n_test] [seed]``, trains the readout on the
responses to ``n_train`` images and reports the accuracy on ``n_test`` others, liquid and
input-only (docs/learning.md has the figures).
"""

import sys
from pathlib import Path

import numpy as np

import hub

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _digits  # noqa: E402

DT = 0.5  # ms
ROW_MS = 15.0  # each of the 8 rows
ON, OFF = 8 * ROW_MS, 50.0
READ_MS = 30.0  # the readout window: the last READ_MS of each presentation
COPIES = 8  # Poisson inputs per image column
DURATION = 40 * (ON + OFF)


def build(
    n_images: int = 40,
    offset: int = 0,
    n_exc: int = 240,
    n_inh: int = 60,
    rate_max: float = 100.0,
    seed: int = 7,
    data_seed: int = 0,
) -> hub.Network:
    images, labels = _digits.load(n_images, offset, data_seed)
    trains, windows = _digits.present_rows(images, rate_max, ROW_MS, OFF, COPIES, DT, 100000 * seed)
    readout = [(stop - READ_MS, stop) for _, stop in windows]
    net = hub.Network(
        dt=DT,
        seed=seed,
        label="lsm",
        metadata={"labels": labels.tolist(), "windows": windows, "readout": readout},
    )
    pixels = net.add_source(trains.to_source(), size=8 * COPIES, label="pixels")
    cell = hub.LIF(
        synapse="exp",
        tau_m=30.0,
        cm=1.0,
        v_rest=-65.0,
        v_reset=-65.0,
        v_thresh=-50.0,
        tau_syn_E=10.0,
        tau_syn_I=6.0,
        tau_refrac=2.0,
    )
    exc = net.add_population(n_exc, cell, label="exc")
    inh = net.add_population(n_inh, cell, label="inh")
    exc.initialize(v=hub.Uniform(-65.0, -55.0))
    inh.initialize(v=hub.Uniform(-65.0, -55.0))
    net.connect(
        pixels,
        exc,
        hub.FixedProbability(0.2),
        hub.Static(hub.Uniform(0.5, 1.2), 1.0),
        label="input",
    )
    for pre, post, p, w in (
        (exc, exc, 0.1, 0.6),
        (exc, inh, 0.2, 1.0),
        (inh, exc, 0.2, -2.0),
        (inh, inh, 0.1, -1.0),
    ):
        receptor = "inhibitory" if w < 0 else "excitatory"
        lo, hi = sorted((w * 0.5, w))
        net.connect(
            pre,
            post,
            hub.FixedProbability(p, allow_self_connections=False),
            hub.Static(hub.Uniform(lo, hi), hub.Uniform(1.0, 2.0), receptor),
            label=f"{pre.label}->{post.label}",
        )
    net.record(exc, "spikes")
    net.record(inh, "spikes")
    net.record(pixels, "spikes")
    return net


def features(res, net):
    """Per presentation, in its readout window (the last READ_MS): spike counts of every
    liquid neuron, and of every input."""
    windows = net.metadata["readout"]
    liquid = np.hstack(
        [_digits.window_counts(res.spikes(p), windows, res.spikes(p).size) for p in ("exc", "inh")]
    )
    return liquid, _digits.window_counts(res.spikes("pixels"), windows, res.spikes("pixels").size)


def readout_accuracy(x, labels, n_train) -> float:
    """Held-out accuracy of the linear readout trained on the first ``n_train`` rows of ``x``."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.01, max_iter=3000))
    clf.fit(x[:n_train], labels[:n_train])
    return float(clf.score(x[n_train:], labels[n_train:]))


def experiment(
    backend: str = "nest", n_train: int = 400, n_test: int = 200, seed: int = 0, **options
):
    """Readout accuracy on the liquid and on the input alone (same readout, same windows);
    ``seed`` draws the images, the liquid and the Poisson trains."""
    net = build(n_train + n_test, seed=7 + seed, data_seed=seed)
    res = hub.run(net, backend=backend, duration=(n_train + n_test) * (ON + OFF), **options)
    labels = np.asarray(net.metadata["labels"])
    out = {
        "backend": backend,
        "n_train": n_train,
        "n_test": n_test,
        "seed": seed,
        "chance": 0.1,
        "run_s": res.timings.get("run_s"),
    }
    for name, x in zip(("liquid", "input_only"), features(res, net)):
        out[f"accuracy_{name}"] = readout_accuracy(x, labels, n_train)
    out["liquid_rate_hz"] = (
        len(res.spikes("exc")) / res.spikes("exc").size / (res.provenance["duration"] * 1e-3)
    )
    return out


if __name__ == "__main__":
    args = sys.argv[1:]
    print(experiment(args[0] if args else "nest", *(int(a) for a in args[1:4])))
