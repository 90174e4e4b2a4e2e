"""Every bad input is a HubError that names the field and the fix, raised before any simulator
is touched (the ``sentinel`` backend fails the test if it is ever built)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import hub
from hub.errors import HubError, ValidationError
from tests.conftest import SentinelTouched


def base_network():
    net = hub.Network(dt=0.1, seed=3)
    inp = net.add_source(hub.PoissonSource(rate=10.0), size=5, label="input")
    exc = net.add_population(10, hub.LIF(), label="exc")
    net.connect(inp, exc, hub.FixedProbability(0.5), hub.Static(weight=0.1, delay=1.0))
    net.record(exc, "spikes")
    return net, inp, exc


def run_invalid(net, **kw):
    """hub.run on the sentinel backend must raise before building anything."""
    with pytest.raises(HubError) as err:
        hub.run(net, backend=kw.pop("backend", "sentinel"), duration=10.0, **kw)
    assert not isinstance(err.value.__cause__, SentinelTouched), "the backend was built"
    assert not isinstance(err.value, hub.BackendError)
    return err.value


def assert_names(error, *fragments):
    text = str(error)
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in:\n{text}"


def test_valid_network_reaches_the_backend(sentinel):
    """Control: a valid network does reach build (so the tests below prove something)."""
    net, *_ = base_network()
    with pytest.raises(hub.BackendError) as err:
        hub.run(net, backend="sentinel", duration=10.0)
    assert isinstance(err.value.__cause__, SentinelTouched)


def test_unknown_model_name():
    with pytest.raises(ValidationError) as err:
        hub.model("IF_curr_foo")
    assert_names(err.value, "model", "'IF_curr_foo'", "use one of", "IF_curr_exp", "LIF")


def test_pynn_alias_is_accepted():
    m = hub.model("IF_curr_alpha", tau_m=10.0)
    assert m.kind == "LIF" and m.synapse == "alpha" and m.values["tau_m"] == 10.0


def test_negative_size(sentinel):
    net, *_ = base_network()
    net.add_population(-5, hub.LIF(), label="bad")
    err = run_invalid(net)
    assert isinstance(err, ValidationError)
    assert_names(err, "populations[2](bad).size", "-5", "use a size >= 1")


def test_wrong_unit(sentinel):
    net, *_ = base_network()
    net.add_population(3, hub.LIF(tau_m="5 mV"), label="bad")
    err = run_invalid(net)
    assert_names(err, "populations[2](bad).tau_m", "'5 mV'", "voltage", "give a value in ms")


def test_probability_above_one(sentinel):
    net, inp, exc = base_network()
    net.connect(inp, exc, hub.FixedProbability(1.5), hub.Static(0.1, 1.0))
    err = run_invalid(net)
    assert_names(err, "projections[1](input->exc).connector.p", "1.5", "use 0 <= p <= 1")


def test_delay_below_dt(sentinel):
    net, *_ = base_network()
    net.projections[0].synapse.delay = 0.05
    err = run_invalid(net)
    assert re.search(
        r"projections\[0\]\(input->exc\)\.synapse\.delay: 0\.05 ms is below "
        r"dt=0\.1 ms; use a delay >= dt",
        str(err),
    ), str(err)


def test_unknown_backend_name(sentinel):
    net, *_ = base_network()
    err = run_invalid(net, backend="nets")
    assert_names(err, "backend", "unknown backend 'nets'", "must be one of", "sentinel")


def test_backend_that_is_not_a_name(sentinel):
    net, *_ = base_network()
    with pytest.raises(HubError, match="not a backend name"):
        hub.run(net, backend=None, duration=10.0)


def test_unknown_probe_variable(sentinel):
    net, _, exc = base_network()
    net.record(exc, "vm")
    err = run_invalid(net)
    assert_names(err, "probes[1](exc.vm).variable", "no recordable 'vm'", "record one of", "'v'")


def test_unknown_parameter(sentinel):
    net, *_ = base_network()
    net.add_population(3, hub.LIF(tau_mem=10.0), label="bad")
    err = run_invalid(net)
    assert_names(
        err, "populations[2](bad).tau_mem", "no parameter 'tau_mem'", "use one of", "tau_m"
    )


def test_wrong_length_parameter_array(sentinel):
    net, *_ = base_network()
    net.add_population(4, hub.LIF(tau_m=np.full(3, 20.0)), label="bad")
    err = run_invalid(net)
    assert_names(
        err, "populations[2](bad).tau_m", "for 4 neurons", "give a scalar or an array of length 4"
    )


def test_positive_inhibitory_current_weight(sentinel):
    net, inp, exc = base_network()
    net.connect(inp, exc, hub.AllToAll(), hub.Static(weight=0.5, delay=1.0, receptor="inhibitory"))
    err = run_invalid(net)
    assert_names(
        err,
        "projections[1](input->exc).synapse.weight",
        "inhibitory",
        "must be <= 0",
        "use a negative weight",
    )


def test_negative_conductance_weight(sentinel):
    net = hub.Network(dt=0.1, seed=1)
    a = net.add_population(2, hub.LIFCond(), label="a")
    net.connect(a, a, hub.AllToAll(), hub.Static(weight=-0.01, delay=1.0, receptor="inhibitory"))
    err = run_invalid(net)
    assert_names(err, "projections[0](a->a).synapse.weight", "conductance weights must be >= 0")


def test_unknown_population_in_projection(sentinel):
    net, _, exc = base_network()
    net.connect("inputs", exc, hub.OneToOne())
    err = run_invalid(net)
    assert_names(
        err, "projections[1](inputs->exc).pre", "no population 'inputs'", "use one of", "'input'"
    )


def test_spike_source_cannot_receive(sentinel):
    net, inp, exc = base_network()
    net.connect(exc, inp, hub.AllToAll(), hub.Static(0.1, 1.0))
    err = run_invalid(net)
    assert_names(err, "projections[1](exc->input).post", "a spike source cannot receive")


def test_bad_duration(sentinel):
    net, *_ = base_network()
    with pytest.raises(ValidationError, match="duration.*run for a duration > 0 ms"):
        hub.run(net, backend="sentinel", duration=-1.0)


def test_wrong_length_per_connection_weights(sentinel):
    net = hub.Network(dt=0.1, seed=1)
    a = net.add_population(3, hub.LIF(), label="a")
    net.connect(a, a, hub.OneToOne(), hub.Static(weight=[0.1, 0.2], delay=1.0), label="w")
    err = run_invalid(net)
    assert_names(
        err, "projection 'w'.weight", "2 values for 3 connections", "one value per connection"
    )


def test_several_problems_are_reported_at_once(sentinel):
    net, inp, exc = base_network()
    net.add_population(0, hub.LIF(), label="empty")
    net.add_population(3, hub.LIF(tau_m="5 mV", tau_mem=1.0), label="bad")
    net.connect(inp, exc, hub.FixedProbability(2.0), hub.Static(0.1, 0.01))
    net.record(exc, "vm")
    err = run_invalid(net)
    assert isinstance(err, ValidationError)
    locations = [d.location for d in err.diagnostics]
    assert len(locations) >= 6, locations
    assert "populations[2](empty).size" in locations
    assert "populations[3](bad).tau_m" in locations
    assert "populations[3](bad).tau_mem" in locations
    assert "projections[1](input->exc).connector.p" in locations
    assert "projections[1](input->exc).synapse.delay" in locations
    assert "probes[1](exc.vm).variable" in locations
    assert str(err).startswith(f"{len(locations)} problem(s) found:")
    assert all(d.fix for d in err.diagnostics), "every diagnostic carries a fix"


def test_validate_returns_the_network_when_valid():
    net, *_ = base_network()
    assert net.validate() is net
    assert hub.diagnose(net) == []


def test_errors_are_hub_errors_and_value_errors():
    """One tree: ValidationError is a HubError and a ValueError (for generic handlers)."""
    assert issubclass(ValidationError, HubError) and issubclass(ValidationError, ValueError)
    for cls in (hub.CapabilityError, hub.PluginError, hub.BackendError, hub.ResourceError):
        assert issubclass(cls, HubError)


# --- non-finite values, None, units and types of every scalar (found by fuzzing) -----------------
def _with_model(**params):
    net = hub.Network(dt=0.1, seed=3)
    inp = net.add_source(hub.SpikeTimes([1.0]), size=1, label="input")
    exc = net.add_population(2, hub.LIF(**params), label="exc")
    net.connect(inp, exc, hub.AllToAll(), hub.Static(weight=0.1, delay=1.0))
    net.record(exc, "spikes")
    return net


def _with_synapse(**syn):
    net = hub.Network(dt=0.1, seed=3)
    inp = net.add_source(hub.SpikeTimes([1.0]), size=1, label="input")
    exc = net.add_population(2, hub.LIF(), label="exc")
    net.connect(inp, exc, hub.AllToAll(), hub.Static(**{"weight": 0.1, "delay": 1.0, **syn}))
    return net


def _with_source(source):
    net = hub.Network(dt=0.1, seed=3)
    inp = net.add_source(source, size=2, label="input")
    exc = net.add_population(2, hub.LIF(), label="exc")
    net.connect(inp, exc, hub.OneToOne(), hub.Static(weight=0.1, delay=1.0))
    return net


INF = float("inf")


@pytest.mark.parametrize(
    "make, fragments",
    [
        (lambda: _with_model(tau_m=INF), ["populations[1](exc).tau_m", "contains inf"]),
        (lambda: _with_model(v_thresh=-INF), ["populations[1](exc).v_thresh", "contains -inf"]),
        (lambda: _with_model(tau_m=None), ["exc).tau_m", "None is not a value", "default (20.0)"]),
        (lambda: _with_synapse(delay=INF), ["synapse.delay", "contains inf"]),
        (lambda: _with_synapse(weight=-INF), ["synapse.weight", "contains -inf"]),
        (lambda: _with_synapse(weight=hub.Uniform(0.0, INF)), ["synapse.weight", "finite bounds"]),
        (
            lambda: _with_synapse(weight=hub.Normal(0.1, 0.01, low=5.0, high=6.0)),
            ["synapse.weight", "holds less than 0.001 of the distribution"],
        ),
        (lambda: _with_source(hub.PoissonSource(rate=INF)), ["input).rate", "contains inf"]),
        (
            lambda: _with_source(hub.PoissonSource(rate=hub.Uniform(1.0, 2.0))),
            ["input).rate", "PoissonSource takes no distribution"],
        ),
    ],
)
def test_non_finite_and_missing_values(sentinel, make, fragments):
    assert_names(run_invalid(make()), *fragments)


def test_a_source_may_stop_at_infinity(sentinel):
    """+inf is the default of a source's stop: still accepted (the network reaches build)."""
    net = _with_source(hub.PoissonSource(rate=10.0, stop=INF))
    with pytest.raises(hub.BackendError) as err:
        hub.run(net, backend="sentinel", duration=10.0)
    assert isinstance(err.value.__cause__, SentinelTouched)


