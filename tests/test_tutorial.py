"""docs/tutorial.ipynb runs from top to bottom (slow): executed with nbclient in a kernel on
this interpreter; its outputs hold real numbers (spikes on every installed backend, NEST and
Brian2 identical, the chip within its statistical contract, the figures drawn)."""

import json
import os
import sys
import time
from pathlib import Path

import pytest

import hub

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "docs" / "tutorial.ipynb"


def execute(path: Path, timeout: int = 600):
    """The executed notebook and its run time (s).  The kernel is ipykernel's native
    ``python3``, which jupyter_client starts with this interpreter (sys.executable)."""
    nbformat = pytest.importorskip("nbformat", reason="nbformat: pip install -e '.[test]'")
    nbclient = pytest.importorskip("nbclient", reason="nbclient: pip install -e '.[test]'")
    pytest.importorskip("ipykernel", reason="ipykernel: pip install -e '.[test]'")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT)}},
    )
    t0 = time.perf_counter()
    client.execute(env={**os.environ, "PYTHONPATH": _pythonpath()})
    return nb, time.perf_counter() - t0


def _pythonpath() -> str:
    """The kernel imports the hub this test imports (the checkout, not another copy)."""
    here = str(Path(hub.__file__).resolve().parent.parent)
    rest = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return os.pathsep.join([here, *rest])


def text_of(cell) -> str:
    return "".join(
        o.get("text", "") for o in cell.get("outputs", []) if o["output_type"] == "stream"
    )


@pytest.mark.slow
def test_the_tutorial_notebook_runs_and_its_numbers_are_real():
    if len([b for b in ("nest", "brian2", "chip") if b in hub.backend_specs()]) < 2:
        pytest.skip("the tutorial compares backends: install NEST or Brian2 (snn-hub[all])")
    nb, seconds = execute(NOTEBOOK)
    print(f"docs/tutorial.ipynb ran in {seconds:.1f} s")
    code = [c for c in nb.cells if c.cell_type == "code"]
    errors = [o for c in code for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert not errors, errors
    assert all(c.get("execution_count") for c in code)  # every cell ran
    assert f"kernel python: {sys.executable}" in text_of(code[0])
    assert f"hub imported from: {hub.__file__}" in text_of(code[0])  # this checkout's hub

    summary = json.loads(text_of(code[-1]).strip().splitlines()[-1])
    expected = [b for b in ("nest", "brian2", "chip") if b in hub.backend_specs()]
    assert summary["backends"] == expected
    for b in expected:
        # the compared process and the notebook's own hub.run give the same spikes
        assert summary["spikes"][b] == summary["run_spikes"][b] > 100
        assert 1.0 < summary["rate_hz"][b] < 200.0
    if {"nest", "brian2"} <= set(expected):
        nb_pair = summary["pairs"]["nest~brian2"]
        assert nb_pair["expect"] == "identical" and nb_pair["identical"]
        assert summary["spikes"]["nest"] == summary["spikes"]["brian2"]
        assert "NEST and Brian2 identical: True" in "".join(text_of(c) for c in code)
    if {"nest", "chip"} <= set(expected):
        chip = summary["pairs"]["nest~chip"]
        assert chip["expect"] == "statistical" and chip["within_contract"]
    assert summary["figures"] == ["Rasters", "Activity"]
    images = [o for c in code for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) == len(summary["figures"])
    table = "".join(text_of(c) for c in code if "print(cmp.table())" in c.source)
    for b in expected:
        assert f"{summary['spikes'][b]:,}" in table or str(summary["spikes"][b]) in table
