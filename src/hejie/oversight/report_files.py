"""The 3·15 report (``hejie.oversight.report``) as files: an XLSX workbook (one sheet per table,
frozen bold headers, column widths, real numbers and dates, every cell through
``core.spreadsheets``) and a printable A4 PDF with charts (ReportLab).

The PDF's Chinese: a CJK TrueType font found on the machine is embedded (``CJK_FONTS``: Debian's
fonts-wqy-microhei or -zenhei, Noto CJK); without one, ReportLab's built-in ``STSong-Light``
CID font, which every PDF reader carries or substitutes, so the file is right with nothing installed.
Strings are in the request's language (gettext), as the page is.
"""

from __future__ import annotations

import io
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from hejie.core.i18n import pick
from hejie.core.spreadsheets import XlsxBook
from hejie.oversight.report import TOTALS

CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)
FALLBACK_FONT = "STSong-Light"

RATES = {"settlement_rate", "resolution_rate"}
HOURS = {"median_hours", "avg_hours"}
MONEY = {"recovered", "recovered_confirmed"}


def total_labels() -> dict[str, str]:
    """The headline figures' names, in the request's language."""
    return {
        "received": _("接收投诉"), "accepted": _("受理"), "concluded": _("办结"), "settled": _("和解成功"),
        "mediated": _("调解成功"), "mediation_failed": _("调解失败"), "failed": _("和解失败"),
        "withdrawn": _("消费者撤回"), "rejected": _("不予受理"), "settlement_rate": _("和解率"),
        "resolution_rate": _("解决率"), "median_hours": _("处理用时中位数（小时）"),
        "avg_hours": _("平均处理用时（小时）"), "recovered": _("挽回经济损失（元）"),
        "recovered_confirmed": _("其中消费者确认已履行（元）"), "recovered_orders": _("涉及挽回损失的件数"),
    }


def show(key: str, value: Any) -> str:
    """A headline figure as text (page and PDF)."""
    if value is None:
        return "—"
    if key in RATES:
        return f"{value * 100:.1f}%"
    if key in MONEY:
        return f"{Decimal(value):,.2f}"
    if key in HOURS:
        return f"{value:.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def show_change(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:+.1f}%"


def _title(report: dict[str, Any]) -> str:
    return _("%(region)s消费投诉情况报告（%(period)s）") % {"region": report["region_name"],
                                                           "period": report["period"].label}


def filename(report: dict[str, Any], ext: str) -> str:
    region = report["region"].code if report["region"] is not None else "000000"
    period = report["period"]
    return f"hejie-report-{region}-{period.date_from:%Y%m%d}-{period.date_to:%Y%m%d}.{ext}"


def _class_name(row: dict[str, Any]) -> str:
    return pick(f"{row['name']} ({row['name_en']})")


# --------------------------------------------------------------------------- XLSX