@pytest.mark.parametrize(
    "duration, fragments",
    [
        ("10 mV", ["duration", "is a voltage, expected ms"]),
        (None, ["duration", "None is not a number"]),
        (INF, ["duration", "must be positive and finite"]),
        (0.04, ["duration", "less than half a step", "at least dt = 0.1 ms"]),
    ],
)
def test_duration_is_checked(sentinel, duration, fragments):
    with pytest.raises(ValidationError) as err:
        hub.run(base_network()[0], backend="sentinel", duration=duration)
    assert_names(err.value, *fragments)


@pytest.mark.parametrize(
    "seed, fragment", [(-1, "-1 is negative"), (True, "True is not an integer")]
)
def test_seed_is_checked(sentinel, seed, fragment):
    net, *_ = base_network()
    net.seed = seed
    assert_names(run_invalid(net), "seed", fragment)


def test_objects_of_another_network_are_refused_by_identity():
    """Both networks name their population 'pop0'; wiring the other's would silently wire
    this one's if labels were compared."""
    net, other = hub.Network(dt=0.1), hub.Network(dt=0.1)
    mine, theirs = net.add_population(2, hub.LIF()), other.add_population(2, hub.LIF())
    assert mine.label == theirs.label
    with pytest.raises(ValidationError) as err:
        net.connect(theirs, mine, hub.OneToOne())
    assert_names(err.value, "connect.pre", "population 'pop0' belongs to another Network")
    for call, where in [
        (lambda: net.record(theirs, "spikes"), "record.population"),
        (lambda: net.inject(theirs, hub.DCSource(amplitude=1.0)), "inject.target"),
        (lambda: net.record(other.connect(theirs, theirs, hub.OneToOne())), "record.population"),
    ]:
        with pytest.raises(ValidationError) as err:
            call()
        assert where in str(err.value)
    net.connect(mine, mine, hub.OneToOne())  # its own population, and labels, still work
    net.record("pop0", "spikes")


