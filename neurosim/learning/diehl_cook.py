r"""Diehl & Cook (2015): unsupervised digit recognition with STDP.

Poisson inputs (rate ``pixel / max_pixel * max_rate``) drive ``n_exc`` conductance-based
excitatory LIF neurons through plastic weights; each excitatory neuron excites its own
inhibitory partner, which inhibits all other excitatory neurons (winner-take-all,
:func:`neurosim.plasticity.wta.wta_network`). Homeostasis: adaptive thresholds (the neuron
model :class:`neurosim.neurons.lif_theta.LIFCondThetaParams`) and input-weight column sums
normalised before each image (:func:`~neurosim.plasticity.homeostasis.normalize_columns`).
Learning: nearest-spike triplet STDP (:class:`neurosim.plasticity.rules.TripletSTDP` with
``A2+ = A3- = 0``): a pre spike depresses by ``nu_pre * post1``, a post spike potentiates by
``nu_post * pre * post2``. Each neuron is labelled with the class it responds to most on the
training set; a test image gets the class whose neurons fire most on average.

Membrane equations (``dt`` 0.5 ms), integrated with exponential Euler as neurosim's
conductance LIF (exact relaxation towards ``v_inf`` for the conductances at the start of the
step). Plain Euler, used by the authors' code, is unstable here once many inhibitory neurons
fire together (``dt / tau * g_i > 2``): with 400 neurons it made activity explode.

.. math::

    \tau_e \dot v = (v_\text{rest} - v) + g_e (E_\text{exc} - v) + g_i (E_\text{inh} - v),
    \quad \text{threshold } v > v_\theta + \theta

The simulation is a :class:`~neurosim.Network` (:func:`build_network`) run by the backend
registry (``backend="numba"``: the compiled kernel with the triplet rule inside it; ``"torch"``:
``n_copies`` independent copies in the batch dimension, CPU or GPU). Training presents one
image at a time to each copy; :meth:`DiehlCook.responses` presents many images at once as
copies in the batch dimension (no learning, thresholds frozen). Op counts are the network's
counters (:class:`DiehlCookCounters`). The authors' 150 ms rest between images is replaced
by resetting the dynamic variables (BindsNET does the same). Refractoriness follows the
engine (Brian2's convention: integration resumes at ``t_spike + t_ref``); the compiled
kernel this replaced held the membrane one step longer (``round(t_ref / dt)`` steps).

Diehl, P. U. & Cook, M. (2015). Unsupervised learning of digit recognition using
spike-timing-dependent plasticity. *Front. Comput. Neurosci.* 9:99.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from neurosim.counters import OpCounters
from neurosim.monitors import SpikeMonitor
from neurosim.network import Network
from neurosim.neurons.group import NeuronGroup
from neurosim.neurons.inputs import PoissonGroup, SpikeGeneratorGroup
from neurosim.neurons.lif_theta import LIFCondThetaParams
from neurosim.plasticity.homeostasis import normalize_columns
from neurosim.plasticity.rules import TripletSTDP
from neurosim.plasticity.stdp import TripletSTDPParams
from neurosim.plasticity.wta import wta_network
from neurosim.synapses import Synapses
from neurosim.units import Hz, ms, mV
from neurosim.validation import check_int, check_real

__all__ = ["DiehlCookConfig", "DiehlCook", "DiehlCookCounters", "stdp_params", "present",
           "build_network", "exc_params", "inh_params", "normalize"]

#: images per inference network (copies in the batch dimension)
_RESPONSE_BATCH = 256


@dataclass(frozen=True)
class DiehlCookConfig:
    """Parameters (SI; conductances relative to the leak). Defaults: the authors' code."""

    n_input: int = 784
    n_exc: int = 100
    dt: float = 0.5 * ms
    t_image: float = 350 * ms
    max_rate: float = 63.75 * Hz
    intensity_step: float = 32 * Hz   #: added to max_rate when too few spikes
    min_spikes: int = 5
    max_repeats: int = 6
    # excitatory neurons
    tau_e: float = 100 * ms
    v_rest_e: float = -65 * mV
    v_reset_e: float = -65 * mV
    v_thresh_e: float = -52 * mV
    t_ref_e: float = 5 * ms
    # inhibitory neurons
    tau_i: float = 10 * ms
    v_rest_i: float = -60 * mV
    v_reset_i: float = -45 * mV
    v_thresh_i: float = -40 * mV
    t_ref_i: float = 2 * ms
    # synapses
    tau_ge: float = 1 * ms
    tau_gi: float = 2 * ms
    e_exc: float = 0 * mV
    e_inh_e: float = -100 * mV
    e_inh_i: float = -85 * mV
    w_ei: float = 10.4
    w_ie: float = 17.0
    w_max: float = 1.0
    w_init_max: float = 0.3
    norm_total: float = 78.0
    # plasticity
    nu_pre: float = 1e-4
    nu_post: float = 1e-2
    tau_pre: float = 20 * ms
    tau_post1: float = 20 * ms
    tau_post2: float = 40 * ms
    theta_plus: float = 0.05 * mV
    tau_theta: float = 1e7 * ms

    def __post_init__(self) -> None:
        o = type(self).__name__
        for f in ("n_input", "n_exc", "min_spikes", "max_repeats"):
            check_int(f"{o}.{f}", getattr(self, f), low=1)
        for f in ("dt", "t_image", "tau_e", "tau_i", "tau_ge", "tau_gi", "tau_pre",
                  "tau_post1", "tau_post2", "tau_theta", "max_rate", "w_max", "norm_total"):
            check_real(f"{o}.{f}", getattr(self, f), low=0, low_open=True)
        for f in ("nu_pre", "nu_post", "theta_plus", "w_ei", "w_ie", "w_init_max",
                  "intensity_step", "t_ref_e", "t_ref_i"):
            check_real(f"{o}.{f}", getattr(self, f), low=0)
        for f in ("v_rest_e", "v_reset_e", "v_thresh_e", "v_rest_i", "v_reset_i",
                  "v_thresh_i", "e_exc", "e_inh_e", "e_inh_i"):
            check_real(f"{o}.{f}", getattr(self, f))
        if self.dt > min(self.tau_ge, self.tau_gi):
            raise ValueError(f"{o}.dt={self.dt} must not exceed the synaptic time constants "
                             f"({min(self.tau_ge, self.tau_gi)})")
        if self.norm_total > self.n_input * self.w_max:
            raise ValueError(f"{o}.norm_total={self.norm_total} cannot be reached with "
                             f"n_input={self.n_input} weights <= w_max={self.w_max}")

    @property
    def n_steps(self) -> int:
        return int(round(self.t_image / self.dt))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def stdp_params(cfg: DiehlCookConfig) -> TripletSTDPParams:
    """The authors' rule as nearest-spike triplet STDP (A2+ = A3- = 0)."""
    return TripletSTDPParams(tau_plus=cfg.tau_pre, tau_minus=cfg.tau_post1,
                             tau_x=cfg.tau_pre, tau_y=cfg.tau_post2, a2_plus=0.0,
                             a3_plus=cfg.nu_post, a2_minus=cfg.nu_pre, a3_minus=0.0,
                             w_min=0.0, w_max=cfg.w_max, pairing="nearest")


