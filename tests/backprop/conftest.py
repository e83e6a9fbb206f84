"""Shared settings for the backprop tests.

The models here are tiny; torch's intra-op thread pool only adds synchronisation cost on a
loaded 2-core machine, so each test runs single-threaded (restored afterwards).
"""

import pytest
import torch


@pytest.fixture(autouse=True)
def _single_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
