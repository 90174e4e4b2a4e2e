"""Unsupervised digit learning in the style of Diehl and Cook (2015), on scikit-learn's
bundled 8x8 digits (no download).

64 Poisson inputs (rate proportional to the pixel) project through additive STDP to an
excitatory layer; each excitatory neuron excites one inhibitory neuron, which inhibits all
the other excitatory neurons (soft winner-take-all).  As in Diehl and Cook, two
homeostatic mechanisms keep every neuron in play, applied by the hub between batches of
images so that every backend trains the same way: each neuron's incoming weights are
normalised to a fixed sum, and its threshold rises with its firing (adaptive threshold,
``theta += theta_plus * spikes``, decaying between batches).  After training, every
excitatory neuron is labelled with the digit it answers most (on the training images,
plasticity off) and a test digit is classified by the label group with the highest mean
response.

``build()`` is the demo (one batch); ``python models/digits_stdp.py [backend] [n_train]
[n_test] [seed]`` runs the experiment and prints the accuracy of the trained network and of
two baselines read out the same way: the same training with plasticity off (thresholds
adapt, weights stay random) and the initial network (docs/learning.md: the trained network
beats the initial one, not the one trained with plasticity off).  Runs on every backend
that runs additive pair STDP: NEST, Brian2 and the chip.
"""

import sys
from pathlib import Path

import numpy as np

import hub

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _digits  # noqa: E402

DT = 0.5
ON, OFF = 250.0, 100.0
BATCH = 20
DURATION = BATCH * (ON + OFF)
PARAMS = dict(
    n_exc=100,
    rate_max=80.0,
    w_sum=9.0,
    w_max=1.0,
    A_plus=0.01,
    ratio=1.1,
    theta_plus=0.2,
    theta_decay=0.95,
    w_exc_inh=6.0,
    w_inh_exc=-3.0,
)


def build(
    images=None, weights=None, theta=None, plastic: bool = True, seed: int = 11, **params
) -> hub.Network:
    """One batch: ``images`` (n, 64) presented one after another with input weights
    ``weights`` (64, n_exc) and threshold offsets ``theta`` (mV)."""
    p = {**PARAMS, **params}
    if images is None:
        images = _digits.load(BATCH)[0]
    n = p["n_exc"]
    rng = np.random.default_rng(seed)
    if weights is None:
        weights = normalise(rng.uniform(0.0, 1.0, (64, n)), p["w_sum"], p["w_max"])
    theta = np.zeros(n) if theta is None else theta
    trains, windows = _digits.present(images, p["rate_max"], ON, OFF, DT, seed)
    net = hub.Network(dt=DT, seed=seed, label="digits_stdp", metadata={"windows": windows})
    pixels = net.add_source(trains.to_source(), size=64, label="pixels")
    exc = net.add_population(
        n,
        hub.LIF(
            synapse="exp",
            tau_m=20.0,
            v_rest=-65.0,
            v_reset=-65.0,
            v_thresh=-52.0 + theta,
            tau_syn_E=5.0,
            tau_syn_I=5.0,
            tau_refrac=5.0,
        ),
        label="exc",
    )
    inh = net.add_population(
        n,
        hub.LIF(
            synapse="exp", tau_m=10.0, v_rest=-60.0, v_reset=-60.0, v_thresh=-50.0, tau_refrac=2.0
        ),
        label="inh",
    )
    pre, post = (a.ravel() for a in np.meshgrid(np.arange(64), np.arange(n), indexing="ij"))
    conn = hub.FromArrays(pre, post, weight=weights.ravel(), delay=1.0)
    if plastic:
        rule = hub.STDP(
            A_plus=p["A_plus"],
            A_minus=p["A_plus"] * p["ratio"],
            tau_plus=20.0,
            tau_minus=20.0,
            w_max=p["w_max"],
        )
        syn = hub.Plastic(rule, 0.0)
    else:
        syn = hub.Static(0.0)
    net.connect(pixels, exc, conn, syn, label="input")
    net.connect(exc, inh, hub.OneToOne(), hub.Static(p["w_exc_inh"], 0.5), label="exc->inh")
    net.connect(
        inh,
        exc,
        hub.AllToAll(allow_self_connections=False),
        hub.Static(p["w_inh_exc"], 0.5, receptor="inhibitory"),
        label="inh->exc",
    )
    net.record(exc, "spikes")
    return net


def normalise(w: np.ndarray, total: float, w_max: float) -> np.ndarray:
    """Scale each neuron's (column's) incoming weights to sum ``total``, within [0, w_max]."""
    w = w * (total / np.maximum(w.sum(axis=0, keepdims=True), 1e-12))
    return np.clip(w, 0.0, w_max)


