"""Running a model's Brian2 twin on one of Brian2's targets (shared by the learning models'
``run_*_brian2`` functions): device set-up, the timed run, and for C++ standalone the build,
compile and run in a build directory, with the results fetched before the device is reset."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from typing import Any


def brian2_setup(b2: Any, target: str, dt: float, seed: int) -> None:
    """A fresh scope on ``target`` (``"numpy"``, ``"cython"`` or ``"cpp_standalone"``, built
    later by :func:`brian2_run`), clock ``dt`` (s), Brian2's seed."""
    b2.start_scope()
    if target == "cpp_standalone":
        b2.set_device("cpp_standalone", build_on_run=False)
        b2.device.reinit()
        b2.device.activate(build_on_run=False)
    else:
        b2.set_device("runtime")
        b2.prefs.codegen.target = target
    b2.defaultclock.dt = dt * b2.second
    b2.seed(seed)


def brian2_run(b2: Any, net: Any, duration: float, target: str, build_dir: str | None,
               fetch: Callable[[], Any]) -> tuple[Any, float, dict[str, Any]]:
    """Run ``net`` for ``duration`` s; returns ``(fetch(), wall_s, extra)``. ``extra``:
    ``cpu_s`` (CPU seconds of the run; for C++ standalone the generated main loop's own
    ``std::clock`` timer) and, for C++ standalone, ``compile_s`` (build + compile, in
    ``build_dir`` or a temporary directory; ``wall_s`` is then the binary's run)."""
    extra: dict[str, Any] = {}
    t0, c0 = time.perf_counter(), time.process_time()
    net.run(duration * b2.second, report=None)
    wall = time.perf_counter() - t0
    extra["cpu_s"] = time.process_time() - c0
    if target != "cpp_standalone":
        return fetch(), wall, extra
    with tempfile.TemporaryDirectory(prefix="neurosim_b2_") as tmp:
        d = build_dir or tmp
        t0 = time.perf_counter()
        b2.device.build(directory=d, compile=True, run=False)
        extra["compile_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        b2.device.run(directory=d)
        wall = time.perf_counter() - t0
        extra["cpu_s"] = float(getattr(b2.device, "_last_run_time", wall))
        out = fetch()
    b2.device.reinit()
    b2.set_device("runtime")
    return out, wall, extra
