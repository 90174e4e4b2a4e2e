"""Run one network on several backends, each in its own process, and compare the runs.

>>> cmp = hub.compare(net, backends=["nest", "brian2", "chip"], duration=1000.0)  # doctest: +SKIP
>>> print(cmp.table())        # doctest: +SKIP
>>> cmp.save("compare.json"); cmp.plot("compare.png"); cmp.to_html("report.html")  # doctest: +SKIP

The network is validated and resolved once, here, and written to a file
(:mod:`hub.resolved_io`); every backend run is a new Python process (``python -m
hub.worker``) that reads that file, so every backend simulates the same draws and no
simulator's global state outlives its run.  A backend that raises, crashes or overruns its
timeout is reported with its status and message while the others complete.

Per backend: import, build and run time, the whole process's wall time, its peak RSS,
spikes, rates, CV of ISI and synchrony per population, the chip report when there is one.
Per pair of backends: exact spike-train equality where both backends promise it
(``Tolerance.tier <= 2`` for every neuron model in the network), otherwise the statistical
metrics of :mod:`hub.stats` (matched fraction, rate and CV differences, van Rossum
distance, correlation of binned population counts), and a verdict against the contract.
The JSON form (:meth:`Comparison.to_dict`) follows ``hub/compare_schema.json``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

from . import mpi, stats
from .contract import compare_trains, expectation, pair_totals, statistical_check, verdict
from .errors import CapabilityError, HubError, PluginError
from .progress import BackendBars
from .progress import check as check_progress
from .resolve import ResolvedNetwork, fresh_seed, resolve, restrict
from .results import Results
from .runner import (
    backend_list,
    positive_int,
    sigterm_raises,
    spawn_worker,
    timeout_for,
    timing_spread,
)
from .textfmt import json_number, jsonable

SCHEMA_ID = "snn-hub/compare"
SCHEMA_VERSION = 1
#: the timings of each backend in ``to_dataframe`` (every timing has its spread with ``repeat``)
TIMING_KEYS = ("import_s", "build_s", "run_s", "collect_s", "wall_s")
STATUSES = ("ok", "error", "crashed", "timeout", "unsupported")


# =============================================================================================
# data
# =============================================================================================
@dataclass
class PopulationStats:
    """Spike statistics of one population in one run (rates in Hz, CV and Fano unitless)."""

    label: str
    neurons: int
    source: bool
    spikes: int
    rate_hz: float
    cv_isi: float
    fano: float

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "neurons": self.neurons,
            "source": self.source,
            "spikes": self.spikes,
            "rate_hz": json_number(self.rate_hz),
            "cv_isi": json_number(self.cv_isi),
            "fano": json_number(self.fano),
        }


@dataclass
class BackendRun:
    """One backend's outcome.  ``timings`` are medians over the repeats, ``spread`` has
    median, min and max of each; ``results`` are those of the first repeat."""

    name: str
    status: str
    error: str | None = None
    options: dict = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    spread: dict[str, dict] = field(default_factory=dict)
    peak_rss_mb: float | None = None
    exit_code: int | None = None
    versions: dict = field(default_factory=dict)
    repeats: int = 0
    reproducible: bool | None = None
    results: Results | None = None
    populations: list[PopulationStats] = field(default_factory=list)
    detail: str = ""  # the traceback or the last lines of output of a failed worker

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def chip(self) -> dict | None:
        return self.results.extra.get("chip") if self.results is not None else None

    def totals(self) -> dict:
        """Spikes, mean rate, mean CV and Fano over the recorded neuron populations."""
        pops = [p for p in self.populations if not p.source]
        n = sum(p.neurons for p in pops)
        s = sum(p.spikes for p in pops)
        dur = self.results.provenance.get("duration", 0.0) if self.results else 0.0
        return {
            "spikes": s,
            "rate_hz": s / n / (dur * 1e-3) if n and dur else None,
            "cv_isi": _weighted([(p.cv_isi, p.spikes) for p in pops]),
            "fano": _weighted([(p.fano, p.neurons) for p in pops]),
        }

    def to_dict(self) -> dict:
        weights = stats.weight_summary(self.results) if self.results is not None else {}
        return {
            "name": self.name,
            "status": self.status,
            "error": self.error,
            "exit_code": self.exit_code,
            "options": {k: jsonable(v) for k, v in self.options.items()},
            "timings": {k: json_number(v) for k, v in self.timings.items()},
            "timing_spread": {
                k: {q: json_number(x) for q, x in v.items()} for k, v in self.spread.items()
            },
            "peak_rss_mb": json_number(self.peak_rss_mb),
            "repeats": self.repeats,
            "reproducible": self.reproducible,
            "versions": self.versions,
            "populations": [p.to_dict() for p in self.populations],
            "totals": {k: json_number(v) for k, v in self.totals().items()},
            "weights": weights,
            "chip": jsonable(self.chip),
        }


@dataclass
class Agreement:
    """How two backends' runs agree.  ``expect`` is what the contract promises for the pair:
    'identical' (both tier <= 2), 'close' (tier 3: a fraction of spikes within a tolerance)
    or 'statistical' (tier 4: rates within 5 %, CV within 0.1); ``within_contract`` is the
    verdict; ``statistical_ok`` says whether the tier-4 criterion holds, whatever the tier
    (a recurrent network amplifies any difference, so a pair promised 'close' spikes can
    lose spike-by-spike agreement and keep its statistics)."""

    a: str
    b: str
    expect: str
    identical: bool
    within_contract: bool
    reason: str
    tolerance_ms: float
    tau_ms: float
    bin_ms: float
    populations: list[dict] = field(default_factory=list)
    totals: dict = field(default_factory=dict)
    weights: dict = field(default_factory=dict)
    statistical_ok: bool = True

    @property
    def pair(self) -> str:
        return f"{self.a}~{self.b}"

    def to_dict(self) -> dict:
        return {
            "a": self.a,
            "b": self.b,
            "expect": self.expect,
            "identical": self.identical,
            "within_contract": self.within_contract,
            "statistical_ok": self.statistical_ok,
            "reason": self.reason,
            "tolerance_ms": self.tolerance_ms,
            "tau_ms": self.tau_ms,
            "bin_ms": self.bin_ms,
            "totals": {k: json_number(v) for k, v in self.totals.items()},
            "populations": [{k: json_number(v) for k, v in p.items()} for p in self.populations],
            "weights": {k: json_number(v) for k, v in self.weights.items()},
        }


@dataclass
class Comparison:
    """What :func:`compare` returns: one :class:`BackendRun` per backend (in the order
    asked) and one :class:`Agreement` per pair of backends that both ran."""

    model: dict
    settings: dict
    runs: dict[str, BackendRun]
    agreement: list[Agreement]
    resolved: ResolvedNetwork | None = None
    provenance: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Every backend ran."""
        return all(r.ok for r in self.runs.values())

    @property
    def failed(self) -> dict[str, str]:
        """``{backend: "status: message"}`` for the backends that did not run."""
        return {n: f"{r.status}: {r.error}" for n, r in self.runs.items() if not r.ok}

    def pair(self, a: str, b: str) -> Agreement:
        for ag in self.agreement:
            if {ag.a, ag.b} == {a, b}:
                return ag
        raise HubError(
            f"pair: no agreement for {a!r} and {b!r}; compared pairs: "
            f"{[ag.pair for ag in self.agreement]}"
        )

    # --- export -------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """The JSON document (schema ``hub/compare_schema.json``, see docs/compare.md)."""
        return {
            "schema": SCHEMA_ID,
            "version": SCHEMA_VERSION,
            "model": self.model,
            "settings": self.settings,
            "backends": [r.to_dict() for r in self.runs.values()],
            "agreement": [a.to_dict() for a in self.agreement],
            "provenance": self.provenance,
        }

    def to_json(self, indent: int = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def save(self, path) -> str:
        """Write the JSON document to ``path`` atomically; return the path."""
        text = self.to_json() + "\n"
        with atomic_path(path) as tmp:
            with open(tmp, "w") as f:
                f.write(text)
        return os.fspath(path)

    def table(self) -> str:
        """A text report: per-backend times, memory and activity, per-population statistics,
        and the agreement of every pair."""
        from .report import comparison_table

        return comparison_table(self)

    def to_dataframe(self):
        """One row per (backend, population) with timings and statistics (needs pandas)."""
        try:
            import pandas as pd
        except ImportError as exc:
            raise HubError(
                "to_dataframe: pandas is not installed; pip install pandas, or "
                "use Comparison.to_dict()"
            ) from exc
        rows = []
        for r in self.runs.values():
            base = {
                "backend": r.name,
                "status": r.status,
                "peak_rss_mb": r.peak_rss_mb,
                **{k: r.timings.get(k) for k in TIMING_KEYS},
            }
            for p in r.populations or [None]:
                rows.append({**base, **({} if p is None else p.to_dict())})
        return pd.DataFrame(rows)

    def plot(self, path=None, **kwargs):
        """Rasters side by side, population rate over time, rate, ISI and weight histograms
        in one figure (matplotlib, Agg); saved to ``path`` (atomically) when given.  Returns
        the figure."""
        from .plot import plot_comparison

        if path is None:
            return plot_comparison(self, None, **kwargs)
        with atomic_path(path) as tmp:  # same suffix: matplotlib picks the format from it
            return plot_comparison(self, tmp, **kwargs)

    def to_html(self, path=None) -> str:
        """One self-contained HTML page (figures embedded as base64 PNG); written to ``path``
        (atomically) when given.  Returns the HTML."""
        from .report import comparison_html

        html = comparison_html(self)
        if path is not None:
            with atomic_path(path) as tmp:
                with open(tmp, "w") as f:
                    f.write(html)
        return html

    def __repr__(self):
        runs = ", ".join(f"{n}: {r.status}" for n, r in self.runs.items())
        return f"Comparison({self.model.get('label') or 'network'}; {runs})"

    def _repr_html_(self) -> str:
        """A compact table for notebooks: per backend its status, spikes, rate, CV of ISI
        and timings; per pair the promise, the verdict and its reason."""
        return comparison_html_table(self)


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path in ``path``'s folder, with its suffix; when the block completes
    it is renamed over ``path`` (``os.replace``), otherwise (an error, Ctrl-C, SIGTERM under
    :func:`hub.runner.sigterm_raises`) it is removed: ``path`` is the complete new file or
    what it was before, never half-written."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(
        prefix=f".{os.path.basename(path)}.", suffix=os.path.splitext(path)[1], dir=folder
    )
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


