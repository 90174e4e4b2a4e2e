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


def build(sources, module, target, install, prefix, version, options=None) -> int:
    import pynestml.codegeneration.nest_builder as nest_builder
    from pynestml.frontend.frontend_configuration import FrontendConfiguration
    from pynestml.frontend.pynestml_frontend import generate_nest_target

    original = nest_builder.NESTBuilder.build
    patched = []

    def build_patched(self):
        patched.append(patch_spike_factor(FrontendConfiguration.get_target_path()))
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
