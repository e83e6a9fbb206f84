"""MkDocs hook: generates the API reference pages and the examples gallery at build time.

Registered in ``mkdocs.yml`` under ``hooks:``. Nothing is imported or executed: module names
come from the file tree, module and example descriptions from :func:`ast.get_docstring`,
an example's options from its ``add_argument`` calls, and the example source is embedded
verbatim (the examples can take minutes; the gallery never runs them and draws no figures).

API reference, grouped by package and topic (:data:`API_GROUPS`):

- ``api/index.md``: every package and its topic groups, one line each;
- ``api/<package>/index.md``: the package page (its docstring, without the re-exported
  members) followed by its groups; it is the index page of the package's nav section;
- ``api/<package>/<group>/index.md``: one line per module of the group (the first paragraph
  of its docstring); the index page of the group's nav section;
- ``api/<module>.md``: one page per other public module (no path component starting with
  ``_``), holding a ``::: module`` directive that mkdocstrings renders from the numpydoc
  docstrings.

A public module that no group claims lands in an "Other" group of its package, so the site
still builds; ``tests/test_docs.py`` fails until it is given a group.

Examples gallery:

- ``examples/index.md``: every ``examples/*.py`` (and ``examples/*.toml``) by topic
  (:data:`EXAMPLE_TOPICS`): what it shows (the docstring's first paragraph), the command
  that runs it, and what it writes under ``--out`` (the docstring's ``Output:`` paragraph);
- ``examples/<name>.md``: the same, the rest of the docstring, its options, and its source.

The nav entries ``API reference`` and ``Examples`` in ``mkdocs.yml`` are expanded into
sections listing the generated pages.
"""

from __future__ import annotations

import ast
import logging
import re
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("neurosim", "backprop", "comparisons")
API_NAV = "API reference"
EXAMPLES_NAV = "Examples"

# Source files whose docstrings trip griffe's numpydoc parser in a way docs/griffe_rst.py does
# not repair, as {path: what}: their parser warnings are not counted by ``mkdocs build
# --strict`` (any other file's still fail it). Empty now; an escape hatch, each entry a TODO.
KNOWN_DOCSTRING_ISSUES: dict[str, str] = {}

# The examples' common output flag: every example that writes a file (a figure, a report,
# a script) takes ``--out DIR`` and writes under it; ``output/`` is git-ignored.
OUT_FLAG = "--out"
OUT_DEFAULT = "output"


class Group(NamedTuple):
    """A topic of one package's API: a slug (its folder), a title, a blurb and patterns.

    A pattern ``"a.b"`` claims the module ``a.b``; ``"a.b*"`` also every module below it.
    The group's page lists its modules in the order of the patterns that claim them.
    """

    package: str
    slug: str
    title: str
    blurb: str
    patterns: tuple[str, ...]

    def rank(self, module: str) -> int | None:
        """Index of the first pattern that claims ``module`` (None: not claimed)."""
        for k, p in enumerate(self.patterns):
            if module == p.rstrip("*") or (p.endswith("*") and module.startswith(p[:-1] + ".")):
                return k
        return None

    def claims(self, module: str) -> bool:
        return self.rank(module) is not None

    @property
    def index(self) -> str:
        """Docs-relative path of the group's index page."""
        return f"api/{self.package}/{self.slug}/index.md"


def _groups(package: str, *rows: tuple[str, str, str, tuple[str, ...]]) -> list[Group]:
    return [Group(package, slug, title, blurb, patterns) for slug, title, blurb, patterns in rows]