# =============================================================================================
# running
# =============================================================================================
def compare(
    network,
    backends=("nest", "brian2"),
    duration: float | None = None,
    timeout: float | dict | None = 1800.0,
    repeat: int = 1,
    options: dict | None = None,
    tolerance_ms: float | None = None,
    tau_ms: float = 5.0,
    bin_ms: float = 5.0,
    progress=None,
    workdir=None,
    memory_check: bool = True,
) -> Comparison:
    """Run ``network`` on each of ``backends`` in its own process and compare the runs.

    ``network`` is a :class:`hub.Network` (validated and resolved here, once, for
    ``duration`` ms) or a :class:`hub.ResolvedNetwork`.  ``timeout`` (s) applies to each
    process (a number, or ``{backend: seconds}``; None for none); ``repeat`` runs each
    backend that many times in fresh processes and reports the spread of the timings;
    ``options`` are ``{backend: {option: value}}``.  ``tolerance_ms`` pairs spikes for the
    matched fraction (default: the larger declared ``Tolerance.spike_ms`` of the pair, at
    least one step), ``tau_ms`` is the van Rossum time constant, ``bin_ms`` the bin of the
    population counts (Fano factor, rate correlation).  ``progress``: ``True`` shows a
    progress bar per backend run (tqdm: stderr in a terminal, a widget in Jupyter); a
    callable is called as ``progress(backend, fraction)`` while a backend runs, with
    increasing fractions in [0, 1] per run, 1.0 when it finished; ``None`` or ``False``
    (the default) show nothing.  ``workdir`` keeps the exchanged files (default: a
    temporary directory, removed afterwards, also on SIGTERM: :func:`hub.runner.sigterm_raises`
    turns it into :class:`hub.errors.Terminated`, exit status 143, after the workers are
    killed and the folder removed).  ``memory_check=False`` skips the memory guard
    (:func:`hub.memory.check_compare`).

    Raises :class:`HubError` for an unknown backend name or bad arguments,
    :class:`hub.ValidationError` for an invalid network and :class:`hub.errors.ResourceError`
    for one whose estimated peak memory exceeds the available memory, before any process
    starts; every failure of a backend itself is reported in the :class:`Comparison`, a
    backend whose ``capabilities()`` fails (a :class:`hub.errors.PluginError`) with status
    ``error``.
    """
    from .api import check_capabilities
    from .memory import check_compare
    from .plugins import get_backend, plugin_manager
    from .resolved_io import save_resolved

    backends = backend_list(backends)
    repeat = positive_int("repeat", repeat)
    check_progress(progress, "f(backend, fraction)")
    options = dict(options or {})
    unknown_opts = sorted(set(options) - set(backends))
    if unknown_opts:
        raise HubError(
            f"options: given for {unknown_opts}, which are not among the compared "
            f"backends {backends}"
        )
    pm = plugin_manager()
    implementations = {name: get_backend(name, pm) for name in backends}  # unknown: raise
    caps, broken = {}, {}
    for name, implementation in implementations.items():
        try:
            caps[name] = implementation.capabilities()
        except PluginError as exc:  # a broken plugin: reported, the others still run
            broken[name] = str(exc)
    if isinstance(network, ResolvedNetwork):
        if duration is not None and abs(duration - network.duration) > network.dt / 2:
            raise HubError(
                f"duration: the resolved network runs {network.duration:g} ms, not "
                f"{duration:g} ms; resolve it again or drop duration"
            )
        resolved = network
    else:
        if memory_check:
            check_compare(network, backends, 1000.0 if duration is None else duration)
        seed = None
        if mpi.size() > 1 and network.seed is None:  # one draw for every rank
            seed = mpi.bcast(fresh_seed())
        resolved = resolve(network, 1000.0 if duration is None else duration, seed=seed)
    settings = {
        "backends": backends,
        "duration_ms": resolved.duration,
        "repeat": repeat,
        "timeout_s": jsonable(timeout),
        "tolerance_ms": tolerance_ms,
        "tau_ms": float(tau_ms),
        "bin_ms": float(bin_ms),
    }
    with sigterm_raises():  # SIGTERM: kill the workers, remove the folder, exit 143
        own_dir = workdir is None
        runs: dict[str, BackendRun] = {}
        work = None
        bars = BackendBars() if progress is True else None
        progress = bars if bars is not None else (progress or None)
        try:
            work = tempfile.mkdtemp(prefix="snn-hub-compare-") if own_dir else os.fspath(workdir)
            os.makedirs(work, exist_ok=True)
            net_file = save_resolved(resolved, os.path.join(work, "network.npz"))
            for name in backends:
                opts = dict(options.get(name, {}))
                if name in broken:
                    runs[name] = BackendRun(name, "error", broken[name], options=opts)
                    continue
                try:
                    check_capabilities(name, resolved, pm)
                except CapabilityError as exc:
                    runs[name] = BackendRun(
                        name, "unsupported", str(exc).splitlines()[0], options=opts
                    )
                    continue
                if mpi.size() > 1 and implementations[name].distributed:
                    runs[name] = _run_distributed(
                        name, implementations[name], resolved, opts, pm, progress
                    )
                elif mpi.is_root():  # inside an MPI job rank 0 runs the others
                    runs[name] = _run_backend(
                        name, net_file, opts, timeout_for(timeout, name), repeat, work, progress
                    )
            agreement = []
            if mpi.is_root():  # in an MPI job the other ranks lack the single-process runs
                for run in runs.values():
                    if run.ok:
                        run.populations = population_stats(run.results, resolved, bin_ms)
                agreement = [
                    agree(
                        runs[a], runs[b], resolved, caps[a], caps[b], tolerance_ms, tau_ms, bin_ms
                    )
                    for i, a in enumerate(backends)
                    for b in backends[i + 1 :]
                    if runs[a].ok and runs[b].ok
                ]
        finally:
            if bars is not None:
                bars.close()
            if own_dir and work is not None:
                shutil.rmtree(work, ignore_errors=True)
    if mpi.size() > 1:  # rank 0 holds every run: its comparison is every rank's
        runs, agreement = mpi.bcast((runs, agreement) if mpi.is_root() else None)
    return Comparison(_model_info(resolved), settings, runs, agreement, resolved, _provenance())


