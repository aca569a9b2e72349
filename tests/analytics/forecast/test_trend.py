"""The trend: a least-squares straight line through the past months, extended, never below 0."""

from decimal import Decimal

import pytest

from funia.analytics.forecast.services import linear_trend

D = Decimal


def test_a_steady_rise_continues_by_the_same_step():
    slope, intercept, ahead = linear_trend([D(100), D(200), D(300)], 3)
    assert (slope, intercept) == (D(100), D(100))
    assert ahead == [D("400.00"), D("500.00"), D("600.00")]


def test_a_flat_series_stays_flat():
    assert linear_trend([D(50)] * 6, 2)[2] == [D("50.00"), D("50.00")]


def test_a_fall_is_floored_at_zero():
    slope, _intercept, ahead = linear_trend([D(300), D(200), D(100)], 3)
    assert slope == D(-100)
    assert ahead == [D("0.00"), D("0.00"), D("0.00")]


def test_noise_is_fitted_by_least_squares():
    # x = 0..3, y = 10, 30, 20, 40: slope = Σ(x-1.5)(y-25) / Σ(x-1.5)² = 40 / 5 = 8,
    # intercept = 25 - 8 × 1.5 = 13
    slope, intercept, ahead = linear_trend([D(10), D(30), D(20), D(40)], 2)
    assert (slope, intercept) == (D(8), D(13))
    assert ahead == [D("45.00"), D("53.00")]  # 13 + 8 × 4, 13 + 8 × 5


def test_the_projection_is_rounded_to_cents_half_up():
    # 0, 0, 1: slope 0.5, intercept -1/6; x = 3: 1.3333…, x = 4: 1.8333…
    assert linear_trend([D(0), D(0), D(1)], 2)[2] == [D("1.33"), D("1.83")]


@pytest.mark.parametrize("values", [[], [D(70)]])
def test_too_short_a_history_gives_a_flat_line(values):
    ahead = linear_trend(values, 2)[2]
    assert ahead == [values[0].quantize(D("0.01"))] * 2 if values else [D(0), D(0)]