def report_xlsx(report: dict[str, Any]) -> bytes:
    book = XlsxBook()
    labels = total_labels()
    period, previous = report["period"], report["previous_period"]
    notes = [_title(report),
             _("报告期 %(a)s 至 %(b)s；上年同期 %(c)s 至 %(d)s") % {
                 "a": period.date_from, "b": period.date_to, "c": previous.date_from, "d": previous.date_to}]

    def cell(key: str, value: Any) -> Any:
        return float(value) if isinstance(value, Decimal) else value

    fmt = {1: "#,##0.####", 2: "#,##0.####", 3: "0.0%"}
    rows = [[labels[k], cell(k, report["totals"][k]), cell(k, report["previous"][k]), report["change"][k]]
            for k in TOTALS]
    book.sheet(_("总体情况"), [_("指标"), _("本期"), _("上年同期"), _("同比变化")], rows, widths=[34, 16, 16, 12],
               formats=fmt, notes=notes)
    counts = [_("接收投诉"), _("和解成功"), _("和解失败")]
    book.sheet(_("按月"), [_("月份"), *counts],
               [[m["month"], m["received"], m["settled"], m["failed"]] for m in report["months"]],
               widths=[12, 12, 12, 12], formats={0: "yyyy-mm"})
    book.sheet(_("按季度"), [_("季度"), *counts],
               [[q["label"], q["received"], q["settled"], q["failed"]] for q in report["quarters"]],
               widths=[12, 12, 12, 12])
    cats = report["categories"]
    book.sheet(_("按商品和服务类别"), [_("大类"), _("类别"), _("接收投诉"), _("和解成功"), _("占比")],
               [[str(k["name"]), "", k["received"], k["settled"], k["share"]] for k in cats["kinds"]]
               + [[_kind(c["kind"], cats), _class_name(c), c["received"], c["settled"], c["share"]]
                  for c in cats["classes"]],
               widths=[10, 30, 12, 12, 10], formats={4: "0.0%"})
    book.sheet(_("按投诉性质"), [_("投诉性质"), _("接收投诉"), _("和解成功"), _("占比")],
               [[_class_name(c), c["received"], c["settled"], c["share"]] for c in cats["natures"]],
               widths=[24, 12, 12, 10], formats={3: "0.0%"})
    book.sheet(_("按行业"), [_("行业"), _("对应消协类别"), _("接收投诉"), _("和解成功"), _("和解失败"), _("和解率")],
               [[pick(f"{r['name']} ({r['name_en']})"), r["cca"], r["total"], r["settled"], r["failed"],
                 r["settlement_rate"]] for r in report["industries"]],
               widths=[20, 22, 12, 12, 12, 10], formats={5: "0.0%"})
    book.sheet(_("按地区"), [_("地区代码"), _("地区"), _("接收投诉"), _("和解成功"), _("和解失败"), _("和解率")],
               [[r["region"].code, r["region"].full_name, r["total"], r["settled"], r["failed"], r["settlement_rate"]]
                for r in report["regions"]],
               widths=[10, 30, 12, 12, 12, 10], formats={5: "0.0%"})
    for key, title in (("top_businesses", _("投诉最多的商家")), ("top_failing", _("和解失败最多的商家"))):
        book.sheet(title, [_("名次"), _("商家"), _("接收投诉"), _("和解成功"), _("和解失败"), _("和解率")],
                   [[i, r["name"], r["total"], r["settled"], r["failed"], r["settlement_rate"]]
                    for i, r in enumerate(report[key], start=1)],
                   widths=[6, 36, 12, 12, 12, 10], formats={5: "0.0%"})
    book.sheet(_("黑红榜变化"), [_("日期"), _("榜单"), _("决定"), _("商家"), _("理由")],
               [[r["date"], r["list"], r["action"], r["business"], pick(r["reason"])] for r in report["lists"]["rows"]],
               widths=[12, 8, 10, 30, 60], formats={0: "yyyy-mm-dd"},
               notes=["; ".join(f"{s['list']} {s['label']} {s['count']}" for s in report["lists"]["summary"])
                      or _("本期无榜单决定")])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _kind(kind: str, cats: dict[str, Any]) -> str:
    return next((str(k["name"]) for k in cats["kinds"] if k["kind"] == kind), "")


# --------------------------------------------------------------------------- PDF