# --------------------------------------------------------------------------- the network
#: names of the network's groups and projections (they key the op counters)
INPUT, EXC, INH = "input", "exc", "inh"
INPUT_EXC, EXC_INH, INH_EXC = "input_exc", "exc_inh", "inh_exc"


def exc_params(cfg: DiehlCookConfig, learn: bool = True) -> LIFCondThetaParams:
    """The excitatory neurons: conductance LIF with adaptive threshold, conductances
    relative to the leak (``r_m = 1``); ``learn=False``: ``theta`` frozen (inference)."""
    p = LIFCondThetaParams(tau_m=cfg.tau_e, v_rest=cfg.v_rest_e, v_reset=cfg.v_reset_e,
                           v_thresh=cfg.v_thresh_e, t_ref=cfg.t_ref_e, r_m=1.0,
                           tau_e=cfg.tau_ge, tau_i=cfg.tau_gi, e_e=cfg.e_exc,
                           e_i=cfg.e_inh_e, theta_plus=cfg.theta_plus,
                           tau_theta=cfg.tau_theta)
    return p if learn else p.frozen()


def inh_params(cfg: DiehlCookConfig) -> LIFCondThetaParams:
    """The inhibitory neurons: the same model with a fixed threshold (``theta = 0``)."""
    return LIFCondThetaParams(tau_m=cfg.tau_i, v_rest=cfg.v_rest_i, v_reset=cfg.v_reset_i,
                              v_thresh=cfg.v_thresh_i, t_ref=cfg.t_ref_i, r_m=1.0,
                              tau_e=cfg.tau_ge, tau_i=cfg.tau_gi, e_e=cfg.e_exc,
                              e_i=cfg.e_inh_i, theta_plus=0.0, tau_theta=math.inf)