def _run_distributed(name, implementation, resolved, opts, pm, progress) -> BackendRun:
    """Inside an MPI job, a distributed backend runs here on every rank, each with its share
    of the connections (:func:`hub.resolve.restrict`); its results are gathered on every
    rank.  Peak memory is the largest rank's."""
    from .api import run_resolved

    report = None
    if progress is not None:
        report = (lambda f: progress(name, f)) if mpi.is_root() else (lambda f: None)
    try:
        share = implementation.share(resolved, **opts)
        part = resolved if share is None else restrict(resolved, share)
        res = run_resolved(pm, name, implementation, part, opts, report)
    except HubError as exc:
        return BackendRun(name, "error", str(exc).splitlines()[0], options=opts)
    backend_info = res.provenance.get(name, {})
    per_rank = backend_info.get("peak_rss_mb_per_rank") if isinstance(backend_info, dict) else None
    return BackendRun(
        name,
        "ok",
        None,
        opts,
        timings=dict(res.timings),
        peak_rss_mb=max(per_rank) if per_rank else None,
        exit_code=0,
        versions=implementation.versions(),
        repeats=1,
        results=res,
    )


def _run_backend(name, net_file, opts, timeout, repeat, work, progress) -> BackendRun:
    """``repeat`` fresh worker processes; stop at the first failure."""
    outcomes, first = [], None
    for k in range(repeat):
        out = spawn_worker(
            name, net_file, opts, timeout, os.path.join(work, f"{name}.{k}"), progress
        )
        if out["status"] != "ok":
            return BackendRun(
                name,
                out["status"],
                out.get("error"),
                opts,
                timings=out.get("timings", {}),
                peak_rss_mb=out.get("peak_rss_mb"),
                exit_code=out.get("exit_code"),
                versions=out.get("versions", {}),
                repeats=k,
                detail=out.get("detail", ""),
            )
        outcomes.append(out)
        res = Results.load(out["results"])
        if first is None:
            first, reproducible = res, None
        elif reproducible is not False:
            reproducible = stats.same_spikes(first.spike_trains, res.spike_trains)
    spread = timing_spread([o["timings"] for o in outcomes])
    return BackendRun(
        name,
        "ok",
        None,
        opts,
        timings={k: v["median"] for k, v in spread.items()},
        spread=spread,
        peak_rss_mb=max(o.get("peak_rss_mb") or 0.0 for o in outcomes),
        exit_code=0,
        versions=outcomes[0].get("versions", {}),
        repeats=repeat,
        reproducible=reproducible if repeat > 1 else None,
        results=first,
    )


