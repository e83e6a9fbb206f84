"""Compiled CPU backend: a whole chunk of steps runs inside one numba function
(:func:`neurosim.backends.numba_kernels._run`, specialised to the neuron models a network
uses).

Layout: all neuron groups' states are concatenated into one ``(V, B, N)`` float64 array
(``V`` = most state variables of any model); input groups' spikes come precomputed from the
host (identical to what the other backends receive). Synapses are concatenated CSR arrays,
delivered event-driven (work proportional to spikes x fan-out). The per-model updates in
:mod:`neurosim.backends.numba_kernels` repeat the arithmetic of the models' pure step
functions in the same operation order, so the results equal the reference backend (tested);
see ``neurosim/neurons/*.py`` for the equations.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from neurosim.backends import ChunkOut
from neurosim.backends.array_backend import (
    NumpyOps,
    PlasticArrayRunner,
    count_plasticity_updates,
    plastic_synapses,
)
from neurosim.backends.numba_kernels import (
    ADEX,
    ALIF,
    IZH,
    KERNELS,
    LIF,
    LIF_COND,
    LIF_COND_ALPHA,
    LIF_COND_THETA,
    PAD,
    QIF,
    _run,
    merge_by_step,
    model_flags,
    row_cuts,
)
from neurosim.neurons.adex import AdExParams
from neurosim.neurons.alif import ALIFParams
from neurosim.neurons.base import hold_steps
from neurosim.neurons.if_ import IFParams, if_coefficients
from neurosim.neurons.inputs import HeldCurrent, per_step_current
from neurosim.neurons.izhikevich import K0, K1, K2, IzhikevichParams
from neurosim.neurons.lif import (
    LIFCondAlphaParams,
    LIFCondParams,
    LIFParams,
    lif_coefficients,
)
from neurosim.neurons.lif_theta import LIFCondThetaParams
from neurosim.neurons.qif import QIFParams
from neurosim.plasticity.rules import STDP, TripletSTDP

__all__ = ["NumbaBackend", "NumbaRunner", "PlasticNumbaRunner", "supports",
           "model_coefficients", "register_model", "MODELS", "LIF", "LIF_COND", "ALIF",
           "IZH", "ADEX", "LIF_COND_ALPHA", "QIF", "LIF_COND_THETA"]

N_COEF = 16


# ------------------------------------------------------------------ the model table
# params class -> (model code in numba_kernels.KERNELS, coefficients(params, dt) -> the
# vector that model's kernel update reads). A new model adds one entry (register_model).


def _lif_coef(p: Any, dt: float) -> np.ndarray:
    k = lif_coefficients(p, dt)
    return np.array([p.v_rest, k.a_m, p.r_m * (1.0 - k.a_m), k.k_e, k.k_i, k.a_e, k.a_i,
                     p.v_thresh, p.v_reset, k.n_ref])


def _alif_coef(p: Any, dt: float) -> np.ndarray:
    return np.concatenate([_lif_coef(p, dt), [math.exp(-dt / p.tau_a), p.delta_a]])


def _if_coef(p: Any, dt: float) -> np.ndarray:
    """The LIF kernel with ``a_m = 1`` and ``v_rest = 0``."""
    k = if_coefficients(p, dt)
    return np.array([0.0, 1.0, k.b_in, k.k_e, k.k_i, k.a_e, k.a_i, p.v_thresh, p.v_reset,
                     k.n_ref])


def _cond_coef(p: Any, dt: float) -> np.ndarray:
    a_e, a_i = math.exp(-dt / p.tau_e), math.exp(-dt / p.tau_i)
    return np.array([p.v_rest, p.r_m, p.e_e, p.e_i, dt / p.tau_m, a_e, a_i, p.v_thresh,
                     p.v_reset, hold_steps(p.t_ref, dt)])


def _cond_alpha_coef(p: Any, dt: float) -> np.ndarray:
    a_e, a_i = math.exp(-dt / p.tau_e), math.exp(-dt / p.tau_i)
    return np.concatenate([_cond_coef(p, dt), [math.e * dt / p.tau_e * a_e,
                                               math.e * dt / p.tau_i * a_i]])


def _cond_theta_coef(p: Any, dt: float) -> np.ndarray:
    return np.concatenate([_cond_coef(p, dt), [math.exp(-dt / p.tau_theta), p.theta_plus]])


def _izh_coef(p: Any, dt: float) -> np.ndarray:
    return np.array([dt, K2, K1, K0, p.a, p.b, p.c, p.d, p.v_peak, 1.0 - dt / p.tau_e,
                     1.0 - dt / p.tau_i])


def _adex_coef(p: Any, dt: float) -> np.ndarray:
    return np.array([dt, p.g_l, p.e_l, p.delta_t, p.v_t, p.c_m, p.a, p.tau_w, p.b,
                     p.v_reset, p.v_peak, hold_steps(p.t_ref, dt), 1.0 - dt / p.tau_e,
                     1.0 - dt / p.tau_i])


def _qif_coef(p: Any, dt: float) -> np.ndarray:
    return np.array([dt, p.a, p.v_rest, p.v_crit, p.r_m, p.tau_m, p.v_peak, p.v_reset,
                     hold_steps(p.t_ref, dt), 1.0 - dt / p.tau_e, 1.0 - dt / p.tau_i])


#: params class -> (kernel code, coefficient function); looked up along the params class's
#: MRO, so a subclass runs as its nearest registered base (ALIFParams, a LIFParams subclass,
#: has its own entry)
MODELS: dict[type, tuple[int, Callable[[Any, float], np.ndarray]]] = {
    LIFParams: (LIF, _lif_coef),
    ALIFParams: (ALIF, _alif_coef),
    IFParams: (LIF, _if_coef),
    LIFCondParams: (LIF_COND, _cond_coef),
    LIFCondAlphaParams: (LIF_COND_ALPHA, _cond_alpha_coef),
    IzhikevichParams: (IZH, _izh_coef),
    AdExParams: (ADEX, _adex_coef),
    QIFParams: (QIF, _qif_coef),
    LIFCondThetaParams: (LIF_COND_THETA, _cond_theta_coef),
}


def register_model(params_cls: type, code: int,
                   coefficients: Callable[[Any, float], np.ndarray]) -> None:
    """Run ``params_cls`` groups with kernel ``code`` (an index of
    :data:`neurosim.backends.numba_kernels.KERNELS`) reading ``coefficients(params, dt)``
    (at most ``N_COEF`` floats)."""
    if not 0 <= code < len(KERNELS):
        raise ValueError(f"register_model: code must be in 0..{len(KERNELS) - 1}, got {code}")
    MODELS[params_cls] = (code, coefficients)


def full_rows(syn: Any) -> bool:
    """Whether every row of ``syn`` targets ``0 .. len - 1`` in order (all-to-all): the
    kernel then adds a row's weights without gathering through ``indices``."""
    if syn.n_syn == 0:
        return False
    pos = np.arange(syn.n_syn) - np.repeat(syn.indptr[:-1], syn.row_lengths())
    return bool(np.array_equal(syn.indices, pos))


