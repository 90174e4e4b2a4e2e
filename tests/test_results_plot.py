"""Results.plot (hub.figures) and the notebook tables of Results and Comparison: the figure
holds the run's numbers (raster marks at the spike times and indices, traces equal to the
signal, rates equal to hand-counted bins), renders to a PNG with marks where the spikes are,
and the HTML tables show the run's counts and rates."""

import io
import math
import sys
from html.parser import HTMLParser

import numpy as np
import pytest

import hub
from hub import Results, Signal, SpikeTrains, stats

pytest.importorskip("matplotlib")


def sample(duration=10.0):
    """Two populations and a recorded v; dt = 0.1 ms, 10 ms."""
    exc = SpikeTrains(2, [0, 1, 0, 1], [1, 50, 51, 100], 0.1)  # 0.1, 5.0, 5.1, 10.0 ms
    inh = SpikeTrains(3, [2, 2], [20, 70], 0.1)
    times = np.arange(1, 101) * 0.1
    v = np.stack([-65 + times, -70 + 0.5 * times], axis=1)
    return Results(
        {"exc": exc, "inh": inh},
        {("exc", "v"): Signal("v", "mV", times, np.array([1, 0]), v)},
        {"build_s": 0.25, "run_s": 0.5, "collect_s": 0.125},
        {"backend": "nest", "dt": 0.1, "seed": 7, "duration": duration, "label": "toy"},
    )


def test_default_figure_has_a_raster_per_population_a_trace_panel_and_rates():
    r = sample()
    fig = r.plot()
    axes = fig.axes
    assert [ax.get_title() for ax in axes] == [
        "exc: 4 spikes, 2 neurons",
        "inh: 2 spikes, 3 neurons",
        "exc.v: 2 of 2 recorded neurons",
        "population rate",
    ]
    for ax, label in zip(axes[:2], ["exc", "inh"]):
        (marks,) = ax.collections
        st = r.spikes(label)
        assert np.array_equal(marks.get_offsets(), np.column_stack([st.times, st.indices]))
        assert ax.get_ylabel() == "neuron"
    assert axes[2].get_ylabel() == "v (mV)"
    lines = axes[2].get_lines()
    assert [ln.get_label() for ln in lines] == ["neuron 1", "neuron 0"]
    for j, ln in enumerate(lines):
        assert np.array_equal(ln.get_xdata(), r.signal("exc", "v").times)
        assert np.array_equal(ln.get_ydata(), r.signal("exc", "v").values[:, j])
    assert axes[3].get_ylabel() == "rate (Hz, 5 ms bins)"
    assert axes[-1].get_xlabel() == "time (ms)" and axes[-1].get_xlim() == (0.0, 10.0)
    assert fig.get_suptitle() == "toy on nest, 10 ms"


def test_rates_are_the_hand_counted_bins():
    # exc: stamps 1, 50 in bin 0 ((s-1)//50 = 0), 51, 100 in bin 1; 2 spikes / 2 neurons / 5 ms
    # inh: stamps 20 and 70, one in each bin: 1 spike / 3 neurons / 5 ms
    fig = sample().plot(kinds="rates")
    (ax,) = fig.axes
    exc, inh = ax.patches
    assert exc.get_label() == "exc" and inh.get_label() == "inh"
    assert np.allclose(exc.get_data().values, [200.0, 200.0])
    assert np.allclose(inh.get_data().values, [1 / 3 / 0.005, 1 / 3 / 0.005])
    assert np.allclose(exc.get_data().edges, [0.0, 5.0, 10.0])
    # the same bins as hub.stats, which the compare report uses
    counts = stats.binned_counts(sample().spikes("exc"), 10.0, 5.0)
    assert np.allclose(exc.get_data().values, counts / 2 / 0.005)


def test_rates_of_a_run_that_does_not_end_on_a_bin():
    fig = sample(duration=7.0).plot(kinds=["rates"], bin_ms=5.0)
    exc = fig.axes[0].patches[0]
    # bin 1 is 2 ms long and holds stamp 51 (stamp 100 is past the end: clipped into it)
    assert np.allclose(exc.get_data().edges, [0.0, 5.0, 7.0])
    assert np.allclose(exc.get_data().values, [2 / 2 / 0.005, 2 / 2 / 0.002])


