"""The compiled chip program: every compartment and synapse as integers, ready to run.

Compartments ``[0, n_neurons)`` are the spiking compartments of the hub neurons; the
compartments after them are auxiliary *dendrite* compartments (one per neuron whose
inhibitory synapses need their own current decay, see discretize.py).  An auxiliary
compartment has only a current u; compartment ``n_neurons + k`` is joined to neuron
``join_parent[k]``: its u (after this step's update) is added to the parent's v update
(a multi-compartment ADD join): ``v = decay(v) + u + u_aux + bias``.

Synapses are a CSR matrix over *senders*: neurons ``[0, n_neurons)`` and input axons fed by
spike sources ``[n_neurons, n_neurons + n_inputs)``.  ``weight`` holds each synapse's
contribution to u, ``w_mant << (6 + weight_exp)``, exact for groups whose exponent is >= 0
(a left shift distributes over the sum); groups with negative exponents keep their
mantissas in ``neg`` so that the right shift (a floor) is applied to each group's summed
input ``A``, as on the chip: ``u += (A >> -weight_exp) << 6``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .compartment import DECAY_SHIFT


@dataclass
class NegativeGroups:
    """Synapses of groups with ``weight_exp < 0``: the group sum ``A`` is shifted right
    (floor) before it reaches u.  ``aux`` slots are (group, target compartment) pairs."""

    ptr: np.ndarray  # CSR over senders, int64[n_senders + 1]
    aux: np.ndarray  # aux slot of each synapse
    delay: np.ndarray  # programmed delay of each synapse
    mant: np.ndarray  # weight mantissa of each synapse
    aux_target: np.ndarray  # compartment of each aux slot
    aux_shift: np.ndarray  # right shift of each aux slot: -weight_exp > 0

    @property
    def n_aux(self) -> int:
        return len(self.aux_target)


@dataclass
class Program:
    n_neurons: int
    du: np.ndarray  # int64[n_comp], 0..4096
    dv: np.ndarray  # int64[n_neurons], 0..4095
    bias: np.ndarray  # int64[n_neurons], bias_mant << bias_exp
    vth: np.ndarray  # int64[n_neurons], vth_mant << 6
    refractory: np.ndarray  # int64[n_neurons]
    u0: np.ndarray  # int64[n_comp]
    v0: np.ndarray  # int64[n_neurons]
    join_parent: np.ndarray  # int64[n_comp - n_neurons]
    n_inputs: int  # input axons (spike-source neurons)
    ptr: np.ndarray  # int64[n_senders + 1]
    target: np.ndarray  # int64[nnz] compartment
    delay: np.ndarray  # int64[nnz] programmed delay 0..62
    weight: np.ndarray  # int64[nnz] u increment per spike
    neg: NegativeGroups | None = None
    #: source spikes: input axon index and stamp (the stamp-s spike is sent in step s-1)
    input_index: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    input_stamp: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    #: bias changes (current injections): from step ``bias_step[k]`` on, neuron
    #: ``bias_index[k]`` has bias ``bias_value[k]``; sorted by step
    bias_step: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    bias_index: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    bias_value: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    #: native Poisson input axons (native.py): axon index, lam = rate dt, first and last
    #: stamp of their window; counts drawn by the engine from ``native_seed``
    native_input: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    native_lam: np.ndarray = field(default_factory=lambda: np.zeros(0))
    native_first: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    native_last: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    native_seed: int = 0
    #: bool[n_neurons] (empty: none): a spike subtracts the effective threshold,
    #: v <- v - (vth + 1), instead of setting v to 0 (LIFSubtract; Loihi 1 resets to 0,
    #: Loihi 2's programmable neurons can subtract)
    subtract: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    #: int64[n_neurons] (empty: 1 each): spikes a subtracting neuron emits in one step at
    #: most; it emits k = min(max_spikes, v // (vth + 1)) and loses k (vth + 1)
    #: (LIFSubtract[spikes=many]); each spike sends the neuron's synapses once
    max_spikes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    #: fractional bits of the decays: 12 (Loihi 1: du in 0..4096, dv in 0..4095); 24 in
    #: the loihi2 mode (du in 0..2^24)
    decay_shift: int = DECAY_SHIFT
    #: int64[n_comp] (empty: 0 each), added to |x| (2^shift - d) before the shift: 0
    #: truncates toward zero (Loihi 1, and ChipLIF in every mode); 2^(shift-1) rounds to
    #: nearest (float models in the loihi2 mode)
    decay_half: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def rounding(self) -> np.ndarray:
        """``decay_half`` with one entry per compartment."""
        if len(self.decay_half):
            return self.decay_half.astype(np.int64)
        return np.zeros(self.n_comp, np.int64)

    @property
    def subtracting(self) -> np.ndarray:
        """``subtract`` with one entry per neuron."""
        return self.subtract if len(self.subtract) else np.zeros(self.n_neurons, bool)

    @property
    def spike_caps(self) -> np.ndarray:
        """``max_spikes`` with one entry per neuron."""
        return self.max_spikes if len(self.max_spikes) else np.ones(self.n_neurons, np.int64)

    @property
    def n_comp(self) -> int:
        return len(self.du)

    @property
    def n_senders(self) -> int:
        return self.n_neurons + self.n_inputs

    @property
    def max_delay(self) -> int:
        d = [int(self.delay.max())] if len(self.delay) else [0]
        if self.neg is not None and len(self.neg.delay):
            d.append(int(self.neg.delay.max()))
        return max(d)

    def validate(self) -> None:
        """Internal consistency (a compiler bug, not a user error, if this fails)."""
        n, c = self.n_neurons, self.n_comp
        assert len(self.vth) == n and len(self.refractory) == n and len(self.dv) == n
        assert len(self.subtract) in (0, n)
        assert len(self.max_spikes) in (0, n) and (self.spike_caps >= 1).all()
        assert len(self.bias) == n and len(self.v0) == n and len(self.u0) == c
        assert len(self.join_parent) == c - n
        assert len(self.ptr) == self.n_senders + 1
        one = 1 << self.decay_shift
        assert ((self.du >= 0) & (self.du <= one)).all()
        assert ((self.dv >= 0) & (self.dv < one)).all()
        assert len(self.target) == len(self.delay) == len(self.weight) == self.ptr[-1]
        if len(self.delay):
            assert self.delay.min() >= 0 and self.delay.max() <= 62
