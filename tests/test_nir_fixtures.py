"""The NIR fixtures of tests/data/nir/ (made by `make nir-fixtures`, scripts/nir_fixtures.py)
are well-formed: metadata complete, arrays of the stated shapes, graphs readable by ``nir``
(when installed) with the shapes the outputs need.  No torch needed."""

import json
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).parent / "data" / "nir"
FIXTURES = ["snntorch_digits", "snntorch_digits_subtract", "norse_tiny", "rockpool_tiny"]
KEYS = {"fixture", "framework", "versions", "export", "exporter_dt", "network", "encoding"}
KEYS |= {"graph", "nir_read", "roundtrip", "arrays"}


def meta(name):
    return json.loads((DATA / f"{name}.json").read_text())


def arrays(name):
    with np.load(DATA / f"{name}.npz") as z:
        return {k: z[k] for k in z.files}


@pytest.mark.parametrize("name", FIXTURES)
def test_files_small_and_metadata_complete(name):
    for ext in ("nir", "json", "npz"):
        assert (DATA / f"{name}.{ext}").stat().st_size < 200_000
    m = meta(name)
    assert KEYS <= m.keys()
    assert m["fixture"] == name
    assert m["versions"]["nir"] == "1.0.8" and m["framework"] in m["versions"]
    assert m["exporter_dt"] > 0
    assert {"spikes_identical", "method"} <= m["roundtrip"].keys() or "error" in m["roundtrip"]


@pytest.mark.parametrize("name", FIXTURES)
def test_arrays_match_their_metadata(name):
    m, a = meta(name), arrays(name)
    assert set(a) == set(m["arrays"])
    for k, v in a.items():
        assert list(v.shape) == m["arrays"][k]["shape"] and str(v.dtype) == m["arrays"][k]["dtype"]
    n, steps, _ = a["inputs"].shape
    assert a["out_spikes"].shape[:2] == (n, steps)
    assert set(np.unique(a["inputs"])) <= {0, 1}
    np.testing.assert_array_equal(a["out_spikes"].sum(1), a["out_counts"])
    assert a["out_counts"].sum() > 0  # the outputs say something


@pytest.mark.parametrize("name", ["snntorch_digits", "snntorch_digits_subtract"])
def test_snntorch_digits_is_the_repository_split(name):
    """The held-out samples are test images of models/_digits.py's split (seed 0), their
    labels right, and the stored readout is the recorded accuracy's."""
    m, a = meta(name), arrays(name)
    assert m["accuracy"]["test"] >= 0.9
    assert a["inputs"].shape == (50, m["encoding"]["steps"], 64)
    assert a["out_v"].shape == a["out_spikes"].shape == (50, m["encoding"]["steps"], 10)
    n_train, n_test = m["data"]["n_train"], m["data"]["n_test"]
    order = np.random.default_rng(0).permutation(1797)
    assert set(a["indices"]) <= set(order[n_train : n_train + n_test])
    np.testing.assert_array_equal(a["indices"], order[n_train : n_train + 50])
    pytest.importorskip("sklearn")
    from sklearn.datasets import load_digits

    digits = load_digits()
    np.testing.assert_array_equal(a["labels"], digits.target[a["indices"]])
    np.testing.assert_allclose(a["images"], digits.data[a["indices"]] / 16.0, rtol=1e-6)
    assert np.mean(a["predictions"] == a["labels"]) == m["accuracy"]["fixture_samples"]
    # rate code: each input spikes about as often as its pixel says
    rate = a["inputs"].mean(axis=(0, 1))
    np.testing.assert_allclose(rate, a["images"].mean(0), atol=0.05)


@pytest.mark.parametrize("name", FIXTURES)
def test_graph_reads_with_nir(name):
    """``nir.read`` (with the type check the JSON says the file needs) gives the recorded
    nodes and edges; the graph's first and last layers fit the stored inputs and outputs."""
    nir = pytest.importorskip("nir")
    m, a = meta(name), arrays(name)
    g = nir.read(str(DATA / f"{name}.nir"), type_check=m["nir_read"]["type_check"])
    if not m["nir_read"]["type_check"]:
        with pytest.raises(ValueError):
            nir.read(str(DATA / f"{name}.nir"))
    assert {k: type(v).__name__ for k, v in g.nodes.items()} == {
        k: v["type"] for k, v in m["graph"]["nodes"].items()
    }
    assert sorted(map(list, g.edges)) == m["graph"]["edges"]
    for key, node in m["graph"]["nodes"].items():
        for p, shape in node["params"].items():
            assert list(np.shape(getattr(g.nodes[key], p))) == shape
    first = next(v for k, v in g.nodes.items() if ("input", k) in g.edges)
    last = next(v for k, v in g.nodes.items() if (k, "output") in g.edges)
    n_in, n_out = a["inputs"].shape[-1], a["out_spikes"].shape[-1]
    assert first.weight.shape[1] == n_in  # NIR weights are (out, in)
    assert np.shape(last.v_threshold) == (n_out,)
