"""Repository-wide pytest configuration: marker-based skips.

- ``gpu``: skipped when CUDA is not available.
- ``brian2``: skipped only when brian2 cannot be imported (``make test`` installs it).
"""

from __future__ import annotations

import importlib.util
import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


def _has_cuda() -> bool:
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a hard dependency
        return False
    return bool(torch.cuda.is_available())


def pytest_collection_modifyitems(config, items):
    has_brian2 = importlib.util.find_spec("brian2") is not None
    has_cuda = _has_cuda()
    skip_gpu = pytest.mark.skip(reason="needs CUDA (torch.cuda.is_available() is False)")
    skip_b2 = pytest.mark.skip(reason="brian2 is not installed (pip install neurosim[brian2])")
    for item in items:
        if "gpu" in item.keywords and not has_cuda:
            item.add_marker(skip_gpu)
        if "brian2" in item.keywords and not has_brian2:
            item.add_marker(skip_b2)



def pytest_configure(config):
    # Brian2 logs every code object at DEBUG level; formatting those records costs most of
    # a small Brian2 test's time.
    import logging

    logging.getLogger("brian2").setLevel(logging.WARNING)
    # Small models run fastest single-threaded, and a 2-core CI machine shared with other
    # processes makes torch's intra-op thread pool spin (measured: 5 ms vs 220 ms per LSTM
    # step under load). Tests assert values, never wall times.
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:  # pragma: no cover
        pass
