"""The docs cannot fall behind the code: generated pages are current, every hook, IR kind
and CLI command is documented."""

import argparse
import inspect
from pathlib import Path

import pytest

from hub import docgen, hookspecs
from hub.cli import build_parser
from hub.ir import neurons

DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.mark.parametrize("page", sorted(docgen.PAGES))
def test_generated_pages_are_current(page):
    assert (DOCS / page).read_text() == docgen.PAGES[page](), (
        f"docs/{page} is stale: run `python -m hub.docgen`"
    )


def test_readme_capability_table_is_current():
    readme = (DOCS.parent / "README.md").read_text()
    assert readme == docgen.readme_with_capabilities(readme), (
        "README capability table is stale: run `python -m hub.docgen`"
    )


def test_every_hook_is_documented():
    text = (DOCS / "plugins.md").read_text()
    hooks = [
        n for n, f in inspect.getmembers(hookspecs, inspect.isfunction) if n.startswith("hub_")
    ]
    assert hooks and all(f"`{h}(" in text for h in hooks), [
        h for h in hooks if f"`{h}(" not in text
    ]


def test_every_cli_command_is_documented():
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    text = (DOCS / "getting_started.md").read_text()
    missing = [c for c in sub.choices if f"snn-hub {c}" not in text]
    assert not missing, f"undocumented commands: {missing}"


def test_every_neuron_model_has_equations_and_units():
    text = (DOCS / "models.md").read_text()
    for cls in neurons.NEURON_MODELS.values():
        assert f"### `{cls.kind}`" in text
        assert "dV/dt" in (cls.__doc__ or "") or cls.kind == "ChipLIF", cls.kind
        for p in cls.parameters:
            assert f"| `{p.name}` | {p.unit} |" in text, (cls.kind, p.name)


def test_nothing_cites_a_document_outside_the_repository():
    """Code, tests and docs name only files a reader of the repository can open: every
    ``*.md`` they mention is a file of the repository (no absolute paths), relative links in
    Markdown resolve, and nothing points at an issue tracker's numbers."""
    import re

    root = Path(__file__).resolve().parent.parent
    files = [
        p
        for pattern in (
            "hub/**/*.py",
            "plugins/**/*.py",
            "models/**/*.py",
            "tests/**/*.py",
            "docs/**/*.md",
            "*.md",
            "Makefile",
            "pyproject.toml",
        )
        for p in root.glob(pattern)
    ]
    in_repo = {p.name for p in root.glob("**/*.md") if ".venv" not in p.parts}
    cited = re.compile(r"[\w/.-]*\b([\w-]+\.md)\b|\bissue \d+\b")
    found = [
        f"{p.relative_to(root)}:{n}: {m.group(0)}"
        for p in files
        for n, line in enumerate(p.read_text().splitlines(), 1)
        for m in cited.finditer(line)
        if m.group(1) is None or m.group(1) not in in_repo or m.group(0).startswith("/")
    ]
    for p in root.glob("**/*.md"):
        if ".venv" in p.parts:
            continue
        for target in re.findall(
            r"\]\(([\w./-]+\.(?:md|png|json|py|html))(?:#[^)]*)?\)", p.read_text()
        ):
            if not (p.parent / target).exists():
                found.append(f"{p.relative_to(root)}: link to missing {target}")
    assert found == []
