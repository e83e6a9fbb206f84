"""The cortical microcircuit of Potjans & Diesmann (2014) on neurosim, and the same model on
NEST (the peer of ``benchmarks/microcircuit.py``).

Eight populations (layers 2/3, 4, 5, 6; excitatory and inhibitory each) of current-based
LIF neurons with exponential synaptic currents (NEST's ``iaf_psc_exp``: ``C_m`` 250 pF,
``tau_m`` 10 ms, ``tau_syn`` 0.5 ms, ``t_ref`` 2 ms, ``E_L = V_reset`` -65 mV, ``V_th``
-50 mV; initial ``V ~ N(-58 mV, 10 mV)``), 77 169 neurons and about 0.3 x 10^9 synapses at
full scale. The parameters and rules are those of NEST's PyNEST example
``pynest/examples/Potjans_2014`` (``network_params.py``, ``helpers.py``):

- Pathway ``source b -> target a`` has ``K_ab = log(1 - p_ab) / log(1 - 1 / (N_a N_b))``
  synapses, each drawn with a uniformly random source and target (NEST's
  ``fixed_total_number``: multapses and autapses allowed), ``p_ab`` the table
  :attr:`MicrocircuitConfig.conn_probs` (targets x sources).
- Weights: the PSC amplitude giving a 0.15 mV peak PSP (87.8 pA, :func:`psc_per_psp`),
  ``g = -4`` times that from inhibitory neurons, L4E -> L2/3E doubled; normal with relative
  sd 0.1, redrawn while of the wrong sign.
- Delays: normal, mean 1.5 ms (excitatory) / 0.75 ms (inhibitory), relative sd 0.5,
  redrawn while below ``dt``, rounded to whole steps (as NEST rounds a delay to its grid).
- Background: ``K_ext`` = (1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100) inputs per neuron
  at 8 Hz with the excitatory PSC. ``background="dc"`` replaces it by its mean, the constant
  current ``8 Hz x K_ext x PSC_ext x tau_syn`` (the example's ``poisson_input=False``);
  ``background="poisson"`` draws the inputs (see :func:`build_microcircuit`).

Scaled-down versions follow the example: ``scale`` multiplies the neuron numbers,
``k_scale`` the in-degrees; with ``k_scale < 1`` weights grow by ``1 / sqrt(k_scale)`` and a
DC current restores the mean input lost (computed from the published full-scale rates).

Conventions of the two simulators checked against each other (``tests/neurosim/
test_microcircuit.py``): the membrane and synaptic equations and their exact integration
are the same (``r_m = tau_m / C_m``); NEST holds a neuron at ``V_reset`` for ``t_ref / dt``
steps after its spike step, neurosim's ``LIFParams`` for ``round(t_ref / dt) - 1`` (Brian2's
rule), so the neurosim model uses ``t_ref + dt`` to hold it as long as NEST; a spike of step
``k`` with a delay of ``d`` steps changes the target's current at the end of step ``k + d``
in both.

Potjans, T. C. & Diesmann, M. (2014). The cell-type specific cortical microcircuit:
relating structure and activity in a full-scale spiking network model. *Cereb. Cortex*
24:785-806.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from neurosim.units import Hz, ms, mV, pF

__all__ = ["MicrocircuitConfig", "POPULATIONS", "psc_per_psp", "derived_parameters",
           "pathway_synapses", "build_microcircuit", "population_rates", "run_microcircuit",
           "run_microcircuit_nest"]

POPULATIONS = ("L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I")

_CONN_PROBS = (
    (0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0),
    (0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0),
    (0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0),
    (0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0),
    (0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0),
    (0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0),
    (0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252),
    (0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443),
)


@dataclass(frozen=True)
class MicrocircuitConfig:
    """Model parameters (SI), defaults from NEST's ``Potjans_2014`` example.

    Population order: :data:`POPULATIONS`. ``conn_probs[a][b]``: probability of a
    connection from population ``b`` to population ``a`` (targets x sources).
    ``full_mean_rates``: the published full-scale rates with Poisson background (Hz; used
    for the DC compensation of ``k_scale < 1`` and as the reference).
    ``background``: ``"dc"`` or ``"poisson"``.
    """

    n_full: tuple[int, ...] = (20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948)
    conn_probs: tuple[tuple[float, ...], ...] = _CONN_PROBS
    k_ext: tuple[int, ...] = (1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100)
    full_mean_rates: tuple[float, ...] = (0.971, 2.868, 4.746, 5.396, 8.142, 9.078, 0.991,
                                          7.523)
    psp_e: float = 0.15 * mV
    psp_rel_sd: float = 0.1
    g: float = -4.0
    l4e_to_l23e: float = 2.0     #: factor on the L4E -> L2/3E weight
    bg_rate: float = 8 * Hz
    background: str = "dc"
    delay_exc: float = 1.5 * ms
    delay_inh: float = 0.75 * ms
    delay_rel_sd: float = 0.5
    c_m: float = 250 * pF
    tau_m: float = 10 * ms
    tau_syn: float = 0.5 * ms
    t_ref: float = 2 * ms
    e_l: float = -65 * mV
    v_reset: float = -65 * mV
    v_th: float = -50 * mV
    v0_mean: float = -58 * mV
    v0_sd: float = 10 * mV
    dt: float = 0.1 * ms

    def __post_init__(self) -> None:
        from neurosim.validation import check_choice, check_int, check_real

        name = type(self).__name__
        for f, n in (("n_full", 8), ("k_ext", 8), ("full_mean_rates", 8)):
            v = getattr(self, f)
            if len(v) != n:
                raise ValueError(f"{name}.{f} must have {n} entries, got {len(v)}")
        for k, n in enumerate(self.n_full):
            check_int(f"{name}.n_full[{k}]", n, low=1)
        for k, n in enumerate(self.k_ext):
            check_int(f"{name}.k_ext[{k}]", n, low=0)
        p = np.asarray(self.conn_probs, dtype=float)
        if p.shape != (8, 8) or np.any(p < 0) or np.any(p >= 1):
            raise ValueError(f"{name}.conn_probs must be 8 x 8 in [0, 1), got shape "
                             f"{p.shape}, range [{p.min()}, {p.max()}]")
        for f in ("psp_e", "bg_rate", "c_m", "tau_m", "tau_syn", "dt"):
            check_real(f"{name}.{f}", getattr(self, f), low=0, low_open=True)
        for f in ("psp_rel_sd", "delay_rel_sd", "t_ref", "v0_sd", "delay_exc", "delay_inh",
                  "l4e_to_l23e"):
            check_real(f"{name}.{f}", getattr(self, f), low=0)
        check_real(f"{name}.g", self.g, high=0)
        check_choice(f"{name}.background", self.background, ("dc", "poisson"))
        if self.tau_m > 1 or self.tau_syn > 1:
            raise ValueError(f"{name}.tau_m={self.tau_m} s looks like milliseconds; "
                             f"write {self.tau_m} * ms")
        if not self.v_reset < self.v_th:
            raise ValueError(f"{name}.v_reset must be < v_th={self.v_th}, got {self.v_reset}")

    @property
    def r_m(self) -> float:
        """Membrane resistance ``tau_m / C_m`` (ohm)."""
        return self.tau_m / self.c_m


def psc_per_psp(cfg: MicrocircuitConfig) -> float:
    """PSC amplitude (A) per volt of peak PSP of the LIF neuron with exponential current.

    .. math::

        \\frac{I}{\\mathrm{PSP}} = \\left[\\frac{1}{C_m}\\frac{\\tau_m \\tau_s}{\\tau_s - \\tau_m}
        \\left( (\\tau_m/\\tau_s)^{-\\tau_m/(\\tau_m-\\tau_s)}
        - (\\tau_m/\\tau_s)^{-\\tau_s/(\\tau_m-\\tau_s)}\\right)\\right]^{-1}

    (the example's ``postsynaptic_potential_to_current``; 87.8 pA for 0.15 mV).
    """
    tm, ts = cfg.tau_m, cfg.tau_syn
    sub = 1.0 / (ts - tm)
    pre = tm * ts / cfg.c_m * sub
    frac = (tm / ts) ** sub
    return 1.0 / (pre * (frac ** tm - frac ** ts))


def _full_synapses(cfg: MicrocircuitConfig) -> np.ndarray:
    n = np.asarray(cfg.n_full, dtype=float)
    prod = np.outer(n, n)           # targets x sources
    return np.log(1.0 - np.asarray(cfg.conn_probs)) / np.log((prod - 1.0) / prod)


def derived_parameters(cfg: MicrocircuitConfig, scale: float = 1.0,
                       k_scale: float = 1.0) -> dict[str, np.ndarray]:
    """Sizes, synapse numbers, weights and DC currents of a (scaled) circuit.

    Parameters
    ----------
    cfg : MicrocircuitConfig
    scale : float
        Factor on the neuron numbers (``N_scaling``), in (0, 1].
    k_scale : float
        Factor on the in-degrees (``K_scaling``), in (0, 1]; below 1 the weights are
        multiplied by ``1 / sqrt(k_scale)`` and the DC current restores the mean input.

    Returns
    -------
    dict
        ``n`` (8,) int neurons; ``k`` (8, 8) int synapses per pathway (targets x sources,
        ``round(K_full * scale * k_scale)``); ``w`` (8, 8) mean weights (A); ``w_ext`` (A);
        ``k_ext`` (8,) int external in-degrees; ``dc`` (8,) DC current per neuron (A).
    """
    from neurosim.validation import check_real

    check_real("derived_parameters.scale", scale, low=0, high=1, low_open=True)
    check_real("derived_parameters.k_scale", k_scale, low=0, high=1, low_open=True)
    full_k = _full_synapses(cfg)
    n = np.round(np.asarray(cfg.n_full) * scale).astype(np.int64)
    k = np.round(full_k * scale * k_scale).astype(np.int64)
    c = psc_per_psp(cfg)
    psp = np.full((8, 8), cfg.psp_e)
    psp[:, 1::2] *= cfg.g
    psp[0, 2] *= cfg.l4e_to_l23e
    w, w_ext = psp * c, cfg.psp_e * c
    k_ext_full = np.asarray(cfg.k_ext, dtype=float)
    dc = np.zeros(8)
    if cfg.background == "dc":
        dc = cfg.bg_rate * k_ext_full * w_ext * cfg.tau_syn
    if k_scale != 1.0:
        indeg = full_k / np.asarray(cfg.n_full, dtype=float)[:, None]
        rec = np.sum(w * indeg * np.asarray(cfg.full_mean_rates), axis=1)
        dc = dc + cfg.tau_syn * (1 - math.sqrt(k_scale)) * rec
        if cfg.background == "poisson":
            dc = dc + cfg.tau_syn * (1 - math.sqrt(k_scale)) * w_ext * k_ext_full * cfg.bg_rate
        w, w_ext = w / math.sqrt(k_scale), w_ext / math.sqrt(k_scale)
    k_ext = np.round(k_ext_full * k_scale).astype(np.int64)
    return {"n": n, "k": k, "w": w, "w_ext": np.asarray(w_ext), "k_ext": k_ext, "dc": dc}


def _redraw_normal(rng: np.random.Generator, mean: float, sd: float, size: int,
                   low: float = -np.inf, high: float = np.inf) -> np.ndarray:
    """Normal samples, those outside ``[low, high]`` drawn again (NEST's ``redraw``)."""
    x = rng.normal(mean, sd, size)
    bad = (x < low) | (x > high)
    while bad.any():
        x[bad] = rng.normal(mean, sd, int(bad.sum()))
        bad = (x < low) | (x > high)
    return x


def pathway_synapses(cfg: MicrocircuitConfig, a: int, b: int, n_syn: int, n_a: int, n_b: int,
                     w_mean: float, seed: int = 0, chunk: int = 1 << 22
                     ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """The synapses of pathway ``b -> a`` in chunks of at most ``chunk``.

    Yields
    ------
    pre, post : int32 arrays
        Source index in population ``b``, target index in population ``a`` (uniform,
        independent: multapses and autapses allowed, as NEST's ``fixed_total_number``).
    w : float32 array
        Weights (A): normal(``w_mean``, ``|w_mean| psp_rel_sd``), redrawn while of the
        other sign.
    d : int16 array
        Delays in steps of ``cfg.dt``: normal, redrawn below ``dt``, rounded.
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 17, a, b]))
    exc = b % 2 == 0
    mean_d = cfg.delay_exc if exc else cfg.delay_inh
    lo, hi = (0.0, np.inf) if w_mean >= 0 else (-np.inf, 0.0)
    for start in range(0, n_syn, chunk):
        m = min(chunk, n_syn - start)
        pre = rng.integers(0, n_b, m, dtype=np.int32)
        post = rng.integers(0, n_a, m, dtype=np.int32)
        w = _redraw_normal(rng, w_mean, abs(w_mean) * cfg.psp_rel_sd, m, lo, hi)
        d = _redraw_normal(rng, mean_d, mean_d * cfg.delay_rel_sd, m, low=cfg.dt)
        yield pre, post, w.astype(np.float32), np.rint(d / cfg.dt).astype(np.int16)


def build_microcircuit(cfg: MicrocircuitConfig = MicrocircuitConfig(), scale: float = 1.0,
                       k_scale: float = 1.0, dtype: str = "float32", seed: int = 0,
                       record: bool = True, backend: str = "auto",
                       poisson_p_max: float = 0.05) -> tuple[Any, Any, dict[str, Any]]:
    """The microcircuit as a neurosim :class:`~neurosim.network.Network`.

    One :class:`~neurosim.neurons.group.NeuronGroup` holds all neurons, populations in the
    order of :data:`POPULATIONS` (index ranges ``info["offsets"]``). Connectivity is drawn
    per pathway in chunks and stored as one projection per (sign, delay in steps): each
    projection has a single delay, so no per-synapse float delay is kept besides the
    backend's int32 one (about 12 bytes per synapse in float32 once built).

    Background: ``cfg.background == "dc"``: a constant current per population
    (:class:`~neurosim.neurons.inputs.CurrentInjection`). ``"poisson"``: each population's
    ``K_ext`` inputs at ``bg_rate`` are pooled into Bernoulli sources of rate
    ``r = K_ext bg_rate / m`` with ``r dt <= poisson_p_max`` (``m`` sources per neuron, each
    its own, weight ``w_ext``). A Bernoulli source emits at most one spike per step, so its
    count per step has variance ``p (1 - p)`` instead of ``p``: the input's variance is
    ``1 - p`` (95% at ``p = 0.05``) of the Poisson one, its mean exact.

    Parameters
    ----------
    cfg : MicrocircuitConfig
    scale, k_scale : float
        Neuron-number and in-degree factors (see :func:`derived_parameters`).
    dtype : str
        ``"float32"`` (default) or ``"float64"`` storage of state and weights.
    seed : int
        Seeds connectivity, weights, delays, initial potentials and the network.
    record : bool
        Attach a :class:`~neurosim.monitors.SpikeMonitor` to all neurons.
    backend : str
        Passed to :class:`~neurosim.network.Network`.
    poisson_p_max : float
        Largest spike probability per step of a pooled Poisson source.

    Returns
    -------
    network, monitor (or None), info
        ``info``: ``n`` (8,), ``offsets`` (9,), ``n_synapses``, ``params`` (the
        :func:`derived_parameters`), ``generate_s`` (seconds to draw the connectivity).
    """
    from neurosim import LIFParams, Network, NeuronGroup, SpikeMonitor
    from neurosim.neurons.inputs import CurrentInjection, PoissonGroup
    from neurosim.synapses import Synapses

    t0 = time.perf_counter()
    par = derived_parameters(cfg, scale, k_scale)
    n = par["n"]
    off = np.concatenate([[0], np.cumsum(n)]).astype(np.int64)
    total = int(off[-1])
    rng = np.random.default_rng(np.random.SeedSequence([seed, 3]))
    v0 = rng.normal(cfg.v0_mean, cfg.v0_sd, total)
    params = LIFParams(tau_m=cfg.tau_m, v_rest=cfg.e_l, v_reset=cfg.v_reset,
                       v_thresh=cfg.v_th, t_ref=cfg.t_ref + cfg.dt, r_m=cfg.r_m,
                       tau_e=cfg.tau_syn, tau_i=cfg.tau_syn)
    neurons = NeuronGroup(total, params, name="microcircuit", init={"v": v0})
    # bins[(sign, delay steps)] -> list of (pre, post, w) chunks in global indices
    bins: dict[tuple[str, int], list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
    n_syn = 0
    for a in range(8):
        for b in range(8):
            if par["k"][a, b] <= 0:
                continue
            sign = "e" if b % 2 == 0 else "i"
            for pre, post, w, d in pathway_synapses(cfg, a, b, int(par["k"][a, b]), int(n[a]),
                                                    int(n[b]), float(par["w"][a, b]), seed):
                pre += np.int32(off[b])
                post += np.int32(off[a])
                n_syn += pre.size
                order = np.argsort(d, kind="stable")
                ds = d[order]
                cuts = np.flatnonzero(np.diff(ds)) + 1
                for idx in np.split(order, cuts):
                    bins.setdefault((sign, int(d[idx[0]])), []).append(
                        (pre[idx], post[idx], w[idx]))
    syns = []
    for key in sorted(bins):
        parts = bins.pop(key)
        pre = np.concatenate([p[0] for p in parts])
        post = np.concatenate([p[1] for p in parts])
        w = np.concatenate([p[2] for p in parts])
        del parts
        order = np.argsort(pre, kind="stable")
        indptr = np.concatenate([[0], np.cumsum(np.bincount(pre, minlength=total))])
        del pre
        post, w = post[order], w[order]
        del order
        syns.append(Synapses(neurons, neurons, indptr, post, w, target=key[0],
                             delay=key[1] * cfg.dt, name=f"{key[0]}_d{key[1]}"))
        del post, w
    objs: list[Any] = [neurons, *syns]
    dc = np.repeat(par["dc"], n)
    if np.any(dc != 0):
        objs.append(CurrentInjection(neurons, dc, name="dc"))
    if cfg.background == "poisson":
        for a in range(8):
            rate_tot = float(par["k_ext"][a]) * cfg.bg_rate
            if rate_tot <= 0 or n[a] == 0:
                continue
            m = max(1, math.ceil(rate_tot * cfg.dt / poisson_p_max))
            src = PoissonGroup(int(n[a]) * m, rate_tot / m, name=f"bg_{POPULATIONS[a]}")
            j = off[a] + np.repeat(np.arange(n[a], dtype=np.int64), m)
            i = np.arange(int(n[a]) * m, dtype=np.int64)
            objs += [src, Synapses(src, neurons, np.arange(i.size + 1), j,
                                   float(par["w_ext"]), target="e", delay=0.0,
                                   name=f"bg_syn_{POPULATIONS[a]}")]
    mon = SpikeMonitor(neurons) if record else None
    if mon is not None:
        objs.append(mon)
    net = Network(*objs, dt=cfg.dt, seed=seed, backend=backend, dtype=dtype)
    info = {"n": n, "offsets": off, "n_synapses": n_syn, "params": par,
            "generate_s": time.perf_counter() - t0}
    return net, mon, info


def population_rates(i: np.ndarray, t: np.ndarray, offsets: np.ndarray, t_start: float,
                     t_stop: float) -> np.ndarray:
    """Mean rate (Hz) of each population: spikes of neuron ``i`` at time ``t`` (s) in
    ``[t_start, t_stop)``, divided by the population size and ``t_stop - t_start``."""
    sel = (t >= t_start) & (t < t_stop)
    pop = np.searchsorted(offsets, np.asarray(i)[sel], side="right") - 1
    counts = np.bincount(pop, minlength=len(offsets) - 1)[:len(offsets) - 1]
    return counts / (np.diff(offsets) * (t_stop - t_start))


def _peak_rss_mb() -> float:
    import resource
    import sys

    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / 1e6 if sys.platform == "darwin" else r / 1e3


def run_microcircuit(duration: float, cfg: MicrocircuitConfig = MicrocircuitConfig(),
                     scale: float = 1.0, k_scale: float = 1.0, seed: int = 0,
                     t_start: float = 0.1, dtype: str = "float32") -> dict[str, Any]:
    """Build and simulate on neurosim; timings, peak RSS and population rates.

    Returns
    -------
    dict
        ``build_s`` (drawing + constructing), ``first_call_s`` (a one-step run: backend
        preparation and kernel load/compile), ``sim_s`` / ``cpu_s`` (wall / CPU seconds of
        the remaining ``duration - dt``), ``peak_rss_mb``, ``rates`` (8, Hz over
        ``[t_start, duration)``), ``n_neurons``, ``n_synapses``, ``spikes`` (``i``, ``t``).
    """
    t0 = time.perf_counter()
    net, mon, info = build_microcircuit(cfg, scale, k_scale, dtype=dtype, seed=seed)
    t1 = time.perf_counter()
    net.run(cfg.dt, progress=False)
    t2 = time.perf_counter()
    c0 = time.process_time()
    net.run(duration - cfg.dt, progress=False)
    t3 = time.perf_counter()
    i, t = np.asarray(mon.i), np.asarray(mon.t)
    return {"build_s": t1 - t0, "generate_s": info["generate_s"], "first_call_s": t2 - t1,
            "sim_s": t3 - t2, "cpu_s": time.process_time() - c0,
            "peak_rss_mb": _peak_rss_mb(),
            "rates": population_rates(i, t, info["offsets"], t_start, duration).tolist(),
            "n_neurons": int(info["offsets"][-1]), "n_synapses": int(info["n_synapses"]),
            "spikes": (i, t)}


def run_microcircuit_nest(duration: float, cfg: MicrocircuitConfig = MicrocircuitConfig(),
                          scale: float = 1.0, k_scale: float = 1.0, seed: int = 0,
                          t_start: float = 0.1, threads: int = 1) -> dict[str, Any]:
    """The same model on NEST (``iaf_psc_exp``, ``fixed_total_number`` connections drawn by
    NEST's own generator, weights and delays by ``nest.math.redraw`` of normals), in this
    process (NEST's kernel is global state: call it in a fresh process). NEST holds at most
    2^27 - 2 connections per thread and synapse model, so the pathways are spread over
    copies of ``static_synapse`` (identical dynamics). Poisson background
    is NEST's ``poisson_generator`` (one per population, ``K_ext bg_rate``, delay 1.5 ms).

    Returns
    -------
    dict
        ``build_s`` (create + connect + ``nest.Prepare``), ``sim_s`` (``nest.Run`` of
        ``duration``, wall), ``cpu_s``, ``peak_rss_mb``, ``rates`` (8, Hz), ``n_neurons``,
        ``n_synapses``, ``spikes``.
    """
    import nest

    if hasattr(nest, "VerbosityLevel"):
        nest.verbosity = nest.VerbosityLevel.ERROR
    else:
        nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    to_ms, to_pa = 1e3, 1e12
    nest.SetKernelStatus({"resolution": cfg.dt * to_ms, "local_num_threads": threads,
                          "rng_seed": seed + 1, "print_time": False})
    t0 = time.perf_counter()
    par = derived_parameters(cfg, scale, k_scale)
    pops, recs = [], []
    for a in range(8):
        p = nest.Create("iaf_psc_exp", int(par["n"][a]))
        p.set(C_m=cfg.c_m * to_pa, tau_m=cfg.tau_m * to_ms, tau_syn_ex=cfg.tau_syn * to_ms,
              tau_syn_in=cfg.tau_syn * to_ms, E_L=cfg.e_l * 1e3, V_th=cfg.v_th * 1e3,
              V_reset=cfg.v_reset * 1e3, t_ref=cfg.t_ref * to_ms,
              I_e=float(par["dc"][a]) * to_pa)
        p.set(V_m=nest.random.normal(cfg.v0_mean * 1e3, cfg.v0_sd * 1e3))
        r = nest.Create("spike_recorder")
        nest.Connect(p, r)
        pops.append(p)
        recs.append(r)
    # NEST stores at most 2^27 - 2 connections per virtual process and synapse model: the
    # pathways are spread over copies of static_synapse, each under 10^8 per thread
    model, used, n_models = "static_synapse", 0, 0
    for a in range(8):
        for b in range(8):
            k = int(par["k"][a, b])
            if k <= 0:
                continue
            if used + k > 100_000_000 * threads:
                n_models += 1
                model, used = f"static_synapse_{n_models}", 0
                nest.CopyModel("static_synapse", model)
            used += k
            w = float(par["w"][a, b]) * to_pa
            mean_d = (cfg.delay_exc if b % 2 == 0 else cfg.delay_inh) * to_ms
            lo, hi = (0.0, float("inf")) if w >= 0 else (float("-inf"), 0.0)
            nest.Connect(pops[b], pops[a], {"rule": "fixed_total_number", "N": k}, {
                "synapse_model": model,
                "weight": nest.math.redraw(nest.random.normal(
                    mean=w, std=abs(w) * cfg.psp_rel_sd), min=lo, max=hi),
                "delay": nest.math.redraw(nest.random.normal(
                    mean=mean_d, std=mean_d * cfg.delay_rel_sd), min=cfg.dt * to_ms,
                    max=float("inf"))})
    if cfg.background == "poisson":
        for a in range(8):
            g = nest.Create("poisson_generator",
                            params={"rate": float(par["k_ext"][a]) * cfg.bg_rate})
            nest.Connect(g, pops[a], "all_to_all",
                         {"weight": float(par["w_ext"]) * to_pa, "delay": 1.5})
    nest.Prepare()
    t1 = time.perf_counter()
    c0 = time.process_time()
    nest.Run(duration * to_ms)
    t2 = time.perf_counter()
    cpu = time.process_time() - c0
    nest.Cleanup()
    n_syn = int(nest.GetKernelStatus("num_connections"))
    offsets = np.concatenate([[0], np.cumsum(par["n"])])
    ii, tt = [], []
    for a in range(8):
        ev = recs[a].get("events")
        ii.append(np.asarray(ev["senders"]) - pops[a][0].global_id + offsets[a])
        tt.append(np.asarray(ev["times"]) / to_ms - cfg.dt)   # NEST stamps the step's end
    i, t = np.concatenate(ii), np.concatenate(tt)
    # neuron -> recorder (and generator -> neuron) connections are counted by NEST too
    n_rec = int(sum(par["n"])) * (2 if cfg.background == "poisson" else 1)
    return {"build_s": t1 - t0, "sim_s": t2 - t1, "cpu_s": cpu,
            "peak_rss_mb": _peak_rss_mb(),
            "rates": population_rates(i, t, offsets, t_start, duration).tolist(),
            "n_neurons": int(offsets[-1]), "n_synapses": n_syn - n_rec, "spikes": (i, t)}