def build_network(cfg: DiehlCookConfig, W: np.ndarray, *, batch: int = 1,
                  learn: bool = True, plastic: bool | None = None,
                  raster: np.ndarray | None = None, backend: str = "numba",
                  device: str = "auto", seed: int = 0) -> Network:
    """The Diehl & Cook network on :class:`~neurosim.Network`.

    Groups ``"input"`` (:class:`~neurosim.PoissonGroup`, rates set per presentation with
    ``set_rates``; or a :class:`~neurosim.SpikeGeneratorGroup` replaying ``raster`` bool
    ``(T, batch, n_input)`` from step 0), ``"exc"`` and ``"inh"`` (:func:`exc_params`,
    :func:`inh_params`); projections ``"input_exc"`` (all-to-all, weights ``W``
    ``(n_input, n_exc)``; with the triplet rule of :func:`stdp_params` attached when
    ``plastic`` (default: ``learn``), which gives per-copy weights, learning while
    ``learn``), ``"exc_inh"`` (one-to-one, ``w_ei``) and ``"inh_exc"`` (every other
    excitatory neuron, ``w_ie``; :func:`neurosim.plasticity.wta.wta_network`).
    ``learn=False`` also freezes the thresholds (:meth:`LIFCondThetaParams.frozen`). A
    :class:`~neurosim.SpikeMonitor` on ``"exc"`` is ``net.dc_monitor``, the input group
    ``net.dc_input``. ``batch`` copies (per-copy weights and thresholds through
    ``set_state``, per-copy rates through ``set_rates``). The network is built (its
    runner prepared) before it is returned."""
    n_in, N = cfg.n_input, cfg.n_exc
    if raster is None:
        inp: Any = PoissonGroup(n_in, 0.0, name=INPUT)
    else:
        t, b, i = np.nonzero(raster)
        inp = SpikeGeneratorGroup(n_in, i, t * cfg.dt, name=INPUT, batch=b)
    exc = NeuronGroup(N, exc_params(cfg, learn), name=EXC)
    inh = NeuronGroup(N, inh_params(cfg), name=INH)
    w_in = Synapses.all_to_all(inp, exc, np.ascontiguousarray(W).reshape(-1), target="e",
                               name=INPUT_EXC)
    if learn if plastic is None else plastic:
        w_in.attach(TripletSTDP(stdp_params(cfg)))
    e2i, i2e = wta_network(exc, inh, cfg.w_ei, cfg.w_ie)
    e2i.name, i2e.name = EXC_INH, INH_EXC
    mon = SpikeMonitor(exc)
    net = Network(inp, exc, inh, w_in, e2i, i2e, mon, dt=cfg.dt, seed=seed, backend=backend,
                  batch_size=batch, device=device)
    net.dc_monitor, net.dc_input = mon, inp   # type: ignore[attr-defined]
    net.learning = bool(learn)
    net.get_state()   # build now: the input generator is set per presentation
    return net


def _reset_state(net: Network, W: np.ndarray | None, theta: np.ndarray) -> None:
    """Dynamic variables back to rest (``v``, conductances, refractory clocks, STDP
    traces), thresholds ``theta`` ``(B, N)`` and, with plasticity, weights ``W``
    ``(B, n_in, N)`` written in."""
    st = net.get_state()
    for name in (EXC, INH):
        g = next(o for o in net.objects if getattr(o, "name", None) == name)
        rest = g.initial_state(net.batch_size)
        if name == EXC:
            rest["theta"] = np.array(theta, dtype=np.float64)
        st[name] = rest
    key = f"plastic:{INPUT_EXC}"
    if key in st:
        st[key] = {f: np.zeros_like(a) for f, a in st[key].items()}
        st[key]["w"] = np.asarray(W, dtype=np.float64).reshape(net.batch_size, -1)
    net.set_state(st)


