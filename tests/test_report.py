"""The HTML report of a comparison (hub.report): real tables holding the Comparison's numbers,
the versions and the machine, the command that reproduces it, shared bin edges and the right
weight unit per target model, one self-contained file; and (slow) the page in headless
Chromium: not blank, no horizontal scroll."""

import json
import os
import platform
import re
import shutil
import subprocess
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

import hub
from hub.cli import main
from hub.report import reproduce_command

HERE = Path(__file__).resolve().parent


# =============================================================================================
# fixtures: comparisons made with the test backends of tests/compare_backends.py
# =============================================================================================
@pytest.fixture(scope="module")
def test_backends():
    """The test backends in this process and in every worker (SNN_HUB_PLUGINS, PYTHONPATH)."""
    from hub.plugins import reset_plugin_manager

    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(HERE))
        path = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        mp.setenv("PYTHONPATH", os.pathsep.join([str(HERE), *path]))
        mp.setenv("SNN_HUB_PLUGINS", "compare_backends")
        mp.setenv("SNN_HUB_DISABLE_PLUGIN_AUTOLOAD", "1")
        reset_plugin_manager(None)
        yield
    reset_plugin_manager(None)


def network(model, weight, label):
    """Poisson input onto 20 neurons of ``model`` with normally distributed weights (so the
    weights panel has a histogram), recurrent connections with one weight."""
    net = hub.Network(dt=0.1, seed=5, label=label)
    inp = net.add_source(hub.PoissonSource(rate=300.0), size=20, label="input")
    cells = net.add_population(20, model, label="cells")
    net.connect(
        inp,
        cells,
        hub.FixedProbability(0.5),
        hub.Static(weight=hub.Normal(weight, weight / 4, low=0.0), delay=1.0),
        label="in",
    )
    net.connect(
        cells,
        cells,
        hub.FixedProbability(0.1),
        hub.Static(weight=weight / 2, delay=2.0),
        label="rec",
    )
    net.record(cells, "spikes")
    return net


@pytest.fixture(scope="module")
def delta_cmp(test_backends):
    """LIF with delta synapses (weights in mV) on two backends; ``twin`` reports final
    weights 1.1 times the given ones, ``raiser`` fails."""
    net = network(hub.LIF(synapse="delta", tau_refrac=2.0), 4.0, "delta net")
    return hub.compare(net, backends=["steady", "twin", "raiser"], duration=200.0)


@pytest.fixture(scope="module")
def cond_cmp(test_backends):
    """Conductance-based LIF (weights in uS) on the ODE reference."""
    net = network(hub.LIFCond(tau_refrac=2.0), 0.02, "conductance net")
    return hub.compare(net, backends=["ode"], duration=100.0)


# =============================================================================================
# reading the page back
# =============================================================================================
class Page(HTMLParser):
    """Tables (caption, headers, rows of cell texts), the elements that name a resource
    (src, href), style blocks, scripts, and the text of each ``<pre>``."""

    def __init__(self, text):
        super().__init__()
        self.tables, self.resources, self.styles, self.scripts, self.pres = [], [], [], 0, []
        self._table = self._row = self._cell = self._caption = self._style = self._pre = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("src", "href", "srcset", "data", "poster"):
            if attrs.get(key):
                self.resources.append((tag, attrs[key]))
        if tag == "script":
            self.scripts += 1
        elif tag == "style":
            self._style = []
        elif tag == "pre":
            self._pre = []
        elif tag == "table":
            self._table = {"caption": "", "headers": [], "rows": []}
        elif tag == "caption":
            self._caption = []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "style":
            self.styles.append("".join(self._style))
            self._style = None
        elif tag == "pre":
            self.pres.append("".join(self._pre))
            self._pre = None
        elif tag == "caption":
            self._table["caption"] = "".join(self._caption)
            self._caption = None
        elif tag in ("td", "th"):
            self._row.append(("".join(self._cell).strip(), tag))
            self._cell = None
        elif tag == "tr":
            if all(kind == "th" for _, kind in self._row):
                self._table["headers"] = [c for c, _ in self._row]
            else:
                self._table["rows"].append([c for c, _ in self._row])
            self._row = None
        elif tag == "table":
            self.tables.append(self._table)
            self._table = None

    def handle_data(self, data):
        for buf in (self._cell, self._caption, self._style, self._pre):
            if buf is not None:
                buf.append(data)

    def table(self, first_header, *more):
        """The table whose headers start with ``first_header`` and include ``more``."""
        found = [
            t
            for t in self.tables
            if t["headers"][:1] == [first_header] and all(h in t["headers"] for h in more)
        ]
        assert len(found) == 1, [t["headers"] for t in self.tables]
        return found[0]

    def records(self, first_header, *more):
        t = self.table(first_header, *more)
        return [dict(zip(t["headers"], row)) for row in t["rows"]]


