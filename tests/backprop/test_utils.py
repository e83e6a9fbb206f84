"""Tests for backprop.utils: device resolution, seeding, sequence shape checks."""

import pytest
import torch

from backprop.utils import check_sequence, layout_hint, resolve_device, seeded


def test_auto_is_cpu_without_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    assert resolve_device() == torch.device("cpu")


def test_auto_is_cuda_when_available(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto").type == "cuda"


def test_cuda_requested_but_absent_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match=r"device='cuda'.*CUDA is not available"):
        resolve_device("cuda")
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        resolve_device(torch.device("cuda:0"))


def test_bad_device_names():
    with pytest.raises(ValueError, match=r"unknown device 'gpu'; choose from: auto, cpu, cuda"):
        resolve_device("gpu")
    with pytest.raises(TypeError, match="device must be a str or torch.device"):
        resolve_device(3)


def test_seeded_is_reproducible_and_restores_outer_rng():
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    with seeded(7):
        a = torch.rand(5)
    with seeded(7):
        b = torch.rand(5)
    assert torch.equal(a, b)
    assert torch.equal(torch.rand(3), expected_next)  # outer stream untouched


def test_seeded_rejects_non_int():
    with pytest.raises(TypeError, match="seed must be an int"):
        with seeded(1.5):
            pass


def test_check_sequence_accepts_and_returns_input():
    x = torch.randn(5, 3, 8)
    assert check_sequence(x, 8) is x
    assert check_sequence(x.transpose(0, 1), 8, batch_first=True) is not None


@pytest.mark.parametrize(
    ("shape", "batch_first", "pattern"),
    [
        ((5, 8), False, r"rank 3 with shape \(T, B, 8\), got \(5, 8\).*unsqueeze\(1\)"),
        ((5, 8), True, r"\(B, T, 8\).*unsqueeze\(0\)"),
        ((5, 3, 2), False, r"expected x of shape \(T, B, 8\), got \(5, 3, 2\)"),
        ((8, 3, 5), False, r"features seem to be on axis 0"),
        ((0, 3, 8), False, r"empty sequence.*T = 0"),
        ((5, 0, 8), False, r"empty batch.*B = 0"),
        ((3, 0, 8), True, r"empty sequence.*T = 0"),
    ],
)
def test_check_sequence_errors(shape, batch_first, pattern):
    with pytest.raises(ValueError, match=pattern):
        check_sequence(torch.zeros(shape), 8, batch_first=batch_first)


def test_check_sequence_type_errors():
    with pytest.raises(TypeError, match="torch.Tensor"):
        check_sequence([[1.0]], 8)
    with pytest.raises(TypeError, match="floating-point"):
        check_sequence(torch.zeros(5, 3, 8, dtype=torch.int64), 8)


def test_layout_hint_names_batch_first():
    # time-major expected, but (B=32, T=100, F) given and the batch size 32 is known
    hint = layout_hint((32, 100, 8), 32, batch_first=False)
    assert "batch_first=True" in hint and "(B, T, F)" in hint
    assert layout_hint((100, 32, 8), 32, batch_first=False) == ""
