"""The NEST backend object: declared capabilities, build, versions.

NEST is imported only when a network is built (or versions are asked for), so listing
backends stays fast.  Other plugins may teach this backend new models through the
``hub_register_translations(backend_name="nest")`` hook by returning
``{model label: hub_nest.NestModel}``.  Custom neuron models (``hub.define_neuron``) run
as NESTML modules compiled against the imported NEST (plugins/hub_nest/custom.py).
"""

from __future__ import annotations

import hub.features as F
from hub.backend import Backend, Capabilities, Option, Tolerance, convert_options, cpu_bound

from hub import mpi

from . import modules
from .layout import Layout, populations_of
from .models import TABLES, NestModel
from .plasticity import LABELS

OPTIONS = {
    "threads": Option(
        "threads",
        int,
        1,
        "OpenMP threads per process (on a busy machine more threads can be much slower; "
        "at most 4 per CPU, at least 8)",
        minimum=1,
        maximum=cpu_bound(),
    )
}


#: the models NEST integrates with GSL's adaptive RKF45, measured against the kit's ODE
#: reference (hub.testing.ode_reference; the ode checks' feedforward networks, 60 neurons,
#: 100 ms, seeds 1-3): tier 1's 1e-9 mV is out of reach of an absolute tolerance of 1e-3
#: (iaf_cond_*, hh_cond_exp_traub) or 1e-6 (aeif_*)
_ODE_TOLERANCES = {
    "LIFCond[synapse=exp]": Tolerance(
        2, note="GSL RKF45 vs the ODE reference: identical spikes, |dV| <= 6.7e-9 mV"
    ),
    "LIFCond[synapse=alpha]": Tolerance(
        2, note="GSL RKF45 vs the ODE reference: identical spikes, |dV| <= 5.2e-8 mV"
    ),
    "AdEx[synapse=exp]": Tolerance(
        3,
        spike_ms=0.2,
        matched=0.98,
        note="GSL RKF45 (spike found at the end of a solver step) vs the ODE reference: "
        "identical spikes, |dV| up to 0.2 mV in the upstroke",
    ),
    "AdEx[synapse=alpha]": Tolerance(
        3,
        spike_ms=0.2,
        matched=0.98,
        note="GSL RKF45 (spike found at the end of a solver step) vs the ODE reference: "
        "99 % of spikes in the same step, all within one step",
    ),
    "HodgkinHuxley": Tolerance(
        3,
        spike_ms=0.2,
        matched=0.98,
        note="GSL RKF45 vs the ODE reference: 99.5 % of spikes in the same step, all within "
        "one step; |dV| up to 6 mV during spikes",
    ),
}


class NestBackend(Backend):
    """Runs resolved networks on NEST 3 (the reference simulator of the contract)."""

    name = "nest"

    def tables(self) -> dict[str, NestModel]:
        """Built-in translation tables plus those other plugins registered for ``nest``
        (handed over by the host as ``self.translations``)."""
        return {
            **TABLES,
            **{k: v for k, v in self.translations.items() if isinstance(v, NestModel)},
        }

    def capabilities(self) -> Capabilities:
        tables = self.tables()
        features = F.declared(
            (
                F.SPIKE_SOURCE,
                F.POISSON_NATIVE,
                F.CONNECT_NATIVE,
                F.CURRENT_STEP,
                F.SYNAPSE_STATIC,
                F.RECEPTOR_INHIBITORY,
                F.RECORD_SYNAPSE,
                F.PARAMETER_CHANGE,
                F.CHANGE_I_OFFSET,
            ),
            LABELS,
            {label: table.record for label, table in tables.items()},
        )
        refusals = {}
        why = modules.unavailable()  # custom models need a NEST that can compile modules
        custom_rule = F.plasticity("CustomRule")
        if why is None:
            features = features | {F.NEURON_CUSTOM, custom_rule}
        else:
            refusals[F.NEURON_CUSTOM] = why
            refusals[custom_rule] = modules.unavailable("learning rules written as statements")
        tolerances = {}
        for label, table in tables.items():
            tolerances[label] = _ODE_TOLERANCES.get(label) or Tolerance(
                1, note=f"NEST {table.nest_model} is the reference"
            )
        tolerances["Custom"] = Tolerance(  # every custom model (neuron:Custom)
            1,
            note="the hub's statements for the model compiled by NESTML, one operation per "
            "line: the same doubles as Brian2 runs (plugins/hub_nest/custom.py)",
        )
        return Capabilities(features, tolerances, options=dict(OPTIONS), refusals=refusals)

    #: one run spans the processes of an MPI job (NEST built with MPI: docs/distributed.md)
    distributed = True

    def share(self, network, threads: int = 1, **options):
        """Inside an MPI job, the neurons that live on this rank (plugins/hub_nest/layout.py);
        None in a single process (NEST is not imported then)."""
        if mpi.launched_size() <= 1:
            return None
        from .distributed import check_processes
        from .session import import_nest

        nest = import_nest()
        processes = check_processes(nest)
        if processes == 1:
            return None
        return Layout(populations_of(network), processes, threads or 1).share(nest.Rank())

    def build(self, resolved, threads: int = 1, **options):
        """Reset the NEST kernel and build ``resolved`` in it; ``threads`` as in OPTIONS.
        Custom neuron models are compiled (or taken from the cache) first, before NEST's
        kernel is touched; a NEST that cannot compile them is refused then; a built-in
        population that a rule written as statements targets runs as its twin written as
        equations (plugins/hub_nest/custom.py)."""
        checked = convert_options(self.name, OPTIONS, {"threads": threads, **options})
        custom = {}
        if _writes_equations(resolved):
            from .custom import tables_for, with_twins

            resolved = with_twins(resolved)
            custom = tables_for(resolved)
        from .session import NestSession

        return NestSession(resolved, {**self.tables(), **custom}, checked["threads"] or 1)

    def versions(self) -> dict[str, str]:
        """NEST version and build facts (threads model, MPI, GSL), for provenance."""
        from .session import import_nest

        nest = import_nest()
        info = nest.build_info
        return {
            "nest-simulator": nest.__version__,
            "nest.threads_model": str(info.get("threads_model", "")),
            "nest.have_mpi": str(info.get("have_mpi", "")),
            "nest.have_gsl": str(info.get("have_gsl", "")),
        }


def _writes_equations(resolved) -> bool:
    """Whether a network has models or rules written as equations (only then is the machinery
    that compiles them imported)."""
    return any(p.model.kind == "Custom" for p in resolved.populations.values()) or any(
        p.rule is not None and p.rule.kind == "CustomRule" for p in resolved.projections
    )
