"""One implementation of the shared plumbing across neurosim, backprop and comparisons:
files are replaced atomically in one module, and a device setting is resolved in one."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(p for pkg in ("neurosim", "backprop", "comparisons")
                 for p in (ROOT / pkg).rglob("*.py"))


@pytest.mark.parametrize("pattern, home", [
    (r"\bos\.replace\(|\bos\.rename\(", "neurosim/atomic.py"),
    (r"^\s*def resolve_device\(", "neurosim/devices.py"),
])
def test_shared_plumbing_lives_in_one_module(pattern, home):
    assert SOURCES, "no package sources found"
    found = {p.relative_to(ROOT).as_posix() for p in SOURCES
             if re.search(pattern, p.read_text(encoding="utf-8"), re.MULTILINE)}
    # neurosim.backends keeps its name for the spelling-only check, delegating to devices
    allowed = {home} | ({"neurosim/backends/__init__.py"} if "resolve_device" in pattern
                        else set())
    assert found <= allowed and home in found, sorted(found - allowed)
