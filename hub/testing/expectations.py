"""How a conformance check says "the backend is wrong".

A check never relies on statements that ``python -O`` strips (with them gone, every check
would pass).  It calls one of the helpers below, which raise :class:`CheckFailed` explicitly and
say what differed (which neuron, which time, which values)::

    expect(caps.features, "no features declared")
    expect_equal(stamps, [5, 10], "spike stamps of c")
    expect_close(v, closed_form, 1e-9, "V of neuron 2 (mV)", axes=[("t", times)])

``CheckFailed`` derives from ``AssertionError`` so pytest reports it as an ordinary test
failure and code that catches ``AssertionError`` keeps working.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "CheckFailed",
    "expect",
    "expect_close",
    "expect_equal",
    "expect_same_spikes",
    "fail",
    "first_spike_difference",
]


class CheckFailed(AssertionError):
    """A conformance check found the backend's behaviour wrong (raised explicitly, so it
    survives ``python -O``)."""


def fail(message: str):
    """Raise :class:`CheckFailed` with ``message``."""
    raise CheckFailed(message)


def expect(condition, message) -> None:
    """Fail with ``message`` unless ``condition`` is true.  ``message`` may be a callable
    returning the text, for messages that are costly to build."""
    if not condition:
        raise CheckFailed(message() if callable(message) else message)


def expect_equal(actual, expected, what: str) -> None:
    """Fail unless ``actual == expected`` (exact; arrays elementwise and with equal shapes).
    The message names ``what`` and shows both values (for sequences, the first difference)."""
    if _equal(actual, expected):
        return
    detail = ""
    if _is_sequence(actual) and _is_sequence(expected):
        a, b = list(np.asarray(actual).ravel()), list(np.asarray(expected).ravel())
        k = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        detail = (
            f" (lengths {len(a)} and {len(b)}; first difference at position {k}: "
            f"got {a[k] if k < len(a) else 'nothing'}, expected "
            f"{b[k] if k < len(b) else 'nothing'})"
        )
    raise CheckFailed(f"{what}: got {_short(actual)}, expected {_short(expected)}{detail}")


def expect_close(
    actual, expected, atol, what: str, *, rtol: float = 0.0, strict: bool = False, axes=None
) -> float:
    """Fail unless every ``|actual - expected| <= atol + rtol |expected|`` (``<`` when
    ``strict``); shapes must be equal.  ``atol`` may be an array broadcast against the values.
    ``axes``, one ``(name, labels)`` per dimension (e.g. ``[("t", times), ("neuron",
    indices)]``), lets the message name the worst element as ``t=2.3, neuron=4`` rather than
    by position.  Returns the largest ``|actual - expected|``."""
    a = np.asarray(actual, dtype=float)
    b = np.asarray(expected, dtype=float)
    if a.shape != b.shape:
        raise CheckFailed(f"{what}: shape {a.shape}, expected {b.shape}")
    if not a.size:
        return 0.0
    diff = np.abs(a - b)
    bound = np.broadcast_to(np.asarray(atol, dtype=float) + rtol * np.abs(b), a.shape)
    bad = ~(diff < bound) if strict else ~(diff <= bound)  # NaN counts as a difference
    if not bad.any():
        return float(np.max(diff))
    excess = np.where(np.isnan(diff), np.inf, diff - bound)
    worst = np.unravel_index(int(np.argmax(excess)), a.shape)
    first = np.unravel_index(int(np.argmax(bad)), a.shape)
    raise CheckFailed(
        f"{what}: {int(bad.sum())} of {a.size} values differ by more than the bound; worst at "
        f"{_where(worst, axes)}: got {a[worst]:.12g}, expected {b[worst]:.12g}, "
        f"|difference| {diff[worst]:.3g} {'>=' if strict else '>'} {bound[worst]:.3g}"
        + (f"; first at {_where(first, axes)}" if first != worst else "")
    )


def expect_same_spikes(actual, expected, what: str) -> None:
    """Fail unless two :class:`hub.results.SpikeTrains` are identical (size, dt, every
    (neuron, stamp)); the message names the first spike that differs."""
    if actual == expected:
        return
    if actual.size != expected.size or actual.dt != expected.dt:
        raise CheckFailed(
            f"{what}: {actual.size} neurons at dt {actual.dt}, expected "
            f"{expected.size} at dt {expected.dt}"
        )
    raise CheckFailed(
        f"{what}: {len(actual)} spikes, expected {len(expected)}; first "
        f"difference at {first_spike_difference(actual, expected)}"
    )


def first_spike_difference(a, b) -> str:
    """The first spike (in (stamp, neuron) order) where trains ``a`` and ``b`` differ."""
    n = min(len(a), len(b))
    diff = np.nonzero((a.stamps[:n] != b.stamps[:n]) | (a.indices[:n] != b.indices[:n]))[0]
    k = int(diff[0]) if len(diff) else n

    def pick(s):
        if k >= len(s):
            return "none"
        return (
            f"neuron {int(s.indices[k])} at {float(s.times[k]):.6g} ms (stamp {int(s.stamps[k])})"
        )

    return f"spike #{k}: got {pick(a)}, expected {pick(b)}"


# --- formatting ---------------------------------------------------------------------------------
def _equal(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and bool(np.all(a == b))
    return bool(a == b)


def _is_sequence(x) -> bool:
    return isinstance(x, (list, tuple, np.ndarray))


def _short(x, limit: int = 200) -> str:
    text = repr(x.tolist() if isinstance(x, np.ndarray) else x)
    return text if len(text) <= limit else text[:limit] + "..."


def _where(index, axes) -> str:
    if not axes:
        return "[" + ", ".join(str(int(i)) for i in index) + "]"
    parts = []
    for i, axis in zip(index, axes):
        name, labels = axis
        label = labels[i] if labels is not None else i
        if isinstance(label, (float, np.floating)):
            label = f"{float(label):.6g}"
        parts.append(f"{name}={label}")
    return ", ".join(parts)
