"""Placing populations onto cores, and the per-core resource accounting.

Every core holds at most 1024 compartments, 4096 input axons, 4096 output axons and 128 KB
of synapse memory (nengo-loihi ``block.py``); a chip has 128 cores.

* A population is cut into chunks of at most ``cap`` neurons (all compartments of a neuron
  on one core); a population that fits in the space left on the current core shares it.
* An *input axon* of a core is one (projection, presynaptic neuron or source) pair with at
  least one synapse on the core; an *output axon* of a core is one (neuron on the core,
  projection, destination core) triple.  Each spike sends one message per output axon.
* Synapse memory follows nengo-loihi's ``SynapseConfig.bits_per_axon``: the weights of one
  axon are stored in blocks of up to 64, each block costs ``n * bits_per_weight + 10`` bits
  rounded up to a 64-bit word; ``bits_per_weight`` = 8 weight bits + delay bits (+ the
  compartment index bits in the sparse format).  A synapse group (projection x core) uses
  the cheaper of the sparse and the dense format.
* When a core exceeds a limit the chunk size of its population shrinks (or shared cores
  are split) and the placement is redone; when even one neuron per core does not fit, or
  the cores run out, :class:`hub.ResourceError` names the constraint and the excess.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from hub.errors import ResourceError

from .spec import LOIHI, ChipSpec


@dataclass
class MapPopulation:
    label: str
    size: int
    compartments_per_neuron: int


@dataclass
class MapProjection:
    pre: str
    post: str
    pre_idx: np.ndarray  # sorted by (pre, post)
    post_idx: np.ndarray
    delay: np.ndarray  # programmed delays (0..62)
    pre_is_source: bool

    def max_delay_into(self, n_post: int) -> np.ndarray:
        """Per target neuron, the longest programmed delay of its synapses (0 if none), in
        one pass: a flag per (neuron, delay) present, then the last flag of each row."""
        d = np.asarray(self.delay, np.int64)
        if not len(d):
            return np.zeros(n_post, np.int64)
        width = int(d.max()) + 1
        present = np.zeros((n_post, width), bool)
        present.reshape(-1)[self.post_idx * width + d] = True
        return (width - 1 - np.argmax(present[:, ::-1], axis=1)) * present.any(axis=1)


@dataclass
class AxonRuns:
    """The (presynaptic index, destination core) runs of one projection: one input axon
    each, ``count`` synapses each."""

    pre: np.ndarray
    core: np.ndarray
    count: np.ndarray


@dataclass
class Mapping:
    spec: ChipSpec
    chips: int
    core_of: dict  # label -> int64[size] core of each neuron
    chunks: list  # per core: list of (label, start, stop)
    compartments: np.ndarray  # per core
    in_axons: np.ndarray
    out_axons: np.ndarray
    synapse_bits: np.ndarray
    runs: list = field(default_factory=list)  # AxonRuns per projection
    iterations: int = 1

    @property
    def n_cores(self) -> int:
        return len(self.chunks)

    def position(self, core):
        """(chip, tile, x, y) of cores in a mesh of chips laid side by side east-west."""
        s = self.spec
        core = np.asarray(core)
        chip = core // s.cores_per_chip
        tile = (core % s.cores_per_chip) // s.cores_per_tile
        return chip, tile, chip * s.mesh_width + tile % s.mesh_width, tile // s.mesh_width

    def utilisation(self) -> list[dict]:
        s = self.spec
        chip, tile, x, y = self.position(np.arange(self.n_cores))
        out = []
        for c, chunk in enumerate(self.chunks):
            out.append(
                {
                    "core": c,
                    "chip": int(chip[c]),
                    "tile": int(tile[c]),
                    "populations": {lab: [int(a), int(b)] for lab, a, b in chunk},
                    "compartments": int(self.compartments[c]),
                    "in_axons": int(self.in_axons[c]),
                    "out_axons": int(self.out_axons[c]),
                    "synapse_bits": int(self.synapse_bits[c]),
                    "fraction": {
                        "compartments": round(
                            float(self.compartments[c]) / s.compartments_per_core, 4
                        ),
                        "in_axons": round(float(self.in_axons[c]) / s.in_axons_per_core, 4),
                        "out_axons": round(float(self.out_axons[c]) / s.out_axons_per_core, 4),
                        "synapse_memory": round(
                            float(self.synapse_bits[c]) / s.synapse_bits_per_core, 4
                        ),
                    },
                }
            )
        return out


def _index_bits(spec: ChipSpec, n_comp: np.ndarray) -> np.ndarray:
    need = np.ceil(np.log2(np.maximum(n_comp, 2))).astype(np.int64)
    allowed = np.asarray(spec.index_bits_map)
    pos = np.searchsorted(allowed, need)
    return allowed[np.minimum(pos, len(allowed) - 1)]


def synapse_bits(n_weights: np.ndarray, bits_per_weight, spec: ChipSpec = LOIHI) -> np.ndarray:
    """Synapse memory of axons with ``n_weights`` weights each (nengo-loihi's formula)."""
    n = np.asarray(n_weights, np.int64)
    bpw = np.asarray(bits_per_weight, np.int64)
    per, word = spec.synapses_per_block, spec.memory_word_bits
    full, rest = n // per, n % per

    def block(k):
        raw = k * bpw + spec.block_header_bits
        return -word * (-raw // word)

    return full * block(per) + np.where(rest > 0, block(rest), 0)


def delay_bits(dmax) -> np.ndarray:
    d = np.asarray(dmax, np.int64)
    return np.where(d > 0, np.ceil(np.log2(d + 1)).astype(np.int64), 0)


def place(
    pops: list[MapPopulation],
    projections: list[MapProjection],
    chips: int = 1,
    spec: ChipSpec = LOIHI,
    max_iterations: int = 60,
) -> Mapping:
    """Place ``pops`` on cores of ``chips`` chips; raise ResourceError if they do not fit."""
    total = sum(p.size * p.compartments_per_neuron for p in pops)
    have = spec.compartments_per_chip * chips
    if total > have:
        need_chips = math.ceil(total / spec.compartments_per_chip)
        raise ResourceError(
            f"compartments: the network needs {total:,} compartments but {chips} chip(s) of "
            f"{spec.compartments_per_chip:,} have {have:,} ({total - have:,} too many); "
            f"configure chips={need_chips} or more"
        )
    for p in pops:
        if p.compartments_per_neuron > spec.compartments_per_core:
            raise ResourceError(
                f"compartments: a neuron of {p.label!r} needs "
                f"{p.compartments_per_neuron} compartments, a core has "
                f"{spec.compartments_per_core}"
            )
    sizes = {p.label: p.size for p in pops}
    delay_into = [j.max_delay_into(sizes[j.post]) for j in projections]
    cap = {p.label: spec.compartments_per_core // p.compartments_per_neuron for p in pops}
    share = {p.label: True for p in pops}
    for it in range(1, max_iterations + 1):
        mapping = _assign(pops, cap, share, chips, spec)
        _account(mapping, pops, projections, delay_into, spec)
        mapping.iterations = it
        limits = {
            "compartments": spec.compartments_per_core,
            "in_axons": spec.in_axons_per_core,
            "out_axons": spec.out_axons_per_core,
            "synapse_bits": spec.synapse_bits_per_core,
        }
        ratio = np.zeros(mapping.n_cores)
        worst = np.empty(mapping.n_cores, dtype=object)
        for name, lim in limits.items():
            r = getattr(mapping, name) / lim
            worse = r > ratio
            ratio[worse], worst[worse] = r[worse], name
        bad = np.flatnonzero(ratio > 1.0)
        if not len(bad):
            break
        for c in bad:
            chunk = mapping.chunks[c]
            if len(chunk) > 1:
                for lab, _, _ in chunk:
                    share[lab] = False
                continue
            lab, a, b = chunk[0]
            n_here = b - a
            if n_here <= 1:
                what = _describe(worst[c], getattr(mapping, worst[c])[c], limits[worst[c]])
                raise ResourceError(
                    f"{worst[c]}: one neuron of {lab!r} alone needs {what} "
                    "on its core; reduce its fan-in/fan-out"
                )
            cap[lab] = max(1, min(cap[lab], n_here - 1, int(n_here / ratio[c] * 0.98)))
    else:  # pragma: no cover - the caps shrink every round
        raise ResourceError("mapping did not converge; report this network as a bug")
    avail = spec.cores_per_chip * chips
    if mapping.n_cores > avail:
        need = math.ceil(mapping.n_cores / spec.cores_per_chip)
        raise ResourceError(
            f"cores: the placement needs {mapping.n_cores} cores but {chips} chip(s) have "
            f"{avail} ({mapping.n_cores - avail} too many; per-core limits of "
            f"{spec.compartments_per_core} compartments, {spec.in_axons_per_core} input "
            f"and {spec.out_axons_per_core} output axons and "
            f"{spec.synapse_bits_per_core // 8192} KB synapse memory); configure "
            f"chips={need} or more"
        )
    return mapping


def _describe(name, value, limit) -> str:
    if name == "synapse_bits":
        return f"{value / 8192:.1f} KB of synapse memory (limit {limit / 8192:.0f} KB)"
    return f"{int(value)} {name.replace('_', ' ')} (limit {limit})"


def _assign(pops, cap, share, chips, spec) -> Mapping:
    chunks: list[list] = []
    free = 0  # compartments left on the last core
    core_of = {}
    for p in pops:
        cpn, n = p.compartments_per_neuron, p.size
        cores = np.empty(n, np.int64)
        k = cap[p.label]
        last_shareable = chunks and all(share[lab] for lab, _, _ in chunks[-1])
        if share[p.label] and last_shareable and n <= k and n * cpn <= free:
            chunks[-1].append((p.label, 0, n))
            cores[:] = len(chunks) - 1
            free -= n * cpn
        else:
            for a in range(0, n, k):
                b = min(n, a + k)
                chunks.append([(p.label, a, b)])
                cores[a:b] = len(chunks) - 1
                free = spec.compartments_per_core - (b - a) * cpn if (b - a) < k else 0
        core_of[p.label] = cores.astype(np.int32)  # indexed per synapse: 4 bytes each
    zeros = np.zeros(len(chunks), np.int64)
    return Mapping(
        spec, chips, core_of, chunks, zeros.copy(), zeros.copy(), zeros.copy(), zeros.copy()
    )


def _account(m: Mapping, pops, projections, delay_into: list, spec) -> None:
    """Fill the per-core counts of ``m`` and its runs (one pass over each projection's
    synapses: the runs of (pre, core); everything else is per run or per neuron)."""
    nc = m.n_cores
    cpn = {p.label: p.compartments_per_neuron for p in pops}
    for p in pops:
        m.compartments += np.bincount(m.core_of[p.label], minlength=nc) * cpn[p.label]
    idx_bits = _index_bits(spec, m.compartments)
    # neurons of each population per core (the dense row width of a synapse group)
    per_core = {p.label: np.bincount(m.core_of[p.label], minlength=nc) for p in pops}
    m.runs = []
    for k, j in enumerate(projections):
        if len(j.pre_idx) == 0:
            m.runs.append(AxonRuns(*(np.zeros(0, np.int32),) * 3))
            continue
        runs = _runs(j.pre_idx, m.core_of[j.post][j.post_idx])
        m.runs.append(runs)
        core = runs.core
        m.in_axons += np.bincount(core, minlength=nc)
        if not j.pre_is_source:
            m.out_axons += np.bincount(m.core_of[j.pre][runs.pre], minlength=nc)
        dmax = np.zeros(nc, np.int64)
        np.maximum.at(dmax, m.core_of[j.post], delay_into[k])
        dbits = delay_bits(dmax)
        axons = np.bincount(core, minlength=nc)
        sparse = _sparse_bits(core, runs.count, 8 + dbits + idx_bits, spec)
        dense = axons * synapse_bits(per_core[j.post], 8 + dbits, spec)
        m.synapse_bits += np.minimum(sparse, dense).astype(np.int64)


def _runs(pre: np.ndarray, post_core: np.ndarray) -> AxonRuns:
    """The runs of equal (pre, core) in synapses sorted by (pre, post) (cores ascend with
    the neuron index, so each run is one input axon)."""
    n = len(pre)
    new = np.ones(n, bool)
    np.not_equal(pre[1:], pre[:-1], out=new[1:])
    new[1:] |= post_core[1:] != post_core[:-1]
    start = np.flatnonzero(new)
    count = np.diff(np.append(start, n)).astype(np.int32)
    return AxonRuns(pre[start].astype(np.int32), post_core[start], count)


def _sparse_bits(
    core: np.ndarray, count: np.ndarray, bits_per_weight: np.ndarray, spec
) -> np.ndarray:
    """Per core, the sparse-format synapse memory of runs of ``count`` weights on ``core``
    (``bits_per_weight`` per core): the runs are counted per (core, length), and each
    length's memory is computed once."""
    nc = len(bits_per_weight)
    longest = int(count.max()) + 1
    hist = np.bincount(core.astype(np.int64) * longest + count, minlength=nc * longest)
    hist = hist.reshape(nc, longest)
    cores, length = np.nonzero(hist)
    bits = synapse_bits(length, bits_per_weight[cores], spec) * hist[cores, length]
    return np.bincount(cores, weights=bits, minlength=nc).astype(np.int64)
