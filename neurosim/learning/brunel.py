"""Brunel (2000) sparse E/I network with pair STDP on its excitatory synapses, on neurosim
and on Brian2 (the "Brunel + STDP" scale benchmark, ``benchmarks/brunel_stdp.py``).

``N_E = 4 N_I`` LIF neurons (``tau = 20 ms``, threshold 20 mV, reset 10 mV, refractory
2 ms, rest 0), delta synapses (a spike moves the target's potential by ``J`` = 0.1 mV, or
``-g J`` from an inhibitory neuron, ``g = 5``), connection probability ``epsilon = 0.1``
(``C_E = epsilon N_E`` excitatory and ``C_I = epsilon N_I`` inhibitory inputs per neuron on
average), delay ``D = 1.5 ms``. External drive: ``N_E`` Poisson sources at
``nu_ext = eta * nu_thr``, ``nu_thr = theta / (J C_E tau)``, each neuron receiving
``C_E`` of them on average (probability ``epsilon``) with weight ``J``. Brunel's model A
draws ``C_ext = C_E`` independent external inputs per neuron; Poisson sources shared with
probability ``epsilon`` give each neuron the same mean and variance of external input (a
common choice in simulator benchmarks; stated here so that it is not mistaken for the
paper's). ``eta = 2, g = 5`` is the asynchronous irregular regime (Brunel 2000, Fig. 8).

Plasticity: additive pair STDP (Song et al. 2000) on every synapse from an excitatory
neuron (E->E and E->I), all-to-all pairing, weights clipped to ``[0, w_max_factor * J]``,
updated at the presynaptic spike's emission (the spike's effect on the potential arrives
``D`` later). The Brian2 model has the same order: ``on_pre`` has two pathways, the
transmission delayed by ``D`` and the STDP update at emission.

The connectivity (and the initial weights, all ``J``) is drawn once from the seed and given
to both simulators, so they simulate the same network; the Poisson drive differs (each
simulator's own generator), so runs are compared through statistics: population rates, the
coefficient of variation of inter-spike intervals, the weight distribution after learning.

Brunel, N. (2000). Dynamics of sparsely connected networks of excitatory and inhibitory
spiking neurons. *J. Comput. Neurosci.* 8:183-208.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neurosim.units import ms, mV

__all__ = ["BrunelConfig", "BrunelResult", "brunel_connectivity", "build_brunel",
           "run_brunel", "run_brunel_brian2", "spike_statistics"]


@dataclass(frozen=True)
class BrunelConfig:
    """Model parameters (SI). ``n_exc`` sets the size (``n_inh = n_exc // 4``)."""

    n_exc: int = 8000
    epsilon: float = 0.1
    j: float = 0.1 * mV
    g: float = 5.0
    eta: float = 2.0
    delay: float = 1.5 * ms
    tau_m: float = 20 * ms
    theta: float = 20 * mV
    v_reset: float = 10 * mV
    t_ref: float = 2 * ms
    dt: float = 0.1 * ms
    stdp: bool = True
    tau_pre: float = 20 * ms
    tau_post: float = 20 * ms
    a_plus: float = 0.01     #: LTP amplitude in units of J
    ltd_ratio: float = 1.05  #: LTD / LTP amplitude
    w_max_factor: float = 2.0  #: upper weight bound in units of J

    def __post_init__(self) -> None:
        from neurosim.validation import check_int, check_real

        name = type(self).__name__
        check_int(f"{name}.n_exc", self.n_exc, low=4)
        check_real(f"{name}.epsilon", self.epsilon, low=0, high=1, low_open=True)
        for f in ("j", "g", "eta", "tau_m", "theta", "dt", "tau_pre", "tau_post",
                  "w_max_factor"):
            check_real(f"{name}.{f}", getattr(self, f), low=0, low_open=True)
        for f in ("delay", "t_ref", "a_plus", "ltd_ratio"):
            check_real(f"{name}.{f}", getattr(self, f), low=0)

    @property
    def n_inh(self) -> int:
        return self.n_exc // 4

    @property
    def n(self) -> int:
        return self.n_exc + self.n_inh

    @property
    def nu_ext(self) -> float:
        """Rate of each external Poisson source (Hz): ``eta * theta / (J C_E tau)``."""
        return self.eta * self.theta / (self.j * self.epsilon * self.n_exc * self.tau_m)


@dataclass
class BrunelResult:
    """Spikes of all neurons (index, time), final plastic weights (V) and timings."""

    i: np.ndarray
    t: np.ndarray
    w: np.ndarray
    duration: float
    wall_s: float
    cfg: BrunelConfig
    extra: dict[str, Any] = field(default_factory=dict)


def _bernoulli_pairs(n_pre: int, n_post: int, p: float, rng: np.random.Generator,
                     self_conn: bool) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(i, j)`` each present with probability ``p``, sorted by ``i`` (blocks of rows
    so that the mask never exceeds ~64 MB)."""
    rows = max(1, (1 << 26) // max(1, n_post))
    ii, jj = [], []
    for r0 in range(0, n_pre, rows):
        m = rng.random((min(rows, n_pre - r0), n_post)) < p
        if not self_conn:
            d = np.arange(r0, min(r0 + rows, n_pre))
            ok = d < n_post
            m[d[ok] - r0, d[ok]] = False
        i, j = np.nonzero(m)
        ii.append(i + r0)
        jj.append(j)
    return np.concatenate(ii).astype(np.int64), np.concatenate(jj).astype(np.int64)


def brunel_connectivity(cfg: BrunelConfig, seed: int = 0) -> dict[str, tuple[np.ndarray,
                                                                         np.ndarray]]:
    """The network's synapses as ``(pre, post)`` index arrays: ``"ext"`` (Poisson source ->
    neuron), ``"exc"`` (excitatory neuron -> any neuron; post indices over all ``n``
    neurons, excitatory first) and ``"inh"`` (inhibitory neuron -> any neuron), each pair
    present with probability ``epsilon``, no self-connections."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7]))
    ext = _bernoulli_pairs(cfg.n_exc, cfg.n, cfg.epsilon, rng, True)
    exc = _bernoulli_pairs(cfg.n_exc, cfg.n, cfg.epsilon, rng, False)
    inh_i, inh_j = _bernoulli_pairs(cfg.n_inh, cfg.n, cfg.epsilon, rng, True)
    keep = inh_j != inh_i + cfg.n_exc   # no self-connection of an inhibitory neuron
    return {"ext": ext, "exc": exc, "inh": (inh_i[keep], inh_j[keep])}


