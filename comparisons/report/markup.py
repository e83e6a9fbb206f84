"""Formatting primitives shared by the HTML and Markdown reports: number formatting,
escaping of user strings, and tables.

Every user-given string that reaches the HTML goes through :func:`esc`
(:func:`html.escape`); in Markdown through :func:`md_text` (renderers pass raw HTML on).
"""

from __future__ import annotations

import html
import math
import re
from typing import Any


def esc(v: Any) -> str:
    return html.escape(str(v), quote=True)


def fmt(v: Any, digits: int = 4) -> str:
    """A table cell: ``–`` for missing values, 4 significant digits, scientific when tiny or
    huge; strings as they are."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    if isinstance(v, float):
        if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e5):
            return f"{v:.3g}"
        return f"{v:.{digits}g}"
    return str(v)


def fmt_bytes(v: float | None) -> str:
    """``12.3 kB`` (decimal units); ``–`` when unknown."""
    if v is None or not math.isfinite(v):
        return "–"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(v) >= scale:
            return f"{v / scale:.3g} {unit}"
    return f"{v:.0f} B"


def fmt_range(v: Any) -> str:
    """An energy cell: ``typical [min, max]`` of a ``{"min", "typical", "max"}`` range
    (``1.2e-09 [8e-10, 2.1e-09]``), the typical value alone when the range is one point (a
    float of older results, or a profile whose figures have no spread); ``–`` when unpriced.
    """
    from comparisons.metrics.energy import as_range

    rng = as_range(v)
    if rng is None:
        return "–"
    if rng["min"] == rng["typical"] == rng["max"]:
        return fmt(rng["typical"])
    return f"{fmt(rng['typical'])} [{fmt(rng['min'])}, {fmt(rng['max'])}]"


def fmt_ci(s: dict[str, Any]) -> str:
    """``mean [low, high]`` of a learner summary (``mean (n=1)``, ``–`` without values)."""
    if not s.get("n"):
        return "–"
    if s["n"] == 1:
        return f"{fmt(s['mean'])} (n=1)"
    return f"{fmt(s['mean'])} [{fmt(s['low'])}, {fmt(s['high'])}]"


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "x"


def is_text(v: Any) -> bool:
    return isinstance(v, str) and len(v) > 12 and not re.fullmatch(r"[-+0-9.eE –\[\],]+", v)


def html_table(headers: list[str], rows: list[list[Any]], left: int = 1,
               row_classes: list[str] | None = None) -> str:
    """An HTML table (escaped cells); text columns left-aligned; ``row_classes[i]`` is the
    CSS class of row ``i`` (e.g. ``"failed"``)."""
    text_cols = {i for r in rows for i, c in enumerate(r) if is_text(c)}
    # long snake_case headers may break after an underscore (narrower tables)
    th = "".join(f'<th class="{"l" if i < left or i in text_cols else ""}">'
                 f'{esc(h).replace("_", "_<wbr>")}</th>' for i, h in enumerate(headers))
    classes = row_classes or [""] * len(rows)
    body = "".join(
        (f'<tr class="{esc(cls)}">' if cls else "<tr>")
        + "".join(f'<td class="{"l" if i < left or is_text(c) else ""}">'
                  f'{esc(fmt(c))}</td>' for i, c in enumerate(r)) + "</tr>"
        for r, cls in zip(rows, classes, strict=True))
    return f"<div class='wrap'><table><thead><tr>{th}</tr></thead><tbody>{body}</tbody>" \
           "</table></div>"


def md_text(text: Any) -> str:
    """Markdown renderers pass raw HTML through: escape it in user-given strings."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def md_table(headers: list[str], rows: list[list[Any]],
             row_classes: list[str] | None = None) -> list[str]:
    """Markdown table lines; a row whose class is ``"failed"`` gets its first cell marked
    ``**⚠ ... (failed to train)**``."""
    def cell(v: Any) -> str:
        return md_text(fmt(v)).replace("|", "\\|").replace("\n", " ")

    classes = row_classes or [""] * len(rows)
    lines = ["| " + " | ".join(cell(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    for r, cls in zip(rows, classes, strict=True):
        cells = [cell(c) for c in r]
        if cls == "failed" and cells:
            cells[0] = f"**⚠ {cells[0]} (failed to train)**"
        lines.append("| " + " | ".join(cells) + " |")
    return lines
