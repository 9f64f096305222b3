"""The report's charts: SVG strings drawn by pygal, made safe and stable for a static page.

pygal draws the bars and lines; this module adds what a reader needs and pygal lacks (a
threshold line, one `<title>` per mark so a value reads without JavaScript) and removes what a
static, offline page must not carry: scripts, links to other hosts, comments with the build date
and pygal's random element id (the same data gives the same bytes, so nightly rebuilds only
change what changed). Every mark has the class "mark"; the threshold has the class "threshold".
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

import pygal
from lxml import etree
from pygal.style import Style

# pygal appends to sys.meta_path a finder for its map plugins that has only the legacy
# find_module: Python 3.11 then raises ImportWarning on every import no other finder resolves
# (an optional `import x` that should fail with ImportError; an error under -W error), and 3.12
# ignores it. The report draws no maps: take it out.
sys.meta_path[:] = [
    finder for finder in sys.meta_path if type(finder).__module__.partition(".")[0] != "pygal"
]

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
# Fonts already on the reader's machine: no web font, no request.
FONT_STACK = 'system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", Arial, sans-serif'
SUPPORTS_COLOUR = {True: "#1a7f37", False: "#b3261e", None: "#6e7781"}
THRESHOLD_COLOUR = "#24292f"
LABEL_CHAR_PX = 7.2  # a generous average width of a 12 px character
NAME_CHARS = 28  # record names on the axis are cut here; the mark's <title> has them whole
SERIES_COLOURS = ("#0550ae", "#953800", "#1a7f37", "#8250df", "#b3261e", "#6e7781")


class Bar(Protocol):
    """One record's value (reporting.views.ChartBar)."""

    @property
    def name(self) -> str: ...
    @property
    def value(self) -> float: ...
    @property
    def unit(self) -> str: ...
    @property
    def supports(self) -> bool | None: ...


class Point(Protocol):
    """One evidence value at a time (reporting.views.ChartPoint)."""

    @property
    def at(self) -> datetime: ...
    @property
    def value(self) -> float: ...
    @property
    def unit(self) -> str: ...
    @property
    def source(self) -> str: ...


def number(value: float) -> str:
    """A figure as a reader writes it: no exponent, no trailing zeros.

    >>> number(3.0), number(2.5), number(0.125), number(405e9), number(-1.23456789)
    ('3', '2.5', '0.125', '405000000000', '-1.234568')
    """
    if value == int(value) and abs(value) < 1e18:
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")


def mark_title(name: str, value: float, unit: str) -> str:
    """The text of a mark's <title>: "name: value unit".

    >>> mark_title("Together", 3.5, "$/M tokens"), mark_title("n", 2.0, "")
    ('Together: 3.5 $/M tokens', 'n: 2')
    """
    return f"{name}: {number(value)} {unit}".rstrip()


def shorten(text: str, most: int) -> str:
    """`text` in at most `most` characters, cut with an ellipsis.

    >>> shorten("0.5 × gpt-4o-2024-05-13", 12), shorten("short", 12), shorten("abc", 0)
    ('0.5 × gpt-4…', 'short', '…')
    """
    return text if len(text) <= most else text[: max(most - 1, 0)] + "…"


def _style(colours: Sequence[str]) -> Style:
    return Style(
        font_family=FONT_STACK,
        background="#ffffff",
        plot_background="#ffffff",
        foreground="#24292f",
        foreground_strong="#24292f",
        foreground_subtle="#57606a",
        colors=tuple(colours),
        title_font_size=14,
        label_font_size=12,
        major_label_font_size=12,
        legend_font_size=12,
        guide_stroke_color="#d0d7de",
        major_guide_stroke_color="#afb8c1",
        guide_stroke_dasharray="2,3",
        major_guide_stroke_dasharray="2,3",
        opacity=".85",
        opacity_hover=".95",
    )


def _config(title: str, colours: Sequence[str], **extra: Any) -> dict[str, Any]:
    """Options shared by every chart: no JavaScript, no XML declaration, no tooltips."""
    return {
        "title": title,
        "js": [],
        "disable_xml_declaration": True,
        "style": _style(colours),
        "width": 640,
        "height": 320,
        "tooltip_border_radius": 0,
        "print_values": False,
        "explicit_size": False,
        **extra,
    }


def bars_svg(
    bars: Sequence[Bar], *, threshold: float | None, threshold_label: str | None, title: str
) -> str:
    """Each record's value as a horizontal bar, with the claim's threshold as a vertical line."""
    if not bars:
        return ""
    values = [bar.value for bar in bars] + ([threshold] if threshold is not None else [])
    top = max(max(values), 0.0) or 1.0
    low = min(min(values), 0.0)
    unit = bars[0].unit
    chart = pygal.HorizontalBar(
        **_config(
            title,
            ("#0550ae",),
            show_legend=False,
            range=(low, top * 1.1),
            x_title=unit,
            margin_top=36,
        )
    )
    drawn = list(reversed(bars))  # pygal stacks upwards: the first record ends up on top
    chart.x_labels = [shorten(bar.name, NAME_CHARS) for bar in drawn]
    chart.add(
        "value",
        [
            {"value": bar.value, "label": bar.name, "color": SUPPORTS_COLOUR[bar.supports]}
            for bar in drawn
        ],
    )
    titles = [mark_title(bar.name, bar.value, bar.unit) for bar in drawn]

    def finish(root: Any) -> Any:
        _mark(root, "rect", titles)
        if threshold is not None:
            text = threshold_label or f"threshold: {number(threshold)} {unit}".rstrip()
            _threshold(root, chart, threshold, text)
        return root

    chart.add_xml_filter(finish)
    return _clean(chart.render(is_unicode=True), ("bars", title, *titles, str(threshold)))


