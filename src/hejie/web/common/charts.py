"""Charts drawn on the server as inline SVG: no script, no CDN, readable by a
screen reader and printable.

Two functions, each returning safe HTML (a ``<figure>``) to put in a template
with ``{{ chart }}``:

``bar_chart(rows, *, title, desc="", unit="", value_format=None)``
    Horizontal bars, one per row, longest first as given. ``rows`` is a list
    of dicts ``{"label": str, "value": number, "href": str | None}`` (or
    ``(label, value)`` pairs). A row with ``href`` is a link (the bar and its
    label), so a chart of figures leads to the orders behind each.

``line_chart(labels, series, *, title, desc="", hrefs=None)``
    Lines over shared x ``labels`` (e.g. dates). ``series`` is a list of dicts
    ``{"name": str, "values": [number, ...]}`` (up to 4 are styled apart by
    colour *and* dash pattern, for readers who do not tell the colours apart).
    ``hrefs``, if given, one per label: each point of the first series links there.

Both carry ``<title>`` and ``<desc>`` (``role="img"``, ``aria-labelledby``)
and, after the picture, the same numbers as a table inside a
``<details>`` ("数据表 / Data table"), so nothing is only in the picture.
Colours and the font are presentation attributes (no stylesheet needed, and no
``style`` attribute, which the Content-Security-Policy refuses); the figure has
the class ``chart`` for a page's own CSS (site.css keeps it at most 640 px wide). Labels and values are escaped.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

_ids = itertools.count(1)
PALETTE = (("#0b57a4", ""), ("#1d6b3a", "6 3"), ("#9b2226", "2 3"), ("#7a4b00", "8 3 2 3"))
BAR_COLOUR = "#0b57a4"
FONT = "system-ui,sans-serif"


def _fmt(value, value_format: Callable | None) -> str:
    if value_format is not None:
        return value_format(value)
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def _short(label: str, n: int) -> str:
    return label if len(label) <= n else label[: n - 1] + "…"


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], caption: str) -> str:
    th = "".join(format_html("<th scope=\"col\">{}</th>", h) for h in head)
    body = "".join(
        "<tr>" + format_html("<th scope=\"row\">{}</th>", r[0]) + "".join(format_html("<td>{}</td>", c) for c in r[1:])
        + "</tr>" for r in rows)
    return format_html("<details class=\"chart-data\"><summary>{}</summary><table><caption>{}</caption>"
                       "<thead><tr>{}</tr></thead><tbody>{}</tbody></table></details>",
                       _("数据表"), caption, mark_safe(th), mark_safe(body))  # noqa: S308 - built from escaped parts


def _rows(rows) -> list[dict]:
    out = []
    for row in rows:
        if isinstance(row, dict):
            out.append({"label": str(row["label"]), "value": row["value"] or 0, "href": row.get("href")})
        else:
            out.append({"label": str(row[0]), "value": row[1] or 0, "href": None})
    return out


def bar_chart(rows, *, title: str, desc: str = "", unit: str = "", value_format: Callable | None = None,
              label_chars: int = 12) -> SafeString:
    """Horizontal bars (see the module docstring)."""
    data = _rows(rows)
    n = next(_ids)
    width, label_w, bar_h, gap, value_w = 640, 170, 22, 8, 70
    height = max(1, len(data)) * (bar_h + gap) + gap
    top = max((r["value"] for r in data), default=0) or 1
    parts = [format_html('<svg viewBox="0 0 {} {}" width="100%" role="img" aria-labelledby="ct{} cd{}" '
                         'xmlns="http://www.w3.org/2000/svg" font-family="{}">'
                         '<title id="ct{}">{}</title><desc id="cd{}">{}</desc>',
                         width, height, n, n, FONT, n, title, n, desc or title)]
    for i, r in enumerate(data):
        y = gap + i * (bar_h + gap)
        w = round((width - label_w - value_w) * (r["value"] / top), 1)
        text = _fmt(r["value"], value_format) + unit
        item = format_html(
            '<g><title>{}: {}</title>'
            '<text x="{}" y="{}" text-anchor="end" font-size="14" fill="#1a1a1a">{}</text>'
            '<rect x="{}" y="{}" width="{}" height="{}" rx="3" fill="{}"/>'
            '<text x="{}" y="{}" font-size="14" fill="#1a1a1a">{}</text></g>',
            r["label"], text, label_w - 8, y + bar_h - 6, _short(r["label"], label_chars),
            label_w, y, max(w, 1 if r["value"] else 0), bar_h, BAR_COLOUR,
            label_w + w + 6, y + bar_h - 6, text)
        if r["href"]:
            item = format_html('<a href="{}">{}</a>', r["href"], item)
        parts.append(item)
    parts.append(mark_safe("</svg>"))  # noqa: S308 - a constant
    table = _table([_("项目"), _("数值")], [(r["label"], _fmt(r["value"], value_format) + unit) for r in data], title)
    return format_html('<figure class="chart chart-bar">{}{}</figure>', mark_safe("".join(parts)),  # noqa: S308
                       table)


def line_chart(labels: Sequence[str], series: Sequence[dict], *, title: str, desc: str = "",
               hrefs: Sequence[str] | None = None) -> SafeString:
    """Lines over shared labels (see the module docstring)."""
    n = next(_ids)
    width, height, left, right, top, bottom = 640, 260, 44, 12, 28, 40
    count = len(labels)
    peak = max((v or 0 for s in series for v in s["values"]), default=0)
    ceiling = max(1, peak)
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(i: int) -> float:
        return round(left + (plot_w * i / (count - 1) if count > 1 else plot_w / 2), 1)

    def y(v) -> float:
        return round(top + plot_h - plot_h * (v or 0) / ceiling, 1)

    parts = [format_html('<svg viewBox="0 0 {} {}" width="100%" role="img" aria-labelledby="ct{} cd{}" '
                         'xmlns="http://www.w3.org/2000/svg" font-family="{}">'
                         '<title id="ct{}">{}</title><desc id="cd{}">{}</desc>',
                         width, height, n, n, FONT, n, title, n, desc or title)]
    # axes and gridlines at 0, half and the top
    for frac in (0, 0.5, 1):
        value = ceiling * frac
        yy = y(value)
        parts.append(format_html('<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#c9c9c9"/>'
                                 '<text x="{}" y="{}" text-anchor="end" font-size="12" fill="#4d4d4d">{}</text>',
                                 left, width - right, yy, yy, left - 6, yy + 4, _fmt(round(value, 1), None)))
    step = max(1, -(-count // 8))  # at most about 8 labels on the axis
    for i, label in enumerate(labels):
        if i % step == 0 or i == count - 1 and (count - 1) % step > step // 2:
            parts.append(format_html('<text x="{}" y="{}" text-anchor="middle" font-size="12" fill="#4d4d4d">{}'
                                     '</text>', x(i), height - bottom + 18, label))
    for k, s in enumerate(series):
        colour, dash = PALETTE[k % len(PALETTE)]
        points = " ".join(f"{x(i)},{y(v)}" for i, v in enumerate(s["values"]))
        parts.append(format_html('<polyline points="{}" fill="none" stroke="{}" stroke-width="2.5"{}/>',
                                 points, colour, format_html(' stroke-dasharray="{}"', dash) if dash else ""))
        for i, v in enumerate(s["values"]):
            dot = format_html('<circle cx="{}" cy="{}" r="3.5" fill="{}"><title>{} {}: {}</title></circle>',
                              x(i), y(v), colour, labels[i], s["name"], _fmt(v or 0, None))
            if k == 0 and hrefs and hrefs[i]:
                dot = format_html('<a href="{}">{}</a>', hrefs[i], dot)
            parts.append(dot)
        # legend
        lx = left + k * 150
        parts.append(format_html('<line x1="{}" x2="{}" y1="12" y2="12" stroke="{}" stroke-width="3"{}/>'
                                 '<text x="{}" y="16" font-size="13" fill="#1a1a1a">{}</text>',
                                 lx, lx + 24, colour, format_html(' stroke-dasharray="{}"', dash) if dash else "",
                                 lx + 30, s["name"]))
    parts.append(mark_safe("</svg>"))  # noqa: S308 - a constant
    rows = [[label, *[_fmt(s["values"][i] or 0, None) for s in series]] for i, label in enumerate(labels)]
    table = _table(["", *[s["name"] for s in series]], rows, title)
    return format_html('<figure class="chart chart-line">{}{}</figure>', mark_safe("".join(parts)),  # noqa: S308
                       table)
