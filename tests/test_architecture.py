"""The house rules that a linter does not check: no private name crosses a module boundary,
and the conformance kit never uses a bare ``assert`` (``python -O`` would turn every failure
into a pass).  The layers themselves are import-linter contracts (``make lint``)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = ("hub", "hub_nest", "hub_brian2", "hub_chip")
SOURCES = sorted([*ROOT.joinpath("hub").rglob("*.py"), *ROOT.joinpath("plugins").rglob("*.py")])


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _module_of(path: Path) -> str:
    rel = path.relative_to(ROOT / "plugins" if "plugins" in path.parts else ROOT)
    parts = list(rel.with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _absolute(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join([*base, *([node.module] if node.module else [])])


def private_uses(path: Path, module: str | None = None) -> list[str]:
    """``from ours import _name``, ``import ours._private`` and ``module._name`` where
    ``module`` is one of our modules imported under that name, in one file (of module
    ``module``, by default the one at ``path``)."""
    module = module or _module_of(path)
    tree = ast.parse(path.read_text())
    found, modules = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = _absolute(module, node, path.name == "__init__.py")
            if not source.startswith(OURS) or source == module:
                continue
            for alias in node.names:
                if _private(alias.name) and not source.startswith(module + "."):
                    found.append(f"{path.name}:{node.lineno} from {source} import {alias.name}")
                modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(OURS) and any(map(_private, alias.name.split("."))):
                    found.append(f"{path.name}:{node.lineno} import {alias.name}")
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and _private(node.attr)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
        ):
            found.append(f"{path.name}:{node.lineno} {node.value.id}.{node.attr}")
    return found


def test_no_private_name_crosses_a_module_boundary():
    found = [use for path in SOURCES for use in private_uses(path)]
    assert found == []


def test_the_detector_finds_each_kind_of_private_use(tmp_path):
    bad = tmp_path / "probe.py"
    bad.write_text(
        "from .plugins import _DEFAULT\nfrom . import comparison\n"
        "import hub._secret\nx = comparison._hidden\nfrom .probe import _own\n"
    )
    found = private_uses(bad, "hub.probe")
    assert [f.split(":", 1)[1] for f in found] == [
        "1 from hub.plugins import _DEFAULT",
        "3 import hub._secret",
        "4 comparison._hidden",
    ]


@pytest.mark.parametrize(
    "path", sorted(ROOT.joinpath("hub", "testing").rglob("*.py")), ids=lambda p: p.name
)
def test_the_kit_has_no_bare_assert(path):
    lines = [n.lineno for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Assert)]
    assert lines == [], f"{path.name}: bare assert at lines {lines}; raise CheckFailed"
