"""Song, Miller & Abbott (2000): competitive Hebbian learning through STDP.

1000 Poisson inputs at 15 Hz drive one conductance-based LIF neuron through plastic
excitatory synapses (additive pair STDP, LTD slightly stronger than LTP, weights clipped to
``[0, gmax]``). The weights become bimodal (most near 0 or near ``gmax``) and the output rate
is regulated. Parameters as Brian2's ``examples/synapses/STDP.py`` (see
``REFERENCES.md``): taum 10 ms, taue 5 ms, Ee 0 mV, vt -54 mV, vr -60 mV, El -74 mV,
tau_pre = tau_post = 20 ms, gmax 0.01 (in units of the leak conductance), dApre = 0.01 gmax,
dApost = -1.05 dApre.

:func:`run_song_abbott` runs it on neurosim; :func:`run_song_abbott_brian2` runs the same
model in Brian2 (``exponential_euler`` like neurosim's conductance LIF; build directories in
a temporary folder).

Song, S., Miller, K. D. & Abbott, L. F. (2000). Competitive Hebbian learning through
spike-timing-dependent synaptic plasticity. *Nat. Neurosci.* 3:919-926.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neurosim.units import Hz, Mohm, ms, mV

__all__ = ["SongAbbottConfig", "SongAbbottResult", "build_song_abbott", "run_song_abbott",
           "run_song_abbott_brian2", "weight_fractions", "poisson_trains"]


@dataclass(frozen=True)
class SongAbbottConfig:
    """Model parameters (SI); ``gmax`` is relative to the leak conductance."""

    n_inputs: int = 1000
    rate: float = 15 * Hz
    tau_m: float = 10 * ms
    tau_e: float = 5 * ms
    e_e: float = 0 * mV
    v_thresh: float = -54 * mV
    v_reset: float = -60 * mV
    e_l: float = -74 * mV
    tau_pre: float = 20 * ms
    tau_post: float = 20 * ms
    gmax: float = 0.01
    d_apre: float = 0.01      #: LTP amplitude in units of gmax
    ltd_ratio: float = 1.05   #: LTD / LTP amplitude
    dt: float = 0.1 * ms
    r_m: float = 100 * Mohm   #: only converts gmax to siemens for neurosim

    def __post_init__(self) -> None:
        if self.n_inputs < 1:
            raise ValueError(f"SongAbbottConfig.n_inputs must be >= 1, got {self.n_inputs}")
        for f in ("gmax", "d_apre", "ltd_ratio", "rate"):
            if not getattr(self, f) > 0:
                raise ValueError(f"SongAbbottConfig.{f} must be > 0, got {getattr(self, f)}")


@dataclass
class SongAbbottResult:
    """Final weights (in units of gmax, ``(n_inputs,)``), output spike times and rates."""

    w: np.ndarray
    spike_times: np.ndarray
    duration: float
    wall_s: float
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        """Mean output rate over the run (Hz)."""
        return self.spike_times.size / self.duration

    def rate_in(self, t0: float, t1: float) -> float:
        """Output rate in ``[t0, t1)`` (Hz)."""
        st = self.spike_times
        return float(((st >= t0) & (st < t1)).sum() / (t1 - t0))


def weight_fractions(w: np.ndarray, lo: float = 0.1, hi: float = 0.9) -> tuple[float, float]:
    """Fractions of weights (in units of gmax) ``< lo`` and ``> hi``."""
    w = np.asarray(w)
    return float((w < lo).mean()), float((w > hi).mean())


def poisson_trains(cfg: SongAbbottConfig, duration: float, seed: int
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Fixed Poisson input ``(indices, times)`` on the ``dt`` grid (to feed both simulators
    the same spikes): each input spikes in a step with probability ``rate * dt``."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 2]))
    n_steps = int(round(duration / cfg.dt))
    step, idx = np.nonzero(rng.random((n_steps, cfg.n_inputs)) < cfg.rate * cfg.dt)
    return idx, step * cfg.dt


def build_song_abbott(cfg: SongAbbottConfig = SongAbbottConfig(), seed: int = 0,
                      backend: str = "auto", input_spikes: Any = None
                      ) -> tuple[Any, Any, Any]:
    """``(network, synapses, spike_monitor)`` of the model on neurosim (Poisson input, or
    the given ``(indices, times)`` through a SpikeGeneratorGroup)."""
    from neurosim import (
        LIFCondParams,
        Network,
        NeuronGroup,
        PoissonGroup,
        SpikeGeneratorGroup,
        SpikeMonitor,
    )
    from neurosim.plasticity import STDP, PairSTDPParams
    from neurosim.synapses import Synapses

    g_unit = 1.0 / cfg.r_m                      # leak conductance (S)
    gmax = cfg.gmax * g_unit
    params = LIFCondParams(tau_m=cfg.tau_m, v_rest=cfg.e_l, v_reset=cfg.v_reset,
                           v_thresh=cfg.v_thresh, t_ref=0.0, r_m=cfg.r_m, tau_e=cfg.tau_e,
                           e_e=cfg.e_e)
    if input_spikes is None:
        inp: Any = PoissonGroup(cfg.n_inputs, cfg.rate, name="input")
    else:
        inp = SpikeGeneratorGroup(cfg.n_inputs, *input_spikes, name="input")
    out = NeuronGroup(1, params, name="neuron")
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    w0 = rng.random(cfg.n_inputs) * gmax
    syn = Synapses.all_to_all(inp, out, w0, target="e", name="stdp")
    syn.attach(STDP(PairSTDPParams(
        tau_pre=cfg.tau_pre, tau_post=cfg.tau_post, a_plus=cfg.d_apre * gmax,
        a_minus=cfg.ltd_ratio * cfg.d_apre * gmax * cfg.tau_pre / cfg.tau_post,
        w_min=0.0, w_max=gmax)))
    mon = SpikeMonitor(out)
    net = Network(inp, out, syn, mon, dt=cfg.dt, seed=seed, backend=backend)
    return net, syn, mon


def run_song_abbott(duration: float, cfg: SongAbbottConfig = SongAbbottConfig(),
                    seed: int = 0, backend: str = "auto", input_spikes: Any = None
                    ) -> SongAbbottResult:
    """Simulate ``duration`` s on neurosim; weights returned in units of gmax."""
    net, syn, mon = build_song_abbott(cfg, seed, backend, input_spikes)
    t0 = time.perf_counter()
    net.run(duration, progress=False)
    wall = time.perf_counter() - t0
    return SongAbbottResult(syn.weights * cfg.r_m / cfg.gmax, np.asarray(mon.t), duration,
                            wall)


def run_song_abbott_brian2(duration: float, cfg: SongAbbottConfig = SongAbbottConfig(),
                           seed: int = 0, target: str = "numpy",
                           build_dir: str | None = None, input_spikes: Any = None
                           ) -> SongAbbottResult:
    """The same model in Brian2 (its ``examples/synapses/STDP.py``, exponential Euler).

    ``target``: ``"numpy"``, ``"cython"`` (runtime) or ``"cpp_standalone"`` (built in
    ``build_dir`` or a temporary directory; ``extra["compile_s"]`` is the build+compile
    time, ``wall_s`` the simulation time reported by the generated code).
    """
    import brian2 as b2

    from neurosim.learning._brian2_run import brian2_run, brian2_setup

    # fixed object names: Brian2's code cache then hits across repeated calls
    brian2_setup(b2, target, cfg.dt, seed)
    ns = dict(taum=cfg.tau_m * b2.second, taue=cfg.tau_e * b2.second, Ee=cfg.e_e * b2.volt,
              vt=cfg.v_thresh * b2.volt, vr=cfg.v_reset * b2.volt, El=cfg.e_l * b2.volt,
              taupre=cfg.tau_pre * b2.second, taupost=cfg.tau_post * b2.second,
              gmax=cfg.gmax, dApre=cfg.d_apre * cfg.gmax,
              dApost=-cfg.d_apre * cfg.tau_pre / cfg.tau_post * cfg.ltd_ratio * cfg.gmax)
    if input_spikes is None:
        inp = b2.PoissonGroup(cfg.n_inputs, rates=cfg.rate * b2.Hz, name="sa_input")
    else:
        inp = b2.SpikeGeneratorGroup(cfg.n_inputs, input_spikes[0],
                                     input_spikes[1] * b2.second, name="sa_input")
    neuron = b2.NeuronGroup(1, """dv/dt = (ge * (Ee - v) + El - v) / taum : volt
                                  dge/dt = -ge / taue : 1""",
                            threshold="v > vt", reset="v = vr", method="exponential_euler",
                            namespace=ns, name="sa_neuron")
    neuron.v = cfg.e_l * b2.volt
    syn = b2.Synapses(inp, neuron, """w : 1
                      dApre/dt = -Apre / taupre : 1 (event-driven)
                      dApost/dt = -Apost / taupost : 1 (event-driven)""",
                      on_pre="""ge += w
                      Apre += dApre
                      w = clip(w + Apost, 0, gmax)""",
                      on_post="""Apost += dApost
                      w = clip(w + Apre, 0, gmax)""", namespace=ns, name="sa_stdp")
    syn.connect()
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    syn.w = rng.random(cfg.n_inputs) * cfg.gmax
    mon = b2.SpikeMonitor(neuron, name="sa_spikes")
    net = b2.Network(inp, neuron, syn, mon, name="sa_net")
    (w, st), wall, extra = brian2_run(
        b2, net, duration, target, build_dir,
        lambda: (np.array(syn.w[:]) / cfg.gmax, np.array(mon.t / b2.second)))
    return SongAbbottResult(w, st, duration, wall, extra)
