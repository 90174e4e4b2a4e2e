"""Everything here is a benchmark check: deselected from the default run (pyproject addopts),
run by ``make bench`` after the suite has measured (``pytest -m benchmark tests/benchmarks``)."""

import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/benchmarks" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.benchmark)