def model_coefficients(params: Any, dt: float) -> tuple[int, np.ndarray]:
    """``(model code, coefficient vector (N_COEF,))`` for the compiled kernel."""
    entry = next((MODELS[t] for t in type(params).__mro__ if t in MODELS), None)
    if entry is None:
        raise TypeError(f"numba backend: unsupported model {type(params).__name__}; "
                        f"supported: {', '.join(t.__name__ for t in MODELS)}")
    params.check_dt(dt)
    code, coefficients = entry
    c = np.zeros(N_COEF)
    vals = coefficients(params, dt)
    c[:vals.size] = vals
    return code, c


_POOL: Any = None


def _pool(n: int) -> Any:
    """A shared thread pool with at least ``n`` workers (the chunk kernel releases the
    GIL, so copies of a batch run in parallel)."""
    global _POOL
    from concurrent.futures import ThreadPoolExecutor

    if _POOL is None or _POOL._max_workers < n:
        _POOL = ThreadPoolExecutor(max_workers=n, thread_name_prefix="neurosim")
    return _POOL


def index_dtype(sizes: Any) -> type:
    """The compiled backend's type for neuron indices into groups of these ``sizes``:
    uint16 (2 bytes) when none has more than 65536 neurons, else uint32."""
    return np.uint16 if max(sizes, default=0) <= 1 << 16 else np.uint32


#: fewest neurons per thread when one network is split over threads by neuron. The threads
#: meet once per step (~0.5-1.5 us on this project's 2-core machine), so small networks gain
#: nothing: CUBA (fan-in 80, ~6 Hz), 1 -> 2 threads in the same run, measured 4000 neurons
#: 1.04x, 8000 1.21x, 16000 1.39-1.41x, 32000 1.71x, 64000 1.86x; unconnected LIF neurons
#: 16000 1.91x.
MIN_SPLIT = 4000


def _run_threads(drive: Callable[[int], Any], n: int, arrive: np.ndarray | None) -> list:
    """``[drive(0), ..., drive(n - 1)]`` run in parallel. With ``arrive`` (one network split
    by neuron: the threads meet every step, so all ``n`` must run at once) on ``n - 1``
    threads of their own plus this one, and a thread that fails releases the others' wait
    (they finish their chunk, the error is raised); else on the shared pool."""
    if arrive is None:
        return list(_pool(n).map(drive, range(n)))
    out: list = [None] * n
    errors: list[BaseException] = []

    def body(t: int) -> None:
        try:
            out[t] = drive(t)
        except BaseException as e:        # noqa: BLE001 - re-raised below
            errors.append(e)
            arrive[t * PAD] = 2**62
    threads = [threading.Thread(target=body, args=(t,), name=f"neurosim-{t}", daemon=True)
               for t in range(1, n)]
    for th in threads:
        th.start()
    body(0)
    for th in threads:
        th.join()
    if errors:
        raise errors[0]
    return out


