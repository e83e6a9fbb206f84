"""The README's Python snippets run as written (in a scratch directory)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)


def test_readme_has_python_snippets():
    assert len(BLOCKS) >= 2
    assert any("Network(" in b for b in BLOCKS) and any("run_suite" in b for b in BLOCKS)


@pytest.mark.slow
@pytest.mark.parametrize("k", range(len(BLOCKS)))
def test_readme_snippet_runs(k, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    res = subprocess.run([sys.executable, "-c", BLOCKS[k]], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