def _run_steps(net: Network, n_steps: int, counters: OpCounters | None) -> np.ndarray:
    """Run ``n_steps`` (one presentation) from the current state; returns the excitatory
    spike counts ``(B, N)`` and adds the network's op counts of the run to ``counters``
    (``presentations`` += B)."""
    before = net.counters_obj.as_dict()
    mon = net.dc_monitor
    mon.clear()
    net.run(n_steps * net.dt, progress=False)
    B, N = net.batch_size, mon.group.n
    counts = np.bincount(mon.batch * N + mon.i, minlength=B * N).reshape(B, N)
    if counters is not None:
        _add_delta(counters, before, net.counters_obj.as_dict())
        if "presentations" in counters.values:
            counters.add("presentations", B)
    return counts


def _add_delta(counters: OpCounters, before: dict[str, Any], after: dict[str, Any]) -> None:
    """Add the network counters' growth from ``before`` to ``after`` to ``counters``."""
    for k in OpCounters.SCALARS:
        counters.add(k, after[k] - before[k])
    for k, v in after["spikes_by_group"].items():
        counters.spikes_by_group[k] = (counters.spikes_by_group.get(k, 0) + v
                                       - before["spikes_by_group"].get(k, 0))
    ev_a, ev_b = after["synaptic_events_by_projection"], before["synaptic_events_by_projection"]
    for k, v in ev_a.items():
        counters.events_by_projection[k] = (counters.events_by_projection.get(k, 0) + v
                                            - ev_b.get(k, 0))
    counters.state_bytes, counters.synapse_bytes = after["state_bytes"], after["synapse_bytes"]
    counters.n_synapses = after["n_synapses"]


def read_back(net: Network) -> tuple[np.ndarray | None, np.ndarray]:
    """``(W (B, n_in, N) or None without plasticity, theta (B, N))`` of ``net`` now."""
    st = net.get_state()
    theta = st[EXC]["theta"]
    key = f"plastic:{INPUT_EXC}"
    if key not in st:
        return None, theta
    B, N = theta.shape
    return st[key]["w"].reshape(B, -1, N), theta


def present(raster: np.ndarray, W: np.ndarray, theta: np.ndarray, cfg: DiehlCookConfig,
            learn: bool, counters: OpCounters | None = None, backend: str = "numba",
            device: str = "auto") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Present the given input rasters: ``raster`` bool ``(T, B, n_in)`` to ``B``
    independent copies with weights ``W`` ``(B, n_in, N)`` and thresholds ``theta``
    ``(B, N)``, on a :class:`~neurosim.Network` (:func:`build_network`; the weights
    are per copy, learning on or off as ``learn``). Returns new
    ``(W, theta, counts (B, N))`` (numpy; ``W`` and ``theta`` unchanged without
    ``learn``); the network's op counts are added to ``counters`` if given."""
    raster = np.asarray(raster, dtype=bool)
    W = np.asarray(W, dtype=np.float64)
    theta = np.asarray(theta, dtype=np.float64)
    T, B, _ = raster.shape
    net = build_network(cfg, W[0], batch=B, learn=learn, plastic=True, raster=raster,
                        backend=backend, device=device)
    _reset_state(net, W, theta)
    counts = _run_steps(net, T, counters)
    W_new, th_new = read_back(net)
    return (W_new if W_new is not None else W.copy()), th_new, counts


# --------------------------------------------------------------------------- op counts


class DiehlCookCounters(OpCounters):
    """:class:`~neurosim.counters.OpCounters` of a Diehl & Cook network (the
    :class:`~neurosim.Network`'s counters, summed over its runs), plus
    ``presentations``: images shown, each repeat (with more input) counted."""

    SCALARS = OpCounters.SCALARS + ("presentations",)


def new_counters(cfg: DiehlCookConfig) -> DiehlCookCounters:
    """Empty counters (sizes are filled from the network when it runs)."""
    return DiehlCookCounters()


def normalize(W: Any, cfg: DiehlCookConfig) -> Any:
    """Column sums of ``W`` (``(..., n_in, N)``) to ``cfg.norm_total``, then clipped to
    ``[0, w_max]`` (the plastic projection's bounds; a weight above ``w_max`` after the
    rescaling, possible when ``norm_total`` is large for ``n_input``, is set to ``w_max``,
    so that column's sum stays below ``norm_total``)."""
    Wn = normalize_columns(W, cfg.norm_total)
    return Wn.clip(0.0, cfg.w_max)


