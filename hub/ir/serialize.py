"""Encoding of IR values for the versioned model file: arrays go to an NPZ side table,
distributions to tagged dicts, everything else stays JSON."""
from __future__ import annotations

import numpy as np

from .random import Distribution, distribution_from_dict

_ARRAYS: list | None = None  # set while a network is being encoded


def encode_value(v):
    if isinstance(v, Distribution):
        return v.to_dict()
    if isinstance(v, np.ndarray) or (isinstance(v, (list, tuple)) and _is_ragged_or_big(v)):
        if _ARRAYS is None:
            return {"__array__": np.asarray(v).tolist()} if not _is_ragged(v) else \
                {"__ragged__": [np.asarray(x, float).tolist() for x in v]}
        if _is_ragged(v):
            idx = len(_ARRAYS)
            _ARRAYS.append(np.asarray([len(x) for x in v], dtype=np.int64))
            _ARRAYS.append(np.concatenate([np.asarray(x, float) for x in v]) if len(v) else
                           np.zeros(0))
            return {"__ragged_npz__": idx}
        _ARRAYS.append(np.asarray(v))
        return {"__npz__": len(_ARRAYS) - 1}
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, float) and not np.isfinite(v):
        return {"__float__": repr(v)}
    return v


def decode_value(v, arrays):
    if isinstance(v, dict):
        if "__npz__" in v:
            return arrays[f"a{v['__npz__']}"]
        if "__ragged_npz__" in v:
            k = v["__ragged_npz__"]
            lengths, flat = arrays[f"a{k}"], arrays[f"a{k + 1}"]
            return [list(x) for x in np.split(flat, np.cumsum(lengths)[:-1])] if len(lengths) \
                else []
        if "__array__" in v:
            return np.asarray(v["__array__"])
        if "__ragged__" in v:
            return v["__ragged__"]
        if "__float__" in v:
            return float(v["__float__"])
        if "type" in v:
            return distribution_from_dict(v)
    return v


def _is_ragged(v) -> bool:
    return isinstance(v, (list, tuple)) and any(isinstance(x, (list, tuple, np.ndarray))
                                                 for x in v)


def _is_ragged_or_big(v) -> bool:
    return _is_ragged(v) or len(v) > 16
