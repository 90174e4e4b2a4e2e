"""Plastic synapses in the IR: declaration, validation, save/load, resolve, capabilities."""

import numpy as np
import pytest

import hub
from hub.backend import required_features


def plastic_net(rule=None, weight=0.3):
    net = hub.Network(dt=0.1, seed=3)
    src = net.add_source(hub.PoissonSource(rate=20.0), size=4, label="in")
    cells = net.add_population(2, hub.LIF(), label="cells")
    dopa = net.add_source(hub.PoissonSource(rate=5.0), size=1, label="dopa")
    proj = net.connect(
        src,
        cells,
        hub.AllToAll(),
        hub.Plastic(rule or hub.STDP(w_max=0.5, A_minus=0.012), weight, 1.5),
        label="plastic",
    )
    return net, proj, dopa


@pytest.mark.parametrize(
    "rule",
    [
        hub.STDP(pairing="nearest_symmetric", weight_dependence="gutig", mu_plus=0.3),
        hub.TripletSTDP(A_plus=1e-3),
        hub.TsodyksMarkram(U=0.2, tau_fac=100.0),
        hub.VogelsSprekeler(eta="0.002 nA"),
        hub.DopamineSTDP(modulator="dopa", w_max=1.0, modulator_delay=2.0),
    ],
)
def test_plastic_networks_save_and_load_equal(tmp_path, rule):
    net, proj, _ = plastic_net(rule)
    net.record(proj, *rule.state, interval=1.0, indices=[0, 3])
    back = hub.load(hub.save(net, tmp_path / "net.npz"))
    assert back == net
    assert back.projections[0].synapse.rule == rule
    assert list(back.synapse_probes[0].indices) == [0, 3]


def test_rule_labels_are_capability_features():
    net, proj, _ = plastic_net(hub.STDP(pairing="nearest_restricted"))
    net.record(proj, "weight", interval=5.0)
    need = required_features(hub.resolve(net, 10.0))
    assert "plasticity:STDP[pairing=nearest_restricted,weight_dependence=additive]" in need
    assert "record:synapse" in need


def test_resolve_converts_rule_parameters_to_the_target_weight_unit():
    net, _, _ = plastic_net(hub.VogelsSprekeler(eta="2 pA", w_max="0.5 nA"))
    rule = hub.resolve(net, 10.0).projections[0].rule
    assert rule.params["eta"] == pytest.approx(0.002) and rule.params["w_max"] == 0.5
    assert rule.kind == "VogelsSprekeler"


def test_every_rule_problem_is_reported_at_once():
    net, proj, _ = plastic_net(hub.STDP(w_max=0.2, tau_plus=-1.0, pairing="closest", eta=1))
    net.connect(
        "in",
        "cells",
        hub.AllToAll(),
        hub.Plastic(hub.DopamineSTDP(modulator="nowhere", w_min=0.5, w_max=1.0), 0.3),
    )
    net.connect("in", "cells", hub.AllToAll(), hub.Plastic("stdp", 0.1))
    net.record(proj, "u")
    net.record(net.projections[2], "weight", interval=0.25)
    with pytest.raises(hub.ValidationError) as err:
        net.validate()
    text = str(err.value)
    for expected in [
        "rule.eta: STDP has no parameter 'eta'",
        "rule.pairing: 'closest' is not",
        "rule.tau_plus: -1 ms must be > 0",
        "exceeds w_max=0.2",
        "rule.modulator: no population 'nowhere'",
        "below w_min=0.5",
        "'stdp' is not a learning rule",
        "STDP synapses have no 'u'",
        "not a plastic projection",
    ]:
        assert expected in text, (expected, text)


def test_synapse_probe_indices_are_checked_at_resolve():
    net, proj, _ = plastic_net()
    net.record(proj, "weight", indices=[0, 8])
    with pytest.raises(hub.ValidationError, match="projection has 8 synapses"):
        hub.resolve(net, 10.0)


def test_backend_without_the_rule_raises_capability_error():
    net, _, _ = plastic_net(hub.TsodyksMarkram())
    with pytest.raises(hub.CapabilityError, match=r"plasticity:TsodyksMarkram: .*nest"):
        hub.run(net, backend="chip", duration=10.0)


def test_results_keep_synapse_state_through_save(tmp_path):
    res = hub.Results()
    res.synapse_state[("p", "weight")] = np.array([0.1, 0.2])
    res.synapse_signals[("p", "weight")] = hub.Signal(
        "weight", "nA", np.array([1.0, 2.0]), np.array([1]), np.array([[0.2], [0.3]])
    )
    back = hub.Results.load(res.save(tmp_path / "r.npz"))
    assert back.weights("p").tolist() == [0.1, 0.2]
    assert back.synapse_signal("p").values.tolist() == [[0.2], [0.3]]
    with pytest.raises(hub.HubError, match="only plastic projections"):
        back.weights("q")


def test_every_rule_is_documented_with_units():
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "models.md").read_text()
    for cls in hub.RULES.values():
        assert f"### `{cls.kind}`" in text
        for p in cls.parameters:
            assert f"| `{p.name}` | {p.unit} |" in text, (cls.kind, p.name)
