"""What every command shares: exit codes, error printing, the per-invocation context,
KEY=VALUE parsing and the arguments several commands declare."""

from __future__ import annotations

import ast
import importlib.util
import sys
import warnings

from ..formats import LoadedModel
from ..errors import HubError

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2
PROG = "snn-hub"
MODEL_HELP = (
    "a .npz written by hub.save, or a builder module (path.py or dotted.name) with "
    "build(**kwargs) -> hub.Network"
)


class Context:
    """Per-invocation state: the plugin manager (made on first use) and load failures."""

    def __init__(self, strict: bool):
        self.strict = strict
        self.pm = None
        self.load_failures: list[str] = []
        self._original_showwarning = warnings.showwarning

    def plugin_manager(self):
        if self.pm is None:
            from ..plugins import make_plugin_manager, reset_plugin_manager

            self.pm = make_plugin_manager(strict=self.strict)
            reset_plugin_manager(self.pm)  # hub.run uses the default manager
        return self.pm

    def showwarning(self, message, category, filename, lineno, file=None, line=None):
        from ..plugins import PluginLoadWarning

        if issubclass(category, PluginLoadWarning):
            self.load_failures.append(str(message))
            print(f"{PROG}: warning: {message}", file=sys.stderr)
        else:
            self._original_showwarning(message, category, filename, lineno, file, line)


def error(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr)


def parse_key_values(items, flag: str = "--option") -> dict:
    """``["threads=2", "name=x"]`` -> ``{"threads": 2, "name": "x"}`` (Python/JSON literals
    are parsed, anything else stays a string)."""
    out = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise HubError(f"{flag}: {item!r} is not KEY=VALUE; write e.g. {flag} threads=2")
        out[key] = literal(raw.strip())
    return out


def literal(text: str):
    lowered = {"true": True, "false": False, "none": None, "null": None}
    if text.lower() in lowered:
        return lowered[text.lower()]
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def backend_options(items, declared: dict) -> dict:
    """``["brian2.codegen=cython", "threads=2"]`` -> ``{"brian2": {"codegen": "cython"},
    "nest": {"threads": 2}}``: a KEY without a backend goes to every backend in ``declared``
    (``{backend: {option: help}}``) that declares it."""
    out: dict = {}
    for item in items:
        key, sep, raw = item.partition("=")
        backend, dot, name = key.strip().rpartition(".")
        if not sep or not name.isidentifier() or (dot and not backend):
            raise HubError(
                f"--option: {item!r} is not [BACKEND.]KEY=VALUE; write e.g. "
                "--option brian2.codegen=cython"
            )
        value = literal(raw.strip())
        if backend:
            if backend not in declared:
                raise HubError(
                    f"--option: {item!r} names backend {backend!r}, which is not "
                    f"compared ({', '.join(declared)})"
                )
            out.setdefault(backend, {})[name] = value
            continue
        targets = [b for b, opts in declared.items() if name in opts]
        if not targets:
            raise HubError(
                f"--option: no compared backend declares {name!r}; write "
                f"BACKEND.{name}=... or see `snn-hub backends`"
            )
        for b in targets:
            out.setdefault(b, {})[name] = value
    return out


def need_matplotlib(flag: str) -> None:
    if importlib.util.find_spec("matplotlib") is None:
        raise HubError(f"{flag}: matplotlib is not installed; pip install 'snn-hub[plot]'")


def model_duration(value, model: LoadedModel) -> float:
    duration = value if value is not None else model.duration
    if duration is None:
        raise HubError(f"--duration: {model.source!r} sets no DURATION; give --duration MS")
    return float(duration)


def progress_bar(args, label):
    """A tqdm bar on stderr (after 2 s when stderr is not a terminal), or None with
    ``--no-progress``."""
    if getattr(args, "no_progress", False):
        return None
    from ..progress import cli_bar

    return cli_bar(label)


# --- arguments several commands declare -------------------------------------------------------
def add_model(p, nargs=None, help=MODEL_HELP) -> None:
    p.add_argument("model", metavar="MODEL", nargs=nargs, help=help)


def add_duration(p, help="simulated time in ms (default: the module's DURATION)") -> None:
    p.add_argument("--duration", "-t", type=float, default=None, metavar="MS", help=help)


def add_option(
    p, metavar="KEY=VALUE", help="backend option, e.g. --option threads=2 (repeatable)"
) -> None:
    p.add_argument("--option", action="append", default=[], metavar=metavar, help=help)


def add_param(p, help="keyword argument for the builder's build() (repeatable)") -> None:
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help=help)


def add_json(p, help=None) -> None:
    p.add_argument("--json", action="store_true", help=help)


def add_backends(p, help: str) -> None:
    """``--backends/--backend/-b A,B``: comma-separated, repeatable (``-b nest -b chip``);
    read with :func:`backend_names`."""
    p.add_argument(
        "--backends",
        "--backend",
        "-b",
        dest="backends",
        action="append",
        default=[],
        metavar="A,B",
        help=f"{help}; comma-separated or repeated",
    )


def backend_names(values) -> list[str]:
    """``["nest,brian2", "chip"]`` -> ``["nest", "brian2", "chip"]``."""
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def one_backend(name: str) -> None:
    """``run`` and ``validate`` take one backend: a comma list gets a pointer to
    ``compare``."""
    if "," in name:
        raise HubError(
            f"--backend: {name!r} names several backends; this command takes one; "
            f"run several with `{PROG} compare MODEL -b {name}`"
        )


def add_no_progress(p) -> None:
    p.add_argument("--no-progress", action="store_true", help="never draw a progress bar")


def add_no_memory_check(p) -> None:
    p.add_argument(
        "--no-memory-check",
        action="store_true",
        help="run even when the estimated peak memory exceeds the available memory (hub.memory)",
    )
