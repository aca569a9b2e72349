import datetime

import pytest
from django.core.exceptions import ValidationError

from funia.core import periods

D = datetime.date


@pytest.mark.parametrize(
    ("kind", "day", "start", "end", "label"),
    [
        ("month", D(2026, 11, 27), D(2026, 11, 1), D(2026, 12, 1), "2026-11"),
        ("month", D(2026, 12, 31), D(2026, 12, 1), D(2027, 1, 1), "2026-12"),
        ("quarter", D(2026, 11, 27), D(2026, 10, 1), D(2027, 1, 1), "2026-Q4"),
        ("quarter", D(2026, 1, 1), D(2026, 1, 1), D(2026, 4, 1), "2026-Q1"),
        ("quarter", D(2026, 6, 30), D(2026, 4, 1), D(2026, 7, 1), "2026-Q2"),
        ("year", D(2026, 11, 27), D(2026, 1, 1), D(2027, 1, 1), "2026"),
    ],
)
def test_a_day_falls_in_one_period_with_a_label_that_reads_back(kind, day, start, end, label):
    assert periods.period_start(kind, day) == start
    assert periods.period_end(kind, start) == end
    assert periods.period_label(kind, start) == label
    assert periods.parse_period(label) == (kind, start)
    assert periods.is_period_start(kind, start)
    assert not periods.is_period_start(kind, start + datetime.timedelta(days=1))


@pytest.mark.parametrize(
    "text", ["", "2026-13", "2026-00", "2026-Q5", "0000-01", "0000", "26-11", "2026/11", "x"]
)
def test_a_bad_period_label_is_a_field_error(text):
    with pytest.raises(ValidationError) as error:
        periods.parse_period(text, field="period")
    assert "period" in error.value.message_dict


def test_the_periods_overlapping_a_range_are_listed_in_order():
    assert periods.periods_between("quarter", D(2026, 2, 15), D(2026, 10, 1)) == [
        D(2026, 1, 1),
        D(2026, 4, 1),
        D(2026, 7, 1),
    ]
    assert periods.periods_between("month", D(2026, 11, 1), D(2026, 11, 1)) == []


def test_period_moments_are_midnight_in_the_organisation_time_zone(org):
    org.time_zone = "Europe/Sofia"
    start, end = periods.moments(org, "month", D(2026, 7, 1))
    assert start.isoformat() == "2026-07-01T00:00:00+03:00"
    assert end.isoformat() == "2026-08-01T00:00:00+03:00"
