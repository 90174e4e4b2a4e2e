"""docs/evidence.md names, for every figure the docs claim, the test that holds it: every
node id it names must exist.  The README and getting-started examples, which promise
identical spikes on NEST and Brian2, are run here as written (shorter)."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NODE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)(?:\[[^\]`]*\])?`")


def node_ids():
    text = (ROOT / "docs" / "evidence.md").read_text()
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    return rows, NODE.findall(text)


def test_every_node_id_in_evidence_exists():
    rows, ids = node_ids()
    assert len(rows) > 30 and len(ids) > 30
    tests = {}
    missing = []
    for path, name in ids:
        if path not in tests:
            file = ROOT / path
            if not file.exists():
                missing.append(path)
                continue
            tree = ast.parse(file.read_text())
            tests[path] = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        if name not in tests.get(path, ()):
            missing.append(f"{path}::{name}")
    assert missing == []


def test_every_row_names_a_test_or_says_why_not():
    rows, _ = node_ids()
    body = rows[1:]  # after the header (the separator row starts with "|-")
    unheld = [r for r in body if not NODE.search(r) and "not held" not in r]
    assert unheld == []


def example(page):
    """The first ``python`` block of ``page`` up to its NEST = Brian2 assertion."""
    text = (ROOT / page).read_text()
    code = text.split("```python\n", 1)[1].split("```", 1)[0]
    lines = code.splitlines()
    end = next(k for k, line in enumerate(lines) if line.startswith("assert r_nest.spikes"))
    return "\n".join(lines[: end + 1])


@pytest.mark.slow
@pytest.mark.nest
@pytest.mark.brian2
@pytest.mark.parametrize("page", ["README.md", "docs/getting_started.md"])
def test_the_example_gives_identical_spikes(page):
    code = example(page)
    assert code.count("duration=1000.0") == 2
    namespace = {}
    exec(code.replace("duration=1000.0", "duration=300.0"), namespace)  # raises if not equal
    assert len(namespace["r_nest"].spikes("exc")) > 100
