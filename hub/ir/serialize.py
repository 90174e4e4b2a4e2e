"""Encoding of IR values for the versioned model file: arrays go to an NPZ side table (an
:class:`ArrayTable` passed explicitly), distributions to tagged dicts, everything else stays
JSON.

Without a table, arrays are written inline (``{"__array__": [...]}``): the form of a bare
``to_dict()``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .random import Distribution, distribution_from_dict


class ArrayTable:
    """The arrays of one file, stored under ``<prefix>0``, ``<prefix>1``, ...

    Encoding appends to it (:meth:`put`); decoding reads a table built from the file's
    arrays (``ArrayTable(dict_of_npz_arrays)``).
    """

    def __init__(self, arrays: Mapping[str, np.ndarray] | None = None, prefix: str = "a"):
        self.prefix = prefix
        # a read-only Mapping (a file's arrays, read lazily) is kept as it is: copying it
        # into a dict would read every member, also those nothing refers to
        self.arrays: Mapping[str, np.ndarray] = (
            dict(arrays) if isinstance(arrays, dict) else {} if arrays is None else arrays
        )
        self._next = sum(1 for k in self.arrays if _is_key(k, prefix))

    def put(self, array) -> int:
        """Store ``array``; return its index."""
        index = self._next
        if not isinstance(self.arrays, dict):
            self.arrays = dict(self.arrays)
        self.arrays[f"{self.prefix}{index}"] = np.asarray(array)
        self._next += 1
        return index

    def get(self, index: int) -> np.ndarray:
        return self.arrays[f"{self.prefix}{index}"]

    def __len__(self) -> int:
        return self._next


def encode_value(v, arrays: ArrayTable | None = None):
    """``v`` as JSON data; arrays (and long or ragged lists) go to ``arrays`` if given."""
    if isinstance(v, Distribution):
        return v.to_dict()
    if isinstance(v, np.ndarray) or (isinstance(v, (list, tuple)) and _is_ragged_or_big(v)):
        if arrays is None:
            return (
                {"__array__": np.asarray(v).tolist()}
                if not _is_ragged(v)
                else {"__ragged__": [np.asarray(x, float).tolist() for x in v]}
            )
        if _is_ragged(v):
            idx = arrays.put(np.asarray([len(x) for x in v], dtype=np.int64))
            arrays.put(np.concatenate([np.asarray(x, float) for x in v]) if len(v) else np.zeros(0))
            return {"__ragged_npz__": idx}
        return {"__npz__": arrays.put(v)}
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, float) and not np.isfinite(v):
        return {"__float__": repr(v)}
    return v


def decode_value(v, arrays: ArrayTable | Mapping | None = None):
    """The inverse of :func:`encode_value`; ``arrays`` is the file's table (or its arrays
    by key)."""
    if isinstance(v, dict):
        if "__npz__" in v:
            return _get(arrays, v["__npz__"])
        if "__ragged_npz__" in v:
            k = v["__ragged_npz__"]
            lengths, flat = _get(arrays, k), _get(arrays, k + 1)
            return (
                [list(x) for x in np.split(flat, np.cumsum(lengths)[:-1])] if len(lengths) else []
            )
        if "__array__" in v:
            return np.asarray(v["__array__"])
        if "__ragged__" in v:
            return v["__ragged__"]
        if "__float__" in v:
            return float(v["__float__"])
        if "type" in v:
            return distribution_from_dict(v)
    return v


def _get(arrays: ArrayTable | Mapping | None, index: int) -> np.ndarray:
    table = arrays.arrays if isinstance(arrays, ArrayTable) else (arrays or {})
    if f"a{index}" not in table:
        from ..errors import Diagnostic, ValidationError

        raise ValidationError(
            Diagnostic(
                f"a{index}",
                "the document refers to an array the file does not hold",
                "the file is damaged or was written incompletely: write it again",
            )
        )
    return table[f"a{index}"]


def _is_key(key: str, prefix: str) -> bool:
    return key.startswith(prefix) and key[len(prefix) :].isdigit()


def _is_ragged(v) -> bool:
    return isinstance(v, (list, tuple)) and any(isinstance(x, (list, tuple, np.ndarray)) for x in v)


def _is_ragged_or_big(v) -> bool:
    return _is_ragged(v) or len(v) > 16
