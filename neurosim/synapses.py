"""Synaptic projections: connectivity (dense or sparse CSR), weights, delays, targets.

A :class:`Synapses` object connects a source group (a NeuronGroup or an input group) to a
target :class:`~neurosim.neurons.group.NeuronGroup`. When a source neuron spikes at step
``k``, each of its synapses adds its weight to the target neuron's synaptic variable
(``target="e"`` / ``"i"``: the model's excitatory / inhibitory current or conductance;
``"v"``: the membrane potential directly) at step ``k + delay_steps``. Connectivity is held
as CSR (rows = source neurons); ``dense=True`` asks backends to use a dense matrix.

Builders: :meth:`Synapses.from_matrix`, :meth:`Synapses.from_list`,
:meth:`Synapses.all_to_all`, :meth:`Synapses.one_to_one`,
:meth:`Synapses.fixed_probability`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neurosim.neurons.base import check_magnitude

__all__ = ["Synapses"]

_SeedLike = int | np.random.Generator | None


def _group_n(obj: Any, role: str) -> int:
    n = getattr(obj, "n", None)
    if not isinstance(n, int):
        raise TypeError(f"Synapses.{role} must be a neuron or input group, got "
                        f"{type(obj).__name__}")
    return n


def _per_synapse(owner: str, name: str, x: Any, shape: tuple[int, ...]) -> np.ndarray:
    """``x`` as a float array that is a scalar or has ``shape``, checked before it is indexed
    (the error names the builder, the argument, the expected and the given shape)."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise TypeError(f"Synapses.{owner}: {name} must be numeric, got "
                        f"{type(x).__name__}") from e
    if arr.ndim and arr.shape != shape:
        raise ValueError(f"Synapses.{owner}: {name} must be a scalar or shape {shape}, got "
                         f"{arr.shape}")
    return arr


