"""The report's charts: one titled mark per value, a threshold where the claim draws its line,
and nothing a static offline page must not carry (scripts, links out, hostile text unescaped)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from factcheck.reporting.charts import bars_svg, series_svg

SVG = "{http://www.w3.org/2000/svg}"


@dataclass(frozen=True)
class Bar:
    name: str
    value: float
    unit: str
    supports: bool | None


@dataclass(frozen=True)
class Point:
    at: datetime
    value: float
    unit: str
    source: str


UNIT = "$/M tokens"
BARS = (
    Bar("Together", 3.5, UNIT, False),
    Bar("Fireworks", 3.0, UNIT, False),
    Bar("Lambda", 0.8, UNIT, True),
    Bar("Unknown", 2.0, UNIT, None),
)
T0 = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
POINTS = (
    *(Point(T0 + timedelta(days=i), 3.5 - i * 0.25, UNIT, "together") for i in range(4)),
    Point(T0 + timedelta(days=1), 3.0, UNIT, "fireworks"),
)


def parse(svg: str) -> etree._Element:
    return etree.fromstring(svg.encode("utf-8"))


def marks(root: etree._Element) -> list[etree._Element]:
    return [node for node in root.iter() if "mark" in (node.get("class") or "").split()]


def title_of(node: etree._Element) -> str:
    found = node.find(f"{SVG}title")
    assert found is not None and found.text is not None
    return found.text


def test_no_data_no_chart() -> None:
    assert bars_svg((), threshold=2.5, threshold_label="half", title="t") == ""
    assert series_svg((), title="t") == ""


def test_one_titled_mark_per_record() -> None:
    root = parse(bars_svg(BARS, threshold=2.5, threshold_label="half of $5.00", title="405B"))
    found = marks(root)
    assert len(found) == len(BARS)
    assert all(node.tag == f"{SVG}rect" for node in found)
    assert sorted(title_of(node) for node in found) == sorted(
        [
            "Together: 3.5 $/M tokens",
            "Fireworks: 3 $/M tokens",
            "Lambda: 0.8 $/M tokens",
            "Unknown: 2 $/M tokens",
        ]
    )
    assert root.findtext(f"{SVG}title") == "405B"
    assert root.get("aria-label") == "405B" and root.get("role") == "img"


def test_bar_lengths_follow_the_values() -> None:
    root = parse(bars_svg(BARS, threshold=None, threshold_label=None, title="t"))
    widths = {title_of(node).split(":")[0]: float(node.get("width", "0")) for node in marks(root)}
    assert widths["Together"] / widths["Lambda"] == pytest.approx(3.5 / 0.8, rel=1e-3)
    assert widths["Together"] > widths["Fireworks"] > widths["Unknown"] > widths["Lambda"]


def test_bars_coloured_by_what_they_say_of_the_claim() -> None:
    root = parse(bars_svg(BARS, threshold=2.5, threshold_label=None, title="t"))
    style = {title_of(node).split(":")[0]: node.getparent().get("style") for node in marks(root)}
    assert "#1a7f37" in style["Lambda"] and "#b3261e" in style["Together"]
    assert "#6e7781" in style["Unknown"]


def test_threshold_line_sits_at_its_value_on_the_bars_axis() -> None:
    root = parse(bars_svg(BARS, threshold=2.5, threshold_label="half of $5.00", title="t"))
    (group,) = [node for node in root.iter() if node.get("class") == "threshold"]
    line = group.find(f"{SVG}line")
    assert line is not None and line.get("x1") == line.get("x2")
    assert group.findtext(f"{SVG}title") == "half of $5.00"
    assert group.findtext(f"{SVG}text") == "half of $5.00"
    # Bars start at the same x; a bar of value v ends at start + v * scale.
    by_name = {title_of(node).split(":")[0]: node for node in marks(root)}
    start = float(by_name["Lambda"].get("x", "0"))
    scale = float(by_name["Lambda"].get("width", "0")) / 0.8
    assert float(line.get("x1", "0")) == pytest.approx(start + 2.5 * scale, abs=0.05)
    # In the same coordinate space as the bars: inside the plot group.
    plot = group.getparent()
    assert plot is not None and plot.get("class") == "plot"
    assert all(plot in node.iterancestors() for node in by_name.values())


def test_threshold_beyond_every_bar_is_still_drawn_inside_the_plot() -> None:
    root = parse(bars_svg(BARS[2:3], threshold=5.0, threshold_label=None, title="t"))
    (group,) = [node for node in root.iter() if node.get("class") == "threshold"]
    assert group.findtext(f"{SVG}title") == "threshold: 5 $/M tokens"
    background = root.find(f".//{SVG}g[@class='plot']/{SVG}rect[@class='background']")
    assert background is not None
    line = group.find(f"{SVG}line")
    assert line is not None
    assert 0 < float(line.get("x1", "0")) < float(background.get("width", "0"))


def test_no_threshold_no_line() -> None:
    svg = bars_svg(BARS, threshold=None, threshold_label=None, title="t")
    assert 'class="threshold"' not in svg


def test_series_one_titled_dot_per_reading() -> None:
    root = parse(series_svg(POINTS, title="over time"))
    found = marks(root)
    assert len(found) == len(POINTS)
    assert all(node.tag == f"{SVG}circle" for node in found)
    titles = {title_of(node) for node in found}
    assert "together: 3.5 $/M tokens (2026-11-01 02:00 UTC)" in titles
    assert "fireworks: 3 $/M tokens (2026-11-02 02:00 UTC)" in titles


@pytest.mark.parametrize("kind", ["bars", "series"])
def test_nothing_runs_or_loads_from_elsewhere(kind: str) -> None:
    svg = (
        bars_svg(BARS, threshold=2.5, threshold_label="x", title="t")
        if kind == "bars"
        else series_svg(POINTS, title="t")
    )
    root = parse(svg)
    assert not [node for node in root.iter() if node.tag in (f"{SVG}script", "script")]
    for node in root.iter():
        if isinstance(node.tag, str):
            for name, value in node.attrib.items():
                assert not name.endswith("href") or value.startswith("#"), (name, value)
                assert not name.startswith("on"), name
    assert "@import" not in svg and "url(" not in svg and "googlefont" not in svg.lower()
    assert "<!--" not in svg and "<?xml" not in svg


def test_hostile_names_are_text_not_markup() -> None:
    hostile = '<script>window.pwned=1</script>"&'
    bars = (Bar(hostile, 1.0, "<b>u</b>", True), Bar("ok", 2.0, "<b>u</b>", False))
    svg = bars_svg(
        bars, threshold=1.5, threshold_label="<img src=x onerror=alert(1)>", title=hostile
    )
    assert "<script>" not in svg and "<img" not in svg and "<b>" not in svg
    root = parse(svg)
    assert not [node for node in root.iter() if node.tag in (f"{SVG}script", f"{SVG}img")]
    titles = [title_of(node) for node in marks(root)]
    assert f"{hostile}: 1 <b>u</b>" in titles
    points = (Point(T0, 1.0, "u", hostile),)
    series = series_svg(points, title=hostile)
    assert "<script>" not in series
    assert title_of(marks(parse(series))[0]).startswith(f"{hostile}: 1 u")


def test_same_data_same_bytes_and_distinct_ids() -> None:
    first = bars_svg(BARS, threshold=2.5, threshold_label="x", title="t")
    assert first == bars_svg(BARS, threshold=2.5, threshold_label="x", title="t")
    other = bars_svg(BARS, threshold=3.0, threshold_label="x", title="t")
    ids = {re.search(r'id="(chart-[0-9a-f]+)"', svg).group(1) for svg in (first, other)}  # type: ignore[union-attr]
    assert len(ids) == 2
    # pygal's stylesheet is scoped to the chart's id: the new id replaced the random one.
    (chart_id,) = re.findall(r'<svg[^>]* id="([^"]+)"', first)
    assert f"#{chart_id}" in first and first.count("#chart-") == first.count(f"#{chart_id}")


def test_importing_the_charts_leaves_no_legacy_import_hook() -> None:
    """pygal's map-plugin finder turns every failed optional import into an ImportWarning."""
    import sys

    import factcheck.reporting.charts  # noqa: F401

    assert all(hasattr(finder, "find_spec") for finder in sys.meta_path)
    with pytest.raises(ImportError):
        import factcheck_no_such_module  # type: ignore[import-not-found]  # noqa: F401
