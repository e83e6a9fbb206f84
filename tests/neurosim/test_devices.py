"""neurosim.devices: one rule for a ``device`` setting across neurosim, backprop and
comparisons (the same answers and the same errors everywhere)."""

import os
import subprocess
import sys

import pytest
import torch

import backprop.utils
import neurosim.backends
import neurosim.memory.boltzmann
import neurosim.memory.hopfield
from neurosim.devices import CHOICES, device_name, resolve_device


def test_every_package_uses_the_one_resolver():
    for mod in (backprop.utils, neurosim.memory.hopfield, neurosim.memory.boltzmann):
        assert mod.resolve_device is resolve_device
    with pytest.raises(ValueError, match=r"unknown device 'tpu'; choose from: auto, cpu, cuda, "
                                         r"cuda:<index>, mps"):
        neurosim.backends.resolve_device("tpu")
    for f in (resolve_device, device_name):
        with pytest.raises(ValueError, match=r"unknown device 'tpu'; choose from: " +
                           ", ".join(CHOICES)):
            f("tpu")
        with pytest.raises(TypeError, match=r"device must be a str or torch.device, got int"):
            f(3)


def test_auto_and_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu") == resolve_device("cpu")
    assert device_name("auto") == "cpu" == device_name(torch.device("cpu"))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("cuda") and device_name("auto") == "cuda"


def test_missing_cuda_is_an_error_unless_only_the_spelling_is_checked(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    for f in (resolve_device, device_name):
        with pytest.raises(RuntimeError, match=r"device='cuda:1' was requested but CUDA is not "
                                               r"available"):
            f("cuda:1")
    assert device_name("cuda:1", check_available=False) == "cuda:1"
    with pytest.raises(ValueError, match="unknown device 'cuda:x'"):
        device_name("cuda:x", check_available=False)


@pytest.mark.skipif(os.path.exists("/proc/driver/nvidia/version") or
                    not sys.platform.startswith("linux"), reason="needs a machine without an "
                    "NVIDIA driver")
def test_auto_without_a_driver_does_not_import_torch():
    code = ("import sys; from neurosim.devices import device_name; "
            "print(device_name('auto'), 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["cpu", "False"]
