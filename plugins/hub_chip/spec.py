"""The architecture being modelled: a Loihi-class chip (Davies et al. 2018, IEEE Micro 38(1)).

Every limit the mapper and the quantizer enforce is a field here, so a different chip is a
different :class:`ChipSpec`.  Sources: Davies 2018 (cores, tiles, mesh), nengo-loihi
``block.py`` (per-core limits, synapse-memory cost), Lava ``proc/lif/models.py`` and
``proc/dense/models.py`` (bit widths of the compartment and synapse arithmetic).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChipSpec:
    name: str = "loihi"
    # --- per core (nengo-loihi block.py: MAX_COMPARTMENTS, MAX_IN_AXONS, ...) ---------------
    compartments_per_core: int = 1024
    in_axons_per_core: int = 4096
    out_axons_per_core: int = 4096
    synapse_bits_per_core: int = 128 * 1024 * 8  # 128 KB synapse memory
    # --- chip and mesh (Davies 2018: 128 neuromorphic cores in 32 tiles, 4x8 mesh) ---------
    cores_per_chip: int = 128
    cores_per_tile: int = 4
    mesh_width: int = 8  # tiles east-west per chip
    mesh_height: int = 4  # tiles north-south per chip
    # --- compartment arithmetic (Lava LIF bit-accurate model) -------------------------------
    state_bits: int = 24  # u and v
    decay_bits: int = 12  # DU in 0..4096, DV in 0..4095 (2^decay_bits in general)
    decay_round_nearest: bool = False  # Loihi 1 truncates the decayed u, v toward zero
    act_shift: int = 6  # synaptic input << 6 into u
    vth_shift: int = 6  # threshold = vth_mant << 6
    vth_mant_bits: int = 17
    bias_mant_max: int = 4095  # 13-bit signed mantissa
    bias_exp_max: int = 7  # 3-bit exponent
    # --- synapses (Lava Dense bit-accurate model, nengo-loihi SynapseConfig) ---------------
    weight_mant_max: int = 255  # 8-bit magnitude + sign
    weight_exp_min: int = -8
    weight_exp_max: int = 7
    max_delay: int = 62  # programmed delay, 6 bits
    synapses_per_block: int = 64  # 63 + 1 per synapse-memory block
    block_header_bits: int = 4 + 6  # synapse index + count fields
    memory_word_bits: int = 64  # blocks round up to 64-bit words
    index_bits_map: tuple = (0, 6, 7, 8, 9, 10, 11, 12)  # allowed compartment-index widths

    @property
    def compartments_per_chip(self) -> int:
        return self.compartments_per_core * self.cores_per_chip

    @property
    def tiles_per_chip(self) -> int:
        return self.cores_per_chip // self.cores_per_tile

    @property
    def u_min(self) -> int:
        return -(1 << (self.state_bits - 1))

    @property
    def v_max(self) -> int:
        return (1 << (self.state_bits - 1)) - 1

    @property
    def vth_mant_max(self) -> int:
        return (1 << self.vth_mant_bits) - 1


LOIHI = ChipSpec()

#: a Loihi 2-class chip for float models: the same formats but decays with 24 fractional
#: bits, rounded to nearest, as a programmable (microcoded) neuron can compute them on its
#: 24-bit state (an assumption of this model: the published sources give no decay width
#: or rounding, docs/chip.md section 3)
LOIHI2 = ChipSpec(name="loihi2", decay_bits=24, decay_round_nearest=True)

#: the chip option ``generation``
GENERATIONS = {"loihi1": LOIHI, "loihi2": LOIHI2}
