"""The NEST backend object: declared capabilities, build, versions.

NEST is imported only when a network is built (or versions are asked for), so listing
backends stays fast.  Other plugins may teach this backend new models through the
``hub_register_translations(backend_name="nest")`` hook by returning
``{model label: hub_nest.NestModel}``.
"""
from __future__ import annotations

from hub.backend import Backend, Capabilities, Tolerance
from hub.errors import HubError

from .models import TABLES, NestModel
from .plasticity import LABELS

OPTIONS = {"threads": "OpenMP threads per process (int >= 1, default 1; on a busy machine "
                      "more threads can be much slower)"}


class NestBackend(Backend):
    """Runs resolved networks on NEST 3 (the reference simulator of the contract)."""

    name = "nest"

    def tables(self) -> dict[str, NestModel]:
        """Built-in translation tables plus those other plugins registered for ``nest``
        (handed over by the host as ``self.translations``)."""
        return {**TABLES, **{k: v for k, v in self.translations.items()
                             if isinstance(v, NestModel)}}

    def capabilities(self) -> Capabilities:
        tables = self.tables()
        features = {"spike_source", "source.poisson_native", "current:step", "synapse:Static", "receptor:inhibitory",
                    "record:synapse", *(f"plasticity:{label}" for label in LABELS)}
        tolerances = {}
        for label, table in tables.items():
            features.add(f"neuron:{label}")
            features.update(f"record:{label}.{var}" for var in table.record)
            tolerances[label] = Tolerance(1, note=f"NEST {table.nest_model} is the reference")
        return Capabilities(frozenset(features), tolerances, options=dict(OPTIONS))

    def build(self, resolved, threads: int = 1, **options):
        """Reset the NEST kernel and build ``resolved`` in it; ``threads`` as in OPTIONS."""
        from .session import NestSession

        if options:
            raise HubError(f"nest: unknown option(s) {sorted(options)}; known: {sorted(OPTIONS)}")
        if isinstance(threads, str) and threads.strip().isdigit():
            threads = int(threads)  # from the command line
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise HubError(f"nest: threads={threads!r} must be an integer >= 1")
        return NestSession(resolved, self.tables(), threads)

    def versions(self) -> dict[str, str]:
        """NEST version and build facts (threads model, MPI, GSL), for provenance."""
        from .session import import_nest

        nest = import_nest()
        info = nest.build_info
        return {"nest-simulator": nest.__version__,
                "nest.threads_model": str(info.get("threads_model", "")),
                "nest.have_mpi": str(info.get("have_mpi", "")),
                "nest.have_gsl": str(info.get("have_gsl", ""))}

