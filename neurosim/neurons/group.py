"""NeuronGroup: a population of one neuron model (parameters + size + initial state)."""

from __future__ import annotations

from typing import Any

import numpy as np

from neurosim.validation import check_int

_MODEL_TYPES: tuple[type, ...] | None = None


def _model_types() -> tuple[type, ...]:
    global _MODEL_TYPES
    if _MODEL_TYPES is None:
        from neurosim.neurons.registry import MODEL_PARAMS

        _MODEL_TYPES = tuple(MODEL_PARAMS.values())
    return _MODEL_TYPES


def check_size(owner: str, n: Any) -> int:
    """The population size ``owner.n``: an int >= 1 (:func:`neurosim.validation.check_int`)."""
    return check_int(f"{owner}.n", n, low=1)


def _check_init_unit(params: Any, var: str, arr: np.ndarray) -> None:
    """Initial potentials in volts and synaptic currents in amperes: ``init={"v": -65}``
    looks like millivolts, ``init={"i_e": 500}`` like picoamperes (the parameters' checks)."""
    from neurosim.neurons.base import check_current, check_voltage

    if not arr.size:
        return
    worst = float(arr.flat[np.argmax(np.abs(arr))])
    currents = {sv for sv, kind in params.targets.values() if kind == "current"}
    limit = getattr(params, "current_limit", None)
    if var == "v":
        check_voltage("NeuronGroup", f"init[{var!r}]", worst)
    elif var in currents and limit is not None:
        check_current("NeuronGroup", f"init[{var!r}]", worst, limit)


class NeuronGroup:
    """``n`` neurons sharing one model's parameters.

    Parameters
    ----------
    n : number of neurons.
    params : a model parameter object, e.g. :class:`~neurosim.neurons.lif.LIFParams`.
    name : unique name inside a network (default ``"group<k>"``).
    init : optional initial values, ``{state_var: scalar or (n,) array}``; others start at
        the model's resting state.
    """

    is_input = False

    def __init__(self, n: int, params: Any, name: str | None = None,
                 init: dict[str, Any] | None = None) -> None:
        self.n = check_size("NeuronGroup", n)
        if not isinstance(params, _model_types()):
            names = ", ".join(t.__name__ for t in _model_types())
            raise TypeError(f"NeuronGroup.params must be one of {names}; "
                            f"got {type(params).__name__} ({params!r:.80})")
        self.params = params
        self.name = name
        self.init = dict(init or {})
        for k, val in self.init.items():
            if k not in params.state_vars:
                raise ValueError(f"NeuronGroup.init has unknown variable {k!r}; "
                                 f"choose from: {', '.join(params.state_vars)}")
            arr = np.asarray(val, dtype=np.float64)
            if arr.shape not in ((), (self.n,)):
                raise ValueError(f"NeuronGroup.init[{k!r}] must be a scalar or shape "
                                 f"({self.n},), got shape {arr.shape}")
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"NeuronGroup.init[{k!r}] contains NaN or inf")
            _check_init_unit(params, k, arr)

    @property
    def state_vars(self) -> tuple[str, ...]:
        return self.params.state_vars

    def initial_state(self, batch: int) -> dict[str, np.ndarray]:
        """Initial state as ``{var: (batch, n) float64 array}``."""
        st = self.params.init_state((batch, self.n))
        out = {k: np.array(v, dtype=np.float64) for k, v in zip(st._fields, st)}
        for k, val in self.init.items():
            out[k][...] = np.asarray(val, dtype=np.float64)
        return out

    def __repr__(self) -> str:
        return f"NeuronGroup(n={self.n}, params={self.params!r}, name={self.name!r})"
