"""One implementation of the shared plumbing across neurosim, backprop and comparisons:
files are replaced atomically in one module, and a device setting is resolved in one."""

import re
from pathlib import Path

import numpy as np
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


# ------------------------------------------------------------------ numeric checks, once
#: A generic int/real check by name: ``check_int``, ``_check_real``, ``check_positive_int``...
GENERIC_CHECK = re.compile(r"^_?check_(int|integer|float|real|number|positive(_int|_real)?|"
                           r"nonneg(ative)?|non_negative|finite|size|tau|time_constant)$")
#: Modules still carrying their own copy (issue 14; this task could not edit them). Shrink only.
OWN_CHECK_TODO: set[tuple[str, str]] = set()
#: Same name, another check: not a parameter's type or range.
NOT_A_PARAMETER_CHECK = {
    ("backprop/train.py", "_check_finite"),  # the training loss (a tensor) went NaN/inf
    ("neurosim/memory/sampling.py", "_check_size"),  # too many units to enumerate exactly
}
#: The type wording of the generic checks, raised by hand (the helpers write it for you).
HAND_WORDING = re.compile(r"must be (an int|an integer|a real number|a positive int|a float|"
                          r"a number|a finite float|a finite number)\b(?! or shape)")
#: Modules that still raise that wording by hand (issue 14, other owners). Shrink only.
HAND_WORDING_TODO: set[str] = set()
HOME = "neurosim/validation.py"


def _trees():
    import ast

    for p in SOURCES:
        rel = p.relative_to(ROOT).as_posix()
        if rel != HOME:
            yield rel, ast.parse(p.read_text(encoding="utf-8"), filename=rel)


def _own_checks(rel, tree):
    """Generic checks in ``tree`` that are not thin wrappers of :mod:`neurosim.validation`:
    they raise, call ``isinstance`` or compare with ``<``/``>`` themselves, or call neither a
    helper imported from neurosim.validation nor another generic check (which is checked)."""
    import ast

    shared = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
              and n.module == "neurosim.validation" for a in n.names}
    for fn in ast.walk(tree):
        if not (isinstance(fn, ast.FunctionDef) and GENERIC_CHECK.match(fn.name)):
            continue
        nodes = [n for stmt in fn.body for n in ast.walk(stmt)]
        calls = {n.func.id if isinstance(n.func, ast.Name) else getattr(n.func, "attr", "")
                 for n in nodes if isinstance(n, ast.Call)}
        compares = any(isinstance(op, (ast.Lt, ast.LtE, ast.Gt, ast.GtE))
                       for n in nodes if isinstance(n, ast.Compare) for op in n.ops)
        delegates = bool(calls & shared) or any(GENERIC_CHECK.match(c) for c in calls)
        if (any(isinstance(n, ast.Raise) for n in nodes) or "isinstance" in calls or compares
                or not delegates):
            yield rel, fn.name


def test_numeric_checks_are_implemented_once():
    """An int/real range check is written once, in neurosim/validation.py; a module that wants
    an ``(owner, name)`` spelling defines a thin wrapper that calls it."""
    found = {hit for rel, tree in _trees() for hit in _own_checks(rel, tree)}
    allowed = OWN_CHECK_TODO | NOT_A_PARAMETER_CHECK
    assert found <= allowed, sorted(found - allowed)


def test_the_own_check_detector_catches_a_copy():
    import ast

    copy = ast.parse("def check_int(name, v, low=1):\n"
                     "    if isinstance(v, bool) or v < low:\n"
                     "        raise ValueError(f'{name} must be >= {low}, got {v}')\n")
    wrapper = ast.parse("from neurosim.validation import check_int as _ci\n"
                        "def check_int(owner, name, v):\n"
                        "    return _ci(f'{owner}.{name}', v, low=1)\n")
    stray = ast.parse("def _check_real(owner, name, v):\n    return float(v)\n")
    assert list(_own_checks("m.py", copy)) == [("m.py", "check_int")]
    assert list(_own_checks("m.py", wrapper)) == []
    assert list(_own_checks("m.py", stray)) == [("m.py", "_check_real")]


