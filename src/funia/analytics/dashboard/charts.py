"""Geometry of the server-rendered SVG charts (templates in `analytics/charts/`, tags in
`{% load charts %}`).

The charts have no `viewBox`: horizontal positions and widths are percentages of the chart's
width and vertical ones are CSS pixels, so the chart fills its column at any width while
its text keeps its size (readable on a 390 px phone). Every number is given to the template
as text with a dot as the decimal mark, whatever the language of the page.
"""

from dataclasses import dataclass, field

# Horizontal bars: a label line, then the bar, per row.
ROW_HEIGHT = 46
LABEL_BASELINE = 16
BAR_TOP = 22
BAR_HEIGHT = 16
# Columns: the plot, then a line of labels under it.
PLOT_TOP = 8
PLOT_HEIGHT = 150
LABEL_LINE = 22
LABEL_LIMIT = 44


def _num(value: float) -> str:
    """A coordinate as SVG reads it (a dot, at most two decimals, no exponent)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def short(text: str, limit: int = LABEL_LIMIT) -> str:
    """A label cut to `limit` characters (with an ellipsis): SVG text does not wrap."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass
class Bar:
    label: str
    text: str
    url: str
    title: str
    width: str  # % of the chart's width
    label_y: str
    bar_y: str
    tone: str = ""


@dataclass
class BarChart:
    bars: list[Bar]
    height: int
    bar_height: int = BAR_HEIGHT
    empty: bool = False


def bar_chart(items: list[dict], *, scale: float | None = None) -> BarChart:
    """Horizontal bars, one per item: {"label", "value", "text", "url", "title", "tone"}.

    Bars are as long as `value` is of `scale` (default: the largest value); a value above
    the scale fills the row, a positive value shows at least a sliver."""
    top = scale if scale is not None else max((float(i["value"] or 0) for i in items), default=0)
    bars = []
    for index, item in enumerate(items):
        value = float(item["value"] or 0)
        share = min(100.0, 100.0 * value / top) if top > 0 else 0.0
        if value > 0:
            share = max(share, 0.75)
        y = index * ROW_HEIGHT
        label = short(f"{item['label']} · {item['text']}" if item.get("text") else item["label"])
        bars.append(
            Bar(
                label=label,
                text=item.get("text", ""),
                url=item.get("url", ""),
                title=item.get("title") or f"{item['label']}: {item.get('text', '')}",
                width=_num(share),
                label_y=_num(y + LABEL_BASELINE),
                bar_y=_num(y + BAR_TOP),
                tone=item.get("tone", ""),
            )
        )
    return BarChart(bars=bars, height=max(1, len(bars)) * ROW_HEIGHT, empty=not bars)


@dataclass
class Column:
    series: str
    x: str
    y: str
    width: str
    height: str
    url: str
    title: str
    tone: str


@dataclass
class ColumnGroup:
    label: str
    label_x: str
    columns: list[Column] = field(default_factory=list)


@dataclass
class ColumnChart:
    groups: list[ColumnGroup]
    height: int
    baseline: str
    series: list[dict]
    empty: bool = False


def column_chart(groups: list[dict], series: list[dict]) -> ColumnChart:
    """Grouped vertical columns: `series` = [{"key", "label", "tone"}], `groups` =
    [{"label", "values": {key: number or None}, "urls": {key: url}, "titles": {key: text}}].
    A missing value (None) draws no column."""
    top = max((float(v) for g in groups for v in g["values"].values() if v is not None), default=0)
    slot = 100.0 / max(1, len(groups))
    inner = slot * 0.76
    width = inner / max(1, len(series))
    laid = []
    for index, group in enumerate(groups):
        start = index * slot + (slot - inner) / 2
        columns = []
        for position, serie in enumerate(series):
            value = group["values"].get(serie["key"])
            if value is None:
                continue
            height = PLOT_HEIGHT * float(value) / top if top > 0 else 0.0
            if float(value) > 0:
                height = max(height, 2.0)
            columns.append(
                Column(
                    series=serie["key"],
                    x=_num(start + position * width + width * 0.06),
                    y=_num(PLOT_TOP + PLOT_HEIGHT - height),
                    width=_num(width * 0.88),
                    height=_num(height),
                    url=group.get("urls", {}).get(serie["key"], ""),
                    title=group.get("titles", {}).get(serie["key"], ""),
                    tone=serie.get("tone", serie["key"]),
                )
            )
        laid.append(
            ColumnGroup(
                label=short(group["label"], 10),
                label_x=_num(index * slot + slot / 2),
                columns=columns,
            )
        )
    return ColumnChart(
        groups=laid,
        height=PLOT_TOP + PLOT_HEIGHT + LABEL_LINE,
        baseline=_num(PLOT_TOP + PLOT_HEIGHT),
        series=series,
        empty=top <= 0,
    )


@dataclass
class Progress:
    width: str  # % of the track, at most 100
    percent: int | None  # the share, rounded (may exceed 100); None without a target
    reached: bool


def progress(value, target) -> Progress:
    """How far `value` is towards `target` (None or 0: no target)."""
    if not target:
        return Progress(width="0", percent=None, reached=False)
    share = 100.0 * float(value or 0) / float(target)
    return Progress(
        width=_num(max(0.0, min(100.0, share))),
        percent=round(share),
        reached=share >= 100.0,
    )
