"""The ``.nir`` model format: NIR graph files (HDF5, data only) for ``hub.load``,
``hub.save`` and every MODEL argument of the command line."""

from __future__ import annotations

from pathlib import Path

from hub.errors import HubError
from hub.formats import LoadedModel, ModelFormat

_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def load(spec, params=None, kinds=None) -> LoadedModel:
    """A ``.nir`` file as a hub network (convention from the file's metadata, else "nir";
    inputs silent: feed them with hub_nir.run_nir)."""
    from .importer import build, plan

    if params:
        raise HubError(f"--param: {spec!r} is a NIR graph (data), not a builder module")
    p = plan(str(spec))
    net = build(p, label=Path(str(spec)).stem)
    return LoadedModel(net, None, str(spec))


def save(network, path, convention: str | None = None) -> str:
    """Write ``network`` as a NIR graph (hub_nir.exporter.to_nir; ``hub.save`` passes no
    options: call this with ``convention="snntorch"`` for snnTorch's importer)."""
    import nir

    from .exporter import to_nir

    nir.write(str(path), to_nir(network, convention=convention))
    return str(path)


def sniff(path) -> bool:
    """An HDF5 file whose root holds NIR's ``node`` group and ``version``."""
    with open(path, "rb") as f:
        if f.read(8) != _HDF5_SIGNATURE:
            return False
    import h5py

    with h5py.File(path, "r") as f:
        return "node" in f and "version" in f


NIR_FORMAT = ModelFormat(
    "nir",
    (".nir",),
    load,
    save,
    sniff=sniff,
    description="a NIR graph (Neuromorphic Intermediate Representation, HDF5 data)",
)
