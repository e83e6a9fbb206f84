"""The HTML report renders in a real browser (headless Chromium from Debian's packages).

Set-up: Chromium is looked up on PATH (``chromium``, ``chromium-browser``, ``google-chrome``);
if it is missing and we are root on a Debian/Ubuntu machine, ``apt-get install -y chromium``
is tried once. The tests skip, saying why, only if no browser can be had.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from comparisons.report import Report

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars"]


def _find() -> str | None:
    return next((p for p in map(shutil.which, BROWSERS) if p), None)


def _install() -> str:
    """Try to install Debian's chromium; returns a reason when that is impossible."""
    if os.geteuid() != 0:
        return "not root, cannot apt-get install chromium"
    if shutil.which("apt-get") is None:
        return "no apt-get on this machine"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        for cmd in (["apt-get", "update", "-qq"],
                    ["apt-get", "install", "-y", "-qq", "--no-install-recommends",
                     "chromium"]):
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=env)
            if res.returncode != 0:
                return f"`{' '.join(cmd)}` failed: {res.stderr.strip()[-300:]}"
    except (OSError, subprocess.SubprocessError) as exc:
        return f"apt-get failed: {exc}"
    return ""


@pytest.fixture(scope="module")
def browser() -> str:
    path = _find()
    if path is None:
        why = _install()
        path = _find()
        if path is None:
            pytest.skip("headless Chromium is not installed and could not be installed "
                        f"({why or 'no chromium binary after apt-get'}); install the Debian "
                        "package `chromium` to run the browser check")
    return path


def _rows() -> list[dict]:
    rng = np.random.default_rng(0)
    rows = []
    for learner, family, base in (("lstm", "backprop", 0.9), ("lif_reservoir", "spiking", 0.7),
                                  ("gru", "backprop", 0.85)):
        for seed in range(3):
            ops = {"mac": 1e4 * (1 + seed), "ac": 10.0, "mem_read_bytes": 4e4,
                   "mem_write_bytes": 1e3}
            if family == "spiking":
                ops.update(spikes=50.0, synaptic_events=500.0, neuron_updates=4000.0)
            from comparisons.runner import _energy

            row = {
                "task": "binary_addition", "learner": learner, "seed": seed,
                "family": family, "config_hash": f"{learner}{seed}",
                "metric": "accuracy", "higher_is_better": True,
                "metrics": {"accuracy": base + 0.02 * seed}, "chance": {"accuracy": 0.5},
                "ops": ops, "energy_j": _energy(ops, True, 400),
                "energy_compute_j": _energy(ops, False), "hardware": {"footprint_bytes": 400},
                "train_memory_bytes": 1000,
                "params": 100, "wall_s": 1.0, "fit_s": 0.9, "status": "ok", "error": None,
                "scorecard": {"binary_spikes": family == "spiking"},
                "history": [] if family == "spiking" else list(np.exp(-np.arange(10) / 4)),
                "versions": {}, "device": "cpu", "readout": "ridge",
            }
            if family == "spiking":
                t = np.sort(rng.integers(0, 200, 400))
                row["artifacts"] = {"raster_t": t, "raster_i": rng.integers(0, 50, 400),
                                    "weights": {"w_in": rng.normal(size=200),
                                                "w_rec": rng.lognormal(size=300)}}
            rows.append(row)
    rows.append({"task": "adding", "learner": "<b>hopfield</b>", "seed": 0, "config_hash": "s",
                 "status": "skipped", "error": "real-valued targets <not> supported",
                 "metric": "mse"})
    rows.append({"task": "binary_addition", "learner": "boom", "seed": 0, "config_hash": "f",
                 "status": "failed", "error": "Traceback...\nRuntimeError: <script>x</script>",
                 "metric": "accuracy", "family": "classical"})
    return rows


MEMORY = [{"learner": name, "learner_hash": "h", "probe_task": "adding", "length": T,
           "train_memory_bytes": b, "status": "ok", "error": None}
          for name, per_t in (("lstm", 400), ("lif_reservoir", 0)) for T in (25, 50, 100)
          for b in [per_t * T + 3000]]

PROBE = """<script>window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var b = document.body;
  b.setAttribute('data-images', imgs.length);
  b.setAttribute('data-decoded', imgs.filter(function (i) {
    return i.complete && i.naturalWidth > 0; }).length);
  b.setAttribute('data-overflow', document.documentElement.scrollWidth > window.innerWidth);
  b.setAttribute('data-tables', document.querySelectorAll('table').length);
});</script>"""


def _run(browser: str, args: list[str], tmp: Path) -> subprocess.CompletedProcess:
    res = subprocess.run([browser, *FLAGS, f"--user-data-dir={tmp / 'profile'}", *args],
                         capture_output=True, text=True, timeout=180)
    assert res.returncode == 0, res.stderr[-2000:]
    return res


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report")
    Report(_rows(), title="browser <check>", meta={"preset": "test"}, memory=MEMORY).write(out)
    return out


def test_report_renders_with_every_figure_decoded(browser, report_dir, tmp_path):
    html = (report_dir / "index.html").read_text()
    assert "<script" not in html.lower()  # the report itself runs no code
    n_img = html.count("<img ")
    assert n_img >= 7  # accuracy, pareto, breakdown, curves, raster, weights, memory
    # a copy with a probe script reports what the browser decoded and laid out
    probe = tmp_path / "probe.html"
    probe.write_text(html.replace("</body>", PROBE + "</body>"))
    res = _run(browser, ["--virtual-time-budget=10000", "--window-size=1280,2000",
                         "--dump-dom", probe.as_uri()], tmp_path)
    dom = res.stdout
    assert f'data-images="{n_img}"' in dom
    assert f'data-decoded="{n_img}"' in dom, "some embedded figures did not decode"
    assert 'data-overflow="false"' in dom, "the page is wider than a 1280 px window"
    assert "browser &lt;check&gt;" in dom and "Biological-plausibility scorecard" in dom
    assert "<b>hopfield</b>" not in dom and "&lt;b&gt;hopfield&lt;/b&gt;" in dom
    n_tables = int(dom.split('data-tables="')[1].split('"')[0])
    assert n_tables >= 8


def test_screenshot_is_not_blank(browser, report_dir, tmp_path):
    import matplotlib.image as mpimg

    shot = tmp_path / "shot.png"
    _run(browser, ["--window-size=1280,3000", f"--screenshot={shot}",
                   (report_dir / "index.html").as_uri()], tmp_path)
    img = mpimg.imread(shot)[..., :3]
    assert img.shape[:2] == (3000, 1280)
    ink = (img < 0.9).any(axis=2)
    assert 0.02 < ink.mean() < 0.6, f"{ink.mean():.3f} of the page has ink"
    colourful = (img.max(axis=2) - img.min(axis=2)) > 0.3
    assert colourful.mean() > 0.002  # the figures' coloured marks are on screen
    assert ink[:120].mean() > 0.01  # the title is at the top
    if os.environ.get("NEUROSIM_KEEP_SCREENSHOT"):
        shutil.copy(shot, os.environ["NEUROSIM_KEEP_SCREENSHOT"])


def test_markdown_links_existing_figures(report_dir):
    md = (report_dir / "report.md").read_text()
    links = [line.split("](")[1].rstrip(")") for line in md.splitlines()
             if line.startswith("![")]
    assert len(links) >= 7
    for link in links:
        assert (report_dir / link).is_file(), link
    data = json.loads((report_dir / "results.json").read_text())
    assert len(data["rows"]) == 11 and len(data["memory_vs_length"]) == 6