# ---------------------------------------------------------------------------- classifier
def _atomic_save(path: str, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
    import json
    import os

    from neurosim.atomic import atomic_open

    with atomic_open(path, "wb") as f:
        np.savez(f, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), **arrays)
        f.flush()
        os.fsync(f.fileno())


def _load(path: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    import json

    from neurosim.io import read_npz

    arrays = read_npz(path, "DiehlCook checkpoint")
    try:
        meta = json.loads(bytes(arrays.pop("meta")).decode())
    except (KeyError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"DiehlCook checkpoint {path!r} has no readable metadata: {e}"
                         ) from e
    return arrays, meta


class DiehlCook:
    """The Diehl & Cook classifier (scikit-learn style: ``fit`` / ``predict`` / ``score``).

    Parameters
    ----------
    config : :class:`DiehlCookConfig` (``n_input`` must match the data's features).
    max_pixel : pixel value that maps to ``max_rate`` (255 for MNIST, 16 for load_digits).
    backend : the :class:`~neurosim.Network` backend: ``"numba"`` (CPU, one copy trained;
        the compiled kernel) or ``"torch"`` (``n_copies`` independent copies trained in
        parallel in the batch dimension, each on the data in its own order;
        ``device="auto"``).
    random_state : seed for initial weights, data order and Poisson input.

    Fitted attributes: ``W_`` ``(n_input, n_exc)`` and ``theta_`` (copy 0), ``copies_W_``
    ``(C, n_input, n_exc)``, ``assignments_`` ``(n_exc,)``, ``train_time_s_``.

    Op counts, the networks' counters (:class:`DiehlCookCounters`, summed over copies):
    ``counters_`` of the training presentations (STDP on), ``label_counters_`` of the
    presentations that gave ``assignments_`` (learning off), ``last_counters_`` of the
    last :meth:`responses` call (so of :meth:`predict`).
    """

    def __init__(self, config: DiehlCookConfig | None = None, max_pixel: float = 255.0,
                 backend: str = "numba", n_copies: int = 1, device: str = "auto",
                 random_state: int | None = 0) -> None:
        self.config = config or DiehlCookConfig()
        self.max_pixel, self.backend, self.n_copies = max_pixel, backend, n_copies
        self.device, self.random_state = device, random_state
        from neurosim.validation import check_choice

        check_choice("DiehlCook.backend", backend, ("numba", "torch"))
        if backend == "numba" and n_copies != 1:
            raise ValueError(f"DiehlCook.n_copies must be 1 with backend='numba', got "
                             f"{n_copies}")

    # ------------------------------------------------------------------ helpers
    def _check_X(self, X: Any) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.config.n_input:
            raise ValueError(f"DiehlCook: X must have shape (n, {self.config.n_input}), got "
                             f"{X.shape}")
        if X.shape[0] == 0:
            raise ValueError(f"DiehlCook: X has no samples (shape {X.shape})")
        bad = ~np.isfinite(X) | (X < 0) | (X > self.max_pixel)
        if bad.any():
            r, c = np.argwhere(bad)[0]
            raise ValueError(f"DiehlCook: X must be finite pixels in [0, {self.max_pixel}], "
                             f"got {float(X[r, c])!r} at [{r}, {c}]")
        return X

    def _present(self, P: np.ndarray, W: np.ndarray, theta: np.ndarray, learn: bool,
                 rng: np.random.Generator, counters: OpCounters,
                 nets: dict[int, Network]) -> np.ndarray:
        """Images ``P`` ``(B, n_input)`` (pixel / max_pixel) to ``B`` copies with weights
        ``W`` ``(B, n_input, n_exc)`` and thresholds ``theta`` ``(B, n_exc)`` (updated in
        place when ``learn``), each with the authors' retry (input rate ``max_rate``, then
        ``intensity_step`` more until ``min_spikes`` excitatory spikes, at most
        ``max_repeats`` presentations; the copies that need a repeat run again, alone).
        Between presentations ``v``, conductances, refractory clocks and STDP traces go
        back to rest (``theta`` and ``W`` do not). Each presentation's Poisson input is
        drawn from a generator seeded from ``rng``. Returns the spike counts ``(B,
        n_exc)`` of each image's last presentation; the networks' op counts are added to
        ``counters``. ``nets``: networks by batch size (built on first use; without
        ``learn`` they hold ``W[0]`` as static weights)."""
        cfg = self.config
        B = P.shape[0]
        rate = np.full(B, float(cfg.max_rate))
        todo = np.arange(B)
        counts = np.zeros((B, cfg.n_exc), dtype=np.int64)
        for _ in range(cfg.max_repeats):
            net = nets.get(todo.size)
            if net is None:
                net = nets[todo.size] = build_network(
                    cfg, W[0], batch=todo.size, learn=learn, backend=self.backend,
                    device=self.device)
            _reset_state(net, W[todo] if learn else None, theta[todo])
            inp = net.dc_input
            inp.rng = np.random.default_rng(int(rng.integers(2**63)))
            inp.set_rates(P[todo] * rate[todo, None], block_steps=cfg.n_steps)
            counts[todo] = _run_steps(net, cfg.n_steps, counters)
            if learn:
                W_new, th_new = read_back(net)
                W[todo], theta[todo] = W_new, th_new
            todo = todo[counts[todo].sum(1) < cfg.min_spikes]
            if todo.size == 0:
                break
            rate[todo] += cfg.intensity_step
        return counts

    # ------------------------------------------------------------------ API
    def fit(self, X: Any, y: Any, epochs: int = 1, checkpoint: str | None = None,
            checkpoint_every: int = 100, callback: Any = None,
            epoch_end: Callable[[int], bool] | None = None, learn: bool = True
            ) -> DiehlCook:
        """Unsupervised training on ``X`` for ``epochs``, then label assignment with ``y``.

        ``learn=False`` is the ablation without plasticity: no image is presented for
        learning (no STDP, no threshold adaptation); the initial random weights,
        normalised, get their labels from their responses to ``X``.

        With ``checkpoint`` (a file path), the state (weights, thresholds, RNG, position) is
        saved atomically every ``checkpoint_every`` images and at the end; if the file
        exists, training resumes from it and ends exactly as an uninterrupted run would.
        ``callback(images_done)`` is called after every image (or batch).

        ``epoch_end(epoch)``, if given, is called after every complete pass over ``X``
        (``epoch`` counts from 1) with the model usable as trained so far: ``W_``,
        ``theta_`` and ``copies_*`` are copies of the current weights and thresholds, and
        ``assignments_`` comes from their responses to ``X`` (one more pass, without
        learning and on its own random stream, so training goes exactly as without
        ``epoch_end``; its time is not in ``train_time_s_``). Returning True stops training
        there, and the model stays the one of that epoch (a checkpoint then holds that
        position: resuming from it would train the remaining epochs).
        """
        import time

        X = self._check_X(X)
        y = np.asarray(y)
        if y.shape != (X.shape[0],):
            raise ValueError(f"DiehlCook.fit: y must have shape ({X.shape[0]},), got "
                             f"{y.shape}")
        cfg = self.config
        C = self.n_copies
        rng = np.random.default_rng(self.random_state)
        W = rng.random((C, cfg.n_input, cfg.n_exc)) * cfg.w_init_max
        theta = np.zeros((C, cfg.n_exc))
        orders = np.stack([np.concatenate([rng.permutation(X.shape[0])
                                           for _ in range(epochs)]) for _ in range(C)])
        pos, elapsed = 0, 0.0
        self.counters_ = new_counters(cfg)
        meta = {"config": cfg.to_json(), "n_train": int(X.shape[0]), "epochs": epochs,
                "n_copies": C, "backend": self.backend, "random_state": self.random_state}
        if checkpoint is not None:
            import os

            if os.path.exists(checkpoint):
                arrays, saved = _load(checkpoint)
                for k in ("config", "n_train", "epochs", "n_copies", "backend",
                          "random_state"):
                    if saved.get(k) != meta[k]:
                        raise ValueError(f"DiehlCook checkpoint {checkpoint!r} was made "
                                         f"with a different {k}: {saved.get(k)!r} != "
                                         f"{meta[k]!r}")
                W, theta, orders = arrays["W"], arrays["theta"], arrays["orders"]
                pos, elapsed = int(saved["pos"]), float(saved["elapsed"])
                rng.bit_generator.state = saved["rng"]
                if "counters" in saved:  # (absent in checkpoints made before they were)
                    self.counters_.load(saved["counters"])
        total = orders.shape[1] if learn else 0

        def save() -> None:
            if checkpoint is not None:
                _atomic_save(checkpoint, {"W": W, "theta": theta, "orders": orders},
                             {**meta, "pos": pos, "elapsed": elapsed,
                              "rng": rng.bit_generator.state,
                              "counters": self.counters_.as_dict()})

        t0 = time.perf_counter()
        nets: dict[int, Network] = {}   # training networks by batch size
        since = 0
        n = X.shape[0]
        assigned_at = -1  # position whose weights assignments_ was computed from
        while pos < total:
            W[:] = normalize(W, cfg)
            self._present(X[orders[:, pos]] / self.max_pixel, W, theta, True, rng,
                          self.counters_, nets)
            pos += 1
            since += 1
            if callback is not None:
                callback(pos)
            if since >= checkpoint_every:
                elapsed += time.perf_counter() - t0
                t0 = time.perf_counter()
                save()
                since = 0
            if epoch_end is not None and pos % n == 0:
                t_cb = time.perf_counter()
                self._set_fitted(W, theta, X, y, copy=True)
                assigned_at = pos
                stop = bool(epoch_end(pos // n))
                t0 += time.perf_counter() - t_cb  # not training time
                if stop:
                    break
        elapsed += time.perf_counter() - t0
        save()
        if assigned_at != pos:
            self._set_fitted(W, theta, X, y, copy=False)
        self.train_time_s_ = elapsed
        return self

    def _set_fitted(self, W: Any, theta: Any, X: np.ndarray, y: np.ndarray,
                    copy: bool) -> None:
        """Fitted attributes from weights ``W`` and thresholds ``theta`` (all copies);
        label assignment from the responses of copy 0 to ``X``."""
        Wn, th = W, theta
        if copy:  # training goes on updating W and theta in place
            Wn, th = Wn.copy(), th.copy()
        self.copies_W_, self.copies_theta_ = Wn, th
        self.W_, self.theta_ = self.copies_W_[0], self.copies_theta_[0]
        self.n_classes_ = int(y.max()) + 1
        #: spike counts of copy 0 on the training images that gave the labels, (n, n_exc)
        self.train_responses_ = self.responses(X)
        self.assignments_ = self._assign(self.train_responses_, y)
        self.label_counters_ = self.last_counters_

    def responses(self, X: Any) -> np.ndarray:
        """Spike counts ``(n, n_exc)`` of copy 0 with learning off (weights normalised).

        The op counts of these presentations are kept in ``last_counters_``."""
        X = self._check_X(X)
        rng = np.random.default_rng(np.random.SeedSequence([self.random_state or 0, 7]))
        W = np.ascontiguousarray(normalize(self.W_, self.config))[None]
        counters = new_counters(self.config)
        R = np.zeros((X.shape[0], self.config.n_exc))
        nets: dict[int, Network] = {}   # inference networks (W static) by batch size
        for a in range(0, X.shape[0], _RESPONSE_BATCH):
            P = X[a:a + _RESPONSE_BATCH] / self.max_pixel
            th = np.broadcast_to(self.theta_, (P.shape[0], self.config.n_exc))
            R[a:a + P.shape[0]] = self._present(P, np.broadcast_to(W, (P.shape[0],) + W.shape[1:]),
                                                th, False, rng, counters, nets)
        self.last_counters_ = counters
        return R

    def _assign(self, R: np.ndarray, y: np.ndarray) -> np.ndarray:
        rates = np.stack([R[y == c].mean(0) if np.any(y == c) else np.zeros(R.shape[1])
                          for c in range(self.n_classes_)])
        return rates.argmax(0)

    def predict_from_responses(self, R: np.ndarray) -> np.ndarray:
        votes = np.stack([R[:, self.assignments_ == c].mean(1)
                          if np.any(self.assignments_ == c) else np.zeros(R.shape[0])
                          for c in range(self.n_classes_)], 1)
        return votes.argmax(1)

    def predict(self, X: Any) -> np.ndarray:
        """Class whose assigned neurons fire most on average."""
        if not hasattr(self, "assignments_"):
            raise RuntimeError("DiehlCook.predict: call fit first")
        return self.predict_from_responses(self.responses(X))

    def score(self, X: Any, y: Any) -> float:
        return float((self.predict(X) == np.asarray(y)).mean())