def test_several_spikes_per_step_parameters(sentinel):
    """LIFSubtract[spikes=many]: max_spikes is a whole number >= 1, and v_reset must be below
    v_thresh (a spike subtracts d = v_thresh - v_reset); each error names field, value, fix."""
    net, *_ = base_network()
    net.add_population(3, hub.LIFSubtract(spikes="many", max_spikes=[1, 0, 2.5]), label="capped")
    net.add_population(
        2, hub.LIFSubtract(spikes="many", v_thresh=-50.0, v_reset=[-60.0, -50.0]), label="flat"
    )
    net.add_population(2, hub.LIFSubtract(spikes="sometimes"), label="odd")
    net.add_population(2, hub.LIFSubtract(v_thresh=-50.0, v_reset=-50.0), label="one_ok")
    err = run_invalid(net)
    assert_names(
        err,
        "populations[2](capped).max_spikes",
        "must be a whole number >= 1",
        "use an integer max_spikes of at least 1",
        "populations[3](flat).v_reset",
        "is not below v_thresh",
        "give v_reset < v_thresh",
        "populations[4](odd).spikes",
        "'sometimes' is not a LIFSubtract spikes",
        "['one', 'many']",
    )
    assert "one_ok" not in str(err)  # spikes="one" keeps its former rule