def number(cell: str) -> float:
    return float(cell.replace(",", "").replace("+", ""))


def close(cell: str, value, decimals: int) -> bool:
    """The cell shows ``value`` rounded to ``decimals`` places."""
    return abs(number(cell) - value) <= 0.5 * 10**-decimals + 1e-12


# =============================================================================================
# the tables hold the Comparison's numbers
# =============================================================================================
def test_the_activity_table_holds_every_population_of_every_run(delta_cmp):
    page = Page(delta_cmp.to_html())
    rows = {(r["population"], r["backend"]): r for r in page.records("population", "rate Hz")}
    ran = [r for r in delta_cmp.runs.values() if r.ok]
    assert len(ran) == 2 and len(rows) == sum(len(r.populations) for r in ran)
    for run in ran:
        for p in run.populations:
            row = rows[(p.label, run.name)]
            assert number(row["spikes"]) == p.spikes > 0
            assert number(row["neurons"]) == p.neurons
            assert close(row["rate Hz"], p.rate_hz, 3)
            assert close(row["CV ISI"], p.cv_isi, 3)
            assert close(row["Fano"], p.fano, 2)
            assert row["model"] == ("LIF[synapse=delta]" if p.label == "cells" else "spike source")


def test_the_time_and_memory_table_holds_every_timing(delta_cmp):
    page = Page(delta_cmp.to_html())
    rows = {r["backend"]: r for r in page.records("backend", "build s", "peak memory MiB")}
    assert set(rows) == {"steady", "twin", "raiser"}
    for name in ("steady", "twin"):
        run, row = delta_cmp.runs[name], rows[name]
        assert row["status"] == "ok"
        for key, header in (("import_s", "import s"), ("build_s", "build s"), ("run_s", "run s")):
            assert close(row[header], run.timings[key], 3), (key, row[header])
        assert close(row["wall s"], run.timings["wall_s"], 3)
        assert close(row["peak memory MiB"], run.peak_rss_mb, 0)
    assert rows["raiser"]["status"] == "error"
    assert "the test backend broke on purpose" in delta_cmp.to_html()


def test_the_agreement_tables_hold_the_pair_and_each_population(delta_cmp):
    page = Page(delta_cmp.to_html())
    a = delta_cmp.pair("steady", "twin")
    (pair,) = page.records("pair", "promised", "contract")
    assert pair["pair"] == "steady~twin" and pair["promised"] == a.expect == "identical"
    assert pair["identical"] == "yes" and pair["contract"] == "ok" and pair["statistics"] == "ok"
    assert close(pair["matched"], a.totals["matched"], 3)
    assert close(pair["van Rossum"], a.totals["van_rossum_norm"], 3)
    assert close(pair["rate corr"], a.totals["rate_corr"], 3)
    pops = page.records("population", "pair", "matched")
    assert [p["population"] for p in pops] == [p["label"] for p in a.populations] == ["cells"]
    p, src = pops[0], a.populations[0]
    assert p["spikes a / b"] == f"{src['spikes_a']:,} / {src['spikes_b']:,}"
    assert close(p["rate a Hz"], src["rate_a_hz"], 3) and close(p["rate b Hz"], src["rate_b_hz"], 3)
    assert p["statistics"] == "ok"
    (w,) = page.records("pair", "plastic projections")
    assert a.weights["max_abs_diff"] > 0  # twin's final weights are 1.1 x steady's
    assert number(w["max |dw|"]) == pytest.approx(a.weights["max_abs_diff"], rel=5e-3)


def test_no_summary_in_preformatted_text(delta_cmp):
    """The summary is tables, not the terminal table in a <pre> (that scrolled sideways)."""
    page = Page(delta_cmp.to_html())
    text_table = delta_cmp.table()
    assert not any("rate Hz" in pre or pre.strip() == text_table.strip() for pre in page.pres)
    assert len(page.tables) >= 6


def test_a_failed_comparison_without_a_run_still_renders(test_backends):
    cmp = hub.compare(network(hub.LIF(), 0.5, "n"), backends=["raiser"], duration=20.0)
    page = Page(cmp.to_html())
    (row,) = page.records("backend", "peak memory MiB")
    assert row["status"] == "error" and not cmp.agreement


