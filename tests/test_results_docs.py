"""docs/results.md runs: its ``python`` blocks are executed and its ``pycon`` blocks checked
as doctests, in the order of the page, in one namespace (a later block reads what an
earlier one made), in a temporary directory."""

import doctest
import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parent.parent / "docs" / "results.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.M | re.S)


def blocks():
    """``(language, code, line)`` of every fenced block of the page."""
    text = PAGE.read_text()
    return [
        (m.group(1), m.group(2), text.count("\n", 0, m.start()) + 2) for m in FENCE.finditer(text)
    ]


def test_every_code_block_is_run():
    langs = [lang for lang, _, _ in blocks()]
    assert set(langs) <= {"python", "pycon"}, langs
    assert langs.count("python") >= 4 and langs.count("pycon") >= 10


@pytest.mark.nest
def test_the_examples_of_docs_results_md(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    globs: dict = {"__name__": "docs_results"}
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    report: list[str] = []
    for lang, code, line in blocks():
        name = f"docs/results.md:{line}"
        if lang == "python":
            try:
                exec(compile(code, name, "exec"), globs)
            except Exception as exc:
                raise AssertionError(f"{name}: {exc!r}\n" + "".join(report)) from exc
            continue
        test = parser.get_doctest(code, globs, name, str(PAGE), line - 1)
        assert test.examples, f"{name}: a pycon block without >>>"
        runner.run(test, out=report.append, clear_globs=False)
        globs.update(test.globs)  # a DocTest works on a copy; later blocks read its names
    assert runner.failures == 0, "".join(report)
    assert runner.tries >= 40
    assert (tmp_path / "run.npz").is_file() and (tmp_path / "exc.png").stat().st_size > 10_000
