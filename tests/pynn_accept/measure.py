"""One measurement of both tables: run, save as JSON, render into docs/pynn.md.

The measured results are kept in the material cache (``<material>/runs/results.json``), not
in the repository; docs/pynn.md holds the tables rendered from them.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import asdict
from pathlib import Path

from . import examples, scenarios
from .tables import write_block


def material() -> Path:
    """The PyNN material directory, fetched if needed (scripts/pynn_material.py)."""
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "scripts" / "pynn_material.py"
    spec = importlib.util.spec_from_file_location("pynn_material", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ensure()


def measure(root: Path, workdir: Path | None = None) -> dict:
    """Both tables' results: ``{"scenarios": sim -> id -> Outcome, "examples": row -> sim ->
    Run, "example_rows": [row, ...]}``."""
    with tempfile.TemporaryDirectory(prefix="pynn-accept-") as tmp:
        work = workdir or Path(tmp)
        return {
            "scenarios": scenarios.run_all(root, work / "scenarios"),
            "examples": examples.run_all(root, work / "examples"),
            "example_rows": [name for name, _, _ in examples.example_rows(root)],
        }


def save(results: dict, path: Path) -> None:
    plain = {
        "scenarios": {
            sim: {sid: asdict(o) for sid, o in col.items()}
            for sim, col in results["scenarios"].items()
        },
        "examples": {
            row: {sim: asdict(r) for sim, r in runs.items()}
            for row, runs in results["examples"].items()
        },
        "example_rows": results["example_rows"],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(plain, indent=1))


def load(path: Path) -> dict:
    d = json.loads(path.read_text())
    return {
        "scenarios": {
            sim: {
                sid: scenarios.Outcome(**{**o, "declared": tuple(o["declared"])})
                for sid, o in col.items()
            }
            for sim, col in d["scenarios"].items()
        },
        "examples": {
            row: {sim: examples.Run(**r) for sim, r in runs.items()}
            for row, runs in d["examples"].items()
        },
        "example_rows": d["example_rows"],
    }


def blocks(results: dict) -> dict[str, str]:
    """marker name -> rendered block."""
    return {
        "scenarios": scenarios.render(results["scenarios"]),
        "examples": examples.render(results["examples"], results["example_rows"]),
    }


def write_docs(results: dict) -> None:
    for name, body in blocks(results).items():
        write_block(name, body)
