"""Potjans and Diesmann (2014) cortical microcircuit, as NEST's example
``pynest/examples/Potjans_2014/`` (network_params.py, stimulus_params.py, sim_params.py,
network.py, helpers.py), scalable.

Source: T. C. Potjans and M. Diesmann, "The cell-type specific cortical microcircuit:
relating structure and activity in a full-scale spiking network model", Cerebral Cortex
24(3):785-806 (2014), doi:10.1093/cercor/bhs358.

Eight populations of one 1 mm^2 column: L23E, L23I, L4E, L4I, L5E, L5I, L6E, L6I with
N = 20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948 neurons at full scale (77169).
Neurons: ``iaf_psc_exp`` (``hub.LIF(synapse="exp")``): C_m = 250 pF, tau_m = 10 ms,
tau_syn = 0.5 ms (both receptors), t_ref = 2 ms, E_L = V_reset = -65 mV, V_th = -50 mV.

Connectivity: the connection probability C[i][j] (target i, source j) of the paper's
Table 5 becomes a total number of synapses between the full-scale populations,

    K[i][j] = log(1 - C[i][j]) / log(1 - 1 / (N_i N_j)),

scaled to ``round(K[i][j] * scale * k_scale)`` and drawn with ``hub.FixedTotalNumber``
(multapses allowed, no autapses, as NEST's example).  Weights: a PSP of 0.15 mV mean peak,
turned into a PSC amplitude by the peak of the exp-PSC PSP,

    PSC / PSP = C_m (tau_syn - tau_m) / (tau_m tau_syn (f^tau_m - f^tau_syn)),
    f = (tau_m / tau_syn)^(1 / (tau_syn - tau_m))

(87.81 pA for 0.15 mV), L4E -> L23E doubled, inhibitory ones g = -4 times; normal with
relative sd 0.1, redrawn outside [0, inf) (excitatory) or (-inf, 0] (inhibitory).
Delays: normal, mean 1.5 ms (excitatory sources) and 0.75 ms (inhibitory), relative sd
0.5, redrawn below dt.  (NEST's example redraws below dt / 2 and rounds to steps, so a
draw in [dt/2, dt) is one step there and is redrawn here: 1.1 % of inhibitory and 0.4 %
of excitatory delays; the hub refuses a delay distribution reaching below dt.)

Background: ``background="poisson"``: each neuron receives its own Poisson train of rate
8 Hz x K_ext (K_ext = 1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100, times ``k_scale``,
rounded) with the excitatory PSC and 1.5 ms delay (NEST: one ``poisson_generator`` per
population, connected all to all, which sends each target its own train);
``background="dc"``: instead the mean current 8 Hz K_ext PSC_ext tau_syn.
``poisson="native"`` lets each backend draw the trains itself (statistics only), and
``connect="native"`` the connections (NEST's ``fixed_total_number``; the hub then holds no
connection arrays, about 32 bytes per synapse less).

Initial V: ``v0="optimized"`` (NEST's default): normal per population, mean -68.28,
-63.16, -63.33, -63.45, -63.11, -61.66, -66.72, -61.43 mV, sd 5.36, 4.57, 4.74, 4.94, 4.94,
4.55, 5.46, 4.48 mV; ``v0="original"``: normal(-58 mV, 10 mV) for all.

Scaling (NEST's ``N_scaling`` = ``scale``, ``K_scaling`` = ``k_scale``, default the same as
``scale``): neuron numbers round(N scale), synapse numbers round(K scale k_scale), so the
in-degrees scale by k_scale.  With k_scale < 1 the weights grow by 1 / sqrt(k_scale) (the
input's variance kept) and a DC current restores the lost mean input of the full-scale
network at its published rates nu_j,

    I_DC,i += 1e-3 tau_syn (1 - sqrt(k_scale)) (sum_j PSC[i][j] K[i][j] / N_i nu_j
                                                 + PSC_ext K_ext,i 8 Hz)   (pA),

(the external term with Poisson background only).  The rates of a k-scaled network then
differ from the full network's (the compensation holds the mean input at the full
network's rates, not the correlations): docs/microcircuit.md gives the measured figures.
"""

import math

import numpy as np

import hub

DURATION = 1000.0  # ms