# --- fixed degrees onto the own population without self-connections ----------------------------
@pytest.mark.parametrize("connector", ["FixedInDegree", "FixedOutDegree"])
def test_fixed_degree_without_self_counts_one_partner_fewer(connector):
    """Found by fuzzing: a one-neuron population connected to itself with n = 1 and no self
    connections looped forever in resolve (every redraw was the neuron itself, with or without
    replacement); n equal to the population size without replacement silently connected a
    neuron to itself.  Both are ValidationErrors naming ``n``; one fewer is drawn correctly."""
    make = getattr(hub, connector)
    for size, n, replacement in ((1, 1, True), (1, 1, False), (3, 3, False)):
        net = hub.Network(dt=0.1, seed=1)
        pop = net.add_population(size, hub.LIF(), label="p")
        net.connect(pop, pop, make(n, allow_self_connections=False, with_replacement=replacement))
        with pytest.raises(hub.ValidationError) as err:
            hub.resolve(net, 1.0)
        assert "projections[0](p->p).connector.n" in str(err.value)
    net = hub.Network(dt=0.1, seed=1)
    pop = net.add_population(3, hub.LIF(), label="p")
    net.connect(pop, pop, make(2, allow_self_connections=False))
    proj = hub.resolve(net, 1.0).projections[0]
    assert proj.n == 6 and not np.any(proj.pre_idx == proj.post_idx)
