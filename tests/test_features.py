"""hub.features: the one declaration of the feature vocabulary, and the kit's use of it."""

import pytest

import hub
from hub import features as F
from hub.features import FeatureError, parse
from hub.testing import CHECKS
from hub.testing.reference import ReferenceBackend

BACKENDS = ["nest", "brian2", "chip"]


def _declared(name):
    try:
        return hub.get_backend(name).capabilities().features
    except hub.HubError as exc:  # a backend whose simulator is missing
        pytest.skip(f"{name}: {exc}")


def test_the_strings_are_the_contract_strings():
    """Backends declare plain strings, so the constants and constructors must spell exactly
    these."""
    assert (
        F.SPIKE_SOURCE,
        F.CURRENT_STEP,
        F.POISSON_NATIVE,
        F.SYNAPSE_STATIC,
        F.RECEPTOR_INHIBITORY,
        F.RECORD_SYNAPSE,
    ) == (
        "spike_source",
        "current:step",
        "source.poisson_native",
        "synapse:Static",
        "receptor:inhibitory",
        "record:synapse",
    )
    assert F.neuron("LIF[synapse=exp]") == "neuron:LIF[synapse=exp]"
    assert F.neuron(hub.Izhikevich().label) == "neuron:Izhikevich"
    assert F.record("LIF[synapse=exp]", "v") == "record:LIF[synapse=exp].v"
    assert F.record("ChipLIF", "u") == "record:ChipLIF.u"
    rule = hub.STDP().label
    assert F.plasticity(rule) == "plasticity:STDP[pairing=all,weight_dependence=additive]"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("spike_source", F.Feature("spike_source")),
        ("record:synapse", F.Feature("record:synapse")),
        ("neuron:LIF[synapse=alpha]", F.Feature("neuron", "LIF[synapse=alpha]")),
        ("record:AdEx[synapse=exp].gsyn_exc", F.Feature("record", "AdEx[synapse=exp]", "gsyn_exc")),
        ("record:HodgkinHuxley.v", F.Feature("record", "HodgkinHuxley", "v")),
        ("plasticity:TsodyksMarkram", F.Feature("plasticity", "TsodyksMarkram")),
    ],
)
def test_parse_round_trips(text, expected):
    assert parse(text) == expected
    assert str(parse(text)) == text


@pytest.mark.parametrize(
    "text",
    [
        "current:stepp",
        "spike-source",
        "source.poisson",
        "synapse:static",
        "receptor:excitatory",
        "neuron:",
        "neuron:LIF[synapse=exp",
        "neuron:LIF[synapse]",
        "neuron:LIF[]",
        "record:LIF[synapse=exp]",
        "record:LIF[synapse=exp].",
        "record:.v",
        "plasticity:STDP[weight_dependence=additive,pairing=all]",  # keys not sorted
        "neuron:LIF[synapse=exp,synapse=exp]",
        "neurons:LIF",
        "LIF",
        "",
        "neuron:LIF v",
    ],
)
def test_parse_rejects_anything_else(text):
    with pytest.raises(FeatureError, match="feature"):
        parse(text)


def test_constructors_reject_malformed_labels():
    with pytest.raises(FeatureError):
        F.neuron("LIF[synapse=exp")
    with pytest.raises(FeatureError):
        F.record("LIF", "")
    assert issubclass(FeatureError, hub.HubError) and issubclass(FeatureError, ValueError)


def test_needs_rejects_a_misspelt_feature_when_the_check_is_declared():
    from hub.testing.checks import needs

    with pytest.raises(FeatureError, match="current:stepp"):

        @needs(F.neuron("LIF[synapse=exp]"), "current:stepp")
        def check_never_registered(backend):  # pragma: no cover
            pass

    assert "check_never_registered" not in CHECKS


def test_every_check_needs_parseable_features():
    for check in CHECKS.values():
        for feature in check.needs:
            parse(feature)


def test_every_needed_feature_is_declared_by_some_backend():
    """A well-formed but misspelt label (``neuron:LFI``) would still parse; no backend
    declaring it is the tell."""
    declared = set(ReferenceBackend().capabilities().features)
    for name in BACKENDS:
        declared |= _declared(name)
    for name, check in CHECKS.items():
        missing = set(check.needs) - declared
        assert not missing, f"{name} needs {missing}, which no backend declares"


@pytest.mark.parametrize("name", BACKENDS)
def test_every_declared_feature_parses(name):
    for feature in _declared(name):
        parse(feature)
    for label in hub.get_backend(name).capabilities().tolerances:
        if label.startswith("plasticity:"):
            parse(label)


def test_reference_backend_features_parse():
    for feature in ReferenceBackend().capabilities().features:
        parse(feature)


def test_required_features_moved_and_re_exported():
    from hub.backend import required_features

    assert required_features is F.required_features
    net = hub.Network(dt=0.1, seed=3)
    src = net.add_source(hub.PoissonSource(rate=20.0), size=4, label="in")
    nat = net.add_source(hub.PoissonSource(rate=20.0, resolve="native"), size=2, label="nat")
    cells = net.add_population(2, hub.LIF(synapse="alpha"), label="cells")
    net.connect(
        src, cells, hub.AllToAll(), hub.Plastic(hub.STDP(w_max=0.5), 0.3, 1.5), label="plastic"
    )
    net.connect(nat, cells, hub.AllToAll(), hub.Static(-0.2, 1.0, receptor="inhibitory"))
    net.inject(cells, hub.DCSource(amplitude=0.1, start=1.0, stop=5.0))
    net.record(cells, "spikes", "v", "isyn_exc")
    net.record(net.projections[0], "weight", interval=1.0)
    need = required_features(hub.resolve(net, 10.0))
    assert need == [
        "neuron:LIF[synapse=alpha]",
        "spike_source",
        "source.poisson_native",
        "current:step",
        "synapse:Static",
        "receptor:inhibitory",
        "plasticity:STDP[pairing=all,weight_dependence=additive]",
        "record:synapse",
        "record:LIF[synapse=alpha].v",
        "record:LIF[synapse=alpha].isyn_exc",
    ]
    for feature in need:
        parse(feature)
