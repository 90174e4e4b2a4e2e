"""The ``snn-hub`` command line (also ``python -m hub``).

    snn-hub run MODEL --backend NAME [--duration MS] [--out FILE] [--json] [--option k=v]...
                [--no-memory-check]
    snn-hub validate MODEL [--backend NAME[,NAME...]] [--duration MS]
    snn-hub backends [--json]
    snn-hub plugins [--json]
    snn-hub check-backend NAME [-k TEXT] [-v] [--allow-known-gaps] [--allow-partial]
    snn-hub demo [--models-dir DIR] [--backends a,b,c] [--duration MS] [--json]
    snn-hub compare MODEL [--backends a,b,c] [--duration MS] [--json] [--save FILE.json]
                    [--html FILE] [--plot FILE] [--repeat N] [--timeout S]
                    [--option [BACKEND.]KEY=VALUE]... [--no-memory-check]
    snn-hub bench NAME|MODEL [--backends a,b,c] [--native] [--standalone] [--repeat N]
                  [--param k=v] [--option [BACKEND.]KEY=VALUE] [--json] [--save FILE]
    snn-hub bench --list

MODEL is a network file written by ``hub.save`` (``.npz``) or a Python builder module
(a path such as ``models/vogels_abbott.py``, or a dotted module name) that defines
``build(**kwargs) -> hub.Network`` and optionally ``DURATION`` (ms).  A list of backends
(``--backends``, ``-b``) is comma-separated or the option repeated.

Exit codes: 0 success; 1 ``validate`` found problems (or ``check-backend`` failed checks or
ran a partial kit, or a backend of ``compare`` or a run of ``bench`` did not run);
2 an error (every :class:`hub.HubError` is printed as one message on stderr, without a
traceback; so is a usage error, and so is an exception raised by a builder module, which
is Python and runs as code, as ``python model.py`` would).  ``--traceback`` prints the full
traceback of an error too.  ``--strict`` turns plugin load warnings into errors.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
import warnings

from .. import mpi
from ..api import load_model
from ..errors import HubError, Terminated
from ..textfmt import table
from . import bench, compare, demo, info, run
from .common import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_PROBLEMS,
    PROG,
    Context,
    backend_options,
    error,
    parse_key_values,
)

#: one module per job; each adds its sub-commands with ``add_parsers(sub, common)``
COMMANDS = (run, info, demo, compare, bench)


def main(argv=None) -> int:
    """Run the command line; return the exit code (``python -m hub`` raises SystemExit)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    ctx = Context(strict=getattr(args, "strict", False))
    show_traceback = getattr(args, "traceback", False)
    args.ctx = ctx
    from .. import plugins

    saved_default = plugins.current_plugin_manager()
    with warnings.catch_warnings():
        warnings.showwarning = ctx.showwarning
        warnings.simplefilter("error" if ctx.strict else "always", plugins.PluginLoadWarning)
        try:
            quiet_ranks()
            ctx.plugin_manager()  # first, so hub.load_model and the command share it
            return int(args.func(args) or 0)
        except HubError as exc:
            if show_traceback:
                traceback.print_exception(exc)
            if mpi.agreed(exc):  # every rank has it: rank 0 says it, all end normally
                if mpi.is_root():
                    error(str(exc))
                return EXIT_ERROR
            error(f"(MPI rank {mpi.rank()}) {exc}")
            mpi.abort(EXIT_ERROR)  # the other ranks would wait for this one
            return EXIT_ERROR  # pragma: no cover - abort does not return
        except plugins.PluginLoadWarning as exc:  # only raised under --strict
            error(f"{exc} (--strict)")
            return EXIT_ERROR
        except KeyboardInterrupt:
            error("interrupted")
            return 130
        except Terminated as exc:  # SIGTERM during compare: cleaned up, then exit 143
            error("terminated by SIGTERM; temporary files removed")
            return int(exc.code or 143)
        except BrokenPipeError:  # e.g. `snn-hub backends | head -1`
            return EXIT_OK
        finally:
            plugins.reset_plugin_manager(saved_default)


def quiet_ranks() -> None:
    """Inside an MPI job only rank 0 prints: the other ranks' standard output goes nowhere,
    and an uncaught exception on any rank ends the whole job (errors still reach stderr)."""
    if mpi.size() == 1:
        return
    mpi.abort_on_uncaught()
    if not mpi.is_root():
        sys.stdout = open(os.devnull, "w")


def build_parser() -> argparse.ArgumentParser:
    from ..version import __version__

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--strict",
        action="store_true",
        default=argparse.SUPPRESS,
        help="treat a plugin that fails to load as an error",
    )
    common.add_argument(
        "--traceback",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print the full traceback of an error (e.g. one raised in a builder module)",
    )
    parser = argparse.ArgumentParser(
        prog=PROG,
        parents=[common],
        description="Write a spiking network once; run it on NEST, Brian2 or another "
        "installed backend with the same spikes.",
        epilog="Errors exit with code 2 and one message on stderr.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parsers(sub, common)
    return parser


__all__ = [
    "main",
    "build_parser",
    "load_model",
    "parse_key_values",
    "backend_options",
    "table",
    "EXIT_OK",
    "EXIT_PROBLEMS",
    "EXIT_ERROR",
    "HubError",
]
