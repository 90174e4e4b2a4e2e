"""The Brian2 backend object: declared capabilities, options, build, versions.

Brian2 is imported only when a network is built (or versions are asked for).  Other
plugins may teach this backend new models through
``hub_register_translations(backend_name="brian2")`` by returning
``{model label: hub_brian2.B2Model}``.
"""

from __future__ import annotations

import os

import hub.features as F
from hub.backend import Backend, Capabilities, Option, convert_options, cpu_bound
from hub.errors import HubError

from .stability import check_rk4

from .compiled import STRICT_GCC_FLAGS
from .models import CUSTOM_TOLERANCE, DEFAULT_SUBSTEPS, TABLES, B2Model
from .plasticity import LABELS as PLASTIC_LABELS

__all__ = ["OPTIONS", "STRICT_GCC_FLAGS", "Brian2Backend", "default_cache_dir"]
CODEGENS = ("auto", "numpy", "cython", "standalone")

OPTIONS = {
    o.name: o
    for o in (
        Option(
            "codegen",
            str,
            "auto",
            "'auto': 'cython' when the compiler cache already holds this network or the run has "
            "at least 3e8 neuron-steps (neurons x steps) and Cython and a C++ compiler are there, "
            "else 'numpy'; 'numpy': nothing to compile; 'cython': the model updates and synaptic "
            "pathways compiled with " + " ".join(STRICT_GCC_FLAGS) + " (the rest stays numpy "
            "code; a cold cache adds about 8 s to CUBA, a warm one saves about 1 s per simulated "
            "second); 'standalone': the whole network as one C++ program (Brian2's "
            "cpp_standalone device, same flags; compiles once per network structure, then "
            "runs at compiled speed; refuses parameter changes between segments, plasticity "
            "and native Poisson sources with several targets per neuron, and adds inputs in "
            "Brian2's order where NEST's needs a sort: tier 2 there). All give the same "
            "numbers (strict IEEE) where NEST's order is kept; see docs/brian2.md",
            choices=CODEGENS,
        ),
        Option(
            "substeps",
            object,
            None,
            "RK4 steps per dt for conductance models (1..100): an int for all, or {kind: int} "
            "(defaults " + ", ".join(f"{k} {v}" for k, v in DEFAULT_SUBSTEPS.items()) + ")",
        ),
        Option(
            "nest_order",
            bool,
            True,
            "True: add the inputs a neuron receives in one step in NEST's order (bit-identical "
            "sums; costs a sort per step and pathway when NEST's min_delay is more than one "
            "step and delays differ); False: Brian2's order (sums may differ from NEST's in the "
            "last bit)",
        ),
        Option(
            "cache_dir",
            str,
            None,
            "Cython cache directory (default ~/.cache/snn-hub/brian2-cython-<hash of the "
            "compiler flags>; Brian2's own cache key ignores compiler flags, so it must not be "
            "shared with non-strict builds); with codegen='standalone' the directory of the "
            "C++ projects (default ~/.cache/snn-hub/brian2-standalone-<hash of the flags>)",
        ),
        Option(
            "jobs",
            int,
            None,
            "processes compiling missing Cython modules (default 1: Brian2's own sequential "
            "compilation; n > 1: n forked workers, which only helps on idle cores; at most 4 "
            "per CPU, at least 8); codegen='standalone': make -j (default 2)",
            minimum=1,
            maximum=cpu_bound(),
        ),
    )
}


def default_cache_dir() -> str:
    import hashlib

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    flags = hashlib.sha256(" ".join(STRICT_GCC_FLAGS).encode()).hexdigest()[:10]
    return os.path.join(base, "snn-hub", f"brian2-cython-{flags}")