# =============================================================================================
# statistics and agreement
# =============================================================================================
def population_stats(
    results: Results, resolved: ResolvedNetwork, bin_ms: float = 5.0
) -> list[PopulationStats]:
    """Spikes, rate, CV of ISI and Fano factor of every recorded population."""
    out = []
    dur = resolved.duration
    for label, st in results.spike_trains.items():
        out.append(
            PopulationStats(
                label,
                st.size,
                label in resolved.sources,
                len(st),
                st.rate(dur),
                stats.cv_isi(st),
                stats.synchrony(st, dur, bin_ms),
            )
        )
    return out


def agree(
    ra: BackendRun,
    rb: BackendRun,
    resolved: ResolvedNetwork,
    cap_a,
    cap_b,
    tolerance_ms=None,
    tau_ms=5.0,
    bin_ms=5.0,
) -> Agreement:
    """The agreement of two successful runs over their common recorded neuron populations
    (spike sources are inputs, equal by construction, and left out)."""
    expect, ta, tb = expectation(resolved, cap_a, cap_b)
    tol = (
        float(tolerance_ms)
        if tolerance_ms is not None
        else max(ta.spike_ms, tb.spike_ms, resolved.dt)
    )
    dur = resolved.duration
    sa, sb = ra.results.spike_trains, rb.results.spike_trains
    labels = [k for k in sa if k in sb and k not in resolved.sources]
    pops = [{"label": k, **compare_trains(sa[k], sb[k], dur, tol, tau_ms, bin_ms)} for k in labels]
    totals = pair_totals(pops)
    identical = bool(pops) and all(p["identical"] for p in pops)
    ok, reason = verdict(expect, identical, pops, totals, min(ta.matched, tb.matched), tol)
    stat_ok = statistical_check(pops)[0] if pops else True
    return Agreement(
        ra.name,
        rb.name,
        expect,
        identical,
        ok,
        reason,
        tol,
        float(tau_ms),
        float(bin_ms),
        pops,
        totals,
        stats.weight_agreement(ra.results, rb.results),
        stat_ok,
    )