def build_brunel(cfg: BrunelConfig = BrunelConfig(), seed: int = 0, backend: str = "auto",
                 threads: int | None = None, conn: dict | None = None) -> tuple[Any, Any, Any]:
    """``(network, excitatory synapses, spike monitor)`` of the model on neurosim (one
    group of ``n`` LIF neurons, excitatory first)."""
    from neurosim import LIFParams, Network, NeuronGroup, PoissonGroup, SpikeMonitor
    from neurosim.plasticity import STDP, PairSTDPParams
    from neurosim.synapses import Synapses

    conn = brunel_connectivity(cfg, seed) if conn is None else conn
    params = LIFParams(tau_m=cfg.tau_m, v_rest=0.0, v_reset=cfg.v_reset,
                       v_thresh=cfg.theta, t_ref=cfg.t_ref)
    neurons = NeuronGroup(cfg.n, params, name="neurons")
    exc_src = neurons   # one group: sources split by index ranges of two projections
    ext = PoissonGroup(cfg.n_exc, cfg.nu_ext, name="external")
    s_ext = Synapses.from_list(ext, neurons, *conn["ext"], cfg.j, target="v", name="ext")
    n_e = cfg.n_exc
    # presynaptic sides as sub-ranges of the one group: index arrays shifted into it
    pe, qe = conn["exc"]
    pi, qi = conn["inh"]
    s_exc = Synapses.from_list(exc_src, neurons, pe, qe, cfg.j, target="v",
                               delay=cfg.delay, name="exc")
    s_inh = Synapses.from_list(exc_src, neurons, pi + n_e, qi, -cfg.g * cfg.j, target="v",
                               delay=cfg.delay, name="inh")
    if cfg.stdp:
        a_plus = cfg.a_plus * cfg.j
        s_exc.attach(STDP(PairSTDPParams(
            tau_pre=cfg.tau_pre, tau_post=cfg.tau_post, a_plus=a_plus,
            a_minus=cfg.ltd_ratio * a_plus, w_min=0.0, w_max=cfg.w_max_factor * cfg.j)))
    mon = SpikeMonitor(neurons)
    net = Network(ext, neurons, s_ext, s_exc, s_inh, mon, dt=cfg.dt, seed=seed,
                  backend=backend, threads=threads)
    return net, s_exc, mon


