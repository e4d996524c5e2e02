"""The server-rendered SVG charts (hejie.web.common.charts): accessible, escaped, linked, with a table."""

from __future__ import annotations

import re

from hejie.web.common.charts import bar_chart, line_chart


def test_a_bar_chart_has_title_desc_links_and_a_table():
    svg = str(bar_chart([{"label": "江岸区", "value": 8, "href": "/council/orders/?region=420102"},
                         ("江汉区", 4), ("空", 0)], title="按下级地区", desc="各区投诉件数", unit=" 件"))
    assert svg.startswith('<figure class="chart chart-bar">')
    assert re.search(r'<svg [^>]*role="img" aria-labelledby="ct\d+ cd\d+"', svg)
    assert "<title id=" in svg and ">按下级地区</title>" in svg and ">各区投诉件数</desc>" in svg
    assert '<a href="/council/orders/?region=420102">' in svg
    widths = [float(w) for w in re.findall(r'<rect [^>]*width="([\d.]+)"', svg)]
    assert widths[0] == 2 * widths[1] and widths[2] == 0  # bars in proportion; zero draws nothing
    assert "<table>" in svg and "<td>8 件</td>" in svg and "<th scope=\"row\">江汉区</th>" in svg


def test_labels_are_escaped():
    svg = str(bar_chart([("<script>x</script>", 1)], title="a & b"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "a &amp; b" in svg


def test_a_line_chart_draws_each_series_with_a_legend_and_a_table():
    svg = str(line_chart(["03-14", "03-15", "03-16"],
                         [{"name": "新投诉", "values": [1, 4, 2]}, {"name": "已和解", "values": [0, 2, 2]}],
                         title="趋势", hrefs=["/a", "/b", "/c"]))
    assert svg.count("<polyline") == 2 and 'stroke-dasharray="6 3"' in svg  # the second series is dashed
    assert svg.count('<a href="/') == 3  # the first series' points link to their orders
    assert "<th scope=\"row\">03-15</th><td>4</td><td>2</td>" in svg


def test_an_empty_chart_still_renders():
    assert "<svg" in str(bar_chart([], title="空"))
    assert "<svg" in str(line_chart([], [], title="空"))