# =============================================================================================
# helpers
# =============================================================================================
def _model_info(r: ResolvedNetwork) -> dict:
    pops = [
        {"label": p.label, "size": p.size, "model": p.model.label, "source": False}
        for p in r.populations.values()
    ]
    pops += [
        {"label": s.label, "size": s.size, "model": "spike source", "source": True}
        for s in r.sources.values()
    ]
    return {
        "label": r.label,
        "dt_ms": r.dt,
        "seed": r.seed,
        "duration_ms": r.duration,
        "steps": r.steps,
        "neurons": sum(p.size for p in r.populations.values()),
        "synapses": r.n_synapses,
        "populations": pops,
        "projections": [
            {
                "label": p.label,
                "pre": p.pre,
                "post": p.post,
                "synapses": p.n,
                "receptor": p.receptor,
            }
            for p in r.projections
        ],
    }


#: distributions whose installed versions the provenance lists (those not installed are left out)
LIBRARIES = ("numpy", "scipy", "matplotlib", "numba", "nest-simulator", "brian2", "Cython", "neo")


def _provenance() -> dict:
    import platform
    from importlib import metadata

    from .version import __version__

    libraries = {}
    for dist in LIBRARIES:
        try:
            libraries[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return {
        "snn-hub": __version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "cpu": _cpu_name(),
        "memory_gb": _memory_gb(),
        "libraries": libraries,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def comparison_html_table(cmp: Comparison) -> str:
    """The HTML of :meth:`Comparison._repr_html_` (the numbers of :meth:`Comparison.table`)."""
    from html import escape

    def row(cells, tag="td"):
        return "<tr>" + "".join(f"<{tag}>{escape(str(c))}</{tag}>" for c in cells) + "</tr>"

    def num(x, spec):
        return "-" if x is None or not np.isfinite(x) else format(x, spec)

    m = cmp.model
    head = (
        f"{m.get('label') or 'network'}: {m.get('neurons')} neurons, {m.get('synapses')} "
        f"synapses, {m.get('duration_ms', 0):g} ms at dt = {m.get('dt_ms', 0):g} ms, "
        f"seed {m.get('seed')}"
    )
    keys = ("build_s", "run_s", "collect_s", "wall_s")
    runs = [
        row(["backend", "status", "spikes", "rate (Hz)", "CV ISI", *keys], "th"),
        *(
            row(
                [
                    r.name,
                    r.status,
                    r.totals()["spikes"],
                    num(r.totals()["rate_hz"], ".2f"),
                    num(r.totals()["cv_isi"], ".3f"),
                    *(num(r.timings.get(k), ".3f") for k in keys),
                ]
            )
            if r.ok
            else row([r.name, r.status, r.error or "", "", "", *("" for _ in keys)])
            for r in cmp.runs.values()
        ),
    ]
    pairs = [
        row(["pair", "promised", "identical", "verdict", "reason"], "th"),
        *(
            row(
                [
                    ag.pair,
                    ag.expect,
                    "yes" if ag.identical else "no",
                    "within contract" if ag.within_contract else "OUTSIDE contract",
                    ag.reason,
                ]
            )
            for ag in cmp.agreement
        ),
    ]
    return (
        f"<div><p><b>Comparison</b> {escape(head)}</p>"
        f"<table>{''.join(runs)}</table>"
        + (f"<table>{''.join(pairs)}</table>" if cmp.agreement else "")
        + "</div>"
    )


def _cpu_name() -> str:
    import platform

    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _memory_gb() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return None


def _weighted(pairs) -> float | None:
    pairs = [(v, w) for v, w in pairs if v is not None and np.isfinite(v) and w > 0]
    total = sum(w for _, w in pairs)
    return sum(v * w for v, w in pairs) / total if total else None


def schema() -> dict:
    """The JSON Schema of :meth:`Comparison.to_dict` (``hub/compare_schema.json``)."""
    return json.loads(resources.files("hub").joinpath("compare_schema.json").read_text())


__all__ = [
    "compare",
    "Comparison",
    "BackendRun",
    "Agreement",
    "PopulationStats",
    "schema",
    "population_stats",
    "agree",
    "compare_trains",
    "timing_spread",
    "STATUSES",
]