def run_brunel(duration: float, cfg: BrunelConfig = BrunelConfig(), seed: int = 0,
               backend: str = "auto", conn: dict | None = None,
               threads: int | None = None) -> BrunelResult:
    """Simulate ``duration`` s on neurosim. ``extra``: ``build_s`` (network construction),
    ``first_call_s`` (a 1-step run: kernel load/compile), ``cpu_s`` (CPU seconds of the
    timed run, all threads). ``threads``: :class:`~neurosim.network.Network`'s (None: all
    cores; the network is then split by neuron, same spikes and weights)."""
    t0 = time.perf_counter()
    net, syn, mon = build_brunel(cfg, seed, backend, threads=threads, conn=conn)
    t1 = time.perf_counter()
    net.run(cfg.dt, progress=False)
    t2 = time.perf_counter()
    c0 = time.process_time()
    net.run(duration - cfg.dt, progress=False)
    wall = time.perf_counter() - t2
    return BrunelResult(np.asarray(mon.i), np.asarray(mon.t), np.asarray(syn.weights),
                        duration, wall, cfg,
                        {"build_s": t1 - t0, "first_call_s": t2 - t1,
                         "cpu_s": time.process_time() - c0,
                         "synapses": int(sum(s.n_syn for s in net._plan.synapses))})