class Brian2Backend(Backend):
    """Runs resolved networks on Brian2 (runtime mode, numpy or strict Cython; or C++
    standalone)."""

    name = "brian2"

    def tables(self) -> dict[str, B2Model]:
        """Built-in model tables plus those other plugins register for ``brian2``."""
        return {**TABLES, **{k: v for k, v in self.translations.items() if isinstance(v, B2Model)}}

    def capabilities(self) -> Capabilities:
        tables = self.tables()
        features = F.declared(
            (
                F.SPIKE_SOURCE,
                F.POISSON_NATIVE,
                F.CURRENT_STEP,
                F.SYNAPSE_STATIC,
                F.RECEPTOR_INHIBITORY,
                F.RECORD_SYNAPSE,
                F.PARAMETER_CHANGE,
                F.CHANGE_I_OFFSET,
                F.NEURON_CUSTOM,
            ),
            PLASTIC_LABELS,
            {label: table.record for label, table in tables.items()},
        )
        tolerances = {label: table.tolerance for label, table in tables.items()}
        tolerances["Custom"] = CUSTOM_TOLERANCE
        return Capabilities(features, tolerances, options=dict(OPTIONS))

    def build(
        self,
        resolved,
        codegen: str = "auto",
        substeps=None,
        cache_dir=None,
        nest_order=True,
        jobs=None,
        **options,
    ):
        """Build ``resolved`` in a fresh Brian2 ``Network``; options as in ``OPTIONS``."""
        o = convert_options(
            self.name,
            OPTIONS,
            dict(
                codegen=codegen,
                substeps=substeps,
                cache_dir=cache_dir,
                nest_order=nest_order,
                jobs=jobs,
                **options,
            ),
        )
        standalone = o["codegen"] == "standalone"
        if o["jobs"] is None:
            from .compiled import default_jobs

            o["jobs"] = min(2, os.cpu_count() or 1) if standalone else default_jobs()
        steps = _substeps(o["substeps"])
        check_rk4(resolved, steps, MAX_SUBSTEPS)  # before Brian2 is touched
        from .standalone import check, default_root

        if standalone:
            check(resolved)  # what standalone mode cannot run, before Brian2 is touched
            root = o["cache_dir"] or default_root()
        else:  # codegen="auto" may choose standalone: its projects beside the Cython cache
            root = os.path.join(o["cache_dir"], "standalone") if o["cache_dir"] else None
        from .session import Brian2Session

        custom = {}
        if any(p.model.kind == "Custom" for p in resolved.populations.values()):
            from .custom import tables_for  # (hub.equations: only for custom models)

            custom = tables_for(resolved)
        return Brian2Session(
            resolved,
            {**self.tables(), **custom},
            codegen=o["codegen"] or "auto",
            substeps=steps,
            cache_dir=o["cache_dir"] or default_cache_dir(),
            nest_order=True if o["nest_order"] is None else o["nest_order"],
            jobs=o["jobs"],
            standalone_root=root,
        )

    def versions(self) -> dict[str, str]:
        """Brian2's and Cython's versions and the schedule.  What a run's arithmetic also
        depends on (its codegen target and compiler flags) is a property of that run: its
        results carry it (``provenance["versions"]["brian2.codegen"]``, ``["brian2"]``)."""
        # through the session module: the layer that builds networks is imported with Brian2
        # (as hub_nest imports its session with NEST), not inside the first build
        from .session import import_brian2

        out = {
            "brian2": import_brian2().__version__,
            "brian2.schedule": "start,groups,synapses,thresholds,resets,end",
        }
        try:
            import Cython

            out["cython"] = Cython.__version__
        except ImportError:  # pragma: no cover
            pass
        return out


#: the most RK4 substeps per dt: the generated code holds one copy of the update per substep
MAX_SUBSTEPS = 100


def _substeps(substeps) -> dict[str, int]:
    """RK4 substeps per model kind: the defaults, overridden by one int for all kinds (an
    int or a string of digits) or by ``{kind: int}``."""
    steps = dict(DEFAULT_SUBSTEPS)
    if substeps is not None:
        if isinstance(substeps, str) and substeps.strip().isdigit():
            substeps = int(substeps)  # from the command line
        if isinstance(substeps, dict):
            unknown = set(substeps) - set(steps)
            if unknown:
                raise HubError(
                    f"brian2: substeps for unknown kinds {sorted(unknown)}; known: {sorted(steps)}"
                )
            steps.update(substeps)
        else:
            steps = {k: substeps for k in steps}
    for kind, n in steps.items():
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_SUBSTEPS:
            raise HubError(
                f"brian2: substeps={n!r} for {kind} must be an integer 1 <= n <= {MAX_SUBSTEPS}"
                " (each substep is a copy of the RK4 update in the generated code)"
            )
    return steps