# =============================================================================================
# versions, machine, command
# =============================================================================================
def test_versions_and_the_machine_come_from_the_provenance(delta_cmp):
    page = Page(delta_cmp.to_html())
    t = page.table("package", "steady", "twin")
    versions = {row[0]: row[1:] for row in t["rows"]}
    assert t["headers"] == ["package", "steady", "twin", "raiser"]
    assert versions["snn-hub"][:2] == [hub.__version__, hub.__version__]
    machine = {row[0]: row[1] for row in page.table("machine")["rows"]}
    prov = delta_cmp.provenance
    assert (
        machine["cores"] == str(os.cpu_count()) and machine["Python"] == platform.python_version()
    )
    assert machine["architecture"] == platform.machine() and machine["processor"] == prov["cpu"]
    assert machine["operating system"] == platform.platform()
    assert f"numpy {np.__version__}" in machine["libraries (comparing process)"]
    assert prov["memory_gb"] > 0 and machine["memory"] == f"{prov['memory_gb']:g} GiB"


def test_the_command_reproduces_the_comparison(test_backends, tmp_path, capsys):
    builder = tmp_path / "tiny.py"
    builder.write_text(
        "import sys\nsys.path.insert(0, %r)\nfrom test_report import network\nimport hub\n"
        "DURATION = 30.0\n\ndef build(w=4.0):\n"
        "    return network(hub.LIF(synapse='delta'), float(w), 'tiny')\n" % str(HERE)
    )
    first = tmp_path / "first.json"
    argv = [
        "compare", str(builder), "-b", "steady,twin", "--param", "w=3.5", "--tau", "3",
        "--save", str(first), "--html", str(tmp_path / "r.html"), "--no-progress",
    ]  # fmt: skip
    assert main(argv) == 0
    capsys.readouterr()
    page = Page((tmp_path / "r.html").read_text())
    command = [p for p in page.pres if p.startswith("snn-hub compare")]
    assert command == [
        f"snn-hub compare {builder} --param w=3.5 --backends steady,twin --duration 30 --tau 3"
    ]
    # the command, run again, gives the same comparison
    again = tmp_path / "again.json"
    args = command[0].split()[1:] + ["--save", str(again), "--no-progress"]
    assert main(args) == 0
    capsys.readouterr()
    a, b = (json.loads(p.read_text()) for p in (first, again))
    assert a["model"] == b["model"] and a["settings"] == b["settings"]
    assert [x["populations"] for x in a["backends"]] == [x["populations"] for x in b["backends"]]


def test_a_network_from_python_gets_a_command_for_its_saved_file(delta_cmp):
    cmd = reproduce_command(delta_cmp)
    assert cmd == "snn-hub compare model.npz --backends steady,twin,raiser --duration 200"
    assert 'hub.save(net, "model.npz")' in delta_cmp.to_html()


def test_the_command_carries_options_and_settings_that_are_not_the_default(delta_cmp):
    runs = {
        "steady": replace(delta_cmp.runs["steady"], options={"codegen": "cython", "threads": 2}),
        "twin": delta_cmp.runs["twin"],
    }
    settings = {
        **delta_cmp.settings,
        "backends": ["steady", "twin"],
        "repeat": 3,
        "timeout_s": 60.0,
        "tolerance_ms": 0.5,
        "bin_ms": 2.0,
    }
    model = {**delta_cmp.model, "source": "models/my net.py", "params": {"scale": "0.5"}}
    cmp = replace(delta_cmp, runs=runs, settings=settings, model=model)
    assert reproduce_command(cmp) == (
        "snn-hub compare 'models/my net.py' --param scale=0.5 --backends steady,twin "
        "--duration 200 --repeat 3 --timeout 60 --tolerance 0.5 --bin 2 "
        "--option steady.codegen=cython --option steady.threads=2"
    )


# =============================================================================================
# weights: one bin edge array per panel, the unit of the target model
# =============================================================================================
def weight_axes(cmp):
    from hub.plot import comparison_figures

    figs = comparison_figures(cmp)
    axes = figs["Weights"].axes
    for f in figs.values():
        import matplotlib.pyplot as plt

        plt.close(f)
    return axes


def stairs_of(ax):
    from matplotlib.patches import StepPatch

    return [p for p in ax.patches if isinstance(p, StepPatch)]


def test_every_weight_histogram_of_a_panel_shares_one_bin_edge_array(delta_cmp):
    (ax,) = weight_axes(delta_cmp)
    stairs = stairs_of(ax)
    labels = sorted(s.get_label() for s in stairs)
    # the given weights of "in" (one value for "rec": listed, not drawn), and the final
    # weights of both projections on both backends (the test backends report them all)
    assert labels == [
        "in (given)", "in on steady (final)", "in on twin (final)",
        "rec on steady (final)", "rec on twin (final)",
    ]  # fmt: skip
    edges = [s.get_data().edges for s in stairs]
    for e in edges[1:]:
        np.testing.assert_array_equal(e, edges[0])
    # twin's final weights are 1.1 x the given ones: the shared edges span both
    given = delta_cmp.resolved.projections[0].weight
    assert edges[0][0] <= given.min() and edges[0][-1] >= 1.1 * given.max()
    counts = {s.get_label(): s.get_data().values for s in stairs}
    assert counts["in (given)"].sum() == counts["in on twin (final)"].sum() == given.size