def test_kinds_and_populations_select_the_panels():
    r = sample()
    assert [ax.get_title() for ax in r.plot(kinds="raster").axes] == [
        "exc: 4 spikes, 2 neurons",
        "inh: 2 spikes, 3 neurons",
    ]
    assert len(r.plot(kinds=["traces", "rates"]).axes) == 2
    fig = r.plot(populations="inh")
    assert [ax.get_title() for ax in fig.axes] == ["inh: 2 spikes, 3 neurons", "population rate"]
    assert [p.get_label() for p in fig.axes[1].patches] == ["inh"]


def test_max_neurons_and_max_traces_cut_the_panels():
    r = sample()
    fig = r.plot(kinds=["raster", "traces"], populations="exc", max_neurons=1, max_traces=1)
    raster, trace = fig.axes
    assert raster.get_title() == "exc: 4 spikes, 2 neurons, neurons 0-0 shown"
    st = r.spikes("exc")
    first = st.indices == 0  # spikes at stamps 1 and 51
    assert np.array_equal(
        raster.collections[0].get_offsets(), np.column_stack([st.times, st.indices])[first]
    )
    assert list(st.stamps[first]) == [1, 51]
    assert trace.get_title() == "exc.v: 1 of 2 recorded neurons" and len(trace.get_lines()) == 1


def test_the_png_has_marks_where_the_spikes_are(tmp_path):
    from matplotlib.image import imread

    r = sample()
    fig = r.plot(kinds="raster", populations="exc", path=tmp_path / "run.png", dpi=100)
    img = imread(tmp_path / "run.png")
    assert fig.dpi == 100  # so the axes' transform maps data to the PNG's pixels
    width, height = fig.get_size_inches() * 100
    assert img.shape[:2] == (round(height), round(width))
    ax = fig.axes[0]
    dark = img[..., :3].mean(axis=2) < 0.8
    st = r.spikes("exc")
    for x, y in ax.transData.transform(np.column_stack([st.times, st.indices])):
        row, col = int(round(height - y)), int(round(x))
        assert dark[row - 2 : row + 3, col - 2 : col + 3].any(), (x, y)
    # and nothing drawn at a time and neuron without a spike (neuron 1 at 2.5 ms)
    x, y = ax.transData.transform((2.5, 1))
    row, col = int(round(height - y)), int(round(x))
    assert not dark[row - 2 : row + 3, col - 2 : col + 3].any()


def test_plot_of_a_real_run_shows_its_spikes():
    net = hub.Network(dt=0.1, seed=2)
    cells = net.add_population(8, hub.LIF(i_offset=np.linspace(1.0, 2.0, 8)), label="cells")
    net.record(cells, "spikes", "v")
    r = hub.run(net, backend="chip", duration=100.0)
    fig = r.plot(path=io.BytesIO())
    st = r.spikes("cells")
    assert len(st) > 20 and set(st.indices) == set(range(8))
    assert np.array_equal(fig.axes[0].collections[0].get_offsets()[:, 0], st.times)
    assert np.array_equal(
        fig.axes[1].get_lines()[0].get_ydata(), r.signal("cells", "v").values[:, 0]
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"kinds": "histogram"}, r"plot\.kinds: \['histogram'\] is not a kind; choose from"),
        ({"kinds": []}, r"plot\.kinds: \[\] is empty"),
        ({"kinds": 3}, r"plot\.kinds: 3 is not a kind"),
        ({"populations": ["exc", "out"]}, r"plot\.populations: \['out'\] not recorded"),
        ({"max_neurons": 0}, r"plot\.max_neurons: 0 is not an integer >= 1"),
        ({"bin_ms": -1.0}, r"plot\.bin_ms: -1\.0 is not a number of ms > 0"),
        ({"kinds": "traces", "populations": "inh"}, r"plot: the populations \['inh'\] have"),
    ],
)
def test_bad_arguments_are_hub_errors_naming_them(kwargs, match):
    with pytest.raises(hub.HubError, match=match):
        sample().plot(**kwargs)


def test_a_kind_without_data_says_what_to_record():
    r = sample()
    r.signals.clear()
    with pytest.raises(hub.HubError, match=r"'traces' needs recorded state variable.*'v'"):
        r.plot(kinds="traces")
    with pytest.raises(hub.HubError, match="nothing was recorded"):
        Results().plot()


