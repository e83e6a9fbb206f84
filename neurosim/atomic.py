"""Atomic file writes: a temporary file in the target's folder, then ``os.replace``.

A reader never sees a half-written file, and a failed write (a full disk, an exception in
the writer) leaves the old file (if any) and no temporary file behind. Every file the three
packages write goes through here: network state (``neurosim.io.save``), NIR graphs, Brian2
scripts, spike-train formats, Diehl & Cook and ``backprop.Trainer`` checkpoints, reports and
Parquet exports.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from typing import IO


def file_mode() -> int:
    """0o666 minus the process umask (the mode ``open()`` would give a new file)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _mkstemp(path: str) -> tuple[int, str]:
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.",
                               suffix=".tmp")
    try:
        os.fchmod(fd, file_mode())     # mkstemp makes 0600; give what open() would
    except BaseException:
        os.close(fd)
        os.unlink(tmp)
        raise
    return fd, tmp


@contextlib.contextmanager
def _replace_on_success(tmp: str, path: str) -> Iterator[None]:
    try:
        yield
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[str]:
    """Yield a temporary path next to ``path``; on success it is renamed onto ``path``.

    For writers that want a file name (e.g. ``nir.write``). Creates the parent folder.
    """
    path = os.fspath(path)
    fd, tmp = _mkstemp(path)
    os.close(fd)
    with _replace_on_success(tmp, path):
        yield tmp


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "wb") -> Iterator[IO]:
    """A file open for writing (``mode`` "wb", or "w": UTF-8 text, newlines untranslated)
    that replaces ``path`` when the block ends without an exception."""
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_open: mode must be 'wb' or 'w', got {mode!r}")
    path = os.fspath(path)
    fd, tmp = _mkstemp(path)
    kw = {"encoding": "utf-8", "newline": ""} if mode == "w" else {}
    with _replace_on_success(tmp, path):
        with os.fdopen(fd, mode, **kw) as f:
            yield f


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_open(path, "wb") as f:
        f.write(data)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_open(path, "w") as f:
        f.write(text)
