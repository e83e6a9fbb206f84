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


def test_an_unknown_choice_reads_the_same_in_every_package():
    from backprop.utils import check_choice as bp
    from comparisons.validation import check_choice as cmp
    from neurosim.memory.hopfield import _check_choice as hop
    from neurosim.plasticity._params import check_choice as plast
    from neurosim.validation import check_choice

    want = r"^unknown X\.y 'c'; choose from: a, b$"
    for call in (lambda: check_choice("X.y", "c", ("a", "b")), lambda: bp("X.y", "c", ("a", "b")),
                 lambda: cmp("X.y", "c", ("b", "a")), lambda: hop("X", "y", "c", ("a", "b")),
                 lambda: plast("X", "y", "c", ("a", "b"))):
        with pytest.raises(ValueError, match=want):
            call()
    with pytest.raises(TypeError, match=r"^X\.y must be a str, one of: a, b; got int \(3\)$"):
        check_choice("X.y", 3, ("a", "b"))
    assert check_choice("X.y", "b", ("a", "b")) == "b"
