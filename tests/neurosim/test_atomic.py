"""Atomic writes: all or nothing, and the file mode open() would give."""

import os
import stat

import pytest

from neurosim.atomic import atomic_open, atomic_write_bytes, atomic_write_text, file_mode


def test_write_replaces_and_leaves_no_temp(tmp_path):
    p = tmp_path / "sub" / "f.bin"
    atomic_write_bytes(p, b"one")
    atomic_write_bytes(p, b"two")
    assert p.read_bytes() == b"two"
    assert os.listdir(p.parent) == ["f.bin"]
    assert stat.S_IMODE(p.stat().st_mode) == file_mode()


def test_failure_keeps_the_old_file_and_no_temp(tmp_path):
    p = tmp_path / "f.txt"
    atomic_write_text(p, "old")
    with pytest.raises(RuntimeError), atomic_open(p, "w") as f:
        f.write("half")
        raise RuntimeError("boom")
    assert p.read_text() == "old"
    assert os.listdir(tmp_path) == ["f.txt"]


def test_bad_mode_is_rejected(tmp_path):
    with pytest.raises(ValueError, match=r"mode must be 'wb' or 'w', got 'a'"):
        with atomic_open(tmp_path / "x", "a"):
            pass