def test_delta_synapse_weights_are_in_mV(delta_cmp):
    (ax,) = weight_axes(delta_cmp)
    assert "(mV;" in ax.get_xlabel() and "nA" not in ax.get_xlabel() + ax.get_title()
    page = Page(delta_cmp.to_html())
    proj = {r["projection"]: r for r in page.records("projection", "pre -> post", "unit")}
    assert proj["in"]["unit"] == proj["rec"]["unit"] == "mV"
    w = delta_cmp.resolved.projections[0].weight
    assert close(proj["in"]["mean"], w.mean(), 3) and close(proj["in"]["min"], w.min(), 3)
    final = page.records("projection", "backend", "std")
    assert {r["unit"] for r in final} == {"mV"} and len(final) == 4
    assert "uS" not in page.table("projection", "pre -> post")["caption"].split(":")[0]


def test_conductance_weights_are_in_uS(cond_cmp):
    assert cond_cmp.ok, cond_cmp.failed
    (ax,) = weight_axes(cond_cmp)
    assert "(uS;" in ax.get_xlabel() and "nA" not in ax.get_xlabel() and "mV" not in ax.get_xlabel()
    page = Page(cond_cmp.to_html())
    proj = {r["projection"]: r for r in page.records("projection", "pre -> post", "unit")}
    assert proj["in"]["unit"] == proj["rec"]["unit"] == "uS"
    assert proj["in"]["target model"] == "LIFCond[synapse=exp]"
    assert re.search(r"weights in uS: 40 bins of [0-9.e-]+ uS", cond_cmp.to_html())


# =============================================================================================
# one self-contained file
# =============================================================================================
def test_the_page_names_no_external_resource(delta_cmp):
    text = delta_cmp.to_html()
    page = Page(text)
    assert page.scripts == 0
    images = [v for tag, v in page.resources if tag == "img"]
    assert len(images) == 3  # rasters, activity, weights
    assert all(v.startswith("data:image/png;base64,") for v in images)
    assert all(v.startswith(("data:", "#")) for _, v in page.resources), page.resources
    for css in page.styles:
        assert "@import" not in css and "url(" not in css
    assert not re.search(r"(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text.split("<details>")[0])


# =============================================================================================
# in a real browser (slow): the page is drawn, and nothing scrolls sideways
# =============================================================================================
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--window-size=1280,2000",
]
#: appended to a copy of the report (the report itself has no script): every element whose
#: right edge lies beyond the viewport, and the document's scroll and client widths
LAYOUT_PROBE = """<script>
const de = document.documentElement;
const wide = [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > de.clientWidth + 0.5)
  .map(e => e.tagName + (e.id ? '#' + e.id : ''));
document.body.setAttribute('data-layout', JSON.stringify(
  {scrollWidth: de.scrollWidth, clientWidth: de.clientWidth, wide: wide.slice(0, 10)}));
</script>"""


def chromium(*args, timeout=120):
    return subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "HOME": os.environ.get("HOME", "/tmp")},
    )


@pytest.mark.slow
@pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (make browser: apt-get install chromium); the "
    "screenshot check of the HTML report needs a headless browser",
)
def test_the_report_in_headless_chromium(delta_cmp, tmp_path):
    from PIL import Image

    report = tmp_path / "report.html"
    delta_cmp.to_html(report)
    shot = tmp_path / "report.png"
    done = chromium(f"--screenshot={shot}", report.as_uri())
    assert shot.is_file(), done.stderr[-2000:]
    img = np.asarray(Image.open(shot).convert("RGB"))
    assert img.shape == (2000, 1280, 3)
    ink = (img < 200).any(axis=2)  # not near-white
    assert 0.01 < ink.mean() < 0.6, ink.mean()  # text, tables and figures; not blank
    rows = ink.any(axis=1)
    assert rows[:200].any() and rows[1000:].any()  # drawn from the top to well down the page
    assert len(np.unique(img.reshape(-1, 3)[::7], axis=0)) > 50  # figures, not only text

    probe = tmp_path / "probe.html"
    probe.write_text(report.read_text().replace("</body>", LAYOUT_PROBE + "</body>"))
    done = chromium("--dump-dom", probe.as_uri())
    m = re.search(r"data-layout=\"([^\"]*)\"", done.stdout)
    assert m, done.stdout[:500] + done.stderr[-2000:]
    layout = json.loads(m.group(1).replace("&quot;", '"'))
    assert layout["clientWidth"] > 1000, layout
    assert layout["scrollWidth"] <= layout["clientWidth"], layout
    assert layout["wide"] == [], layout
