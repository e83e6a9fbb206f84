"""The documentation site: its page generator (fast) and a full ``mkdocs build --strict`` (slow).

``make docs`` runs the same build into ``site/``. The generator (``docs/gen_pages.py``) and
the docstring rewriter (``docs/griffe_rst.py``) are loaded from their files, as MkDocs does.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_docs_{name}", ROOT / "docs" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


gen = _load("gen_pages")


def _nav_files(nav: list[Any]) -> list[str]:
    out = []
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        out += _nav_files(value) if isinstance(value, list) else [value]
    return out


def _config() -> dict[str, Any]:
    yaml = pytest.importorskip("yaml", reason="PyYAML (comes with the docs extra) is needed")
    return yaml.safe_load((ROOT / "mkdocs.yml").read_text())


def test_every_nav_page_exists_or_is_generated() -> None:
    config = _config()
    generated = gen.generated_pages()
    files = _nav_files(gen.expand_nav(config["nav"]))
    missing = [f for f in files if f not in generated and not (ROOT / "docs" / f).is_file()]
    assert not missing, f"nav names pages that neither exist in docs/ nor are generated: {missing}"
    # the hand-written pages the brief asks for
    for page in ("index.md", "getting-started.md", "guide/engine.md", "guide/plasticity.md",
                 "guide/memories.md", "guide/backprop.md", "guide/comparisons.md"):
        assert page in files
    # every generated page is reachable from the nav
    assert sorted(set(generated) - set(files)) == []


def _out_arguments(path: Path) -> list[ast.Call]:
    tree = ast.parse(path.read_text())
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute) and n.func.attr == "add_argument"
            and any(isinstance(a, ast.Constant) and a.value == gen.OUT_FLAG for a in n.args)]


def _writes(path: Path) -> bool:
    """Whether a script writes files: a figure, a report, an exported script."""
    text = path.read_text()
    return bool(re.search(r"savefig\(|\.write\(|write_nir\(|to_brian2_script\(|save_spikes\(",
                          text))


def test_examples_share_one_output_flag_and_never_block() -> None:
    """Every example that writes files takes ``--out DIR`` (default ``output``), says what it
    writes in an ``Output:`` paragraph, and opens no window (no ``plt.show``)."""
    scripts = sorted((ROOT / "examples").glob("*.py"))
    with_out = []
    for path in scripts:
        text = path.read_text()
        assert ".show(" not in text, f"{path.name}: plt.show() blocks a headless run"
        for flag in ("--plot", "--out-dir", "--output"):
            assert f'"{flag}"' not in text, f"{path.name}: use {gen.OUT_FLAG}, not {flag}"
        calls = _out_arguments(path)
        if _writes(path):
            assert len(calls) == 1, f"{path.name} writes files but has no {gen.OUT_FLAG} flag"
        if not calls:
            assert not gen.example_output(path), path.name
            continue
        with_out.append(path.name)
        kw = {k.arg: k.value for k in calls[0].keywords}
        assert isinstance(kw.get("default"), ast.Constant), path.name
        assert kw["default"].value == gen.OUT_DEFAULT, path.name
        assert gen.writes_files(path)
        out = gen.example_output(path)
        assert out, f"{path.name}: no 'Output:' paragraph in the docstring"
        for png in re.findall(r'"([\w.-]+\.png)"', text):          # every figure described
            assert f"<out>/{png}" in out, f"{path.name}: {png} not described"
        if "savefig(" in text:
            assert "matplotlib.use(\"Agg\")" in text or "report" in text, path.name
    assert len(with_out) >= 15


def test_gallery_shows_command_and_output_of_every_example() -> None:
    pages = gen.generated_pages()
    index = pages["examples/index.md"]
    for path in gen.example_files():
        section = index.split(f"### [`{path.name}`]({path.stem}.md)", 1)[1].split("\n### ", 1)[0]
        assert gen._run_line(path) in section, path.name
        assert "**Output.**" in section, path.name
        if path.suffix == ".py" and gen.writes_files(path):
            assert f"python examples/{path.name} {gen.OUT_FLAG} {gen.OUT_DEFAULT}" in section
            assert gen.example_output(path) in section
            page = pages[f"examples/{path.stem}.md"]
            assert f"| `{gen.OUT_FLAG}` `DIR` | `{gen.OUT_DEFAULT}` |" in page, path.name
    assert "## Other" not in index, "give the new example a topic in EXAMPLE_TOPICS"


def test_gallery_lists_every_example_with_its_docstring_and_source() -> None:
    pages = gen.generated_pages()
    index = pages["examples/index.md"]
    scripts = sorted((ROOT / "examples").glob("*.py"))
    assert scripts, "no examples found"
    for path in scripts:
        assert f"[`{path.name}`]({path.stem}.md)" in index, path.name
        page = pages[f"examples/{path.stem}.md"]
        first = (ast.get_docstring(ast.parse(path.read_text())) or "").split("\n\n")[0]
        assert " ".join(first.split()) in page, f"{path.name}: docstring summary missing"
        assert path.read_text().rstrip("\n") in page, f"{path.name}: source not embedded"


def test_fence_outlasts_backticks_in_the_source() -> None:
    assert gen._fence("no ticks") == "```"
    assert gen._fence("a ```` b") == "`````"


def test_api_pages_cover_every_public_module() -> None:
    modules = gen.api_modules()
    found = set()
    for pkg in gen.PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            parts = parts[:-1] if parts[-1] == "__init__" else parts
            if not any(p.startswith("_") for p in parts):
                found.add(".".join(parts))
    assert set(modules) == found
    assert "neurosim.network" in modules and "comparisons.cli" in modules
    pages = gen.generated_pages()
    assert pages["api/neurosim.network.md"].strip() == "::: neurosim.network"
    assert "members: false" in pages["api/neurosim/index.md"]      # no duplicated re-exports
    assert "members: false" in pages["api/neurosim.memory.md"]
    assert "[`neurosim.memory.rbm`](neurosim.memory.rbm.md)" in pages["api/neurosim.memory.md"]
    assert "[`neurosim.memory`](../neurosim.memory.md)" in pages["api/neurosim/index.md"]


def test_api_groups_cover_every_public_module_exactly_once() -> None:
    modules = gen.api_modules()
    groups = gen.group_modules(modules)
    listed = [m for _, mods in groups for m in mods]
    assert sorted(listed) == sorted(modules)                      # each module in one group
    unclaimed = [m for m in modules if not any(g.claims(m) for g in gen.API_GROUPS)]
    assert not unclaimed, f"give these modules a group in docs/gen_pages.py API_GROUPS: {unclaimed}"
    ambiguous = [m for m in modules if sum(g.claims(m) for g in gen.API_GROUPS) > 1]
    assert not ambiguous, f"claimed by more than one group: {ambiguous}"
    assert all(g.slug != gen.OTHER_SLUG for g, _ in groups)
    # no group is empty, slugs are unique within a package, every package has groups
    assert {g.index for g, _ in groups} == {g.index for g in gen.API_GROUPS}
    assert len({g.index for g in gen.API_GROUPS}) == len(gen.API_GROUPS)
    assert {g.package for g in gen.API_GROUPS} == set(gen.PACKAGES)
    pages = gen.generated_pages()
    for g, mods in groups:
        page = pages[g.index]
        assert page.startswith(f"# {g.package}: {g.title}\n")
        lines = [ln for ln in page.splitlines() if ln.startswith("- [`")]
        assert len(lines) == len(mods)                            # one line per module
        for m, line in zip(mods, lines, strict=True):
            assert line.startswith(f"- [`{m}`]("), line
            assert line.split("): ", 1)[1] == gen.module_summary(m), line
            assert gen.module_summary(m), f"{m} has no docstring"
    # the API index links every group page; the private modules stay out
    for g, _ in groups:
        assert f"]({g.index.removeprefix('api/')})" in pages["api/index.md"]
    assert not any("._" in m or m.startswith("_") for m in modules)
    # a few modules where a newcomer would look for them
    where = {m: g.title for g, mods in groups for m in mods}
    assert where["neurosim.neurons.lif"] == "Neurons"
    assert where["neurosim.plasticity.stdp"] == "Synapses & plasticity"
    assert where["neurosim.network"] == where["neurosim.monitors"] == "Network & monitors"
    assert where["neurosim.memory.rbm"] == "Associative memories"
    assert where["backprop.eprop"] == "Spiking (surrogate, e-prop)"
    assert where["backprop.esn"] == "Reservoirs"
    assert where["comparisons.cli"] == "Reports & CLI"
    assert where["comparisons.stats"] == "Protocol & statistics"


def test_nav_nests_modules_under_package_and_group_sections() -> None:
    nav = gen.expand_nav(_config()["nav"])
    api = next(item["API reference"] for item in nav
               if isinstance(item, dict) and "API reference" in item)
    assert api[0] == "api/index.md"
    sections = {next(iter(s)): next(iter(s.values())) for s in api[1:]}
    assert list(sections) == list(gen.PACKAGES)
    for pkg, section in sections.items():
        assert section[0] == f"api/{pkg}/index.md"                  # navigation.indexes
        for group in section[1:]:
            (title, entries), = group.items()
            assert entries[0].endswith("/index.md") and len(entries) >= 1, title
    features = _config()["theme"]["features"]
    assert "navigation.sections" in features and "navigation.indexes" in features


def test_rst_roles_and_math_become_markdown() -> None:
    rst = _load("griffe_rst")
    text = ("Calls :func:`~neurosim.neurons.lif.lif_step` and :class:`Foo`; "
            "rate :math:`r = 1/\\tau`.\n\n.. math::\n\n    a = b\n\n    c = d\n\nExample::\n\n"
            "    x = 1\n")

    class Obj:  # the little of griffe's object model that rewrite() touches
        is_module, is_class, path, parent = True, False, "pkg.mod", None
        module = None

    out = rst.rewrite(text, Obj(), {})
    assert '<autoref identifier="neurosim.neurons.lif.lif_step" optional>' \
           "<code>lif_step()</code></autoref>" in out
    assert "<code>Foo</code>" in out
    assert "$r = 1/\\tau$" in out
    assert "$$\na = b\n$$\n\n$$\nc = d\n$$" in out
    assert "Example:\n" in out and "::" not in out

    doc = ("Parameters\n----------\nx : float\n    kept.\nstate : traces ``x`` (B, n).\n\n"
           "Returns\n-------\nspikes : bool ``(B, n)``.\n``(w, s)``; a new state.\n")
    assert rst._prose_types(doc) == (
        "Parameters\n----------\nx : float\n    kept.\nstate\n    traces ``x`` (B, n).\n\n"
        "Returns\n-------\nspikes :\n    bool ``(B, n)``.\n:\n    ``(w, s)``; a new state.\n")
    # prose after the last parameter becomes a Notes section instead of a bogus parameter
    doc = "Parameters\n----------\na, b : int\nc\n    kept.\n\nAfter :meth:`run`, it holds.\n"
    assert rst._prose_types(doc) == (
        "Parameters\n----------\na, b : int\nc\n    kept.\n\nNotes\n-----\n"
        "After :meth:`run`, it holds.\n")


def test_known_docstring_issues_name_existing_files() -> None:
    for path in gen.KNOWN_DOCSTRING_ISSUES:
        assert (ROOT / path).is_file(), f"{path} is gone; remove it from KNOWN_DOCSTRING_ISSUES"


@pytest.mark.slow
def test_mkdocs_build_strict(tmp_path: Path) -> None:
    """The full site builds with ``--strict`` (CPU ~15 s: slow) and holds the API text."""
    pytest.importorskip("mkdocs", reason="mkdocs is not installed (pip install -e '.[docs]')")
    pytest.importorskip("mkdocstrings_handlers.python",
                        reason="mkdocstrings-python is not installed (pip install -e '.[docs]')")
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d",
                           str(site)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    def page(rel: str) -> str:
        path = site / rel / "index.html" if rel else site / "index.html"
        assert path.is_file(), f"missing page {rel}"
        return path.read_text(encoding="utf-8")

    def text(html: str) -> str:
        return " ".join(re.sub(r"<[^>]+>", " ", html).split())

    assert "make report" in text(page(""))                 # the README, included
    assert "make docs" in text(page("getting-started"))
    network = page("api/neurosim.network")
    assert 'id="neurosim.network.Network.run"' in network   # a method, from its docstring
    assert "A spiking network simulated with one clock" in network
    hop = page("api/neurosim.memory.hopfield")
    assert 'id="neurosim.memory.hopfield.HopfieldNetwork"' in hop
    assert 'class="arithmatex"' in page("api/neurosim.plasticity.stdp")   # math typeset
    assert 'id="backprop.train.Trainer"' in page("api/backprop.train")
    assert 'id="comparisons.sweep.run_suite"' in page("api/comparisons.sweep")
    gallery = page("examples")
    for path in sorted((ROOT / "examples").glob("*.py")):
        assert path.name in gallery
        assert 'id="source"' in page(f"examples/{path.stem}")
    assert "output/hopfield_capacity.png" in text(gallery)
    # the grouped API: a package page (its docstring) and a group page (a line per module)
    assert 'id="neurosim"' in page("api/neurosim")
    neurons = text(page("api/neurosim/neurons"))
    assert "neurosim.neurons.lif : Leaky integrate-and-fire" in neurons
    assert "Neurons" in text(page("api"))
    # a role in a docstring became a link to the object's page
    assert re.search(r'<a class="autorefs autorefs-internal"[^>]*href="[^"]*neurosim\.',
                     network + hop)
