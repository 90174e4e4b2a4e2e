"""Brian2 itself: importing it, the preferences of every session, and the functions the
hub's abstract code calls (``sel``, ``fmin``, ``fcopy``) for numpy, Cython and C++
(standalone)."""

from __future__ import annotations

import numpy as np

from hub.errors import BackendError


def import_brian2():
    try:
        import brian2
    except Exception as exc:  # ImportError, or Brian2 failing on import (numpy 2.4)
        raise BackendError(
            f"brian2: cannot import Brian2 ({type(exc).__name__}: {exc}); "
            "install it with `pip install 'snn-hub[brian2]'`"
        ) from exc
    return brian2


def configure(b2):
    """Brian2's preferences for every session: numpy code objects unless a session names a
    compiled class for its hot code objects (``compiled.py``); no loop-invariant hoisting
    (the statements are executed exactly as written)."""
    prefs = b2.prefs
    prefs.codegen.loop_invariant_optimisations = False
    prefs.codegen.target = "numpy"


_FUNCTIONS = {}


def functions(b2) -> dict:
    """``sel(c, a, b)`` (c ? a : b), ``fmin(a, b)`` (std::min) and ``fcopy(a)`` for numpy,
    Cython and C++ (C++ names prefixed ``hub_``: ``fmin`` is a libm function there)."""
    if _FUNCTIONS:
        return _FUNCTIONS

    def sel(c, a, b):
        return np.where(c, a, b)

    def fmin(a, b):
        return np.where(b < a, b, a)

    f_sel = b2.Function(
        sel,
        arg_units=[1, 1, 1],
        return_unit=1,
        arg_types=["boolean", "float", "float"],
        return_type="float",
    )
    # plain numpy implementations: Brian2's default wrapper formats the result array
    # into an error message on every call (most of a run's time)
    f_sel.implementations.add_numpy_implementation(sel, discard_units=True)
    f_sel.implementations.add_implementation(
        "cython",
        "cdef double sel(bint c, double a, double b):\n    return a if c else b\n",
        name="sel",
    )
    f_sel.implementations.add_implementation(
        "cpp",
        "static inline double hub_sel(const bool c, const double a, const double b)\n"
        "{ return c ? a : b; }\n",
        name="hub_sel",
    )
    f_min = b2.Function(
        fmin, arg_units=[1, 1], return_unit=1, arg_types=["float", "float"], return_type="float"
    )
    f_min.implementations.add_numpy_implementation(fmin, discard_units=True)
    f_min.implementations.add_implementation(
        "cython",
        "cdef double fmin(double a, double b):\n    return b if b < a else a\n",
        name="fmin",
    )
    f_min.implementations.add_implementation(
        "cpp",
        "static inline double hub_fmin(const double a, const double b)\n"
        "{ return b < a ? b : a; }\n",
        name="hub_fmin",
    )

    # fcopy(x): a copy.  Brian2's numpy target turns ``V = V + x`` into ``V += x`` in place,
    # so a plain ``U_old = V`` would alias V and change with it.
    def fcopy(a):
        return np.array(a, dtype=float, copy=True)

    f_copy = b2.Function(
        fcopy, arg_units=[1], return_unit=1, arg_types=["float"], return_type="float"
    )
    f_copy.implementations.add_numpy_implementation(fcopy, discard_units=True)
    f_copy.implementations.add_implementation(
        "cython", "cdef double fcopy(double a):\n    return a\n", name="fcopy"
    )
    f_copy.implementations.add_implementation(
        "cpp", "static inline double hub_fcopy(const double a) { return a; }\n", name="hub_fcopy"
    )
    _FUNCTIONS.update(sel=f_sel, fmin=f_min, fcopy=f_copy)
    return _FUNCTIONS
