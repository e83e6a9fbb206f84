# ruff: noqa: E501  (the catalogue is a table: one wrong input per line)
"""Issue 14: bad input, one standard everywhere.

A catalogue of wrong inputs against the public API of the three packages. Each entry is a
call, the exception type(s) it must raise (``ValueError`` / ``TypeError`` / ``KeyError`` /
``FileNotFoundError``; never a bare ``IndexError`` nor a numpy/torch internal message) and a
regex the message must match: the parameter's name and, where there is one, the offending
value and what is allowed (the template of :mod:`neurosim.validation` and
:mod:`neurosim.neurons.base`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from neurosim import (
    AdExParams,
    ALIFParams,
    CurrentInjection,
    IFParams,
    IzhikevichParams,
    LIFCondParams,
    LIFParams,
    Network,
    NeuronGroup,
    PoissonGroup,
    PopulationRateMonitor,
    SpikeGeneratorGroup,
    SpikeMonitor,
    StateMonitor,
    Synapses,
)
from neurosim.units import Hz, ms, nA, pA

# ----------------------------------------------------------------------------- helpers

VE, TE, KE, FE = ValueError, TypeError, KeyError, FileNotFoundError


def _g(n: int = 3, params: Any = None, name: str = "g") -> NeuronGroup:
    return NeuronGroup(n, params if params is not None else LIFParams(), name=name)


def _run(*objs: Any, duration: float = 1 * ms, **kw: Any) -> None:
    Network(*objs, dt=0.1 * ms, seed=0, backend="numpy", **kw).run(duration, progress=False)


def _inj(values: Any, params: Any = None, n: int = 3) -> CurrentInjection:
    return CurrentInjection(_g(n, params), values)


def _syn_dup_spikes() -> None:
    gen = SpikeGeneratorGroup(3, [1, 1], [1.0 * ms, 1.02 * ms], name="gen")
    _run(gen, _g())


def _npz_garbage(tmp: Any) -> str:
    p = tmp / "corrupt.npz"
    p.write_bytes(b"PK\x03\x04 this is not a zip archive at all")
    return str(p)


def _net() -> Network:
    return Network(_g(), dt=0.1 * ms, seed=0, backend="numpy")


def _hopfield() -> Any:
    from neurosim.memory import HopfieldNetwork

    return HopfieldNetwork(random_state=0).fit(np.array([[1, -1, 1, -1, 1]]))


def _rbm() -> Any:
    from neurosim.memory import RBM

    return RBM(n_components=2, n_iter=1, random_state=0, device="cpu").fit(
        np.array([[0, 1, 0, 1], [1, 0, 1, 0]]))


def _bm() -> Any:
    from neurosim.memory import BoltzmannMachine

    return BoltzmannMachine(n_iter=1, random_state=0, device="cpu").fit(
        np.array([[0, 1, 0], [1, 0, 1]]))


def _modern() -> Any:
    from neurosim.memory import ModernHopfield

    return ModernHopfield(device="cpu").fit(np.array([[1.0, -1.0, 1.0], [-1.0, 1.0, 1.0]]))


def _lstm(**kw: Any) -> Any:
    from backprop import LSTM

    return LSTM(3, 4, 2, seed=0, **kw)


def _trainer(**kw: Any) -> Any:
    from backprop import Trainer

    return Trainer(_lstm(), device="cpu", progress=False, **kw)


def _esn(**kw: Any) -> Any:
    from backprop import EchoStateNetwork

    return EchoStateNetwork(2, 10, 1, seed=0, device="cpu", **kw)


def _esn_fitted() -> Any:
    import torch

    e = _esn()
    return e.fit(torch.zeros(5, 2, 2), torch.zeros(5, 2, 1))


def _torch_zeros(*shape: int) -> Any:
    import torch

    return torch.zeros(*shape)


def _task(name: str, **kw: Any) -> Any:
    from comparisons.tasks import get_task

    return get_task(name, **kw)


def _learner(name: str, **kw: Any) -> Any:
    from comparisons.learners import get_learner

    return get_learner(name, **kw)


def _suite(*a: Any, **kw: Any) -> Any:
    from comparisons import run_suite

    return run_suite(*a, progress=False, **kw)


def _dc_config(**kw: Any) -> Any:
    from neurosim.learning.diehl_cook import DiehlCookConfig

    return DiehlCookConfig(**kw)


def _dc(**kw: Any) -> Any:
    from neurosim.learning.diehl_cook import DiehlCook, DiehlCookConfig

    return DiehlCook(DiehlCookConfig(n_input=4, n_exc=2, norm_total=1.0), **kw)


# (id, call, exception types, regex); a call taking one argument gets pytest's tmp_path
E = tuple[str, Callable[..., Any], Any, str]
CATALOGUE: list[E] = [
    # ------------------------------------------------------------- neuron parameters
    ("lif-tau_m-ms", lambda: LIFParams(tau_m=20), VE, r"LIFParams\.tau_m=20 s looks like milliseconds; write 20\*ms"),
    ("lif-tau_m-neg", lambda: LIFParams(tau_m=-0.01), VE, r"LIFParams\.tau_m must be > 0, got -0\.01"),
    ("lif-tau_m-str", lambda: LIFParams(tau_m="20ms"), TE, r"LIFParams\.tau_m must be a real number, got str \('20ms'\)"),
    ("lif-tau_m-nan", lambda: LIFParams(tau_m=float("nan")), VE, r"LIFParams\.tau_m must be finite, got nan"),
    ("lif-v_thresh-mV", lambda: LIFParams(v_thresh=-50), VE, r"LIFParams\.v_thresh=-50 V looks like millivolts; write -50\*mV"),
    ("lif-v_reset-above", lambda: LIFParams(v_reset=-0.04), VE, r"LIFParams\.v_reset must be < v_thresh=-0\.05, got -0\.04"),
    ("lif-t_ref-neg", lambda: LIFParams(t_ref=-1 * ms), VE, r"LIFParams\.t_ref must be >= 0, got -0\.001"),
    ("lif-r_m-neg", lambda: LIFParams(r_m=-1.0), VE, r"LIFParams\.r_m must be > 0, got -1"),
    ("lif-tau_e-ms", lambda: LIFParams(tau_e=5), VE, r"LIFParams\.tau_e=5 s looks like milliseconds"),
    ("lifcond-v_rest-mV", lambda: LIFCondParams(v_rest=-70), VE, r"LIFCondParams\.v_rest=-70 V looks like millivolts"),
    ("alif-tau_a-neg", lambda: ALIFParams(tau_a=-1.0), VE, r"ALIFParams\.tau_a must be > 0, got -1"),
    ("alif-tau_a-ms", lambda: ALIFParams(tau_a=200), VE, r"ALIFParams\.tau_a=200 s looks like milliseconds"),
    ("alif-delta_a-range", lambda: ALIFParams(delta_a=-0.001), VE, r"ALIFParams\.delta_a must be in \[0, 1\) V, got -0\.001"),
    ("izh-a-neg", lambda: IzhikevichParams(a=-1.0), VE, r"IzhikevichParams\.a must be > 0, got -1"),
    ("izh-c-mV", lambda: IzhikevichParams(c=-65), VE, r"IzhikevichParams\.c=-65 V looks like millivolts"),
    ("izh-c-above-peak", lambda: IzhikevichParams(c=0.04), VE, r"IzhikevichParams\.c must be < v_peak=0\.03, got 0\.04"),
    ("izh-tau_e-ms", lambda: IzhikevichParams(tau_e=5), VE, r"IzhikevichParams\.tau_e=5 s looks like milliseconds"),
    ("adex-c_m-neg", lambda: AdExParams(c_m=-1.0), VE, r"AdExParams\.c_m must be > 0, got -1"),
    ("adex-tau_w-ms", lambda: AdExParams(tau_w=144), VE, r"AdExParams\.tau_w=144 s looks like milliseconds"),
    ("adex-v_reset-above", lambda: AdExParams(v_reset=-0.03), VE, r"AdExParams\.v_reset must be < v_peak=-0\.0404, got -0\.03"),
    ("adex-b-pA-as-A", lambda: AdExParams(b=80.5), VE, r"AdExParams\.b=80\.5 A looks like picoamperes or nanoamperes; write 80\.5\*pA"),
    ("adex-delta_t-mV", lambda: AdExParams(delta_t=2), VE, r"AdExParams\.delta_t=2 V looks like millivolts"),
    ("if-c_m-zero", lambda: IFParams(c_m=0.0), VE, r"IFParams\.c_m must be > 0, got 0"),
    ("if-v_thresh-mV", lambda: IFParams(v_thresh=-50), VE, r"IFParams\.v_thresh=-50 V looks like millivolts"),
    ("if-tau_i-neg", lambda: IFParams(tau_i=-0.01), VE, r"IFParams\.tau_i must be > 0, got -0\.01"),
    ("lif-dt-too-large", lambda: LIFParams().check_dt(0.05), VE, r"dt=0\.05 s is larger than LIFParams\.tau_m=0\.02 s; use dt <= 0\.02"),
    # ------------------------------------------------------------- NeuronGroup
    ("group-n-zero", lambda: NeuronGroup(0, LIFParams()), VE, r"NeuronGroup\.n must be >= 1, got 0"),
    ("group-n-float", lambda: NeuronGroup(2.5, LIFParams()), TE, r"NeuronGroup\.n must be an int, got float \(2\.5\)"),
    ("group-params-str", lambda: NeuronGroup(3, "lif"), TE, r"NeuronGroup\.params must be one of .*LIFParams.*; got str \('lif'\)"),
    ("group-init-unknown", lambda: NeuronGroup(3, LIFParams(), init={"x": 0.0}), VE, r"NeuronGroup\.init has unknown variable 'x'; choose from: v, i_e, i_i, ref"),
    ("group-init-shape", lambda: NeuronGroup(3, LIFParams(), init={"v": np.zeros(4)}), VE, r"NeuronGroup\.init\['v'\] must be a scalar or shape \(3,\), got shape \(4,\)"),
    ("group-init-v-mV", lambda: NeuronGroup(3, LIFParams(), init={"v": -65}), VE, r"NeuronGroup\.init\['v'\]=-65(\.0)? V looks like millivolts; write -65\*mV"),
    ("group-init-i_e-pA", lambda: NeuronGroup(3, AdExParams(), init={"i_e": [0.0, 500.0, 0.0]}), VE, r"NeuronGroup\.init\['i_e'\]=500(\.0)? A looks like picoamperes or nanoamperes; write 500\*pA"),
    ("group-init-izh-ok-but-v-mV", lambda: NeuronGroup(3, IzhikevichParams(), init={"u": 10.0, "v": 30}), VE, r"NeuronGroup\.init\['v'\]=30(\.0)? V looks like millivolts"),
    ("group-init-nan", lambda: NeuronGroup(3, LIFParams(), init={"v": np.nan}), VE, r"NeuronGroup\.init\['v'\] contains NaN or inf"),
    # ------------------------------------------------------------- PoissonGroup
    ("poisson-n-neg", lambda: PoissonGroup(-1, 5 * Hz), VE, r"PoissonGroup\.n must be >= 1, got -1"),
    ("poisson-rate-neg", lambda: PoissonGroup(3, -5.0), VE, r"PoissonGroup\.rates must be >= 0, got min -5"),
    ("poisson-rate-shape", lambda: PoissonGroup(3, np.ones(4)), VE, r"PoissonGroup\.rates must have shape \(3,\), \(T, 3\) or \(T, B, 3\); got \(4,\)"),
    ("poisson-rate-4d", lambda: PoissonGroup(3, np.ones((2, 2, 2, 3))), VE, r"PoissonGroup\.rates must have shape .*; got \(2, 2, 2, 3\)"),
    ("poisson-rate-str", lambda: PoissonGroup(3, "fast"), TE, r"PoissonGroup\.rates must be numeric, got str"),
    ("poisson-rate-nan", lambda: PoissonGroup(3, [1.0, np.nan, 2.0]), VE, r"PoissonGroup\.rates contains NaN or inf"),
    ("poisson-rate-dt", lambda: _run(PoissonGroup(3, 20000.0, name="p"), _g()), VE, r"PoissonGroup\.rates \* dt must be <= 1; max rate 20000\.0 Hz"),
    ("poisson-rate-short", lambda: _run(PoissonGroup(3, np.ones((5, 3)), name="p"), _g()), VE, r"PoissonGroup\.rates covers 5 steps but the run needs steps up to 9; give a longer array"),
    # ------------------------------------------------------------- SpikeGeneratorGroup
    ("spikegen-index-range", lambda: SpikeGeneratorGroup(3, [0, 5], [0.0, 0.001]), VE, r"SpikeGeneratorGroup\.indices must be in \[0, 3\), got range \[0, 5\]"),
    ("spikegen-index-neg", lambda: SpikeGeneratorGroup(3, [-1], [0.0]), VE, r"SpikeGeneratorGroup\.indices must be in \[0, 3\), got range \[-1, -1\]"),
    ("spikegen-time-neg", lambda: SpikeGeneratorGroup(3, [0], [-0.001]), VE, r"SpikeGeneratorGroup\.times must be >= 0, got -0\.001"),
    ("spikegen-lengths", lambda: SpikeGeneratorGroup(3, [0, 1], [0.0]), VE, r"SpikeGeneratorGroup\.indices and times must be 1-D of equal length, got shapes \(2,\) and \(1,\)"),
    ("spikegen-float-index", lambda: SpikeGeneratorGroup(3, [0.5], [0.0]), TE, r"SpikeGeneratorGroup\.indices must be integers, got float64"),
    ("spikegen-2d", lambda: SpikeGeneratorGroup(3, [[0]], [[0.0]]), VE, r"SpikeGeneratorGroup\.indices and times must be 1-D .*got shapes \(1, 1\) and \(1, 1\)"),
    ("spikegen-times-str", lambda: SpikeGeneratorGroup(3, [0], ["soon"]), TE, r"SpikeGeneratorGroup\.times must be numeric, got list"),
    ("spikegen-times-nan", lambda: SpikeGeneratorGroup(3, [0], [np.nan]), VE, r"SpikeGeneratorGroup\.times contains NaN or inf"),
    ("spikegen-dup-step", _syn_dup_spikes, VE, r"SpikeGeneratorGroup\.times: source 1 spikes twice in one step \(at 0\.001 s and 0\.00102 s; dt=0\.0001 s\)"),
    # ------------------------------------------------------------- CurrentInjection
    ("inj-target", lambda: CurrentInjection(PoissonGroup(3, 1.0), 0.1 * nA), TE, r"CurrentInjection\.target must be a NeuronGroup, got PoissonGroup"),
    ("inj-shape", lambda: _inj(np.ones(4) * nA), VE, r"CurrentInjection\.values must have shape \(3,\), \(T, 3\) or \(T, B, 3\); got \(4,\)"),
    ("inj-shape-3d", lambda: _inj(np.ones((5, 2, 4)) * nA), VE, r"CurrentInjection\.values must have shape .*; got \(5, 2, 4\)"),
    ("inj-nan", lambda: _inj([0.0, np.inf, 0.0]), VE, r"CurrentInjection\.values contains NaN or inf"),
    ("inj-str", lambda: _inj("100pA"), TE, r"CurrentInjection\.values must be numeric, got str"),
    ("inj-pA-as-A-lif", lambda: _inj(-500.0), VE, r"CurrentInjection\.values=-500(\.0)? A looks like picoamperes or nanoamperes; write -500\*pA \(values are SI floats: amperes; \|I\| >= 1e-06 A"),
    ("inj-pA-as-A-adex", lambda: _inj(-500.0, AdExParams()), VE, r"CurrentInjection\.values=-500(\.0)? A looks like picoamperes or nanoamperes; write -500\*pA \(values are SI floats: amperes; \|I\| >= 1e-06 A"),
    ("inj-nA-as-A-array", lambda: _inj(np.array([0.1, 0.2, 1.5])), VE, r"CurrentInjection\.values=1\.5 A looks like picoamperes or nanoamperes; write 1\.5\*nA"),
    ("inj-uA-timevarying", lambda: _inj(np.full((4, 3), 2e-6)), VE, r"CurrentInjection\.values=2e-06 A .*looks like"),
    ("inj-too-short", lambda: _run(g := _g(), CurrentInjection(g, np.ones((5, 3)) * nA)), VE, r"CurrentInjection\.values covers 5 steps but the run needs steps up to 9"),
    ("inj-batch", lambda: _run(g := _g(), CurrentInjection(g, np.ones((20, 2, 3)) * nA), batch_size=3), VE, r"CurrentInjection\.values has batch size 2, network has batch_size=3"),
    # ------------------------------------------------------------- Synapses
    ("syn-pre-type", lambda: Synapses.from_matrix(3, _g(), np.zeros((3, 3))), TE, r"Synapses\.pre must be a neuron or input group, got int"),
    ("syn-post-type", lambda: Synapses.one_to_one(_g(), PoissonGroup(3, 1.0), 1 * nA), TE, r"Synapses\.post must be a NeuronGroup, got PoissonGroup"),
    ("syn-matrix-shape", lambda: Synapses.from_matrix(_g(3), _g(2), np.ones((2, 3)) * pA), VE, r"Synapses\.from_matrix: w must have shape \(3, 2\), got \(2, 3\)"),
    ("syn-matrix-nan", lambda: Synapses.from_matrix(_g(), _g(), np.full((3, 3), np.nan)), VE, r"Synapses\.from_matrix: w contains NaN or inf"),
    ("syn-matrix-target", lambda: Synapses.from_matrix(_g(), _g(), np.ones((3, 3)) * pA, target="x"), VE, r"Synapses\.target must be one of e, i, v for LIFParams, got 'x'"),
    ("syn-matrix-delay-2d", lambda: Synapses.from_matrix(_g(3), _g(2), np.ones((3, 2)) * pA, delay=np.zeros((2, 2))), VE, r"Synapses\.from_matrix: delay must be a scalar or shape \(3, 2\), got \(2, 2\)"),
    ("syn-matrix-delay-1d", lambda: Synapses.from_matrix(_g(3), _g(2), np.ones((3, 2)) * pA, delay=np.zeros(2)), VE, r"Synapses\.from_matrix: delay must be a scalar or shape \(3, 2\), got \(2,\)"),
    ("syn-list-w-short", lambda: Synapses.from_list(_g(), _g(), [0, 1, 2], [0, 1, 2], [1 * pA, 2 * pA]), VE, r"Synapses\.from_list: w must be a scalar or shape \(3,\), got \(2,\)"),
    ("syn-list-delay-short", lambda: Synapses.from_list(_g(), _g(), [0, 1], [0, 1], 1 * pA, delay=[1 * ms]), VE, r"Synapses\.from_list: delay must be a scalar or shape \(2,\), got \(1,\)"),
    ("syn-list-ij", lambda: Synapses.from_list(_g(), _g(), [0, 1], [0], 1 * pA), VE, r"Synapses\.from_list: i and j must be 1-D of equal length, got \(2,\) and \(1,\)"),
    ("syn-list-i-range", lambda: Synapses.from_list(_g(), _g(), [0, 7], [0, 1], 1 * pA), VE, r"Synapses\.from_list: i must be in \[0, 3\), got range \[0, 7\]"),
    ("syn-list-j-range", lambda: Synapses.from_list(_g(), _g(), [0, 1], [0, 5], 1 * pA), VE, r"Synapses\.indices must be in \[0, 3\), got range \[0, 5\]"),
    ("syn-all-w-shape", lambda: Synapses.all_to_all(_g(), _g(2), np.ones(5) * pA), VE, r"Synapses\.all_to_all: w must be a scalar or shape \(6,\), got \(5,\)"),
    ("syn-one-to-one-sizes", lambda: Synapses.one_to_one(_g(3), _g(2), 1 * pA), VE, r"Synapses\.one_to_one needs equal sizes, got pre n=3 and post n=2"),
    ("syn-prob-range", lambda: Synapses.fixed_probability(_g(), _g(), 1.5, 1 * pA), VE, r"Synapses\.fixed_probability: p must be in \[0, 1\], got 1\.5"),
    ("syn-weights-shape", lambda: Synapses(_g(), _g(), [0, 1, 2, 3], [0, 1, 2], np.ones(2) * pA), VE, r"Synapses\.weights must be a scalar or shape \(3,\), got \(2,\)"),
    ("syn-indptr", lambda: Synapses(_g(), _g(), [0, 1, 2], [0, 1, 2], 1 * pA), VE, r"Synapses\.indptr must be non-decreasing, shape \(4,\), from 0 to n_syn=3, got \[0, 1, 2\]"),
    ("syn-inh-positive", lambda: Synapses.one_to_one(_g(), _g(), 100 * pA, target="i"), VE, r"Synapses\.weights must be <= 0 for the inhibitory current target 'i'.* got 1e-10 A"),
    ("syn-cond-negative", lambda: Synapses.one_to_one(_g(params=LIFCondParams()), _g(params=LIFCondParams()), -1e-9), VE, r"Synapses\.weights must be >= 0 for conductance target 'e'.*got min -1e-09"),
    ("syn-weights-nan", lambda: Synapses.one_to_one(_g(), _g(), np.nan), VE, r"Synapses\.weights contains NaN or inf"),
    ("syn-delay-neg", lambda: Synapses.one_to_one(_g(), _g(), 1 * pA, delay=-1 * ms), VE, r"Synapses\.delay must be >= 0, got -0\.001"),
    ("syn-delay-ms", lambda: Synapses.one_to_one(_g(), _g(), 1 * pA, delay=5.0), VE, r"Synapses\.delay=5\.0 s looks like milliseconds; write 5\*ms"),
    ("syn-delay-dt", lambda: _run(Synapses.one_to_one(a := _g(name="a"), b := _g(name="b"), 1 * pA, delay=0.15 * ms), a, b), VE, r"Synapses\.delay must be a multiple of dt=0\.0001 s; got 0\.00015 s"),
    # ------------------------------------------------------------- monitors
    ("spikemon-group", lambda: SpikeMonitor(3), TE, r"SpikeMonitor\.group must be a neuron or input group, got int"),
    ("ratemon-group", lambda: PopulationRateMonitor(None), TE, r"PopulationRateMonitor\.group must be a neuron or input group, got NoneType"),
    ("statemon-var", lambda: StateMonitor(_g(), "x"), VE, r"StateMonitor\.variables: unknown variable 'x' for NeuronGroup; choose from: v, i_e, i_i, ref"),
    ("statemon-vars-empty", lambda: StateMonitor(_g(), []), VE, r"StateMonitor\.variables must name at least one variable.*choose from: v, i_e, i_i, ref"),
    ("statemon-index-range", lambda: StateMonitor(_g(), "v", indices=[0, 5]), VE, r"StateMonitor\.indices must be in \[0, 3\), got range \[0, 5\]"),
    ("statemon-index-neg", lambda: StateMonitor(_g(), "v", indices=-1), VE, r"StateMonitor\.indices must be in \[0, 3\), got range \[-1, -1\]"),
    ("statemon-index-empty", lambda: StateMonitor(_g(), "v", indices=[]), VE, r"StateMonitor\.indices must be non-empty, got an empty array"),
    ("statemon-index-2d", lambda: StateMonitor(_g(), "v", indices=[[0, 1]]), VE, r"StateMonitor\.indices must be 1-D, got shape \(1, 2\)"),
    ("statemon-every", lambda: StateMonitor(_g(), "v", every=0), VE, r"StateMonitor\.every must be >= 1, got 0"),
    ("statemon-getitem", lambda: StateMonitor(_g(), "v")["i_e"], KE, r"StateMonitor did not record 'i_e'; recorded: v"),
    # ------------------------------------------------------------- Network
    ("net-dt-zero", lambda: Network(dt=0.0), VE, r"Network\.dt must be > 0, got 0\.0"),
    ("net-dt-ms", lambda: Network(dt=1.0), VE, r"Network\.dt=1\.0 s looks like milliseconds; write 1\*ms"),
    ("net-batch", lambda: Network(batch_size=0), VE, r"Network\.batch_size must be >= 1, got 0"),
    ("net-dtype", lambda: Network(dtype="float16"), VE, r"Network\.dtype must be 'float64' or 'float32', got 'float16'"),
    ("net-run-neg", lambda: _net().run(-1.0), VE, r"Network\.run: duration must be >= 0, got -1\.0"),
    ("net-run-nan", lambda: _net().run(float("nan")), VE, r"Network\.run: duration must be finite, got nan"),
    ("net-run-str", lambda: _net().run("1s"), TE, r"Network\.run: duration must be a real number, got str"),
    # ------------------------------------------------------------- files
    ("io-load-missing", lambda tmp: __import__("neurosim.io").io.load(_net(), tmp / "nope.npz"), FE, r"nope\.npz"),
    ("io-load-corrupt", lambda tmp: __import__("neurosim.io").io.load(_net(), _npz_garbage(tmp)), VE, r"neurosim\.io\.load: '.*corrupt\.npz' is not a readable neurosim \.npz file"),
    ("io-read-missing", lambda tmp: __import__("neurosim.io").io.read_npz(tmp / "nope.npz", "x"), FE, r"nope\.npz"),
    ("io-read-corrupt", lambda tmp: __import__("neurosim.io").io.read_npz(_npz_garbage(tmp), "load_spikes"), VE, r"load_spikes: '.*corrupt\.npz' is not a readable"),
    ("formats-load-spikes-missing", lambda tmp: __import__("neurosim.interop.formats").interop.formats.load_spikes(tmp / "x.npz"), FE, r"x\.npz"),
    ("formats-save-spikes-range", lambda tmp: __import__("neurosim.interop.formats").interop.formats.save_spikes(tmp / "s.npz", (np.array([0, 4]), np.array([0.0, 0.001])), n=3), VE, r"spike indices must be in \[0, n=3\), got range \[0, 4\]"),
    ("formats-save-spikes-suffix", lambda tmp: __import__("neurosim.interop.formats").interop.formats.save_spikes(tmp / "s.txt", (np.array([0]), np.array([0.0]))), VE, r"path must end in \.npz, got '.*s\.txt'"),
    # ------------------------------------------------------------- associative memories
    ("hopfield-rule", lambda: __import__("neurosim.memory").memory.HopfieldNetwork(rule="hebb").fit([[1, -1]]), VE, r"unknown HopfieldNetwork\.rule 'hebb'; choose from: hebbian, pseudo_inverse, storkey"),
    ("hopfield-empty", lambda: __import__("neurosim.memory").memory.HopfieldNetwork().fit(np.zeros((0, 5))), VE, r"patterns must not be empty, got shape \(0, 5\)"),
    ("hopfield-nonbinary", lambda: __import__("neurosim.memory").memory.HopfieldNetwork().fit([[1, 0.5]]), VE, r"patterns must contain only -1 and \+1, got 0\.5 at index \(0, 1\)"),
    ("hopfield-3d", lambda: __import__("neurosim.memory").memory.HopfieldNetwork().fit(np.ones((2, 2, 2))), VE, r"patterns must be 1-D \(N,\) or 2-D \(n, N\), got shape \(2, 2, 2\)"),
    ("hopfield-recall-width", lambda: _hopfield().recall([1, -1, 1]), VE, r"has wrong length: expected 5 units per row, got 3"),
    ("hopfield-recall-empty", lambda: _hopfield().recall(np.zeros((0, 5))), VE, r"must not be empty, got shape \(0, 5\)"),
    ("hopfield-max_steps", lambda: __import__("neurosim.memory").memory.HopfieldNetwork(max_steps=0).fit([[1, -1]]), VE, r"HopfieldNetwork\.max_steps must be >= 1, got 0"),
    ("rbm-n_components", lambda: __import__("neurosim.memory").memory.RBM(n_components=0).fit([[0, 1]]), VE, r"RBMParams\.n_components must be >= 1, got 0"),
    ("rbm-visible", lambda: __import__("neurosim.memory").memory.RBM(visible="real").fit([[0, 1]]), VE, r"unknown RBMParams\.visible 'real'; choose from: binary, gaussian"),
    ("rbm-nonbinary", lambda: __import__("neurosim.memory").memory.RBM(device="cpu").fit([[0, 0.5]]), VE, r"RBM: X must be binary \(0/1\); found 0\.5 at \[0, 1\]"),
    ("rbm-empty", lambda: __import__("neurosim.memory").memory.RBM(device="cpu").fit(np.zeros((0, 4))), VE, r"RBM: X is empty \(shape \(0, 4\)\)"),
    ("rbm-1d", lambda: __import__("neurosim.memory").memory.RBM(device="cpu").fit([0, 1, 1]), VE, r"RBM: expected a 2-D array X of shape \(n_samples, n_features\), got shape \(3,\)"),
    ("rbm-transform-width", lambda: _rbm().transform([[0, 1, 0]]), VE, r"RBM: X has 3 features, but the model was fitted with 4"),
    ("rbm-transform-empty", lambda: _rbm().transform(np.zeros((0, 4))), VE, r"RBM: X is empty \(shape \(0, 4\)\)"),
    ("rbm-learning_rate", lambda: __import__("neurosim.memory").memory.RBM(learning_rate=-1.0).fit([[0, 1]]), VE, r"RBMParams\.learning_rate must be > 0\.0, got -1\.0"),
    ("bm-n_hidden", lambda: __import__("neurosim.memory").memory.BoltzmannMachine(n_hidden=-1).fit([[0, 1]]), VE, r"BMParams\.n_hidden must be >= 0, got -1"),
    ("bm-method", lambda: __import__("neurosim.memory").memory.BoltzmannMachine(method="mcmc").fit([[0, 1]]), VE, r"unknown BMParams\.method 'mcmc'; choose from: exact, gibbs"),
    ("bm-empty", lambda: __import__("neurosim.memory").memory.BoltzmannMachine(device="cpu").fit(np.zeros((0, 3))), VE, r"BoltzmannMachine: X is empty \(shape \(0, 3\)\)"),
    ("bm-nonbinary", lambda: __import__("neurosim.memory").memory.BoltzmannMachine(device="cpu").fit([[0, 2]]), VE, r"BoltzmannMachine: X must be binary \(0/1\); found 2\.0 at \[0, 1\]"),
    ("bm-score-width", lambda: _bm().score_samples([[0, 1]]), VE, r"BoltzmannMachine: X has 2 features, but the model was fitted with 3"),
    ("modern-beta", lambda: __import__("neurosim.memory").memory.ModernHopfield(beta=-1.0).fit([[1, -1]]), VE, r"ModernHopfield\.beta must be > 0(\.0)?, got -1\.0"),
    ("modern-empty", lambda: __import__("neurosim.memory").memory.ModernHopfield().fit(np.zeros((0, 3))), VE, r"must not be empty, got shape \(0, 3\)"),
    ("modern-predict-width", lambda: _modern().predict([[1.0, -1.0]]), VE, r"expected 3 units per row, got 2"),
    ("dense-kind", lambda: __import__("neurosim.memory").memory.DenseAssociativeMemory(kind="poly").fit([[1, -1]]), VE, r"unknown DenseAssociativeMemory\.kind 'poly'; choose from: exponential, polynomial, rectified"),
    ("dbm-n_components", lambda: __import__("neurosim.memory").memory.DBM(n_components=(0, 4)).fit([[0, 1]]), VE, r"DBMParams\.n_components\[0\] must be >= 1, got 0"),
    # ------------------------------------------------------------- backprop
    ("lstm-input_size", lambda: __import__("backprop").LSTM(0, 4), VE, r"RNNConfig\.input_size must be >= 1, got 0"),
    ("lstm-hidden_size", lambda: __import__("backprop").LSTM(3, -1), VE, r"RNNConfig\.hidden_size must be >= 1, got -1"),
    ("gru-output", lambda: __import__("backprop").GRU(3, 4, output="last"), VE, r"unknown .*output 'last'; choose from: many_to_many, many_to_one"),
    ("rnn-impl", lambda: __import__("backprop").ElmanRNN(3, 4, impl="cudnn"), VE, r"unknown .*impl 'cudnn'; choose from: auto, fused, cell"),
    ("lstm-dropout", lambda: _lstm(dropout=1.5), VE, r"dropout must be in \[0, 1\), got 1\.5"),
    ("lstm-num_layers", lambda: __import__("backprop").LSTM(3, 4, num_layers=0), VE, r"RNNConfig\.num_layers must be >= 1, got 0"),
    ("lstm-forward-features", lambda: _lstm()(_torch_zeros(5, 2, 4)), VE, r"LSTM expected x of shape \(T, B, 3\), got \(5, 2, 4\)"),
    ("lstm-forward-2d", lambda: _lstm()(_torch_zeros(5, 3)), VE, r"LSTM expected x of rank 3 with shape \(T, B, 3\), got \(5, 3\)"),
    ("lstm-forward-empty", lambda: _lstm()(_torch_zeros(0, 2, 3)), VE, r"LSTM got an empty sequence: x has shape \(0, 2, 3\) with T = 0"),
    ("lstm-state-shape", lambda: _lstm()(_torch_zeros(5, 2, 3), (_torch_zeros(1, 3, 4), _torch_zeros(1, 3, 4))), VE, r"LSTM expected state h of shape \(1, 2, 4\).*got \(1, 3, 4\)"),
    ("trainer-optimizer", lambda: _trainer(optimizer="adamw"), VE, r"unknown Trainer\.optimizer 'adamw'; choose from: adam, sgd, rmsprop, hf"),
    ("trainer-loss", lambda: _trainer(loss="l2"), VE, r"unknown Trainer\.loss 'l2'; choose from:"),
    ("trainer-lr", lambda: _trainer(lr=-1.0), VE, r"Trainer\.lr must be > 0, got -1\.0"),
    ("trainer-momentum", lambda: _trainer(momentum=1.5), VE, r"Trainer\.momentum must be in \[0, 1\), got 1\.5"),
    ("trainer-tbptt", lambda: _trainer(tbptt=(5, 2)), VE, r"Trainer\.tbptt k2 must be >= k1 .*got k1=5, k2=2"),
    ("trainer-clip", lambda: _trainer(clip_norm=0.0), VE, r"Trainer\.clip_norm must be > 0, got 0\.0"),
    ("trainer-model", lambda: __import__("backprop").Trainer("lstm"), TE, r"Trainer\.model must be a torch\.nn\.Module, got str"),
    ("trainer-fit-empty", lambda: _trainer().fit(np.zeros((5, 0, 3)), np.zeros((5, 0, 2))), VE, r"Trainer got empty data: x has shape \(5, 0, 3\)"),
    ("trainer-fit-batch-mismatch", lambda: _trainer().fit(np.zeros((5, 4, 3)), np.zeros((5, 3, 2))), VE, r"y.*\(5, 3, 2\)"),
    ("trainer-fit-epochs", lambda: _trainer().fit(np.zeros((5, 4, 3)), np.zeros((5, 4, 2)), epochs=0), VE, r"Trainer\.fit epochs must be >= 1, got 0"),
    ("trainer-fit-batch_size", lambda: _trainer().fit(np.zeros((5, 4, 3)), np.zeros((5, 4, 2)), batch_size=0), VE, r"Trainer\.fit batch_size must be >= 1, got 0"),
    ("trainer-predict-empty", lambda: _trainer().predict(np.zeros((5, 0, 3))), VE, r"LSTM got an empty batch: x has shape \(5, 0, 3\) with B = 0"),
    ("esn-input_size", lambda: __import__("backprop").EchoStateNetwork(0, 10, 1), VE, r"EchoStateNetwork\.input_size must be >= 1, got 0"),
    ("esn-spectral", lambda: _esn(spectral_radius=-1.0), VE, r"spectral_radius must be .*got -1\.0"),
    ("esn-leak", lambda: _esn(leak_rate=2.0), VE, r"leak_rate must be in \(0, 1\], got 2\.0"),
    ("esn-unknown", lambda: _esn(radius=0.9), TE, r"unknown EchoStateNetwork parameter 'radius'; choose from: spectral_radius"),
    ("esn-output", lambda: _esn(output="last"), VE, r"unknown EchoStateNetwork\.output 'last'; choose from: many_to_many, many_to_one"),
    ("esn-fit-x-features", lambda: _esn().fit(_torch_zeros(5, 2, 3), _torch_zeros(5, 2, 1)), VE, r"EchoStateNetwork expected .*2.*got .*3"),
    ("esn-fit-y-shape", lambda: _esn().fit(_torch_zeros(5, 2, 2), _torch_zeros(5, 2, 3)), VE, r"EchoStateNetwork .*expected y of shape \(5, 2, 1\), got \(5, 2, 3\)"),
    ("esn-fit-empty", lambda: _esn().fit(_torch_zeros(5, 0, 2), _torch_zeros(5, 0, 1)), VE, r"EchoStateNetwork got an empty batch: x has shape \(5, 0, 2\) with B = 0"),
    ("esn-predict-features", lambda: _esn_fitted().predict(_torch_zeros(5, 2, 4)), VE, r"EchoStateNetwork expected .*2.*got .*4"),
    # ------------------------------------------------------------- comparisons
    ("task-unknown", lambda: _task("addng"), VE, r"unknown task 'addng'; choose from: adding, associative_recall, binary_addition"),
    ("task-name-type", lambda: _task(3), TE, r"task must be a str, one of: .*; got int \(3\)"),
    ("task-length", lambda: _task("adding", length=1), VE, r"AddingProblem\.length must be >= 2, got 1"),
    ("task-n_train", lambda: _task("adding", n_train=0), VE, r"AddingProblem\.n_train must be >= 1, got 0"),
    ("task-n_train-float", lambda: _task("adding", n_train=10.5), TE, r"AddingProblem\.n_train must be an int, got float \(10\.5\)"),
    ("task-copy-symbols", lambda: _task("copy", n_symbols=1), VE, r"CopyTask\.n_symbols must be >= 2, got 1"),
    ("task-unknown-param", lambda: _task("adding", lenght=10), TE, r"lenght"),
    ("task-encoding", lambda: _task("adding", encoding="poisson"), VE, r"unknown .*encoding 'poisson'; choose from: delta, latency, rate"),
    ("task-steps-no-encoding", lambda: _task("adding", steps_per_value=3), VE, r"steps_per_value and encoding_options need an encoding; choose from: delta, latency, rate"),
    ("task-seed", lambda: _task("adding", n_train=2, n_val=2, n_test=2).make(seed=-1), VE, r"seed must be >= 0, got -1"),
    ("task-mackey-length", lambda: _task("mackey_glass", length=0), VE, r"MackeyGlass\.length must be >= \d+, got 0"),
    ("task-temporal-xor", lambda: _task("temporal_xor", n_train=-3), VE, r"TemporalXOR\.n_train must be >= 1, got -3"),
    ("task-spike-patterns", lambda: _task("spike_patterns", n_classes=1), VE, r"SpikePatterns\.n_classes must be >= 2, got 1"),
    ("task-binary-addition", lambda: _task("binary_addition", train_bits=0), VE, r"BinaryAddition\.train_bits must be >= 1, got 0"),
    ("learner-unknown", lambda: _learner("lstmm"), VE, r"unknown learner 'lstmm'; choose from: .*lstm"),
    ("learner-diehl-n_exc", lambda: _learner("diehl_cook", n_exc=0), VE, r"diehl_cook\.n_exc must be >= 1, got 0"),
    ("learner-diehl-epochs", lambda: _learner("diehl_cook", epochs=1.5), TE, r"diehl_cook\.epochs must be an int, got float \(1\.5\)"),
    ("suite-tasks-empty", lambda: _suite([], ["lstm"]), VE, r"tasks must name at least one task, got an empty"),
    ("suite-learners-empty", lambda: _suite(["adding"], []), VE, r"learners must name at least one learner, got an empty"),
    ("suite-seeds-empty", lambda: _suite(["adding"], ["lstm"], seeds=[]), VE, r"seeds must name at least one seed, got an empty list"),
    ("suite-task-unknown", lambda: _suite(["addng"], ["lstm"]), VE, r"unknown task 'addng'; choose from:"),
    ("suite-learner-unknown", lambda: _suite(["adding"], ["lstmm"]), VE, r"unknown learner 'lstmm'; choose from:"),
    ("suite-tasks-str", lambda: _suite("adding", ["lstm"]), TE, r"tasks and learners must be lists of names, not a single string; got tasks='adding'"),
    ("suite-task-params-unknown", lambda: _suite(["adding"], ["lstm"], task_params={"copy": {}}), VE, r"task_params.*'copy'"),
    # ------------------------------------------------------------- Diehl & Cook
    ("dc-config-n_exc", lambda: _dc_config(n_exc=0), VE, r"DiehlCookConfig\.n_exc must be >= 1, got 0"),
    ("dc-config-dt", lambda: _dc_config(dt=-1.0), VE, r"DiehlCookConfig\.dt must be > 0, got -1\.0"),
    ("dc-config-dt-large", lambda: _dc_config(dt=5 * ms), VE, r"DiehlCookConfig\.dt=0\.005 must not exceed the synaptic time constants \(0\.001\)"),
    ("dc-config-norm", lambda: _dc_config(n_input=10), VE, r"DiehlCookConfig\.norm_total=78\.0 cannot be reached with n_input=10"),
    ("dc-config-nu", lambda: _dc_config(nu_pre=-1e-4), VE, r"DiehlCookConfig\.nu_pre must be >= 0, got -0\.0001"),
    ("dc-backend", lambda: _dc(backend="cuda"), VE, r"unknown DiehlCook\.backend 'cuda'; choose from: numba, torch"),
    ("dc-copies", lambda: _dc(n_copies=2), VE, r"DiehlCook\.n_copies must be 1 with backend='numba', got 2"),
    ("dc-fit-shape", lambda: _dc().fit(np.zeros((2, 5)), [0, 1]), VE, r"DiehlCook: X must have shape \(n, 4\), got \(2, 5\)"),
    ("dc-fit-empty", lambda: _dc().fit(np.zeros((0, 4)), []), VE, r"DiehlCook: X has no samples \(shape \(0, 4\)\)"),
    ("dc-fit-pixels", lambda: _dc().fit(np.full((2, 4), 300.0), [0, 1]), VE, r"DiehlCook: X must be finite pixels in \[0, 255\.0\], got .*300"),
    ("dc-fit-y", lambda: _dc().fit(np.zeros((2, 4)), [0, 1, 2]), VE, r"DiehlCook\.fit: y must have shape \(2,\), got \(3,\)"),
]


def test_catalogue_is_large_and_ids_unique() -> None:
    ids = [e[0] for e in CATALOGUE]
    assert len(ids) >= 120
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("call,exc,pattern", [e[1:] for e in CATALOGUE],
                         ids=[e[0] for e in CATALOGUE])
def test_bad_input_gets_a_clear_error(call: Callable[..., Any], exc: Any, pattern: str,
                                      tmp_path: Any) -> None:
    import inspect

    args = (tmp_path,) if inspect.signature(call).parameters else ()
    with pytest.raises(Exception) as info:
        call(*args)
    err = info.value
    assert isinstance(err, exc), f"{type(err).__name__}: {err}"
    assert not isinstance(err, IndexError), f"bare IndexError: {err}"
    msg = str(err.args[0]) if isinstance(err, KeyError) and err.args else str(err)
    assert re.search(pattern, msg), f"message {msg!r} does not match {pattern!r}"