class Synapses:
    """A projection from ``pre`` to ``post`` stored as CSR.

    Parameters
    ----------
    pre, post : source group (any group) and target NeuronGroup.
    indptr : int array ``(n_pre + 1,)``; row ``i`` holds synapses ``indptr[i]:indptr[i+1]``.
    indices : int array ``(n_syn,)`` of target neurons.
    weights : float array ``(n_syn,)`` (A for current targets, S (>= 0) for conductance
        targets, V for ``"v"``). Sign convention: current-based models add both synaptic
        currents to the membrane (``... + i_e + i_i``), so inhibitory current weights
        (``target="i"``) are negative amperes and a positive one is an error; conductance
        weights are >= 0 and the reversal potential ``e_i`` makes ``"i"`` inhibit.
    target : ``"e"``, ``"i"`` or ``"v"`` (see the target model's ``targets``).
    delay : transmission delay in s: scalar or ``(n_syn,)``; must be >= 0 and a multiple of
        the network's ``dt``. Stored as a 0-d array when all delays are equal.
    dense : hint that backends should use a dense weight matrix.
    name : unique name in the network.
    stp : short-term plasticity of the projection (a
        :class:`~neurosim.plasticity.short_term.TsodyksMarkramParams`) or None (static
        efficacy). With it a spike of source ``j`` adds ``w * r_j`` instead of ``w``, ``r_j``
        the Tsodyks–Markram release of ``j`` (state: one ``(x, u)`` per source neuron and
        batch copy; ``Network.get_state()`` key ``"stp:<name>"``). Not combinable with a
        long-term rule (:meth:`attach`).
    """

    def __init__(self, pre: Any, post: Any, indptr: Any, indices: Any, weights: Any,
                 target: str = "e", delay: Any = 0.0, dense: bool = False,
                 name: str | None = None, stp: Any = None) -> None:
        from neurosim.neurons.group import NeuronGroup

        self.n_pre = _group_n(pre, "pre")
        if not isinstance(post, NeuronGroup):
            raise TypeError(f"Synapses.post must be a NeuronGroup, got {type(post).__name__}")
        self.pre, self.post, self.name, self.dense = pre, post, name, bool(dense)
        targets = post.params.targets
        if target not in targets:
            raise ValueError(f"Synapses.target must be one of {', '.join(targets)} for "
                             f"{type(post.params).__name__}, got {target!r}")
        self.target = target
        self.target_var, self.target_kind = targets[target]
        self.indptr = np.asarray(indptr, dtype=np.int64)
        self.indices = np.asarray(indices, dtype=np.int64)
        if self.indptr.shape != (self.n_pre + 1,) or self.indptr[0] != 0 or np.any(
                np.diff(self.indptr) < 0) or self.indptr[-1] != self.indices.size:
            got = (f"shape {self.indptr.shape}" if self.indptr.ndim != 1 or self.indptr.size > 12
                   else str(self.indptr.tolist()))
            raise ValueError(f"Synapses.indptr must be non-decreasing, shape "
                             f"({self.n_pre + 1},), from 0 to n_syn={self.indices.size}, "
                             f"got {got}")
        if self.indices.size and (self.indices.min() < 0 or self.indices.max() >= post.n):
            raise ValueError(f"Synapses.indices must be in [0, {post.n}), got range "
                             f"[{self.indices.min()}, {self.indices.max()}]")
        self.indices = self.indices.astype(np.int32)    # 4 bytes per synapse
        self.weights = self._check_weights(weights)
        self.delay = self._check_delay(delay)
        self.plasticity: Any = None  # a PlasticityRule, see attach()
        self.stp = stp

    @property
    def stp(self) -> Any:
        """Short-term plasticity (:class:`~neurosim.plasticity.short_term.
        TsodyksMarkramParams`) or None; settable until a network is built with this
        projection (its first run), a ValueError after."""
        return self._stp

    @stp.setter
    def stp(self, params: Any) -> None:
        from neurosim.plasticity.short_term import TsodyksMarkramParams

        if params is not None and not isinstance(params, TsodyksMarkramParams):
            raise TypeError(f"Synapses.stp must be a TsodyksMarkramParams or None, got "
                            f"{type(params).__name__} ({params!r:.80})")
        if params is not None and getattr(self, "plasticity", None) is not None:
            raise ValueError(self._stp_and_rule(params, self.plasticity))
        if getattr(self, "_built", False) and params != self._stp:
            raise ValueError(f"Synapses {self.name!r}: stp cannot change after the projection "
                             f"was built into a network (its state is part of the network's); "
                             f"got stp={params!r}, the network runs stp={self._stp!r}. Build "
                             f"a new Synapses (and Network) instead")
        self._stp = params

    def _stp_and_rule(self, stp: Any, rule: Any) -> str:
        who = f"Synapses {self.name!r}" if self.name is not None else "Synapses"
        return (f"{who}: stp={stp!r} cannot be combined with the "
                f"plasticity rule {type(rule).__name__} on the same projection (short-term "
                f"plasticity is supported on static projections only); use stp=None or "
                f"detach the rule with attach(None)")

    # ------------------------------------------------------------------ validation
    def _check_weights(self, weights: Any) -> np.ndarray:
        w = np.asarray(weights, dtype=np.float64)
        if w.ndim == 0:
            w = np.full(self.indices.size, float(w))
        if w.shape != (self.indices.size,):
            raise ValueError(f"Synapses.weights must be a scalar or shape "
                             f"({self.indices.size},), got {w.shape}")
        if not np.all(np.isfinite(w)):
            raise ValueError("Synapses.weights contains NaN or inf")
        if self.target_kind == "current" and self.target == "i" and w.size and w.max() > 0:
            k = int(np.argmax(w))
            raise ValueError(
                f"Synapses.weights must be <= 0 for the inhibitory current target 'i' of "
                f"{type(self.post.params).__name__}, got {float(w[k]):g} A at synapse {k}: every "
                f"current-based model adds both synaptic currents to the membrane "
                f"(... + i_e + i_i), so a positive weight on 'i' would excite. Give "
                f"inhibitory currents as negative amperes (e.g. -100 * pA), or use "
                f"target='e' for a projection of mixed sign")
        if self.target_kind == "conductance" and w.size and w.min() < 0:
            raise ValueError(f"Synapses.weights must be >= 0 for conductance target "
                             f"{self.target!r} (use target='i' for inhibition), got min "
                             f"{w.min()}")
        return w

    def _check_delay(self, delay: Any) -> np.ndarray:
        d = np.asarray(delay, dtype=np.float64)
        if d.ndim == 0:
            d = np.full(self.indices.size, float(d))
        if d.shape != (self.indices.size,):
            raise ValueError(f"Synapses.delay must be a scalar or shape "
                             f"({self.indices.size},), got {d.shape}")
        if not np.all(np.isfinite(d)):
            raise ValueError("Synapses.delay contains NaN or inf")
        if d.size and d.min() < 0:
            raise ValueError(f"Synapses.delay must be >= 0, got {d.min()}")
        if d.size:
            check_magnitude("Synapses", "delay", d.max(), 1.0, "s", "milliseconds", "ms",
                            "seconds")
        if d.size == 0 or np.all(d == d[0]):
            return np.asarray(d[0] if d.size else 0.0)   # homogeneous: a 0-d array
        return d

    def attach(self, rule: Any) -> Synapses:
        """Make this projection plastic with ``rule`` (a
        :class:`neurosim.plasticity.PlasticityRule`); ``None`` detaches.

        The rule checks that it can serve this projection (bounds vs initial weights and
        target, no delays) and raises otherwise. The network applies it in every step while
        ``network.learning`` is True.

        Parameters
        ----------
        rule : PlasticityRule or None
            The rule (e.g. ``STDP(PairSTDPParams())``), or ``None`` to make the projection
            static again.

        Returns
        -------
        Synapses
            This projection, so that ``Synapses.all_to_all(...).attach(rule)`` chains.
        """
        if rule is not None:
            from neurosim.plasticity.rules import PlasticityRule

            if not isinstance(rule, PlasticityRule):
                raise TypeError(f"Synapses.attach: rule must be a PlasticityRule, got "
                                f"{type(rule).__name__}")
            if self.stp is not None:
                raise ValueError(self._stp_and_rule(self.stp, rule))
            rule.check(self)
        self.plasticity = rule
        return self

    def delay_steps(self, dt: float) -> np.ndarray:
        """Delays in whole steps; raises if a delay is not a multiple of ``dt``.

        Parameters
        ----------
        dt : float
            The network's time step in seconds.

        Returns
        -------
        numpy.ndarray
            int64 steps: 0-d when every synapse has the same delay, else ``(n_syn,)``.
        """
        steps = np.rint(self.delay / dt)
        bad = np.abs(steps * dt - self.delay) > 1e-6 * dt
        if np.any(bad):
            raise ValueError(f"Synapses.delay must be a multiple of dt={dt} s; got "
                             f"{np.broadcast_to(self.delay, bad.shape)[bad].flat[0]} s")
        return steps.astype(np.int64)

    @property
    def n_syn(self) -> int:
        """Number of synapses."""
        return int(self.indices.size)

    def row_lengths(self) -> np.ndarray:
        """Fan-out of every source neuron.

        Returns
        -------
        numpy.ndarray
            int ``(n_pre,)``: the number of synapses leaving each source neuron.
        """
        return np.diff(self.indptr)

    def to_dense(self) -> np.ndarray:
        """Weight matrix of the projection.

        Returns
        -------
        numpy.ndarray
            float ``(n_pre, n_post)``: 0 where there is no synapse; duplicate synapses
            between the same pair are summed.
        """
        w = np.zeros((self.n_pre, self.post.n))
        rows = np.repeat(np.arange(self.n_pre), self.row_lengths())
        np.add.at(w, (rows, self.indices), self.weights)
        return w

    def __repr__(self) -> str:
        stp = "" if self.stp is None else f", stp={self.stp!r}"
        return (f"Synapses({getattr(self.pre, 'name', None)!r} -> {self.post.name!r}, "
                f"n_syn={self.n_syn}, target={self.target!r}{stp})")

    # ------------------------------------------------------------------ builders
    @classmethod
    def from_list(cls, pre: Any, post: Any, i: Any, j: Any, w: Any, target: str = "e",
                  delay: Any = 0.0, **kw: Any) -> Synapses:
        """From ``(i, j, w)`` lists (``w`` scalar or per synapse; ``delay`` likewise).

        Parameters
        ----------
        pre, post : group
            Source group (neuron or input group) and target :class:`NeuronGroup`.
        i, j : array_like of int
            Source and target index of every synapse, 1-D, equal length.
        w : float or array_like
            Weight (amperes, volts or siemens, by target): a scalar or one per synapse.
        target : str
            ``"e"``, ``"i"`` or ``"v"`` (see the class docstring).
        delay : float or array_like
            Delay in seconds: a scalar or one per synapse.
        **kw
            Passed to :class:`Synapses` (``dense``, ``name``, ``stp``).

        Returns
        -------
        Synapses
            The projection, its synapses sorted by source neuron.
        """
        n_pre = _group_n(pre, "pre")
        i, j = np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64)
        if i.shape != j.shape or i.ndim != 1:
            raise ValueError(f"Synapses.from_list: i and j must be 1-D of equal length, got "
                             f"{i.shape} and {j.shape}")
        if i.size and (i.min() < 0 or i.max() >= n_pre):
            raise ValueError(f"Synapses.from_list: i must be in [0, {n_pre}), got range "
                             f"[{i.min()}, {i.max()}]")
        order = np.argsort(i, kind="stable")
        w = _per_synapse("from_list", "w", w, i.shape)
        w = w[order] if w.ndim else w
        d = _per_synapse("from_list", "delay", delay, i.shape)
        d = d[order] if d.ndim else d
        indptr = np.concatenate([[0], np.cumsum(np.bincount(i, minlength=n_pre))])
        return cls(pre, post, indptr, j[order], w, target=target, delay=d, **kw)

    @classmethod
    def from_matrix(cls, pre: Any, post: Any, w: Any, target: str = "e", delay: Any = 0.0,
                    dense: bool | None = None, **kw: Any) -> Synapses:
        """From a weight matrix ``(n_pre, n_post)``; zero entries are not synapses.

        Parameters
        ----------
        pre, post : group
            Source group (neuron or input group) and target :class:`NeuronGroup`.
        w : array_like
            Weights ``(n_pre, n_post)``; ``w[i, j]`` connects source ``i`` to target ``j``.
        target : str
            ``"e"``, ``"i"`` or ``"v"`` (see the class docstring).
        delay : float or array_like
            Delay in seconds: a scalar or ``(n_pre, n_post)``.
        dense : bool or None
            Storage hint; ``None`` picks dense storage when more than 20% of the entries
            are non-zero.
        **kw
            Passed to :class:`Synapses` (``name``, ``stp``).

        Returns
        -------
        Synapses
            One synapse per non-zero entry.
        """
        n_pre, n_post = _group_n(pre, "pre"), _group_n(post, "post")
        w = np.asarray(w, dtype=np.float64)
        if w.shape != (n_pre, n_post):
            raise ValueError(f"Synapses.from_matrix: w must have shape ({n_pre}, {n_post}), "
                             f"got {w.shape}")
        if not np.all(np.isfinite(w)):
            raise ValueError("Synapses.from_matrix: w contains NaN or inf")
        nz = w != 0
        if dense is None:
            dense = nz.mean() > 0.2
        i, j = np.nonzero(nz)
        d = _per_synapse("from_matrix", "delay", delay, w.shape)
        if d.ndim == 2:
            d = d[i, j]
        return cls.from_list(pre, post, i, j, w[i, j], target=target, delay=d, dense=dense,
                             **kw)

    @classmethod
    def all_to_all(cls, pre: Any, post: Any, w: Any, target: str = "e", delay: Any = 0.0,
                   self_connections: bool = True, **kw: Any) -> Synapses:
        """Every source to every target (``w`` scalar or ``(n_pre * n_post,)``).

        Parameters
        ----------
        pre, post : group
            Source group (neuron or input group) and target :class:`NeuronGroup`.
        w : float or array_like
            Weight: a scalar or ``(n_pre * n_post,)`` in row-major order (source-major).
        target : str
            ``"e"``, ``"i"`` or ``"v"`` (see the class docstring).
        delay : float or array_like
            Delay in seconds: a scalar or one per synapse.
        self_connections : bool
            When ``pre is post``, whether neuron ``k`` connects to itself.
        **kw
            Passed to :class:`Synapses` (``dense``, default True; ``name``, ``stp``).

        Returns
        -------
        Synapses
            The projection.
        """
        n_pre, n_post = _group_n(pre, "pre"), _group_n(post, "post")
        i = np.repeat(np.arange(n_pre), n_post)
        j = np.tile(np.arange(n_post), n_pre)
        w = np.broadcast_to(_per_synapse("all_to_all", "w", w, i.shape), i.shape)
        if not self_connections and pre is post:
            keep = i != j
            i, j, w = i[keep], j[keep], w[keep]
        return cls.from_list(pre, post, i, j, w, target=target, delay=delay,
                             dense=kw.pop("dense", True), **kw)

    @classmethod
    def one_to_one(cls, pre: Any, post: Any, w: Any, target: str = "e", delay: Any = 0.0,
                   **kw: Any) -> Synapses:
        """Source ``k`` to target ``k`` (equal sizes).

        Parameters
        ----------
        pre, post : group
            Source group (neuron or input group) and target :class:`NeuronGroup`, of the
            same size.
        w : float or array_like
            Weight: a scalar or one per synapse.
        target : str
            ``"e"``, ``"i"`` or ``"v"`` (see the class docstring).
        delay : float or array_like
            Delay in seconds: a scalar or one per synapse.
        **kw
            Passed to :class:`Synapses` (``dense``, ``name``, ``stp``).

        Returns
        -------
        Synapses
            ``n`` synapses.
        """
        n_pre, n_post = _group_n(pre, "pre"), _group_n(post, "post")
        if n_pre != n_post:
            raise ValueError(f"Synapses.one_to_one needs equal sizes, got pre n={n_pre} and "
                             f"post n={n_post}")
        return cls(pre, post, np.arange(n_pre + 1), np.arange(n_pre), w, target=target,
                   delay=delay, **kw)

    @classmethod
    def fixed_probability(cls, pre: Any, post: Any, p: float, w: Any, target: str = "e",
                          delay: Any = 0.0, seed: _SeedLike = None,
                          self_connections: bool = True, **kw: Any) -> Synapses:
        """Each (source, target) pair connected independently with probability ``p``.

        ``w`` and ``delay`` are scalars or callables ``f(rng, n_syn) -> (n_syn,)``.
        Uses geometric gaps between successive synapses, so memory and time scale with the
        number of synapses, not with ``n_pre * n_post``.

        Parameters
        ----------
        pre, post : group
            Source group (neuron or input group) and target :class:`NeuronGroup`.
        p : float
            Connection probability in ``[0, 1]``.
        w : float or callable
            Weight, or ``f(rng, n_syn)`` returning one weight per synapse.
        target : str
            ``"e"``, ``"i"`` or ``"v"`` (see the class docstring).
        delay : float or callable
            Delay in seconds, or ``f(rng, n_syn)`` returning one per synapse.
        seed : int, numpy.random.Generator or None
            Seed of the connectivity (and of ``w`` / ``delay`` when they are callables).
        self_connections : bool
            When ``pre is post``, whether neuron ``k`` may connect to itself.
        **kw
            Passed to :class:`Synapses` (``dense``, ``name``, ``stp``).

        Returns
        -------
        Synapses
            The projection; the same seed gives the same synapses.
        """
        n_pre, n_post = _group_n(pre, "pre"), _group_n(post, "post")
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
            raise ValueError(f"Synapses.fixed_probability: p must be in [0, 1], got {p!r}")
        rng = np.random.default_rng(seed)
        total = n_pre * n_post
        if p == 0:
            flat = np.zeros(0, dtype=np.int64)
        elif p > 0.25:
            flat = np.flatnonzero(rng.random(total) < p)
        else:
            chunks, pos = [], -1
            while pos < total:
                m = int(p * (total - pos) * 1.05) + 1024
                gaps = rng.geometric(p, size=m)
                cs = pos + np.cumsum(gaps)
                chunks.append(cs[cs < total])
                pos = int(cs[-1])
            flat = np.concatenate(chunks)
        i, j = flat // n_post, flat % n_post
        if not self_connections and pre is post:
            keep = i != j
            i, j = i[keep], j[keep]
        w = w(rng, i.size) if callable(w) else w
        delay = delay(rng, i.size) if callable(delay) else delay
        indptr = np.concatenate([[0], np.cumsum(np.bincount(i, minlength=n_pre))])
        return cls(pre, post, indptr, j, w, target=target, delay=delay, **kw)