def responses(res, net, n):
    return _digits.window_counts(res.spikes("exc"), net.metadata["windows"], n)


def train(backend, images, seed=11, progress=None, plastic: bool = True, **params):
    """Weights and threshold offsets after one pass over ``images`` in batches.  With
    ``plastic=False`` the same procedure runs with static input synapses: the thresholds
    adapt as in training, the weights stay at their random initial values (the untrained
    baseline)."""
    p = {**PARAMS, **params}
    rng = np.random.default_rng(seed)
    w = normalise(rng.uniform(0.0, 1.0, (64, p["n_exc"])), p["w_sum"], p["w_max"])
    theta = np.zeros(p["n_exc"])
    for k in range(0, len(images), BATCH):
        batch = images[k : k + BATCH]
        net = build(batch, w, theta, plastic, seed + k, **params)
        res = hub.run(net, backend=backend, duration=len(batch) * (ON + OFF), **_options(backend))
        if plastic:
            w = normalise(res.weights("input").reshape(64, p["n_exc"]), p["w_sum"], p["w_max"])
        theta = theta * p["theta_decay"] + p["theta_plus"] * responses(res, net, p["n_exc"]).sum(0)
        if progress:
            progress(k + len(batch), len(images))
    return w, theta


def _options(backend):
    return {"rounding": "stochastic"} if backend == "chip" else {}


def evaluate(backend, w, theta, images, seed=101, **params):
    """Responses (n_images, n_exc) of the trained network, plasticity off."""
    p = {**PARAMS, **params}
    out = []
    for k in range(0, len(images), 100):
        batch = images[k : k + 100]
        net = build(batch, w, theta, False, seed + k, **params)
        res = hub.run(net, backend=backend, duration=len(batch) * (ON + OFF), **_options(backend))
        out.append(responses(res, net, p["n_exc"]))
    return np.vstack(out)


def accuracy(backend, w, theta, train, test, seed=0, **params) -> float:
    """Held-out accuracy of the network (weights ``w``, thresholds ``theta``, plasticity
    off): each excitatory neuron is labelled with the digit it answers most on the training
    images ``train = (x, y)``; a test image gets the label whose neurons answer most."""
    (train_x, train_y), (test_x, test_y) = train, test
    r_train = evaluate(backend, w, theta, train_x, seed=101 + 1000 * seed, **params)
    labels = np.argmax(
        np.stack(
            [
                r_train[train_y == d].mean(0)
                if np.any(train_y == d)
                else np.zeros(r_train.shape[1])
                for d in range(10)
            ]
        ),
        axis=0,
    )
    r_test = evaluate(backend, w, theta, test_x, seed=202 + 1000 * seed, **params)
    votes = np.stack(
        [
            r_test[:, labels == d].mean(1) if np.any(labels == d) else np.zeros(len(r_test))
            for d in range(10)
        ],
        axis=1,
    )
    return float(np.mean(np.argmax(votes, axis=1) == test_y))


def experiment(
    backend: str = "nest",
    n_train: int = 400,
    n_test: int = 200,
    seed: int = 0,
    baseline: bool = True,
    **params,
):
    """Train on ``n_train`` images, test on ``n_test`` others (seed ``seed`` draws the images,
    the initial weights and the Poisson trains).  With ``baseline``, the same procedure with
    plasticity off (``accuracy_untrained``: thresholds adapted, weights random) and the
    initial network (``accuracy_initial``: random weights, zero thresholds), both read out
    exactly as the trained network."""
    train_set = _digits.load(n_train, seed=seed)
    test_set = _digits.load(n_test, offset=n_train, seed=seed)
    net_seed = 11 + 1000 * seed
    w, theta = train(backend, train_set[0], seed=net_seed, **params)
    out = {
        "backend": backend,
        "n_train": n_train,
        "n_test": n_test,
        "seed": seed,
        "accuracy": accuracy(backend, w, theta, train_set, test_set, seed, **params),
        "chance": 0.1,
    }
    if baseline:
        w0, theta0 = train(backend, train_set[0], seed=net_seed, plastic=False, **params)
        out["accuracy_untrained"] = accuracy(
            backend, w0, theta0, train_set, test_set, seed, **params
        )
        out["accuracy_initial"] = accuracy(
            backend, w0, np.zeros_like(theta0), train_set, test_set, seed, **params
        )
    return out, w


if __name__ == "__main__":
    args = sys.argv[1:]
    result, _ = experiment(args[0] if args else "nest", *(int(a) for a in args[1:4]))
    print(result)
