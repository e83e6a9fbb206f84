"""Compare an LSTM and a spiking reservoir on binary addition from a script.

Runs 2 learners x 3 seeds (about a minute on a 2-core CPU), keeps every finished run in a
SQLite store (run the script again and nothing is recomputed), measures training memory at
three sequence lengths, and writes the report (HTML, Markdown, JSON, CSV).

    python examples/compare_quickstart.py [--out output]

Output: the report in ``<out>/``: ``index.html`` (self-contained, figures embedded: the test
metric per learner with 95 % intervals over the seeds, energy per sequence under the hardware
profiles, training memory against sequence length), ``report.md`` with its PNG figures,
``results.json`` and ``results.csv``, and the SQLite store ``results.sqlite``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from comparisons import Report, run_suite


def main(out: Path) -> None:
    rows = run_suite(
        tasks=["binary_addition"],
        learners=["lstm", "lif_reservoir"],
        seeds=[0, 1, 2],
        task_params={"binary_addition": {"train_bits": 6, "test_bits": 16, "n_train": 500,
                                         "n_test": 200}},
        learner_params={"lstm": {"epochs": 20, "hidden_size": 8},
                        "lif_reservoir": {"n_neurons": 200}},
        store=out / "results.sqlite",
        threads=1,
    )
    for s in Report(rows).summary():
        e = s["energy_j"].get("cmos45") or {}  # {"min", "typical", "max"} joules
        print(f"{s['task']:<16} {s['learner']:<14} {s['metric']} = {s['mean']:.3f} "
              f"± {s['std']:.3f} (n={s['n_ok']}); E(cmos45) = "
              f"{e.get('typical', float('nan')):.3g} J per sequence "
              f"[{e.get('min', float('nan')):.3g}, {e.get('max', float('nan')):.3g}]")
    paths = Report(rows, title="LSTM vs LIF reservoir").measure_memory((20, 40, 80)).write(out)
    print(f"report: {paths['html']}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="output", metavar="DIR",
                    help="folder for the report and its store (default: output)")
    main(Path(ap.parse_args().out))
