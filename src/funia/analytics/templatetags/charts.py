"""{% load charts %}: server-rendered SVG charts (geometry in `analytics.dashboard.charts`).

- `{% bar_chart chart title desc %}`: horizontal bars, each a link to its records;
- `{% column_chart chart title desc %}`: grouped columns with a legend;
- `{% progress_bar value target label %}`: a progress bar towards a target.

Each chart carries a <title> and a <desc> (its accessible name and description); the pages
show the numbers in a table beside it as well.
"""

import itertools

from django import template

from funia.analytics.dashboard import charts

register = template.Library()
_ids = itertools.count(1)


def _chart_id() -> str:
    return f"chart-{next(_ids)}"


@register.inclusion_tag("analytics/charts/bars.html")
def bar_chart(chart: charts.BarChart, title: str, desc: str = ""):
    return {"chart": chart, "title": title, "desc": desc, "id": _chart_id()}


@register.inclusion_tag("analytics/charts/columns.html")
def column_chart(chart: charts.ColumnChart, title: str, desc: str = ""):
    return {"chart": chart, "title": title, "desc": desc, "id": _chart_id()}


@register.inclusion_tag("analytics/charts/progress.html")
def progress_bar(value, target, label: str = ""):
    return {"bar": charts.progress(value, target), "label": label, "id": _chart_id()}