def run_brunel_brian2(duration: float, cfg: BrunelConfig = BrunelConfig(), seed: int = 0,
                      target: str = "cython", build_dir: str | None = None,
                      conn: dict | None = None, threads: int = 1) -> BrunelResult:
    """The same model and connectivity in Brian2 (``exact`` integration of the linear
    membrane equation). ``target``: ``"numpy"``, ``"cython"`` or ``"cpp_standalone"`` (then
    ``extra["compile_s"]`` is build + compile time and ``wall_s`` the binary's run).
    ``threads`` > 1: C++ standalone with OpenMP (``openmp_threads``; its run timer,
    ``extra["cpu_s"]``, is then wall time, ``omp_get_wtime``)."""
    import brian2 as b2

    from neurosim.learning._brian2_run import brian2_run, brian2_setup
    from neurosim.validation import check_int

    check_int("run_brunel_brian2.threads", threads, low=1)
    conn = brunel_connectivity(cfg, seed) if conn is None else conn
    brian2_setup(b2, target, cfg.dt, seed)
    b2.prefs.devices.cpp_standalone.openmp_threads = threads if threads > 1 else 0
    ns = dict(tau=cfg.tau_m * b2.second, theta=cfg.theta * b2.volt,
              vr=cfg.v_reset * b2.volt, taupre=cfg.tau_pre * b2.second,
              taupost=cfg.tau_post * b2.second, wmax=cfg.w_max_factor * cfg.j * b2.volt,
              dApre=cfg.a_plus * cfg.j * b2.volt,
              dApost=-cfg.ltd_ratio * cfg.a_plus * cfg.j * b2.volt)
    neurons = b2.NeuronGroup(cfg.n, "dv/dt = -v / tau : volt (unless refractory)",
                             threshold="v > theta", reset="v = vr",
                             refractory=cfg.t_ref * b2.second, method="exact",
                             namespace=ns, name="br_neurons")
    ext = b2.PoissonGroup(cfg.n_exc, rates=cfg.nu_ext * b2.Hz, name="br_ext")
    s_ext = b2.Synapses(ext, neurons, on_pre=f"v_post += {cfg.j!r} * volt", name="br_ext_syn")
    s_ext.connect(i=conn["ext"][0], j=conn["ext"][1])
    model = """w : volt
               dApre/dt = -Apre / taupre : volt (event-driven)
               dApost/dt = -Apost / taupost : volt (event-driven)"""
    pathways = {"pre": "v_post += w"}
    if cfg.stdp:
        pathways["plast"] = "Apre += dApre\nw = clip(w + Apost, 0 * volt, wmax)"
    s_exc = b2.Synapses(neurons[:cfg.n_exc], neurons, model, on_pre=pathways,
                        on_post=("Apost += dApost\nw = clip(w + Apre, 0 * volt, wmax)"
                                 if cfg.stdp else None), namespace=ns, name="br_exc")
    s_exc.connect(i=conn["exc"][0], j=conn["exc"][1])
    s_exc.w = cfg.j * b2.volt
    s_exc.pre.delay = cfg.delay * b2.second
    s_inh = b2.Synapses(neurons[cfg.n_exc:], neurons, on_pre=f"v_post += {-cfg.g * cfg.j!r} * volt",
                        delay=cfg.delay * b2.second, name="br_inh")
    s_inh.connect(i=conn["inh"][0], j=conn["inh"][1])
    mon = b2.SpikeMonitor(neurons, name="br_spikes")
    net = b2.Network(neurons, ext, s_ext, s_exc, s_inh, mon, name="br_net")
    res, wall, extra = brian2_run(
        b2, net, duration, target, build_dir,
        lambda: (np.array(mon.i[:]), np.array(mon.t / b2.second), np.array(s_exc.w[:])))
    return BrunelResult(*res, duration, wall, cfg, extra)


def spike_statistics(res: BrunelResult, t_start: float = 0.1) -> dict[str, float]:
    """Population rates (Hz) of the excitatory and inhibitory neurons, mean CV of the
    inter-spike intervals of excitatory neurons with >= 3 spikes (spikes after
    ``t_start`` s, the onset transient left out), and the excitatory weights' mean, std and
    fractions within 1% of the bounds (units of ``J``)."""
    cfg = res.cfg
    sel = res.t >= t_start
    i, t = res.i[sel], res.t[sel]
    span = res.duration - t_start
    exc = i < cfg.n_exc
    order = np.lexsort((t, i))
    i_s, t_s = i[order], t[order]
    same = i_s[1:] == i_s[:-1]
    cvs = []
    starts = np.flatnonzero(np.r_[True, ~same])
    ends = np.r_[starts[1:], i_s.size]
    for a, b in zip(starts, ends):
        if i_s[a] >= cfg.n_exc or b - a < 3:
            continue
        d = np.diff(t_s[a:b])
        cvs.append(d.std() / d.mean())
    w = res.w / cfg.j
    wmax = cfg.w_max_factor
    return {"rate_exc": float(exc.sum() / (cfg.n_exc * span)),
            "rate_inh": float((~exc).sum() / (cfg.n_inh * span)),
            "cv_isi_exc": float(np.mean(cvs)) if cvs else float("nan"),
            "w_mean": float(w.mean()), "w_std": float(w.std()),
            "w_frac_low": float((w < 0.01 * wmax).mean()),
            "w_frac_high": float((w > 0.99 * wmax).mean())}