POPULATIONS = ("L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I")
N_FULL = np.array([20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948])
#: connection probabilities, target (row) x source (column), Potjans and Diesmann Table 5
CONN_PROBS = np.array(
    [
        [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
        [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
        [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
        [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
        [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
        [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
        [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
        [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443],
    ]
)
K_EXT = np.array([1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100])
#: rates of the full-scale network (Hz), NEST's example ``full_mean_rates``
FULL_MEAN_RATES = np.array([0.971, 2.868, 4.746, 5.396, 8.142, 9.078, 0.991, 7.523])
V0_OPTIMIZED = (
    np.array([-68.28, -63.16, -63.33, -63.45, -63.11, -61.66, -66.72, -61.43]),
    np.array([5.36, 4.57, 4.74, 4.94, 4.94, 4.55, 5.46, 4.48]),
)
V0_ORIGINAL = (-58.0, 10.0)
C_M, TAU_M, TAU_SYN, T_REF = 250.0, 10.0, 0.5, 2.0  # pF, ms, ms, ms
E_L, V_TH, V_RESET = -65.0, -50.0, -65.0  # mV
PSP_EXC, WEIGHT_REL_SD, G = 0.15, 0.1, -4.0  # mV, 1, 1
DELAY_EXC, DELAY_INH, DELAY_REL_SD = 1.5, 0.75, 0.5  # ms, ms, 1
BG_RATE, DELAY_POISSON = 8.0, 1.5  # Hz, ms


def psc_over_psp(c_m=C_M, tau_m=TAU_M, tau_syn=TAU_SYN) -> float:
    """PSC amplitude (pA) of an exp-PSC whose PSP peaks at 1 mV (NEST's example's helper)."""
    sub = 1.0 / (tau_syn - tau_m)
    pre = tau_m * tau_syn / c_m * sub
    frac = (tau_m / tau_syn) ** sub
    return 1.0 / (pre * (frac**tau_m - frac**tau_syn))


def full_num_synapses() -> np.ndarray:
    """K[i][j]: synapses from population j onto i at full scale (not rounded)."""
    prod = np.outer(N_FULL, N_FULL).astype(float)
    return np.log(1.0 - CONN_PROBS) / np.log((prod - 1.0) / prod)


def parameters(scale=0.1, k_scale=None, background="poisson") -> dict:
    """Neuron numbers, synapse numbers (target x source), external in-degrees, mean PSCs
    (pA, target x source), external PSC (pA) and DC (pA) per population, as NEST's example
    derives them."""
    k_scale = scale if k_scale is None else k_scale
    full = full_num_synapses()
    psc = PSP_EXC * psc_over_psp()
    psc_matrix = np.full((8, 8), psc)
    psc_matrix[:, 1::2] *= G
    psc_matrix[0, 2] = 2 * psc
    psc_ext = psc
    dc = np.zeros(8) if background == "poisson" else 1e-3 * TAU_SYN * BG_RATE * K_EXT * psc_ext
    if k_scale != 1:
        input_rec = (psc_matrix * full / N_FULL[:, None] * FULL_MEAN_RATES).sum(axis=1)
        dc = dc + 1e-3 * TAU_SYN * (1 - math.sqrt(k_scale)) * input_rec
        if background == "poisson":
            dc = dc + 1e-3 * TAU_SYN * (1 - math.sqrt(k_scale)) * psc_ext * K_EXT * BG_RATE
        psc_matrix = psc_matrix / math.sqrt(k_scale)
        psc_ext = psc_ext / math.sqrt(k_scale)
    return {
        "n": np.round(N_FULL * scale).astype(int),
        "synapses": np.round(full * scale * k_scale).astype(int),
        "k_ext": np.round(K_EXT * k_scale).astype(int),
        "psc": psc_matrix,
        "psc_ext": psc_ext,
        "dc": dc,
    }


def build(
    scale: float = 0.1,
    k_scale: float | None = None,
    background: str = "poisson",
    poisson: str = "hub",
    connect: str = "hub",
    v0: str = "optimized",
    seed: int = 55,
    dt: float = 0.1,
) -> hub.Network:
    if background not in ("poisson", "dc") or v0 not in ("optimized", "original"):
        raise ValueError("background is 'poisson' or 'dc'; v0 is 'optimized' or 'original'")
    p = parameters(scale, k_scale, background)
    k_label = "" if k_scale is None or k_scale == scale else f"_k{k_scale}"
    net = hub.Network(dt=dt, seed=seed, label=f"microcircuit_scale{scale}{k_label}")
    pops = []
    for i, name in enumerate(POPULATIONS):
        model = hub.LIF(
            synapse="exp",
            cm=C_M * 1e-3,
            tau_m=TAU_M,
            tau_syn_E=TAU_SYN,
            tau_syn_I=TAU_SYN,
            tau_refrac=T_REF,
            v_rest=E_L,
            v_reset=V_RESET,
            v_thresh=V_TH,
            i_offset=float(p["dc"][i]) * 1e-3,
        )
        pop = net.add_population(int(p["n"][i]), model, label=name)
        mean, sd = (V0_OPTIMIZED[0][i], V0_OPTIMIZED[1][i]) if v0 == "optimized" else V0_ORIGINAL
        pop.initialize(v=hub.Normal(float(mean), float(sd)))
        pops.append(pop)
    if background == "poisson":
        sizes = p["n"]
        rates = np.repeat(BG_RATE * p["k_ext"], sizes).astype(float)
        noise = net.add_source(
            hub.PoissonSource(rate=rates, resolve=poisson), size=int(sizes.sum()), label="bg"
        )
        first = np.concatenate([[0], np.cumsum(sizes)])
        for i, pop in enumerate(pops):
            net.connect(
                noise,
                pop,
                hub.FromArrays(np.arange(first[i], first[i + 1]), np.arange(sizes[i])),
                hub.Static(weight=p["psc_ext"] * 1e-3, delay=DELAY_POISSON),
                label=f"bg->{pop.label}",
            )
    for i, target in enumerate(pops):
        for j, source in enumerate(pops):
            n = int(p["synapses"][i, j])
            if n <= 0:
                continue
            w = float(p["psc"][i, j]) * 1e-3  # nA
            inhibitory = j % 2 == 1
            low, high = (-np.inf, 0.0) if inhibitory else (0.0, np.inf)
            d = DELAY_INH if inhibitory else DELAY_EXC
            net.connect(
                source,
                target,
                hub.FixedTotalNumber(
                    n, allow_self_connections=False, with_replacement=True, resolve=connect
                ),
                hub.Static(
                    weight=hub.Normal(w, abs(w) * WEIGHT_REL_SD, low=low, high=high),
                    delay=hub.Normal(d, d * DELAY_REL_SD, low=dt),
                    receptor="inhibitory" if inhibitory else "excitatory",
                ),
                label=f"{source.label}->{target.label}",
            )
    for pop in pops:
        net.record(pop, "spikes")
    return net


def rates(results, start: float = 0.0) -> dict[str, float]:
    """Mean rate (Hz) per population from ``start`` (ms) to the end of the run."""
    end = float(results.provenance["duration"])
    out = {}
    for name in POPULATIONS:
        st = results.spikes(name)
        out[name] = float((st.times > start).sum() / st.size / ((end - start) * 1e-3))
    return out