API_GROUPS: list[Group] = [
    *_groups(
        "neurosim",
        ("core", "Package, units & helpers",
         "The top-level namespace (`from neurosim import Network, LIFParams, ...`), SI units "
         "and the checks and device handling shared by all three packages.",
         ("neurosim", "neurosim.units", "neurosim.devices", "neurosim.validation")),
        ("neurons", "Neurons",
         "Neuron models (a parameter dataclass, a state and a pure `step`), the "
         "`NeuronGroup` that holds a population, and input groups.",
         ("neurosim.neurons*",)),
        ("synapses", "Synapses & plasticity",
         "Projections between groups (connectivity, weights, delays, targets), the "
         "plasticity rules that attach to them, and the learning models built from them.",
         ("neurosim.synapses", "neurosim.plasticity*", "neurosim.learning*")),
        ("network", "Network & monitors",
         "The `Network` that runs groups, synapses and monitors on one clock; what a run "
         "records (monitors, op counters) and plots of it.",
         ("neurosim.network", "neurosim.monitors", "neurosim.counters", "neurosim.plotting")),
        ("backends", "Backends",
         "How a network is run: the registry, the array (numpy / torch) backends and the "
         "compiled numba loop. Model code never imports these.",
         ("neurosim.backends*",)),
        ("memory", "Associative memories",
         "Hopfield networks (classical, modern, spiking) and Boltzmann machines (BM, RBM, "
         "DBM) with the scikit-learn estimator contract; sampling and textbook experiments.",
         ("neurosim.memory*",)),
        ("interop", "Interop & I/O",
         "Brian2 and NIR export / import, spike and monitor files, saved network state, "
         "the digit data sets and atomic file writes.",
         ("neurosim.interop*", "neurosim.io", "neurosim.datasets", "neurosim.atomic")),
    ),
    *_groups(
        "backprop",
        ("core", "Package, data & helpers",
         "The top-level namespace (`from backprop import LSTM, Trainer`), the small offline "
         "data sets of the demonstrations, and shared helpers.",
         ("backprop", "backprop.data", "backprop.utils")),
        ("recurrent", "Recurrent nets & training",
         "Elman RNN / LSTM / GRU models and cells, encoder-decoder, the BPTT trainer with its "
         "settings, losses and checkpoints, Hessian-free, and gradient diagnostics.",
         ("backprop.models", "backprop.cells", "backprop.seq2seq", "backprop.train",
          "backprop.train_config", "backprop.losses", "backprop.checkpoint",
          "backprop.hessian_free", "backprop.diagnostics", "backprop.rnn_rules")),
        ("spiking", "Spiking (surrogate, e-prop)",
         "Spiking networks trained by gradients: surrogate-gradient LIF layers (and their "
         "fused kernels), e-prop and the other rules of the recurrent spiking family "
         "(BPTT, truncated BPTT, readout only), and NIR export of the trained nets.",
         ("backprop.snn", "backprop.snn_fused", "backprop.neuron_math", "backprop.surrogate",
          "backprop.eprop", "backprop.rsnn_rules", "backprop.nir")),
        ("reservoirs", "Reservoirs",
         "Echo state networks: a fixed random reservoir with a trained readout.",
         ("backprop.esn",)),
    ),
    *_groups(
        "comparisons",
        ("core", "Package & helpers",
         "The top-level namespace (`from comparisons import run_suite, Report`) and the "
         "package's argument checks.",
         ("comparisons", "comparisons.validation")),
        ("tasks", "Tasks",
         "The sequence tasks, generated offline from a seed, their splits and spike "
         "encodings.",
         ("comparisons.tasks*",)),
        ("learners", "Learners",
         "Adapters that put every model (backprop, spiking, memory, classical) behind one "
         "`fit` / `evaluate` protocol.",
         ("comparisons.learners*",)),
        ("protocol", "Protocol & statistics",
         "How a comparison is run: declared search spaces, equal-budget tuning, cells and "
         "sweeps, the results store, and the statistics over seeds.",
         ("comparisons.protocol", "comparisons.space", "comparisons.tuning",
          "comparisons.runner", "comparisons.sweep", "comparisons.store",
          "comparisons.stats")),
        ("metrics", "Energy & metrics",
         "Op counts, energy under hardware profiles, measured GPU energy, hardware cost and "
         "training memory.",
         ("comparisons.metrics*",)),
        ("reports", "Reports & CLI",
         "HTML / Markdown / JSON / CSV reports and their figures and tables; the "
         "`neurosim-compare` command line, its TOML configurations and presets.",
         ("comparisons.report*", "comparisons.cli", "comparisons.config",
          "comparisons.presets")),
    ),
]

OTHER_SLUG = "other"

# Topics of the examples gallery, in order: (title, file-name prefixes).
EXAMPLE_TOPICS: list[tuple[str, tuple[str, ...]]] = [
    ("Spiking engine", ("engine_",)),
    ("Plasticity and unsupervised learning", ("stdp_", "diehl_cook")),
    ("Associative memories", ("hopfield_", "boltzmann_", "rbm_")),
    ("Backprop, and spiking nets trained by gradients", ("bp_", "snn_")),
    ("Comparisons", ("tasks_", "compare_")),
    ("Interop", ("brian2_", "nir_")),
]


