"""A liquid state machine on scikit-learn's 8x8 digits: a random recurrent LIF network (the
liquid, static synapses) driven by Poisson-encoded images, read out by a linear classifier
(logistic regression on each liquid neuron's spike count per presentation).

Runs on every backend (no plasticity).  ``build()`` is the demo (40 images); the experiment,
``python models/lsm.py [backend] [n_train] [n_test]``, trains the readout on the liquid's
responses to ``n_train`` images and reports the accuracy on ``n_test`` others, next to the
same readout on the input spike counts alone (docs/learning.md has the figures).
"""

import sys
from pathlib import Path

import numpy as np

import hub

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _digits  # noqa: E402

DT = 0.5  # ms
ON, OFF = 100.0, 50.0
DURATION = 40 * (ON + OFF)


def build(
    n_images: int = 40,
    offset: int = 0,
    n_exc: int = 240,
    n_inh: int = 60,
    rate_max: float = 100.0,
    seed: int = 7,
) -> hub.Network:
    images, labels = _digits.load(n_images, offset)
    trains, windows = _digits.present(images, rate_max, ON, OFF, DT, seed)
    net = hub.Network(
        dt=DT, seed=seed, label="lsm", metadata={"labels": labels.tolist(), "windows": windows}
    )
    pixels = net.add_source(trains.to_source(), size=64, label="pixels")
    cell = hub.LIF(
        synapse="exp",
        tau_m=30.0,
        cm=1.0,
        v_rest=-65.0,
        v_reset=-65.0,
        v_thresh=-50.0,
        tau_syn_E=3.0,
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
        hub.Static(hub.Uniform(1.0, 2.5), 1.0),
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
    """Per presentation: spike counts of every liquid neuron, and of every input pixel."""
    windows = net.metadata["windows"]
    liquid = np.hstack(
        [_digits.window_counts(res.spikes(p), windows, res.spikes(p).size) for p in ("exc", "inh")]
    )
    return liquid, _digits.window_counts(res.spikes("pixels"), windows, 64)


def experiment(backend: str = "nest", n_train: int = 400, n_test: int = 200, **options):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    net = build(n_train + n_test)
    res = hub.run(net, backend=backend, duration=(n_train + n_test) * (ON + OFF), **options)
    labels = np.asarray(net.metadata["labels"])
    out = {
        "backend": backend,
        "n_train": n_train,
        "n_test": n_test,
        "chance": 0.1,
        "run_s": res.timings.get("run_s"),
    }
    for name, x in zip(("liquid", "input_only"), features(res, net)):
        clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.01, max_iter=3000))
        clf.fit(x[:n_train], labels[:n_train])
        out[f"accuracy_{name}"] = float(clf.score(x[n_train:], labels[n_train:]))
    out["liquid_rate_hz"] = (
        len(res.spikes("exc")) / res.spikes("exc").size / (res.provenance["duration"] * 1e-3)
    )
    return out


if __name__ == "__main__":
    args = sys.argv[1:]
    print(experiment(args[0] if args else "nest", *(int(a) for a in args[1:3])))
