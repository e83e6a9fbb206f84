"""STDP window measured through the engine, for pair (all-to-all, nearest) and triplet rules.

For every post-minus-pre interval one isolated pre/post pair is played through a Network
(pre spike from a SpikeGeneratorGroup, post spike forced by a strong kick), and the weight
change is compared with the rule's exponential window. An exponential is also fitted to the
measured points (scipy ``curve_fit``) and its amplitudes and time constants are compared
with the rule's parameters.

    .venv/bin/python examples/stdp_window.py [--backend numba] [--out output]

Output: ``<out>/stdp_window.png``, the weight change dw / A+ against t_post - t_pre
(-100 to +100 ms) for the three rules: measured points (dots) on the rule's exponential
window (lines), potentiation for positive intervals and depression for negative ones.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from scipy.optimize import curve_fit

from neurosim import LIFParams, Network, NeuronGroup, SpikeGeneratorGroup, Synapses
from neurosim.plasticity import STDP, PairSTDPParams, TripletSTDP, TripletSTDPParams, stdp_window
from neurosim.units import ms, mV

DT = 0.1 * ms


def measure(rule, d_steps, backend):
    n = len(d_steps)
    t0 = 120 * ms
    pre = SpikeGeneratorGroup(n, np.arange(n), np.full(n, t0), name="pre")
    drv = SpikeGeneratorGroup(n, np.arange(n), t0 + (np.asarray(d_steps) - 1) * DT,
                              name="drv")
    post = NeuronGroup(n, LIFParams(), name="post")
    kick = Synapses.one_to_one(drv, post, 40 * mV, target="v", name="kick")
    syn = Synapses.one_to_one(pre, post, 0.5 * mV, target="v", name="plastic")
    syn.attach(rule)
    Network(pre, drv, post, kick, syn, dt=DT, backend=backend, seed=0).run(t0 + 120 * ms)
    return syn.weights - 0.5 * mV


def fit_window(dt_s, dw):
    pos, neg = dt_s > 0, dt_s < 0
    (ap, tp), _ = curve_fit(lambda t, a, tau: a * np.exp(-t / tau), dt_s[pos], dw[pos],
                            p0=(dw[pos].max(), 0.02))
    (am, tm), _ = curve_fit(lambda t, a, tau: -a * np.exp(t / tau), dt_s[neg], dw[neg],
                            p0=(-dw[neg].min(), 0.02))
    return ap, tp, am, tm


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backend", default="numba", help="neurosim backend")
    ap.add_argument("--out", default="output", metavar="DIR",
                    help="folder for the figure (default: output)")
    args = ap.parse_args()
    d = np.concatenate([np.arange(-1000, 0, 25), np.arange(1, 1001, 25)])
    dt_s = d * DT
    u = 1 * mV
    rules = {
        "pair all-to-all": STDP(PairSTDPParams(a_plus=0.01 * u, a_minus=0.0105 * u,
                                               w_max=1 * u)),
        "pair nearest": STDP(PairSTDPParams(a_plus=0.01 * u, a_minus=0.0105 * u, w_max=1 * u,
                                            pairing="nearest", tau_post=34 * ms)),
        "triplet (P&G 2006)": TripletSTDP(TripletSTDPParams(
            a2_plus=6.1e-3 * u, a3_plus=6.7e-3 * u, a2_minus=1.6e-3 * u, a3_minus=1.4e-3 * u,
            w_max=1 * u)),
    }
    out = {}
    print(f"{'rule':<22}{'max |dw - window| / A+':>24}{'fit A+ err':>12}{'fit tau+ err':>14}"
          f"{'fit A- err':>12}{'fit tau- err':>14}")
    for name, rule in rules.items():
        dw = measure(rule, d, args.backend)
        theory = stdp_window(dt_s, rule.params)
        p = rule.params
        a_plus = getattr(p, "a_plus", getattr(p, "a2_plus", None))
        a_minus = getattr(p, "a_minus", getattr(p, "a2_minus", None))
        tau_p = getattr(p, "tau_pre", getattr(p, "tau_plus", None))
        tau_m = getattr(p, "tau_post", getattr(p, "tau_minus", None))
        err = float(np.abs(dw - theory).max() / a_plus)
        fa, ft, fam, ftm = fit_window(dt_s, dw)
        rel = [abs(fa / a_plus - 1), abs(ft / tau_p - 1), abs(fam / a_minus - 1),
               abs(ftm / tau_m - 1)]
        print(f"{name:<22}{err:>24.2e}" + "".join(f"{r:>12.2e}" if k % 2 == 0 else
                                                  f"{r:>14.2e}" for k, r in enumerate(rel)))
        out[name] = {"max_abs_err_rel": err, "fit_rel_err": rel}
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        plt.plot(dt_s / ms, dw / a_plus, ".", label=f"{name} (measured)")
        plt.plot(dt_s / ms, theory / a_plus, "-", lw=0.8)
    plt.xlabel("t_post - t_pre (ms)")
    plt.ylabel("dw / A+")
    plt.legend()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    plt.savefig(out / "stdp_window.png", dpi=120)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
