"""``python -m pynn_accept`` (with ``tests`` on the path; ``make pynn-tables``).

measure   run everything, save <material>/runs/results.json, write docs/pynn.md's blocks
docs      write docs/pynn.md's blocks from the saved results (no run)
failures  list what fails on hub.pynn, grouped by first error, from the saved results
"""

from __future__ import annotations

import argparse
import sys

from . import failures, measure


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pynn_accept", description=__doc__)
    parser.add_argument("command", choices=["measure", "docs", "failures"])
    args = parser.parse_args(argv)
    root = measure.material()
    saved = root / "runs" / "results.json"
    if args.command == "measure":
        results = measure.measure(root, root / "runs" / "work")
        measure.save(results, saved)
    elif not saved.is_file():
        print(f"no saved results at {saved}: run `measure` first", file=sys.stderr)
        return 1
    else:
        results = measure.load(saved)
    if args.command == "failures":
        print(failures.report(results))
    else:
        measure.write_docs(results)
        print(f"docs/pynn.md: scenario and example blocks written from {saved}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