def series_svg(points: Sequence[Point], *, title: str) -> str:
    """Evidence values over time, one line per source, each reading a dot."""
    if not points:
        return ""
    by_source: dict[str, list[Point]] = {}
    for point in sorted(points, key=lambda p: p.at):
        by_source.setdefault(point.source, []).append(point)
    times = [point.at for point in points]
    when = "%Y-%m-%d %H:%M" if max(times) - min(times) < timedelta(days=2) else "%Y-%m-%d"
    chart = pygal.DateTimeLine(
        **_config(
            title,
            SERIES_COLOURS,
            show_legend=len(by_source) > 1,
            legend_at_bottom=True,
            x_label_rotation=20,
            x_value_formatter=lambda at: at.strftime(when),
            dots_size=4,
        )
    )
    chart.x_labels = _ticks(sorted({point.at for point in points}))
    titles: list[str] = []
    for source, found in by_source.items():
        chart.add(source, [(point.at, point.value) for point in found])
        titles += [
            f"{mark_title(source, p.value, p.unit)} ({p.at:%Y-%m-%d %H:%M} UTC)" for p in found
        ]

    def finish(root: Any) -> Any:
        _mark(root, "circle", titles)
        return root

    chart.add_xml_filter(finish)
    return _clean(chart.render(is_unicode=True), ("series", title, *titles))


def _ticks(times: Sequence[datetime], most: int = 6) -> list[datetime]:
    """At most `most` of the readings' own times, evenly picked, first and last included.

    >>> [t.day for t in _ticks([datetime(2026, 1, d) for d in range(1, 21)], 4)]
    [1, 7, 14, 20]
    """
    if len(times) <= most:
        return list(times)
    step = (len(times) - 1) / (most - 1)
    return [times[round(i * step)] for i in range(most)]


def _mark(root: Any, tag: str, titles: Sequence[str]) -> None:
    """Class "mark" and a <title> on each of pygal's marks (in the order the values were added)."""
    marks = [
        node
        for node in root.iter(f"{{{SVG_NS}}}{tag}", tag)
        if "reactive" in (node.get("class") or "").split()
    ]
    if len(marks) != len(titles):
        raise RuntimeError(f"pygal drew {len(marks)} marks for {len(titles)} values")
    for node, text in zip(marks, titles, strict=True):
        node.set("class", f"{node.get('class')} mark")
        label = etree.SubElement(node, "title")
        label.text = text


def _threshold(root: Any, chart: Any, value: float, text: str) -> None:
    """A vertical line at `value` on the value axis, drawn in pygal's own plot coordinates."""
    plot = next(node for node in root.iter() if (node.get("class") or "").split() == ["plot"])
    x = chart.view.y(value)  # a horizontal chart projects its values (y) onto x
    height = chart.view.height
    group = etree.SubElement(plot, "g", {"class": "threshold"})
    etree.SubElement(
        group,
        "line",
        {
            "x1": f"{x:.2f}",
            "x2": f"{x:.2f}",
            "y1": "0",
            "y2": f"{height:.2f}",
            "stroke": THRESHOLD_COLOUR,
            "stroke-width": "3",
            "stroke-dasharray": "8 4",
        },
    )
    # The label sits beside the line on the roomier side, shortened to fit (whole in <title>).
    offset = float(re.findall(r"[-\d.]+", plot.get("transform", "translate(0 0)"))[0])
    room_left, room_right = offset + x - 8, chart.width - offset - x - 8
    right = room_left > room_right
    label = etree.SubElement(
        group,
        "text",
        {
            "x": f"{x - 4 if right else x + 4:.2f}",
            "y": "-8",  # in the gap (margin_top) between the title and the plot, clear of the bars
            "text-anchor": "end" if right else "start",
            "fill": THRESHOLD_COLOUR,
            "font-size": "12",
        },
    )
    label.text = shorten(text, int(max(room_left, room_right) / LABEL_CHAR_PX))
    etree.SubElement(group, "title").text = text


def _clean(svg: str, identity: Sequence[str]) -> str:
    """Strip comments, scripts and external links; give the chart a stable id."""
    root = etree.fromstring(svg.encode("utf-8"))
    old_id = root.get("id", "")
    for node in list(root.iter(etree.Comment, f"{{{SVG_NS}}}script", "script")):
        _drop(node)
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        for attribute in ("href", XLINK_HREF):
            if attribute in node.attrib and not node.attrib[attribute].startswith("#"):
                del node.attrib[attribute]
    digest = hashlib.sha256("\x1f".join(identity).encode("utf-8")).hexdigest()[:12]
    new_id = f"chart-{digest}"
    root.set("role", "img")
    root.set("aria-label", identity[1])
    text = str(etree.tostring(root, encoding="unicode"))
    return text.replace(old_id, new_id) if old_id else text


def _drop(node: Any) -> None:
    """Remove `node` but keep the text that follows it (lxml stores it on the node)."""
    parent = node.getparent()
    if parent is None:
        return
    tail = node.tail or ""
    previous = node.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail
    parent.remove(node)