def test_without_matplotlib_plot_is_a_hub_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(hub.HubError, match=r"matplotlib is not installed; pip install"):
        sample().plot()


# --- HTML for notebooks ------------------------------------------------------------------------
class _Cells(HTMLParser):
    """The text of every table row: [[cell, ...], ...]."""

    def __init__(self, html):
        super().__init__()
        self.rows, self._cell = [], None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.rows[-1].append(self._cell)
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def test_results_html_shows_each_populations_counts_rates_and_recordings():
    html = sample()._repr_html_()
    rows = _Cells(html).rows
    assert rows == [
        ["population", "neurons", "spikes", "rate (Hz)", "recorded"],
        # 4 spikes / 2 neurons / 10 ms = 200 Hz; 2 / 3 / 10 ms = 66.67 Hz
        ["exc", "2", "4", "200.00", "spikes; v [mV]: 2 neurons x 100 samples"],
        ["inh", "3", "2", "66.67", "spikes"],
    ]
    assert "on nest, 10 ms, dt = 0.1 ms, seed 7" in html
    assert "build 0.25 s, run 0.5 s, collect 0.125 s" in html


def test_results_html_escapes_labels():
    r = Results({"<b>": SpikeTrains(1, [0], [1], 0.1)}, provenance={"duration": 1.0})
    html = r._repr_html_()
    assert "<td>&lt;b&gt;</td>" in html and "<td><b></td>" not in html


def test_comparison_html_shows_each_backend_and_each_verdict():
    from hub.comparison import Agreement, BackendRun, Comparison, PopulationStats

    def ok(name, spikes, cv, build):
        return BackendRun(
            name,
            "ok",
            timings={"build_s": build, "run_s": 0.5, "collect_s": 0.25, "wall_s": 3.0},
            results=sample(),
            populations=[PopulationStats("exc", 100, False, spikes, 0.0, cv, 1.0)],
        )

    cmp = Comparison(
        {
            "label": "toy",
            "neurons": 100,
            "synapses": 900,
            "duration_ms": 10.0,
            "dt_ms": 0.1,
            "seed": 7,
        },
        {},
        {
            "nest": ok("nest", 40, 0.5, 1.25),
            "brian2": BackendRun("brian2", "crashed", "killed by signal SIGKILL"),
            "chip": ok("chip", 42, math.nan, 0.75),
        },
        [
            Agreement(
                "nest", "chip", "statistical", False, False, "rate differs by 5.0 %", 0.1, 5.0, 5.0
            ),
        ],
    )
    rows = _Cells(cmp._repr_html_()).rows
    header = [
        "backend",
        "status",
        "spikes",
        "rate (Hz)",
        "CV ISI",
        "build_s",
        "run_s",
        "collect_s",
        "wall_s",
    ]
    # rates: 40 spikes / 100 neurons / 10 ms = 40 Hz, 42 -> 42 Hz
    assert rows[:4] == [
        header,
        ["nest", "ok", "40", "40.00", "0.500", "1.250", "0.500", "0.250", "3.000"],
        ["brian2", "crashed", "killed by signal SIGKILL", "", "", "", "", "", ""],
        ["chip", "ok", "42", "42.00", "-", "0.750", "0.500", "0.250", "3.000"],
    ]
    assert rows[4:] == [
        ["pair", "promised", "identical", "verdict", "reason"],
        ["nest~chip", "statistical", "no", "OUTSIDE contract", "rate differs by 5.0 %"],
    ]


def test_a_notebook_shows_the_table_and_the_figure():
    """In a real Jupyter kernel: a Results as a cell's value is the HTML table, r.plot() a
    PNG (a figure made without pyplot would show as text there)."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    cells = [
        "from hub import Results, SpikeTrains\n"
        "r = Results({'exc': SpikeTrains(4, [0, 1, 3], [5, 9, 12], 0.1)},\n"
        "            provenance={'duration': 2.0, 'backend': 'nest'})",
        "r",
        "r.plot()",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    (table,) = nb.cells[1].outputs
    # 3 spikes / 4 neurons / 2 ms = 375 Hz
    assert "<td>exc</td><td>4</td><td>3</td><td>375.00</td>" in table["data"]["text/html"]
    (figure,) = nb.cells[2].outputs
    assert "image/png" in figure["data"]
    assert figure["data"]["text/plain"].startswith("<Figure size 800x")
