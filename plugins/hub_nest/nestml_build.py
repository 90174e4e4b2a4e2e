"""Generate and compile NESTML models into one NEST extension module (run as a script).

    python nestml_build.py MODULE_NAME TARGET_DIR INSTALL_DIR NEST_PREFIX VERSION OPTIONS \
        MODEL.nestml [SYNAPSE.nestml ...]

``OPTIONS`` is a JSON object of further code-generator options (``{}`` for a neuron alone;
the neuron-synapse pairing of :mod:`hub_nest.nestml_rules` for a neuron with the synapses of
its learning rules).  :mod:`hub_nest.modules` runs this in a child process with the working
directory set to a scratch directory (pynestml writes a ``report/`` directory there and
keeps global state); ``nest_path`` and ``nest_version`` are given, but NESTML imports NEST
when it pairs a neuron with synapses, which is one more reason for a child process.  It
prints one JSON line: the number of patched spike-port reads.

Before CMake runs, the generated C++ loses NESTML's unit factor on spike-port reads: a port
is typed 1/s, so a read ``port * 1 s`` becomes
``(0.001 * B_.spike_inputs_grid_sum_[...]) * 1000.``, which rounds the weight sum; it is
replaced by the sum itself.  A read left unpatched is an error.

A synapse with a teacher (a volume-transmitter port, ``vt_ports`` in the options) is
patched too (:func:`patch_teacher`), so that it follows the hub's event order.  Every patch
replaces text that must occur a fixed number of times; otherwise the build fails, naming it.
"""

from __future__ import annotations

import json
import os
import re
import sys

FACTOR = re.compile(
    r"\(0\.001 \* (B_\.spike_inputs_grid_sum_\[[A-Za-z0-9_]+ - MIN_SPIKE_RECEPTOR\])\) \* 1000\."
)
LEFT = "0.001 * B_.spike_inputs_grid_sum_"


def patch_spike_factor(directory: str) -> int:
    """Remove the unit factor from every spike-port read in the C++ under ``directory``;
    returns how many reads were patched; raises if one is left."""
    total = 0
    for name in sorted(os.listdir(directory)):
        if not name.endswith((".cpp", ".h")):
            continue
        path = os.path.join(directory, name)
        with open(path) as f:
            text = f.read()
        patched, n = FACTOR.subn(r"\1", text)
        if LEFT in patched:
            raise RuntimeError(f"a spike-port read keeps NESTML's unit factor in {path}")
        if n:
            with open(path, "w") as f:
                f.write(patched)
            total += n
    return total


#: the synapse parameter holding the delay (ms) of the teacher's connection to its volume
#: transmitter (hub_nest.nestml_rules declares it, the session sets it)
VT_DELAY = "hub_s_vt_d"


def _teacher_edits(port: str) -> list[tuple[str, str, int]]:
    """(text, replacement, occurrences) of :func:`patch_teacher` for the port ``port``."""
    process = f"process_{port}_spikes_"
    eps = "kernel().connection_manager.get_stdp_eps()"
    stamp = (  # the teacher spike's stamp: the volume transmitter's time less VT_DELAY
        "nest::Time( nest::Time::step( nest::Time( nest::Time::ms( "
        "vt_spikes[ vt_spikes_idx_ ].spike_time_ ) ).get_steps() - "
        f"nest::Time::delay_ms_to_steps( P_.{VT_DELAY} ) ) ).get_ms()"
    )
    each = (
        "for ( long hub_m = std::lround( vt_spikes[ vt_spikes_idx_ ].multiplicity_ ); "
        "hub_m > 0; --hub_m ) {"
    )
    end = "      /**\n       *  End NESTML generated onReceive code block for volume transmitter"
    return [
        # t in the handler (NESTML 9 defines none there) is the teacher spike's stamp time,
        # and the handler runs once per spike (the volume transmitter sums a step's spikes)
        (
            "++vt_spikes_idx_;\n",
            f"++vt_spikes_idx_;\n    auto get_t = [&vt_spikes, this](){{ return {stamp}; }};\n"
            f"    {each}\n",
            2,
        ),
        (
            "    // process remaining dopa spikes in (t0, t1]\n",
            "    }\n    // process remaining dopa spikes in (t0, t1]\n",
            1,
        ),
        (end, "      }\n" + end, 1),
        # before a postsynaptic spike at t_post: the teacher spikes stamped strictly earlier
        # (the volume transmitter holds them at stamp + VT_DELAY)
        (
            f"{process}( vt_spikes, t0, start->t_ + __dendritic_delay, cp );",
            f"{process}( vt_spikes, t0, start->t_ + P_.{VT_DELAY} - 2.0 * {eps}, cp );",
            1,
        ),
        # before the presynaptic spike at t: those that reach the synapse up to t (stamp + d)
        (
            f"{process}( vt_spikes, t_lastspike_, __t_spike, cp );",
            f"{process}( vt_spikes, t_lastspike_, "
            f"__t_spike - __dendritic_delay + P_.{VT_DELAY}, cp );",
            1,
        ),
        # NESTML 9 leaves the index into the volume transmitter's spikes uninitialised
        (
            "  t_lastspike_ = 0.;\n  t_last_update_ = 0.;\n",
            "  t_lastspike_ = 0.;\n  t_last_update_ = 0.;\n  vt_spikes_idx_ = 0;\n",
            1,
        ),
        (
            "  t_lastspike_ = rhs.t_lastspike_;\n",
            "  t_lastspike_ = rhs.t_lastspike_;\n  vt_spikes_idx_ = rhs.vt_spikes_idx_;\n",
            1,
        ),
        # a delivery by the volume transmitter would run the events after the last
        # presynaptic spike and reset the index: the session makes its interval longer than
        # the run, and one that happens anyway is an error
        (
            "  // propagate all state variables in the synapse to time t_trig\n",
            '  throw nest::KernelException( "hub: a volume transmitter delivered to a synapse '
            'with a teacher (its deliver_interval must exceed the run)" );\n',
            1,
        ),
    ]


