"""Calendar periods of plans and forecasts: months, quarters and years.

A period is (kind, start) where `start` is its first day; it ends (exclusive) on the first
day of the next period. Labels are "2026-11" (month), "2026-Q4" (quarter) and "2026" (year);
`parse_period` reads them back. Moments are midnight in the organisation's time zone.
"""

import datetime
import re
import zoneinfo

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MONTH, QUARTER, YEAR = "month", "quarter", "year"
KINDS = (MONTH, QUARTER, YEAR)
_MONTHS = {MONTH: 1, QUARTER: 3, YEAR: 12}
_LABEL = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>\d{2})|Q(?P<quarter>[1-4])))?$")


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The first day of the month `months` after `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def period_start(kind: str, day: datetime.date) -> datetime.date:
    """The first day of the `kind` period that contains `day`."""
    if kind == MONTH:
        return day.replace(day=1)
    if kind == QUARTER:
        return datetime.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    if kind == YEAR:
        return datetime.date(day.year, 1, 1)
    raise ValueError(kind)


def period_end(kind: str, start: datetime.date) -> datetime.date:
    """The day after the period (the first day of the next one)."""
    return add_months(start, _MONTHS[kind])


def is_period_start(kind: str, day: datetime.date) -> bool:
    return period_start(kind, day) == day


def periods_between(kind: str, start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """The starts of the `kind` periods that overlap [start, end)."""
    starts, day = [], period_start(kind, start)
    while day < end:
        starts.append(day)
        day = period_end(kind, day)
    return starts


def period_label(kind: str, start: datetime.date) -> str:
    if kind == MONTH:
        return f"{start:%Y-%m}"
    if kind == QUARTER:
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return f"{start.year}"


def parse_period(text: str, field: str = "period") -> tuple[str, datetime.date]:
    """ "2026-11", "2026-Q4" or "2026" -> (kind, start); anything else is a field error."""
    match = _LABEL.match((text or "").strip())
    if match and int(match["year"]) >= 1:
        year = int(match["year"])
        if match["month"] and 1 <= int(match["month"]) <= 12:
            return MONTH, datetime.date(year, int(match["month"]), 1)
        if match["quarter"]:
            return QUARTER, datetime.date(year, (int(match["quarter"]) - 1) * 3 + 1, 1)
        if not match["month"]:
            return YEAR, datetime.date(year, 1, 1)
    raise ValidationError({field: _("Give a period as YYYY-MM, YYYY-Qn or YYYY.")})


def zone_of(tenant) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(tenant.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def midnight(tenant, day: datetime.date) -> datetime.datetime:
    """The start of `day` in the organisation's time zone."""
    return datetime.datetime.combine(day, datetime.time(), tzinfo=zone_of(tenant))


def moments(tenant, kind: str, start: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """[start, end) of the period as aware datetimes in the organisation's time zone."""
    return midnight(tenant, start), midnight(tenant, period_end(kind, start))


def today(tenant) -> datetime.date:
    from django.utils import timezone

    return timezone.now().astimezone(zone_of(tenant)).date()