class NumbaRunner:
    """Holds the flattened network and calls the compiled chunk kernel.

    ``kernel`` (default :func:`~neurosim.backends.numba_kernels._run`) is what
    :meth:`run_chunk` calls with ``_run``'s arguments but the last, ``pl``;
    :meth:`plastic_args` supplies that (None here; :class:`PlasticNumbaRunner` returns its
    pair-STDP arrays).
    """

    kernel = staticmethod(_run)

    def __init__(self, plan: Any, state: dict[str, dict[str, np.ndarray]]) -> None:
        self.plan = plan
        #: storage type of state, weights, delay buffers and traces (float64 or float32;
        #: the kernel computes in float64 and rounds on store)
        self.dtype = np.dtype(plan.dtype)
        B = plan.batch
        self.threads = max(1, int(getattr(plan, "threads", 1)))
        ng, ig = plan.neuron_groups, plan.input_groups
        self.V = max([len(g.state_vars) for g in ng] + [1])
        self.g_off = np.cumsum([0] + [g.n for g in ng])[:-1].astype(np.int64)
        self.g_n = np.array([g.n for g in ng], dtype=np.int64)
        self.n_neuron = int(sum(g.n for g in ng))
        self.in_off = np.cumsum([0] + [g.n for g in ig])[:-1].astype(np.int64)
        self.in_n = np.array([g.n for g in ig], dtype=np.int64)
        self.n_in = int(sum(g.n for g in ig))
        coefs = [model_coefficients(g.params, plan.dt) for g in ng]
        self.g_model = np.array([m for m, _ in coefs], dtype=np.int64)
        self.g_coef = np.array([c for _, c in coefs]).reshape(len(ng), N_COEF)
        # selects the kernel's specialisation: only the models used here are compiled
        self.models = model_flags(self.g_model)
        self.S = np.zeros((self.V, B, max(self.n_neuron, 1)), dtype=self.dtype)
        for g, off in zip(ng, self.g_off):
            for v, name in enumerate(g.state_vars):
                self.S[v, :, off:off + g.n] = state[g.name][name]
        glob = {g.name: int(o) for g, o in zip(ng, self.g_off)}
        glob.update({g.name: self.n_neuron + int(o) for g, o in zip(ig, self.in_off)})
        self.group_index = {g.name: k for k, g in enumerate([*ng, *ig])}
        syns = plan.synapses
        self.p_pre = np.array([glob[s.pre.name] for s in syns], dtype=np.int64)
        self.p_npre = np.array([s.n_pre for s in syns], dtype=np.int64)
        self.p_post = np.array([glob[s.post.name] for s in syns], dtype=np.int64)
        self.p_var = np.array([s.post.state_vars.index(s.target_var) for s in syns],
                              dtype=np.int64)
        self.p_ptr = np.cumsum([0] + [s.n_pre + 1 for s in syns])[:-1].astype(np.int64)
        self.p_full = np.array([full_rows(s) for s in syns], dtype=np.bool_)
        syn_off = np.cumsum([0] + [s.n_syn for s in syns])[:-1]
        self.indptr = np.concatenate([s.indptr + o for s, o in zip(syns, syn_off)]
                                     or [np.zeros(1)]).astype(np.int64)
        # unsigned indices: numba then skips negative-index wraparound checks; 2 bytes
        # (uint16) when no target group has more than 65536 neurons, else 4 (uint32)
        # concatenated straight into the final types (no float64 / int64 intermediate: at
        # 3 x 10^8 synapses those peaked at ~40 bytes a synapse while preparing)
        self.indices = np.concatenate([s.indices for s in syns] or [np.zeros(0, np.int32)],
                                      dtype=index_dtype(s.post.n for s in syns),
                                      casting="unsafe")
        self.weights = np.concatenate([s.weights for s in syns] or [np.zeros(0)],
                                      dtype=self.dtype, casting="same_kind")
        self._share(syns, syn_off)
        # per-synapse delays (int32) only when some projection is delayed
        if any(plan.max_delay(s) > 0 for s in syns):
            self.delays = np.concatenate([np.broadcast_to(plan.delay_steps[s.name], s.n_syn)
                                          for s in syns], dtype=np.int32, casting="unsafe")
        else:
            self.delays = np.zeros(1, dtype=np.int32)
        max_d = [plan.max_delay(s) for s in syns]
        self.p_delayed = np.array([d > 0 for d in max_d], dtype=np.bool_)
        self.D = max(max_d + [0]) + 1
        self.buf_vars = np.unique(self.p_var[self.p_delayed]).astype(np.int64)
        self.delayed_syns = [s for s, d in zip(syns, max_d) if d > 0]
        self.buf = np.zeros((self.D, self.V, B, max(self.n_neuron, 1)) if self.D > 1
                            else (1, 1, 1, 1), dtype=self.dtype)
        # per-projection buffers (portable format: slot = step % d) -> shared buffer
        self._step = plan.start_step
        for s in self.delayed_syns:
            sb = state[f"syn:{s.name}"]["buffer"]
            v = self.p_var[syns.index(s)]
            off = glob[s.post.name]
            d = sb.shape[0]
            for ahead in range(d):
                self.buf[(self._step + ahead) % self.D, v, :, off:off + s.post.n] += \
                    sb[(self._step + ahead) % d]
        self._init_stp(plan, state)
        self.g_rec = np.zeros(len(ng) + len(ig), dtype=np.bool_)
        for name in plan.spike_record:
            self.g_rec[self.group_index[name]] = True
        mons = plan.state_monitors
        self.m_var = np.array([m.group.state_vars.index(v) for m in mons for v in m.variables],
                              dtype=np.int64)
        self.m_every = np.array([m.every for m in mons for _ in m.variables], dtype=np.int64)
        idx = [glob[m.group.name] + m.indices for m in mons for _ in m.variables]
        self.m_idx_ptr = np.cumsum([0] + [i.size for i in idx]).astype(np.int64)
        self.m_idx = np.concatenate(idx or [np.zeros(0)]).astype(np.int64)
        self.cap = 1 << 16   # first size of each thread's spike record buffers
        self._bufs: list[tuple[list[np.ndarray], tuple[np.ndarray, ...]]] = []
        # the kernel's work arrays
        self.work = (np.empty(self.n_neuron + max(self.n_in, 1), dtype=np.int64),
                     np.zeros(len(ng) + len(ig) + 1, dtype=np.int64))

    def _share(self, syns: list[Any], syn_off: np.ndarray) -> None:
        """One copy of the connectivity in memory: each Synapses' ``weights`` and
        ``indices`` become views of this runner's concatenated arrays (``weights`` in the
        network's dtype; ``indices`` the same values, uint32 seen as int32, or uint16 where
        every target group has at most 65536 neurons), so the arrays the Synapses were
        built with are freed. Writing into ``syn.weights`` therefore
        changes the next run's weights, and a reference kept to it sees learned weights
        (copy it to keep a snapshot), as with a torch parameter."""
        for s, lo in zip(syns, syn_off):
            hi = int(lo) + s.n_syn
            s.weights = self.weights[int(lo):hi]
            ix = self.indices[int(lo):hi]
            s.indices = ix.view(np.int32) if ix.dtype == np.uint32 else ix

    def _thread_buffers(self, n: int) -> list[tuple[list[np.ndarray], tuple[np.ndarray, ...]]]:
        """Per-thread spike record buffers (grown by the threads when full, kept between
        chunks) and work arrays, for ``n`` threads."""
        while len(self._bufs) < n:
            self._bufs.append(([np.zeros(self.cap, dtype=np.int64) for _ in range(4)],
                               tuple(np.empty_like(w) for w in self.work)))
        return self._bufs

    def nonfinite_group(self) -> str | None:
        """Name of the first neuron group whose state holds NaN or inf, else None."""
        if np.isfinite(self.S).all():
            return None
        for g, off in zip(self.plan.neuron_groups, self.g_off):
            if not np.isfinite(self.S[:, :, off:off + g.n]).all():
                return g.name
        return None

    def get_state(self) -> dict[str, dict[str, np.ndarray]]:
        plan = self.plan
        out = {g.name: {v: self.S[k, :, off:off + g.n].astype(np.float64)
                        for k, v in enumerate(g.state_vars)}
               for g, off in zip(plan.neuron_groups, self.g_off)}
        # the shared ring buffer of a (target group, variable) is stored under the delayed
        # projection with the longest delay onto it; the others get zeros (only the sum of
        # pending input matters)
        owner: dict[tuple[str, int], Any] = {}
        for s in self.delayed_syns:
            key = (s.post.name, int(self.p_var[plan.synapses.index(s)]))
            if key not in owner or plan.max_delay(s) > plan.max_delay(owner[key]):
                owner[key] = s
        for s in self.delayed_syns:
            v = self.p_var[plan.synapses.index(s)]
            off = self.p_post[plan.synapses.index(s)]
            d = plan.max_delay(s) + 1
            if owner[(s.post.name, int(v))] is not s:
                out[f"syn:{s.name}"] = {"buffer": np.zeros((d, plan.batch, s.post.n))}
                continue
            full = self.buf[:, v, :, off:off + s.post.n].astype(np.float64)
            # rotate so that slot indices keep their meaning (step % d) for this projection
            out[f"syn:{s.name}"] = {"buffer": self._fold(full, d)}
        for q, s in enumerate(self.stp_syns):
            lo, hi = self.s_off[q], self.s_off[q + 1]
            out[f"stp:{s.name}"] = {"x": self.s_x[:, lo:hi].copy(),
                                    "u": self.s_u[:, lo:hi].copy()}
        return out

    def load_state(self, state: dict[str, dict[str, np.ndarray]]) -> bool:
        """Write ``state`` (checked by :meth:`neurosim.Network.set_state`) into the prepared
        arrays in place; returns False (nothing written) where the network has delayed or
        short-term-plastic projections: it is then prepared again from the state."""
        if self.delayed_syns or self.stp_syns:
            return False
        for g, off in zip(self.plan.neuron_groups, self.g_off):
            for v, name in enumerate(g.state_vars):
                self.S[v, :, off:off + g.n] = state[g.name][name]
        return True

    def _init_stp(self, plan: Any, state: dict[str, dict[str, np.ndarray]]) -> None:
        """The kernel's ``stp`` argument (see ``numba_kernels._stp_release``): None without
        short-term plasticity, else the per-projection coefficients and the (x, u) state
        of every STP projection side by side (``(B, sum n_pre)``)."""
        from neurosim.plasticity.short_term import tm_decays

        syns = plan.synapses
        self.stp_syns = [s for s in syns if s.stp is not None]
        self.s_off = np.cumsum([0] + [s.n_pre for s in self.stp_syns]).astype(np.int64)
        s_idx = np.full(len(syns), -1, dtype=np.int64)
        coef = np.zeros((len(self.stp_syns), 3))
        self.s_x = np.ones((plan.batch, int(self.s_off[-1])))
        self.s_u = np.zeros((plan.batch, int(self.s_off[-1])))
        for q, s in enumerate(self.stp_syns):
            s_idx[syns.index(s)] = q
            coef[q] = (s.stp.U, *tm_decays(s.stp, plan.dt))
            self.s_x[:, self.s_off[q]:self.s_off[q + 1]] = state[f"stp:{s.name}"]["x"]
            self.s_u[:, self.s_off[q]:self.s_off[q + 1]] = state[f"stp:{s.name}"]["u"]
        self.stp_args = ((s_idx, coef, self.s_off, self.s_x, self.s_u) if self.stp_syns
                         else None)

    def _fold(self, full: np.ndarray, d: int) -> np.ndarray:
        """Map the shared buffer (``D`` slots, index ``step % D``) to ``d`` slots
        (index ``step % d``); only the next ``d - 1`` steps can hold pending input."""
        D = full.shape[0]
        if D == d:
            return full.copy()
        out = np.zeros((d,) + full.shape[1:])
        now = self._step
        for ahead in range(D):
            out[(now + ahead) % d] += full[(now + ahead) % D]
        return out

    def plastic_args(self) -> tuple | None:
        """The kernel's last argument ``pl``: None (no plasticity)."""
        return None

    def _row_cuts(self, cut: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """Each CSR row's synapse ranges per thread of the neuron split ``cut`` (see
        :func:`~neurosim.backends.numba_kernels.row_cuts`; int32 while the network has
        < 2**31 synapses: 4 (T + 1) bytes a row) and which projections have rows sorted by
        target (the others are walked whole, skipping other threads' targets). Kept while
        the split stays the same."""
        key = tuple(cut)
        if getattr(self, "_cuts_key", None) != key:
            dt = np.int32 if self.indices.size < 2**31 else np.int64
            out = np.zeros((self.indptr.size, len(cut)), dtype=dt)
            cuts = np.asarray(cut, dtype=np.int64)
            p_sorted = np.array([row_cuts(self.indptr, self.p_ptr[p], self.p_npre[p],
                                          self.indices, self.p_post[p], cuts, out)
                                 for p in range(self.p_pre.size)], dtype=np.bool_)
            self._cuts_key, self._cuts = key, (out, p_sorted)
        return self._cuts

    def elements_per_step(self) -> int:
        """Values a chunk allocates per step (sizes the chunks, see
        :meth:`neurosim.Network.run`): the input groups' spikes, time-varying currents
        (all neurons, ``cur_tv``), rate counts and monitored states, per copy; the neuron
        state itself is not copied per step, and spike records grow with the activity."""
        plan = self.plan
        tv = [inj for injs in plan.injections.values() for inj in injs
              if getattr(inj, "time_varying", False)]
        holds = {int(getattr(inj, "steps_per_value", 1)) for inj in tv}
        # rows held for h steps are used as they are when all share one h (run_chunk)
        per_cur = 0 if not tv else (-(-self.n_neuron // holds.pop()) if len(holds) == 1
                                    else self.n_neuron)
        per = self.n_in + per_cur + len(self.g_rec)
        per += sum(m.indices.size * len(m.variables) for m in plan.state_monitors)
        return max(1, per * plan.batch)

    def neuron_split(self, pl: tuple | None) -> list[int] | None:
        """Neuron ranges ``cut[t] .. cut[t+1]-1`` of one network split over threads, or
        None (the batch is split instead, or one thread runs): one copy, no short-term
        plasticity or triplet STDP (pair STDP is split by target neuron, see
        :func:`~neurosim.backends.numba_kernels._plastic_split`), at least
        :data:`MIN_SPLIT` neurons per
        thread (below that the per-step barrier costs about what the thread saves)."""
        T = min(self.threads, self.n_neuron // MIN_SPLIT)
        if T < 2 or self.plan.batch != 1 or self.stp_args is not None:
            return None
        if pl is not None and np.any(pl[1][:, 2] == 1):    # triplet STDP: one thread
            return None
        return [self.n_neuron * t // T for t in range(T + 1)]

    def split_offsets(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """First global neuron index of each compiled-plastic projection's pre- and
        postsynaptic group and its index among all projections (the split kernel's
        ``pre_off, post_off, proj``); empty here."""
        return (np.zeros(0, dtype=np.int64),) * 3

    def run_chunk(self, start: int, k: int, inputs: dict[str, np.ndarray],
                  currents: dict[str, Any]) -> ChunkOut:
        plan = self.plan
        B = plan.batch
        self._step = start + k
        in_spk = np.zeros((k, B, max(self.n_in, 1)), dtype=np.bool_)
        for g, off in zip(plan.input_groups, self.in_off):
            in_spk[:, :, off:off + g.n] = inputs[g.name]
        g_cur = np.zeros(len(plan.neuron_groups), dtype=np.int64)
        cur_const = np.zeros(max(self.n_neuron, 1), dtype=self.dtype)
        # time-varying currents: one row per step, or held rows (HeldCurrent) used as they
        # are (step s of the chunk reads row (s + phase) // hold) when all share one hold
        tvs = [c for c in currents.values()
               if isinstance(c, HeldCurrent) or (c is not None and np.ndim(c) == 3)]
        hold, phase, rows = 1, 0, k
        if tvs and all(isinstance(c, HeldCurrent) for c in tvs) and len(
                {(c.hold, c.phase, c.rows.shape[0]) for c in tvs}) == 1:
            hold, phase, rows = tvs[0].hold, tvs[0].phase, tvs[0].rows.shape[0]
        else:
            currents = {name: per_step_current(c) for name, c in currents.items()}
        cur_tv = np.zeros((rows, B, self.n_neuron) if tvs else (1, 1, 1), dtype=self.dtype)
        for gi, (g, off) in enumerate(zip(plan.neuron_groups, self.g_off)):
            c = currents[g.name]
            if c is None:
                continue
            if isinstance(c, HeldCurrent):
                g_cur[gi] = 2
                cur_tv[:, :, off:off + g.n] = c.rows
            elif np.ndim(c) == 3:
                g_cur[gi] = 2
                cur_tv[:, :, off:off + g.n] = c
            else:
                g_cur[gi] = 1
                cur_const[off:off + g.n] = c
        counts = np.zeros((k, B, len(self.g_rec)), dtype=np.int64)
        events = np.zeros(len(plan.synapses), dtype=np.int64)
        mons = plan.state_monitors
        n_rec_m = [len(range(-(-start // m.every) * m.every, start + k, m.every))
                   for m in mons for _ in m.variables]
        sizes = [r * B * (self.m_idx_ptr[q + 1] - self.m_idx_ptr[q])
                 for q, r in enumerate(n_rec_m)]
        m_out_ptr = np.cumsum([0] + sizes).astype(np.int64)
        m_out = np.zeros(int(m_out_ptr[-1]))
        m_count = np.zeros(len(sizes), dtype=np.int64)
        # optional parts of the kernel: None compiles a specialisation without them
        delay = ((self.p_delayed, self.delays, self.buf, self.buf_vars) if self.D > 1
                 else None)
        mon = ((self.m_var, self.m_every, self.m_idx_ptr, self.m_idx, m_out_ptr, m_count,
                m_out) if self.m_var.size else None)
        pl = self.plastic_args()
        cut = self.neuron_split(pl)
        if cut is None:          # copies of the batch split over threads (or one thread)
            n_thr = 1 if pl is not None else min(self.threads, B)
            edges = [B * t // n_thr for t in range(n_thr + 1)]
        else:                    # one network split over threads by neuron
            n_thr, edges = len(cut) - 1, [0] * len(cut)
            arrive = np.zeros(n_thr * PAD, dtype=np.int64)
            lists = np.empty((2, n_thr, self.n_neuron + max(self.n_in, 1)), dtype=np.int64)
            # a cache line (or more) of group ranges per thread: no false sharing
            lgst = np.zeros((2, n_thr, -(-(len(self.g_rec) + 1) // PAD) * PAD),
                            dtype=np.int64)
            rowcut, p_sorted = self._row_cuts(cut)
            pre_off, post_off, proj = self.split_offsets()
        bufs = self._thread_buffers(n_thr)
        thr_counts = [counts] + [np.zeros_like(counts) for _ in range(n_thr - 1)]
        if cut is not None:      # room for one step of records at each entry (see _run)
            need = self.n_neuron + self.n_in
            for t in range(n_thr):
                if bufs[t][0][0].size < need:
                    bufs[t] = ([np.zeros(2 * need, dtype=np.int64) for _ in range(4)],
                               bufs[t][1])

        def drive(t: int) -> list[np.ndarray]:
            """Run thread ``t``'s part (copies ``edges[t] .. edges[t+1]-1``, or neurons
            ``cut[t] .. cut[t+1]-1`` of the one copy) over the whole chunk with its own
            record buffers (doubled and run on when full), work arrays, events, counts
            and monitor counts; returns its spike records in (step, batch, neuron)
            order."""
            rec, work = bufs[t]
            ev, mc = (events, m_count) if t == 0 else (thr_events[t], np.zeros_like(m_count))
            mon_t = None if mon is None else (*mon[:5], mc, mon[6])
            b_lo, b_hi = (edges[t], edges[t + 1]) if cut is None else (0, 1)
            pl_t = pl
            if cut is not None and pl is not None and t > 0:
                # STDP split by neuron: each thread its own copy of the presynaptic traces
                # (updated identically; thread 0's are the runner's) and error slot
                pl_t = (*pl[:9], pl[9].copy(), *pl[10:16], np.full(2, -1, dtype=np.int64))
            n_rec = np.zeros(2 * PAD, dtype=np.int64)[PAD:PAD + 1]   # own cache line
            parts = []
            done = 0
            while done < k:
                split = None if cut is None else (t, n_thr, cut[t], cut[t + 1], done,
                                                  arrive, lists, lgst, rowcut, p_sorted,
                                                  pre_off, post_off, proj)
                s = self.kernel(
                    *self.models, start + done, k - done, self.S, self.g_model, self.g_coef,
                    self.g_off, self.g_n, g_cur, cur_const, cur_tv, hold, phase + done,
                    self.in_off, self.in_n, in_spk[done:], self.p_pre, self.p_npre,
                    self.p_post, self.p_var, self.p_ptr, self.p_full, self.indptr,
                    self.indices, self.weights, delay, self.stp_args, self.g_rec, *rec,
                    n_rec, thr_counts[t][done:], ev, mon_t, self.n_neuron, *work, pl_t,
                    split, b_lo, b_hi)
                # views: a full buffer is replaced, not overwritten, before the next chunk
                parts.append([a[:n_rec[0]] for a in rec])
                n_rec[0] = 0
                done += s
                if s == 0 or done < k:
                    rec = [np.zeros(2 * rec[0].size, dtype=np.int64) for _ in range(4)]
                    bufs[t] = (rec, work)
            return [p[0] if len(parts) == 1 else np.concatenate(p)
                    for p in zip(*parts)]

        thr_events = [events] + [np.zeros_like(events) for _ in range(n_thr - 1)]
        if n_thr == 1:
            rec = drive(0)
        else:
            runs = _run_threads(drive, n_thr, None if cut is None else arrive)
            for ev in thr_events[1:]:
                events += ev
            for c in thr_counts[1:]:
                counts += c
            n_all = sum(r[0].size for r in runs)
            rec = [np.empty(n_all, dtype=np.int64) for _ in range(4)]
            merge_by_step(*[tuple(r[q] for r in runs) for q in range(4)], *rec)
        out = ChunkOut()
        groups = [*plan.neuron_groups, *plan.input_groups]
        for gi, g in enumerate(groups):
            out.counts[g.name] = counts[:, :, gi]
        for name in plan.spike_record:
            if n_thr > 1 and int(self.g_rec.sum()) == 1:   # merged: fresh, all this group's
                out.spikes[name] = (rec[0], rec[1], rec[2])
                continue
            # a selection copies (one thread's records are views of buffers used again)
            sel = rec[3] == self.group_index[name]
            out.spikes[name] = (rec[0][sel], rec[1][sel], rec[2][sel])
        out.events = {s.name: int(e) for s, e in zip(plan.synapses, events)}
        q = 0
        for m in mons:
            vals = {}
            for v in m.variables:
                nidx = m.indices.size
                vals[v] = m_out[m_out_ptr[q]:m_out_ptr[q + 1]].reshape(n_rec_m[q], B, nidx)
                q += 1
            steps = np.arange(-(-start // m.every) * m.every, start + k, m.every)
            out.states.append((steps, vals))
        return out


# ----------------------------------------------------------------------- plastic networks
# Pair and triplet STDP inside the numba chunk loop, for one copy when every attached rule
# is :class:`~neurosim.plasticity.rules.STDP` or :class:`~neurosim.plasticity.rules.TripletSTDP`
# (other plastic networks take the array path).
# The chunk kernel (:func:`neurosim.backends.numba_kernels._run`, so neuron updates and spike
# delivery are exactly the engine's) is given the plastic projections' arrays (its argument
# ``pl``) and applies the rule after each step, event-driven
# (:func:`neurosim.backends.numba_kernels._plastic`): traces decay every step; a presynaptic
# spike walks its CSR row (depression), a postsynaptic spike walks its column (potentiation,
# via a precomputed column index). The arithmetic is that of
# :func:`neurosim.plasticity.stdp.pair_stdp_step` / ``triplet_stdp_step`` in the same
# operation order, so both paths
# give identical weights (tested). One kernel (not a per-step call of the plain one) keeps the
# compile time to one specialisation of ``_run``.
_MODE = {"additive": 0, "multiplicative": 1}


def supports(plan: Any, plastic: list[Any]) -> bool:
    """Whether the compiled kernel runs these plastic projections: pair STDP and triplet
    STDP, one copy, float64 or float32 (other cases take
    :class:`~neurosim.backends.array_backend.PlasticArrayRunner` on numpy arrays)."""
    return plan.batch == 1 and all(
        type(s.plasticity) in (STDP, TripletSTDP) for s in plastic)


class PlasticNumbaRunner(NumbaRunner):
    """:class:`NumbaRunner` whose kernel also runs pair or triplet STDP
    on the plastic projections (``batch == 1``; see :func:`supports`)."""

    def __init__(self, plan: Any, state: dict[str, dict[str, np.ndarray]],
                 plastic: list[Any], network: Any = None) -> None:
        super().__init__(plan, state)
        self.network, self.plastic = network, plastic
        syns = plan.synapses
        syn_off = np.cumsum([0] + [s.n_syn for s in syns])
        P = len(plastic)
        self.pl_coef = np.zeros((P, 10))
        self.pl_mode = np.zeros((P, 4), dtype=np.int64)
        self.pl_pre_g = np.array([self.group_index[s.pre.name] for s in plastic],
                                 dtype=np.int64)
        self.pl_post_g = np.array([self.group_index[s.post.name] for s in plastic],
                                  dtype=np.int64)
        pidx = [syns.index(s) for s in plastic]
        self.pl_lo = syn_off[pidx].astype(np.int64)
        self.pl_hi = (syn_off[pidx] + [s.n_syn for s in plastic]).astype(np.int64)
        self.pl_row0 = self.p_ptr[pidx].astype(np.int64)
        # the column index of the plastic projections (postsynaptic neuron -> its synapses,
        # ``col_syn``, and their presynaptic neurons, ``col_pre``): 4 bytes each per plastic
        # synapse (int32 while the network has < 2**31 synapses); static synapses pay nothing
        idx_t = np.int32 if int(syn_off[-1]) < 2**31 else np.int64
        pre_t = index_dtype(s.n_pre for s in plastic)     # 2 bytes up to 65536 sources
        col_ptrs, col_syn, col_pre, col_off = [], [], [], [0]
        base = 0
        for s, lo in zip(plastic, self.pl_lo):
            order = np.argsort(s.indices, kind="stable").astype(idx_t)
            counts = np.bincount(s.indices, minlength=s.post.n)
            col_ptrs.append(base + np.concatenate([[0], np.cumsum(counts)]))
            pre = np.repeat(np.arange(s.n_pre, dtype=pre_t), s.row_lengths())
            col_pre.append(pre[order])
            del pre
            order += idx_t(lo)
            col_syn.append(order)
            base += s.n_syn
            col_off.append(col_off[-1] + s.post.n + 1)
        self.pl_col_ptr = np.concatenate(col_ptrs or [np.zeros(0)]).astype(np.int64)
        self.pl_col_off = np.array(col_off, dtype=np.int64)
        self.col_syn = (np.concatenate(col_syn) if len(col_syn) > 1 else
                        col_syn[0] if col_syn else np.zeros(0, dtype=idx_t))
        self.col_pre = (np.concatenate(col_pre) if len(col_pre) > 1 else
                        col_pre[0] if col_pre else np.zeros(0, dtype=pre_t))
        del col_syn, col_pre
        self.pl_xpre_off = np.cumsum([0] + [s.n_pre for s in plastic]).astype(np.int64)
        self.pl_xpost_off = np.cumsum([0] + [s.post.n for s in plastic]).astype(np.int64)
        self.xpre = np.zeros(int(self.pl_xpre_off[-1]), dtype=self.dtype)
        self.xpost = np.zeros(int(self.pl_xpost_off[-1]), dtype=self.dtype)
        # second traces of triplet rules (r2, o2); unused by pair rules
        self.xpre2, self.xpost2 = np.zeros_like(self.xpre), np.zeros_like(self.xpost)
        #: per projection: the rule state's field names of (xpre, xpost, xpre2, xpost2)
        self.trace_fields: list[tuple[str, ...]] = []
        dt = plan.dt
        for p, s in enumerate(plastic):
            prm = s.plasticity.params
            nearest = int(prm.pairing == "nearest")
            if type(s.plasticity) is TripletSTDP:
                self.pl_coef[p] = (math.exp(-dt / prm.tau_plus), math.exp(-dt / prm.tau_minus),
                                   math.exp(-dt / prm.tau_x), math.exp(-dt / prm.tau_y),
                                   prm.a2_plus, prm.a3_plus, prm.a2_minus, prm.a3_minus,
                                   prm.w_min, prm.w_max)
                self.pl_mode[p] = (0, nearest, 1, int(full_rows(s)))
                self.trace_fields.append(("r1", "o1", "r2", "o2"))
            else:
                self.pl_coef[p, :6] = (math.exp(-dt / prm.tau_pre),
                                       math.exp(-dt / prm.tau_post), prm.a_plus,
                                       prm.a_minus, prm.w_min, prm.w_max)
                self.pl_mode[p] = (_MODE[prm.weight_dependence], nearest, 0, 0)
                self.trace_fields.append(("x_pre", "x_post"))
            self.g_rec[self.pl_pre_g[p]] = True
            self.g_rec[self.pl_post_g[p]] = True
            saved = state.get(f"plastic:{s.name}")
            sl = slice(self.pl_lo[p], self.pl_hi[p])
            if saved is not None:
                self.weights[sl] = saved["w"][0]
                for name, arr, off in zip(self.trace_fields[p], self._trace_arrays(),
                                          self._trace_offsets()):
                    arr[off[p]:off[p + 1]] = saved[name][0]
        self.bad = np.full(2, -1, dtype=np.int64)

    def plastic_args(self) -> tuple:
        """The kernel's ``pl`` (see :func:`neurosim.backends.numba_kernels._plastic`)."""
        learn = bool(getattr(self.network, "learning", True))
        return (self.pl_coef, self.pl_mode, self.pl_pre_g, self.pl_post_g, self.pl_row0,
                self.col_pre, self.pl_col_ptr, self.pl_col_off, self.col_syn, self.xpre,
                self.pl_xpre_off, self.xpost, self.pl_xpost_off, self.xpre2, self.xpost2,
                learn, self.bad)

    def split_offsets(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        glob = np.concatenate([self.g_off, self.n_neuron + self.in_off]).astype(np.int64)
        syns = self.plan.synapses
        proj = np.array([syns.index(s) for s in self.plastic], dtype=np.int64)
        return glob[self.pl_pre_g], glob[self.pl_post_g], proj

    def _trace_arrays(self) -> tuple[np.ndarray, ...]:
        return self.xpre, self.xpost, self.xpre2, self.xpost2

    def _trace_offsets(self) -> tuple[np.ndarray, ...]:
        return self.pl_xpre_off, self.pl_xpost_off, self.pl_xpre_off, self.pl_xpost_off

    def kernel(self, *args: Any) -> int:
        done = NumbaRunner.kernel(*args)
        bad = args[-4][-1]        # this call's ``pl`` error slot (a thread's own when split)
        if bad[0] >= 0:
            step, q = int(bad[0]), int(bad[1])
            name = next(s.name for s, lo, hi in zip(self.plastic, self.pl_lo, self.pl_hi)
                        if lo <= q < hi)
            bad[:] = -1
            rule = next(type(s.plasticity).__name__ for s in self.plastic if s.name == name)
            raise FloatingPointError(
                f"plasticity rule {rule} on Synapses {name!r} produced NaN or inf weights at "
                f"step {step} (t = {step * self.plan.dt:.6g} s)")
        return done

    def _weights_of(self, p: int) -> np.ndarray:
        return self.weights[self.pl_lo[p]:self.pl_hi[p]]

    def load_state(self, state: dict[str, dict[str, np.ndarray]]) -> bool:
        """:meth:`NumbaRunner.load_state` plus the plastic projections' weights and
        traces."""
        if not super().load_state(state):
            return False
        for p, s in enumerate(self.plastic):
            saved = state[f"plastic:{s.name}"]
            self._weights_of(p)[:] = saved["w"][0]
            for name, arr, off in zip(self.trace_fields[p], self._trace_arrays(),
                                      self._trace_offsets()):
                arr[off[p]:off[p + 1]] = saved[name][0]
            s.weights = self._weights_of(p)
            s.batch_weights = s.weights[None]
        return True

    def get_state(self) -> dict[str, dict[str, np.ndarray]]:
        out = super().get_state()
        for p, s in enumerate(self.plastic):
            d = {"w": self._weights_of(p)[None].astype(np.float64)}
            for name, arr, off in zip(self.trace_fields[p], self._trace_arrays(),
                                      self._trace_offsets()):
                d[name] = arr[None, off[p]:off[p + 1]].astype(np.float64)
            out[f"plastic:{s.name}"] = d
        return out

    def run_chunk(self, start: int, k: int, inputs: dict[str, np.ndarray],
                  currents: dict[str, Any]) -> Any:
        out = super().run_chunk(start, k, inputs, currents)
        count_plasticity_updates(self.network, out, self.plastic)
        return out

    def sync_weights(self) -> None:
        """Point the Synapses at the learned weights (``weights``, ``batch_weights``:
        views of the runner's one copy, see :meth:`NumbaRunner._share`): once per
        :meth:`neurosim.Network.run`."""
        for p, s in enumerate(self.plastic):
            s.weights = self._weights_of(p)
            s.batch_weights = s.weights[None]


class NumbaBackend:
    """Compiled CPU backend (numba)."""

    name = "numba"

    def prepare(self, plan: Any, state: dict[str, dict[str, np.ndarray]],
                network: Any = None) -> NumbaRunner | PlasticArrayRunner:
        """The compiled runner; for plastic projections the compiled STDP runner
        where :func:`supports` says so, else the numpy :class:`PlasticArrayRunner`."""
        plastic = plastic_synapses(plan)
        if not plastic:
            return NumbaRunner(plan, state)
        if supports(plan, plastic):
            for s in plastic:
                s.plasticity.check(s)
            return PlasticNumbaRunner(plan, state, plastic, network)
        return PlasticArrayRunner(plan, state, NumpyOps(plan.dtype), network)

