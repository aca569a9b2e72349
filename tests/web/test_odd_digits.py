"""Digits that are not decimal ("²" passes str.isdigit() but not int()) are refused like any
other bad id: a page answers, never a 500."""

import pytest

URLS = [
    "/reports/plan-risk/?who=user-%C2%B2",
    "/reports/plan-risk/?pipeline=%C2%B2",
    "/reports/plan-risk/deals/?stage=%C2%B2",
    "/sales/command-center/won/?who=user-%C2%B2&period=2026",
    "/reports/territories/deals/?territory=%C2%B2",
    "/reports/territories/accounts/?territory=%C2%B2",
    "/reports/dashboard/?days=%C2%B2",
    "/reports/funnel/deals/?stage=%C2%B2",
]


@pytest.mark.parametrize("url", URLS)
def test_a_superscript_digit_in_an_id_is_not_a_server_error(web_as, admin, url):
    client = web_as(admin)
    client.raise_request_exception = False
    assert client.get(url).status_code < 500
