"""Builder modules, the model format that is code.

A builder module defines ``build(**kwargs) -> hub.Network`` and optionally ``DURATION``
(ms); loading it runs it, as ``python script.py`` would.  Data formats (``.npz`` written by
``hub.save``, a plugin's formats) never execute code; see :mod:`hub.formats`.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path

from .errors import HubError
from .formats import LoadedModel, ModelFormat


def load_builder(spec: str, params: dict | None = None, kinds=None) -> LoadedModel:
    """Run the builder module ``spec`` (a ``.py`` path or a dotted module name): import it,
    call its ``build(**params)``, take its ``DURATION`` (ms) if it has one."""
    from .ir import Network

    params = dict(params or {})
    path = Path(spec)
    module = _import_builder(spec, path)
    build = getattr(module, "build", None)
    if not callable(build):
        raise HubError(
            f"MODEL: {spec!r} has no build() function; define build(**kwargs) -> hub.Network in it"
        )
    try:
        net = build(**params)
    except HubError:
        raise
    except TypeError as exc:
        if params and "argument" in str(exc):
            raise HubError(
                f"--param: build() of {spec!r} rejected {sorted(params)}: {exc}"
            ) from exc
        raise builder_failed(spec, path, "running build() of", exc) from exc
    except Exception as exc:
        raise builder_failed(spec, path, "running build() of", exc) from exc
    if not isinstance(net, Network):
        raise HubError(
            f"MODEL: build() of {spec!r} returned {type(net).__name__}, not a "
            "hub.Network; return the network you built"
        )
    return LoadedModel(net, getattr(module, "DURATION", None), spec)


#: builder modules as a model format: code, run when loaded
BUILDER = ModelFormat(
    "builder",
    (".py",),
    load_builder,
    executes_code=True,
    modules=True,
    description="a Python module with build(**kwargs) -> hub.Network (runs as code)",
)


def builder_failed(spec: str, path: Path, stage: str, exc: Exception) -> HubError:
    """One line for an exception raised by a builder module's own code: what failed, where
    in the module, and how to see the whole traceback."""
    import traceback

    here = path.resolve()
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename) == here]
    where = f" (line {frames[-1].lineno} of {path.name})" if frames else ""
    return HubError(
        f"MODEL: {stage} {spec!r} failed: {type(exc).__name__}: {exc}{where}; the builder "
        "module is Python code: fix it, or rerun with --traceback for the full traceback"
    )


def _import_builder(spec: str, path: Path):
    if path.suffix == ".py" or os.sep in spec or "/" in spec:
        if not path.is_file():
            raise HubError(
                f"MODEL: no such file {spec!r}; give a .npz written by hub.save "
                "or a builder module (.py)"
            )
        name = f"_snn_hub_model_{abs(hash(str(path.resolve())))}_{path.stem}"
        module_spec = importlib.util.spec_from_file_location(name, path)
        if module_spec is None or module_spec.loader is None:
            raise HubError(
                f"MODEL: {spec!r} cannot be imported as a Python module; give a "
                "builder module (.py)"
            )
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[name] = module
        sys.path.insert(0, str(path.resolve().parent))  # sibling helpers of the builder
        try:
            module_spec.loader.exec_module(module)
        except HubError:
            sys.modules.pop(name, None)
            raise
        except Exception as exc:
            sys.modules.pop(name, None)
            raise builder_failed(spec, path, "importing", exc) from exc
        except BaseException:
            sys.modules.pop(name, None)
            raise
        finally:
            sys.path.remove(str(path.resolve().parent))
        return module
    try:
        return importlib.import_module(spec)
    except ModuleNotFoundError as exc:
        if exc.name and spec.startswith(exc.name):
            raise HubError(
                f"MODEL: {spec!r} is neither a file nor an importable module; give "
                "a .npz written by hub.save or a builder module (.py)"
            ) from exc
        raise


def default_models_dir() -> Path:
    """``./models`` if it exists, else the reference networks shipped beside the hub."""
    here = Path.cwd() / "models"
    if here.is_dir():
        return here
    return Path(__file__).resolve().parent.parent / "models"


__all__ = ["BUILDER", "LoadedModel", "load_builder", "builder_failed", "default_models_dir"]