# -- what to generate (pure functions; the tests call them) --------------------------------
def api_modules(root: Path = ROOT) -> list[str]:
    """Dotted names of the public modules and packages, packages first within each package."""
    names = []
    for pkg in PACKAGES:
        for path in sorted((root / pkg).rglob("*.py")):
            rel = path.relative_to(root).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if "__pycache__" in parts or any(p.startswith("_") for p in parts):
                continue
            names.append(".".join(parts))
    return sorted(set(names), key=lambda n: (n.split(".")[:-1], n.count("."), n))


def group_modules(modules: list[str]) -> list[tuple[Group, list[str]]]:
    """Each non-empty group with its modules, in :data:`API_GROUPS` order.

    A module goes to the first group that claims it (listed in the order of the group's
    patterns, then by name); modules no group claims go to an "Other" group at the end of
    their package.
    """
    claimed: dict[str, list[str]] = {}
    other: dict[str, list[str]] = {}
    for m in modules:
        g = next((g for g in API_GROUPS if g.claims(m)), None)
        if g is None:
            other.setdefault(m.split(".")[0], []).append(m)
        else:
            claimed.setdefault(g.index, []).append(m)
    out = []
    for pkg in PACKAGES:
        out += [(g, sorted(claimed[g.index], key=lambda m, g=g: (g.rank(m), m)))
                for g in API_GROUPS if g.package == pkg and g.index in claimed]
        if pkg in other:
            out.append((Group(pkg, OTHER_SLUG, "Other",
                              "Modules not yet given a topic in docs/gen_pages.py.", ()),
                        other[pkg]))
    return out


def module_path(module: str, root: Path = ROOT) -> Path:
    """The source file of a module or package."""
    base = root / module.replace(".", "/")
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def _markdown_roles(text: str) -> str:
    """``:mod:`~a.b``` -> ```b```, ``:class:`a.B``` -> ```a.B```: Sphinx roles as code."""
    def repl(m: re.Match[str]) -> str:
        target = m.group(1)
        return f"`{target.rsplit('.', 1)[-1] if target.startswith('~') else target}`"

    return re.sub(r":[a-z]+:`([^`]+)`", repl, text)


def module_summary(module: str, root: Path = ROOT) -> str:
    """The first paragraph of a module's docstring, on one line, roles as code."""
    path = module_path(module, root)
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return _markdown_roles(" ".join(doc.strip().split("\n\n", 1)[0].split()))


def api_doc(module: str) -> str:
    """Docs-relative path of a module's page (a top-level package's page is its index)."""
    return f"api/{module}/index.md" if module in PACKAGES else f"api/{module}.md"


def _rel(target: str, start: str) -> str:
    """Link from the page ``start`` to the page ``target`` (both docs-relative)."""
    a, b = Path(start).parent.parts, Path(target).parts
    k = 0
    while k < min(len(a), len(b) - 1) and a[k] == b[k]:
        k += 1
    return "/".join([".."] * (len(a) - k) + list(b[k:]))


def _module_lines(modules: list[str], page: str, root: Path) -> list[str]:
    return [f"- [`{m}`]({_rel(api_doc(m), page)}): {module_summary(m, root)}" for m in modules]


def is_package(module: str, root: Path = ROOT) -> bool:
    return (root / module.replace(".", "/") / "__init__.py").is_file()


def api_page(module: str, modules: list[str], root: Path = ROOT) -> str:
    """Markdown for one module: the mkdocstrings directive.

    A package page shows the package docstring and links to its submodules; the names it
    re-exports are documented on the pages of the modules that define them. A top-level
    package's page also lists its topic groups.
    """
    if not is_package(module, root):
        return f"::: {module}\n"
    page = api_doc(module)
    lines = [f"::: {module}", "    options:", "      members: false", ""]
    if module in PACKAGES:
        lines += ["## Topics", ""]
        for g, mods in group_modules(modules):
            if g.package == module:
                lines += [f"### [{g.title}]({_rel(g.index, page)})", "", g.blurb, ""]
                lines += _module_lines(mods, page, root) + [""]
        return "\n".join(lines)
    subs = [m for m in modules if m != module and m.rsplit(".", 1)[0] == module]
    if subs:
        lines += ["## Submodules", ""] + [f"- [`{m}`]({_rel(api_doc(m), page)})"
                                          for m in subs] + [""]
    return "\n".join(lines)


def group_page(group: Group, modules: list[str], root: Path = ROOT) -> str:
    """Markdown for one group: its blurb and one line per module."""
    lines = [f"# {group.package}: {group.title}", "", group.blurb, ""]
    lines += _module_lines(modules, group.index, root)
    return "\n".join(lines) + "\n"