def patch_teacher(directory: str, synapses: dict[str, str]) -> int:
    """Make the C++ of each synapse (name -> its volume-transmitter port) follow the hub's
    event order for teacher spikes (hub.equations.rules): NESTML 9 runs a volume
    transmitter's spikes before the postsynaptic spikes of the same time, at their time at
    the volume transmitter, also at the volume transmitter's deliveries (events after the
    last presynaptic spike), once per step whatever their number, and its handler has no
    ``t``.  Returns the number of synapses patched; raises if a text to replace is not
    found as often as expected."""
    done = 0
    for synapse, port in sorted(synapses.items()):
        found = [
            n
            for n in os.listdir(directory)
            if n.startswith(f"{synapse}__with_") and n.endswith(".h")
        ]
        if len(found) != 1:
            raise RuntimeError(f"NESTML generated {found or 'no'} C++ header for {synapse}")
        path = os.path.join(directory, found[0])
        with open(path) as f:
            text = f.read()
        for old, new, count in _teacher_edits(port):
            if text.count(old) != count:
                raise RuntimeError(
                    f"{path}: {old!r} occurs {text.count(old)} times, not {count} "
                    "(NESTML's output changed: the teacher patch needs revising)"
                )
            text = text.replace(old, new)
        with open(path, "w") as f:
            f.write(text)
        done += 1
    return done


def _teachers(options: dict) -> dict[str, str]:
    """Synapse name -> its volume-transmitter port, from the code-generator options."""
    out = {}
    for pair in options.get("neuron_synapse_pairs", ()):
        for synapse, spec in pair.get("synapses", {}).items():
            ports = spec.get("vt_ports") or []
            if len(ports) > 1:
                raise RuntimeError(f"{synapse}: one volume-transmitter port at most")
            if ports:
                out[synapse] = ports[0]
    return out


def build(sources, module, target, install, prefix, version, options=None) -> int:
    import pynestml.codegeneration.nest_builder as nest_builder
    from pynestml.frontend.frontend_configuration import FrontendConfiguration
    from pynestml.frontend.pynestml_frontend import generate_nest_target

    original = nest_builder.NESTBuilder.build
    patched = []

    def build_patched(self):
        where = FrontendConfiguration.get_target_path()
        patched.append(patch_spike_factor(where))
        patch_teacher(where, _teachers(options or {}))
        return original(self)

    nest_builder.NESTBuilder.build = build_patched
    os.makedirs(target, exist_ok=True)
    generate_nest_target(
        input_path=sources if len(sources) > 1 else sources[0],
        target_path=target,
        install_path=install,
        module_name=module,
        logging_level="ERROR",
        codegen_opts={
            "nest_path": prefix,
            "nest_version": f"v{version}",
            "redirect_build_output": True,
            "build_output_dir": os.path.abspath(target),
            **(options or {}),
        },
    )
    if not patched:
        raise RuntimeError("pynestml did not reach the C++ build step")
    return patched[0]


if __name__ == "__main__":
    module, target, install, prefix, version, options, *sources = sys.argv[1:]
    n = build(sources, module, target, install, prefix, version, json.loads(options))
    print(json.dumps({"patched": n}))