def test_the_type_wording_is_not_raised_by_hand():
    import ast

    found = set()
    for rel, tree in _trees():
        for n in ast.walk(tree):
            if isinstance(n, ast.Raise) and n.exc is not None:
                text = "".join(c.value for c in ast.walk(n.exc)
                               if isinstance(c, ast.Constant) and isinstance(c.value, str))
                if HAND_WORDING.search(text):
                    found.add(rel)
    assert found <= HAND_WORDING_TODO, sorted(found - HAND_WORDING_TODO)


def _wrappers():
    from backprop.utils import check_positive_int
    from comparisons.validation import check_float as cmp_real
    from comparisons.validation import check_int as cmp_int
    from neurosim.memory.boltzmann import check_float as bm_real
    from neurosim.memory.boltzmann import check_int as bm_int
    from neurosim.memory.hopfield import _check_int as hop_int
    from neurosim.memory.hopfield import _check_real as hop_real
    from neurosim.neurons.base import check_positive
    from neurosim.neurons.group import check_size
    from neurosim.validation import check_int, check_real

    ints = [lambda v: check_int("X.n", v, low=1), lambda v: cmp_int("X.n", v, low=1),
            lambda v: hop_int("X", "n", v), lambda v: bm_int("X", "n", v, 1),
            lambda v: check_positive_int("X.n", v), lambda v: check_size("X", v)]
    reals = [lambda v: check_real("X.n", v, low=0, low_open=True),
             lambda v: cmp_real("X.n", v, low=0, low_open=True),
             lambda v: hop_real("X", "n", v, low=0, low_open=True),
             lambda v: bm_real("X", "n", v, 0, low_open=True),
             lambda v: check_positive("X", "n", v)]
    return ints, reals


def test_a_bad_number_reads_the_same_in_every_package():
    ints, reals = _wrappers()
    for call in ints:
        with pytest.raises(ValueError, match=r"^X\.n must be >= 1, got 0$"):
            call(0)
        with pytest.raises(TypeError, match=r"^X\.n must be an int, got float \(2\.5\)$"):
            call(2.5)
        with pytest.raises(TypeError, match=r"^X\.n must be an int, got bool \(True\)$"):
            call(True)
        assert call(np.int64(3)) in (3, None) and call(3) in (3, None)
    for call in reals:
        with pytest.raises(ValueError, match=r"^X\.n must be > 0, got -1\.0$"):
            call(-1.0)
        with pytest.raises(ValueError, match=r"^X\.n must be finite, got nan$"):
            call(float("nan"))
        with pytest.raises(ValueError, match=r"^X\.n must be finite, got inf$"):
            call(np.float32("inf"))
        with pytest.raises(TypeError, match=r"^X\.n must be a real number, got str \('1'\)$"):
            call("1")
        with pytest.raises(TypeError, match=r"^X\.n must be a real number, got bool"):
            call(False)
        assert call(np.float64(0.5)) in (0.5, None)


def test_ranges_none_and_infinite_values():
    from neurosim.plasticity._params import check_nonneg
    from neurosim.plasticity._params import check_real as plast_real
    from neurosim.validation import check_int, check_real, describe_range

    assert describe_range(0, 1, high_open=True) == "in [0, 1)"
    assert describe_range(0.0, None, low_open=True) == "> 0.0"
    assert describe_range(None, 50) == "<= 50"
    assert describe_range(-np.inf, np.inf) == ""
    with pytest.raises(ValueError, match=r"^T\.momentum must be in \[0, 1\), got 1\.0$"):
        check_real("T.momentum", 1, low=0, high=1, high_open=True)
    with pytest.raises(ValueError, match=r"^M\.washout must be in \[0, 199\], got 500$"):
        check_int("M.washout", 500, low=0, high=199)
    with pytest.raises(TypeError, match=r"^a\.b must be an int or None, got str \('x'\)$"):
        check_int("a.b", "x", allow_none=True)
    assert check_int("a.b", None, allow_none=True) is None
    assert check_real("a.b", None, allow_none=True) is None
    assert check_real("w", np.inf, finite=False) == np.inf  # a weight bound may be infinite
    assert plast_real("P", "w_max", float("inf")) == float("inf")
    with pytest.raises(ValueError, match=r"^P\.w_max must not be NaN, got nan$"):
        plast_real("P", "w_max", float("nan"))
    with pytest.raises(ValueError, match=r"^P\.a_plus must be >= 0, got -0\.1$"):
        check_nonneg("P", "a_plus", -0.1)
    assert type(check_int("n", np.int32(4))) is int and type(check_real("x", 1)) is float