def api_index(modules: list[str], root: Path = ROOT) -> str:
    rows = ["# API reference", "",
            "One page per public module, generated from the numpydoc docstrings, grouped by "
            "package and topic. The packages re-export their main names (`from neurosim "
            "import Network`); each object is documented on the page of the module that "
            "defines it. Dependencies point one way: `comparisons` -> `backprop` -> "
            "`neurosim`.", ""]
    page = "api/index.md"
    groups = group_modules(modules)
    for pkg in PACKAGES:
        rows += [f"## [{pkg}]({_rel(api_doc(pkg), page)})", "", module_summary(pkg, root), "",
                 "| topic | modules | what is there |", "|---|---|---|"]
        for g, mods in groups:
            if g.package == pkg:
                rows.append(f"| [{g.title}]({_rel(g.index, page)}) | {len(mods)} | "
                            f"{_escape_table(g.blurb)} |")
        rows.append("")
    return "\n".join(rows)


# -- examples -------------------------------------------------------------------------------
def example_files(root: Path = ROOT) -> list[Path]:
    """Every example script (and sweep config) in ``examples/``, private helpers excluded."""
    ex = root / "examples"
    return sorted(p for p in [*ex.glob("*.py"), *ex.glob("*.toml")]
                  if not p.name.startswith("_"))


def _docstring(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".py":
        return ast.get_docstring(ast.parse(text)) or ""
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    return "\n".join(lines)


def _paragraphs(path: Path) -> list[str]:
    return [p for p in re.split(r"\n\s*\n", _docstring(path).strip()) if p.strip()]


def _summary(path: Path) -> tuple[str, str]:
    """``(first paragraph, rest)`` of a script's docstring (a TOML file's leading comments),
    the ``Output:`` paragraph left out of ``rest``."""
    paras = _paragraphs(path)
    head = " ".join(paras[0].split()) if paras else ""
    rest = [p for p in paras[1:] if not p.startswith("Output:")]
    return head, "\n\n".join(rest)


def example_output(path: Path) -> str:
    """The ``Output:`` paragraph of an example's docstring (what it writes), on one line."""
    for p in _paragraphs(path):
        if p.startswith("Output:"):
            return " ".join(p[len("Output:"):].split())
    return ""


class Option(NamedTuple):
    flags: tuple[str, ...]
    default: str | None
    help: str
    metavar: str


def example_options(path: Path) -> list[Option]:
    """The command-line options an example defines (its ``add_argument`` calls, read by ast)."""
    if path.suffix != ".py":
        return []
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "add_argument"):
            continue
        flags = tuple(a.value for a in node.args
                      if isinstance(a, ast.Constant) and isinstance(a.value, str))
        kw = {k.arg: k.value for k in node.keywords if k.arg}

        def const(name: str, kw: dict = kw) -> Any:
            v = kw.get(name)
            return v.value if isinstance(v, ast.Constant) else (
                ast.unparse(v) if v is not None else None)

        action = const("action")
        default = const("default")
        metavar = "" if action in ("store_true", "store_false") else (
            const("metavar") or flags[-1].lstrip("-").upper().replace("-", "_"))
        shown = None if action in ("store_true", "store_false") or default is None \
            else str(default)
        out.append(Option(flags, shown, str(const("help") or ""), str(metavar)))
    return out


def writes_files(path: Path) -> bool:
    """Whether an example takes the common output flag :data:`OUT_FLAG`."""
    return any(OUT_FLAG in o.flags for o in example_options(path))