@cache
def pdf_font() -> str:
    """The name of the registered CJK font: an embedded TrueType one when the machine has it, else
    ReportLab's built-in STSong-Light."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    for path in CJK_FONTS:
        if Path(path).is_file():
            try:
                pdfmetrics.registerFont(TTFont("HejieCJK", path, subfontIndex=0))
                return "HejieCJK"
            except Exception:  # noqa: BLE001, S112 - a font ReportLab cannot read: try the next one
                continue
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
    return FALLBACK_FONT


def _bar_chart(labels: list[str], series: list[list[int]], names: list[str], font: str, *, width: int = 460,
               height: int = 170) -> Any:
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.charts.legends import Legend
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors

    drawing = Drawing(width, height + 30)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 30, width - 60, height - 20
    chart.data = [tuple(s) for s in series] or [(0,)]
    chart.categoryAxis.categoryNames = labels
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 30 if len(labels) > 6 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(labels) > 6 else "n"
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontSize = 7
    palette = [colors.HexColor("#1f6feb"), colors.HexColor("#2da44e"), colors.HexColor("#cf222e")]
    for i in range(len(series)):
        chart.bars[i].fillColor = palette[i % len(palette)]
    drawing.add(chart)
    if len(names) > 1:
        legend = Legend()
        legend.x, legend.y = 50, height + 22
        legend.fontName = font
        legend.fontSize = 8
        legend.alignment = "right"
        legend.columnMaximum = 1
        legend.colorNamePairs = [(palette[i % len(palette)], names[i]) for i in range(len(names))]
        drawing.add(legend)
    return drawing


def report_pdf(report: dict[str, Any]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = pdf_font()
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=13, wordWrap="CJK")
    h1 = ParagraphStyle("h1", parent=body, fontSize=16, leading=22, spaceAfter=6)
    h2 = ParagraphStyle("h2", parent=body, fontSize=12, leading=17, spaceBefore=10, spaceAfter=4, keepWithNext=1)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=11, textColor=colors.grey)

    def table(header: list[str], rows: list[list[Any]], widths: list[float]) -> Table:
        data = [[Paragraph(str(h), body) for h in header]]
        data += [[Paragraph(_escape(v), body) for v in row] for row in rows]
        t = Table(data, colWidths=[w * mm for w in widths], repeatRows=1)
        t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
        return t

    labels = total_labels()
    period, previous = report["period"], report["previous_period"]
    story: list[Any] = [
        Paragraph(_escape(_title(report)), h1),
        Paragraph(_escape(_("报告期 %(a)s 至 %(b)s；上年同期 %(c)s 至 %(d)s") % {
            "a": period.date_from, "b": period.date_to, "c": previous.date_from, "d": previous.date_to}), small),
        Paragraph(_escape(_("生成于 %(t)s（北京时间）") % {"t": f"{report['generated_at']:%Y-%m-%d %H:%M}"}), small),
        Paragraph(_("总体情况"), h2),
        table([_("指标"), _("本期"), _("上年同期"), _("同比变化")],
              [[labels[k], show(k, report["totals"][k]), show(k, report["previous"][k]),
                show_change(report["change"][k])] for k in TOTALS], [70, 35, 35, 30]),
        Paragraph(_("按月"), h2),
        _bar_chart([m["month"].strftime("%m") for m in report["months"]],
                   [[m["received"] for m in report["months"]], [m["settled"] for m in report["months"]],
                    [m["failed"] for m in report["months"]]],
                   [_("接收投诉"), _("和解成功"), _("和解失败")], font),
        table([_("季度"), _("接收投诉"), _("和解成功"), _("和解失败")],
              [[q["label"], q["received"], q["settled"], q["failed"]] for q in report["quarters"]], [40, 40, 40, 40]),
    ]
    cats = report["categories"]
    story += [
        Paragraph(_("按商品和服务类别（中国消费者协会分类）"), h2),
        table([_("大类"), _("类别"), _("接收投诉"), _("和解成功"), _("占比")],
              [[str(k["name"]), "", k["received"], k["settled"], show("settlement_rate", k["share"])]
               for k in cats["kinds"]]
              + [[_kind(c["kind"], cats), _class_name(c), c["received"], c["settled"],
                  show("settlement_rate", c["share"])] for c in cats["classes"] if c["received"]],
              [20, 70, 25, 25, 25]),
        Paragraph(_("按投诉性质"), h2),
        _bar_chart([c["name"] if not _english() else c["name_en"] for c in cats["natures"]],
                   [[c["received"] for c in cats["natures"]]], [_("接收投诉")], font),
        table([_("投诉性质"), _("接收投诉"), _("和解成功"), _("占比")],
              [[_class_name(c), c["received"], c["settled"], show("settlement_rate", c["share"])]
               for c in cats["natures"]], [60, 35, 35, 35]),
        Paragraph(_("按行业"), h2),
        table([_("行业"), _("对应消协类别"), _("接收投诉"), _("和解成功"), _("和解率")],
              [[pick(f"{r['name']} ({r['name_en']})"), r["cca"], r["total"], r["settled"],
                show("settlement_rate", r["settlement_rate"])] for r in report["industries"]],
              [40, 50, 25, 25, 25]),
        Paragraph(_("按地区"), h2),
        table([_("地区"), _("接收投诉"), _("和解成功"), _("和解失败"), _("和解率")],
              [[r["region"].full_name, r["total"], r["settled"], r["failed"],
                show("settlement_rate", r["settlement_rate"])] for r in report["regions"]],
              [70, 25, 25, 25, 25]),
    ]
    for key, title in (("top_businesses", _("投诉最多的商家")), ("top_failing", _("和解失败最多的商家"))):
        story += [Paragraph(title, h2),
                  table([_("名次"), _("商家"), _("接收投诉"), _("和解成功"), _("和解失败")],
                        [[i, r["name"], r["total"], r["settled"], r["failed"]]
                         for i, r in enumerate(report[key], start=1)] or [["—", "", "", "", ""]],
                        [15, 80, 25, 25, 25])]
    lists = report["lists"]
    story += [Paragraph(_("黑红榜变化"), h2),
              Paragraph(_escape("；".join(f"{s['list']}{s['label']} {s['count']}" for s in lists["summary"])
                                or _("本期无榜单决定")), body)]
    if lists["rows"]:
        story.append(table([_("日期"), _("榜单"), _("决定"), _("商家")],
                           [[r["date"].isoformat(), r["list"], r["action"], r["business"]] for r in lists["rows"]],
                           [25, 20, 25, 100]))
    basis = _("口径：以投诉提交日期（北京时间）统计；类别按中国消费者协会统计分类，由本平台的行业和问题类型对应而来。")
    story += [Spacer(1, 6 * mm), Paragraph(_escape(basis), small)]

    out = io.BytesIO()
    title = _title(report)

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, f"{title} · {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                            bottomMargin=18 * mm, title=title, author="Hejie")
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def _escape(value: Any) -> str:
    from xml.sax.saxutils import escape

    return escape("" if value is None else str(value))


def _english() -> bool:
    from django.utils.translation import get_language

    return (get_language() or "").startswith("en")


