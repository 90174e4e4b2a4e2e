"""Whether the numba engine can be used, answered without importing numba (importing it
costs ~0.3 s and ~50 MiB, which every process that merely lists backends would pay)."""

import importlib.util
import os


def numba_available() -> bool:
    """numba is installed and not disabled by ``SNN_HUB_CHIP_NO_NUMBA=1``."""
    if os.environ.get("SNN_HUB_CHIP_NO_NUMBA", "") in ("1", "true"):
        return False
    return importlib.util.find_spec("numba") is not None