def _fence(text: str) -> str:
    """A backtick fence longer than any run of backticks in ``text``."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _escape_table(text: str) -> str:
    return text.replace("|", "\\|")


def _run_line(path: Path) -> str:
    if path.suffix == ".toml":
        return f"neurosim-compare run --config examples/{path.name} --out out/"
    line = f"python examples/{path.name}"
    if writes_files(path):
        line += f" {OUT_FLAG} {OUT_DEFAULT}"
    if any("--quick" in o.flags for o in example_options(path)):
        line += "   # --quick: a smaller run"
    return line


def _output_text(path: Path) -> str:
    if path.suffix == ".toml":
        return "The comparison report (HTML, Markdown, JSON, CSV) and its SQLite store in `out/`."
    out = example_output(path)
    return out or "Prints its results; writes no files."


def example_topic(path: Path) -> str:
    return next((t for t, prefixes in EXAMPLE_TOPICS if path.name.startswith(prefixes)), "Other")


def example_page(path: Path) -> str:
    """Markdown for one example: description, how to run it, what it writes, source."""
    head, rest = _summary(path)
    text = path.read_text(encoding="utf-8")
    lang = "python" if path.suffix == ".py" else "toml"
    fence, sh = _fence(text), "```"
    body = [f"# {path.name}", "", head, ""]
    if rest:
        body += ["```text", rest.rstrip(), "```", ""]
    body += ["## Run", "", "From the repository root (inside `.venv`):", "",
             f"{sh}bash", _run_line(path), sh, ""]
    opts = example_options(path)
    if opts:
        body += ["| option | default | what |", "|---|---|---|"]
        for o in opts:
            flag = ", ".join(f"`{f}`" for f in o.flags)
            if o.metavar and o.flags[0].startswith("-"):
                flag += f" `{o.metavar}`"
            default = f"`{o.default}`" if o.default is not None else ""
            body.append(f"| {flag} | {_escape_table(default)} | {_escape_table(o.help)} |")
        body.append("")
    body += ["## Output", "", _output_text(path), "",
             "## Source", "", f"{fence}{lang}", text.rstrip("\n"), fence, ""]
    return "\n".join(body)


def gallery_index(files: list[Path]) -> str:
    """Markdown of the gallery: every example by topic, with its command and output."""
    rows = ["# Examples", "",
            "Short scripts in `examples/` that reproduce textbook and paper results. Run them "
            "from the repository root inside `.venv`. Every example that writes files (figures, "
            f"reports, exported scripts) takes `{OUT_FLAG} DIR` and writes there (default "
            f"`{OUT_DEFAULT}/`, ignored by git; a figure is named after its script, e.g. "
            f"`{OUT_DEFAULT}/hopfield_capacity.png`); none opens a window, so they run "
            "headless. Most take `--quick` for a smaller run, and `--help` lists the rest.", "",
            "The documentation build does not run the examples: the figures are described "
            "below in words, and each example's page shows its options and source.", ""]
    topics = [t for t, _ in EXAMPLE_TOPICS] + ["Other"]
    for topic in topics:
        members = [p for p in files if example_topic(p) == topic]
        if not members:
            continue
        rows += [f"## {topic}", ""]
        for path in members:
            head, _ = _summary(path)
            rows += [f"### [`{path.name}`]({path.stem}.md)", "", head, "",
                     "```bash", _run_line(path), "```", "",
                     f"**Output.** {_output_text(path)}", ""]
    return "\n".join(rows)


def generated_pages(root: Path = ROOT) -> dict[str, str]:
    """``{docs-relative path: markdown}`` for every generated page."""
    modules = api_modules(root)
    pages = {"api/index.md": api_index(modules, root)}
    pages.update({api_doc(m): api_page(m, modules, root) for m in modules})
    pages.update({g.index: group_page(g, mods, root) for g, mods in group_modules(modules)})
    files = example_files(root)
    pages["examples/index.md"] = gallery_index(files)
    pages.update({f"examples/{p.stem}.md": example_page(p) for p in files})
    return pages


def expand_nav(nav: list[Any], root: Path = ROOT) -> list[Any]:
    """``nav`` with the API and Examples entries expanded into sections."""
    modules = api_modules(root)
    groups = group_modules(modules)
    api: list[Any] = ["api/index.md"]
    for pkg in PACKAGES:
        section: list[Any] = [api_doc(pkg)]
        for g, mods in groups:
            if g.package == pkg:
                section.append({g.title: [g.index] + [
                    {m.split(".", 1)[1]: api_doc(m)} for m in mods if m not in PACKAGES]})
        api.append({pkg: section})
    examples: list[Any] = ["examples/index.md"]
    examples += [{p.name: f"examples/{p.stem}.md"} for p in example_files(root)]
    out = []
    for item in nav:
        if isinstance(item, dict) and API_NAV in item:
            out.append({API_NAV: api})
        elif isinstance(item, dict) and EXAMPLES_NAV in item:
            out.append({EXAMPLES_NAV: examples})
        else:
            out.append(item)
    return out


# -- MkDocs events --------------------------------------------------------------------------
class _KnownDocstringIssues(logging.Filter):
    """Drops griffe's parser warnings for the files in :data:`KNOWN_DOCSTRING_ISSUES`."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        return not any(f"griffe: {path}:" in msg for path in KNOWN_DOCSTRING_ISSUES)


_FILTER = _KnownDocstringIssues()


def on_config(config: Any) -> Any:
    for name in ("mkdocs.plugins.griffe", "griffe"):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    config["nav"] = expand_nav(config["nav"])
    return config


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    for uri, content in generated_pages().items():
        files.append(File.generated(config, uri, content=content))
    return files
