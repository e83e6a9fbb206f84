"""Griffe extension: renders the reStructuredText bits of the numpydoc docstrings in Markdown.

The docstrings follow numpydoc, which lives in Sphinx; mkdocstrings renders Markdown. This
extension rewrites, once per docstring, before it is parsed:

- roles ``:func:`x```, ``:class:`~a.b.C```, ``:meth:``, ``:mod:``, ``:attr:``, ``:data:``
  -> a code span linked to the object's API page when it is documented (an *optional*
  cross-reference: an unknown target renders as plain code, without a warning);
- ``:math:`x``` -> ``$x$`` and ``.. math::`` blocks -> ``$$ ... $$`` (one per paragraph),
  typeset by ``pymdownx.arithmatex`` and MathJax;
- a paragraph ending in ``::`` (a literal block follows) -> ``:``; the indented block is
  already a Markdown code block;
- ``name : prose.`` items of a Parameters / Other Parameters / Attributes / Returns / Yields
  section whose "type" is a sentence (it ends in ``.``, holds ````code```` or ``; ``) ->
  ``name`` with the sentence as its description (numpydoc would show the sentence as the
  type; the type then comes from the signature's annotation);
- a prose paragraph after the last item of such a section (numpydoc would read its first word
  as one more parameter) -> the start of a ``Notes`` section.

Registered in ``mkdocs.yml`` under the python handler's ``extensions``. Nothing is imported:
names are resolved in griffe's static view of the packages.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(func|class|meth|mod|attr|data|obj|exc):`(~?)([^`<>]+?)(?:\(\))?`")
_MATH_ROLE = re.compile(r":math:`([^`]+)`")
_MATH_DIRECTIVE = re.compile(r"^(?P<indent>[ \t]*)\.\. math::[ \t]*$")
_LITERAL = re.compile(r"(?<=\S)::[ \t]*$")
_ITEM_SECTIONS = {"Parameters", "Other Parameters", "Attributes"}
_NAMES = re.compile(r"\*{0,2}\w+(?:\s*,\s*\*{0,2}\w+)*")   # "x", "a, b", "*objects"
_RETURN_SECTIONS = {"Returns", "Yields"}  # "name :" there takes its type from the annotation


class RstToMarkdown(griffe.Extension):
    """Rewrites the docstrings of every object of a package once the package is loaded."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        if pkg.parent is not None:
            return
        stack: list[griffe.Object] = [pkg]
        while stack:
            obj = stack.pop()
            if obj.docstring is not None:
                obj.docstring.value = rewrite(obj.docstring.value, obj, loader.modules_collection)
            stack.extend(m for m in obj.members.values() if not m.is_alias)


def _resolve(name: str, obj: griffe.Object, collection: Any) -> str:
    """The documented path of ``name`` as written in ``obj``'s docstring (best effort)."""
    module = obj.module.path if not obj.is_module else obj.path
    if name.startswith("."):
        candidates = [module + name]
    else:
        candidates = [name]
        scope = obj if obj.is_class or obj.is_module else obj.parent
        while scope is not None:
            candidates.append(f"{scope.path}.{name}")
            scope = scope.parent
    for path in candidates:
        try:
            found = collection[path]
        except (KeyError, ValueError, AttributeError, griffe.AliasResolutionError):
            continue  # not there, or behind an alias to an external package (torch, numpy)
        try:
            return found.final_target.path if found.is_alias else found.path
        except (griffe.AliasResolutionError, griffe.CyclicAliasError):
            return path
    return candidates[0]


def _math_blocks(text: str) -> str:
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        m = _MATH_DIRECTIVE.match(lines[i])
        if not m:
            out.append(lines[i])
            i += 1
            continue
        indent = m["indent"]
        i += 1
        body: list[str] = []
        while i < len(lines) and (not lines[i].strip() or
                                  len(lines[i]) - len(lines[i].lstrip()) > len(indent)):
            body.append(lines[i].strip())
            i += 1
        while body and not body[-1]:
            body.pop()
        paragraphs = "\n".join(body).strip().split("\n\n")
        for para in paragraphs:
            out += [f"{indent}$$", *(f"{indent}{line}" for line in para.split("\n")),
                    f"{indent}$$", ""]
    return "\n".join(out)


def _is_prose(type_text: str) -> bool:
    t = type_text.rstrip()
    return t.endswith(".") or "``" in t or "; " in t


def _prose_types(text: str) -> str:
    lines = text.split("\n")
    out: list[str] = []
    section, base = None, ""
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if line.strip() and re.fullmatch(r"[ \t]*-{3,}[ \t]*", nxt):
            section, base = line.strip(), line[: len(line) - len(line.lstrip())]
            out.append(line)
            continue
        if re.fullmatch(r"[ \t]*-{3,}[ \t]*", line):  # a section's underline
            out.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())]
        if (section in _ITEM_SECTIONS and indent == base and line.strip() and " : " not in line
                and not _NAMES.fullmatch(line.strip())):
            # prose after the last item (numpydoc would read it as one more item): a Notes section
            if out and out[-1].strip():
                out.append("")
            out += [f"{base}Notes", f"{base}-----"]
            section = "Notes"
            out.append(line)
            continue
        if (section in _ITEM_SECTIONS | _RETURN_SECTIONS and indent == base and " : " in line
                and _is_prose(line.split(" : ", 1)[1])):
            name, desc = line.split(" : ", 1)
            name = name.rstrip() + (" :" if section in _RETURN_SECTIONS else "")
            out += [name, f"{base}    {desc.strip()}"]
            continue
        if (section in _RETURN_SECTIONS and indent == base and line.strip()
                and " : " not in line and _is_prose(line)):
            out += [f"{base}:", f"{base}    {line.strip()}"]   # unnamed; type from annotation
            continue
        out.append(line)
    return "\n".join(out)


def rewrite(text: str, obj: griffe.Object, collection: Any) -> str:
    """``text`` (a docstring) with its reStructuredText constructs in Markdown."""

    def role(m: re.Match[str]) -> str:
        kind, short, name = m.group(1), m.group(2), m.group(3).strip()
        title = name.rsplit(".", 1)[-1] if short else name.lstrip(".")
        if kind in ("func", "meth"):
            title += "()"
        ident = _resolve(name, obj, collection)
        return f'<autoref identifier="{ident}" optional><code>{title}</code></autoref>'

    text = _prose_types(text)
    text = _math_blocks(text)
    text = _MATH_ROLE.sub(lambda m: f"${' '.join(m.group(1).split())}$", text)
    text = _ROLE.sub(role, text)
    return "\n".join(_LITERAL.sub(":", line) for line in text.split("\n"))
