"""The forecast pages: every role sees the report (English and Bulgarian), every number links
to its deals, each table exports as CSV, managers adjust a rep's number inline, and the
adjustments have their own list, form and trash."""

import csv
import io
import re
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse

from funia.analytics.models import ForecastAdjustment
from tests.analytics.forecast.conftest import WINDOW
from tests.conftest import tenant_snapshot

REPORT = "/reports/forecast/"
DRILL = "/reports/forecast/deals/"
ADJUST = "/reports/forecast/adjust/"


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]*)"', response.content.decode())[1]


def drill_links(html: str) -> list[str]:
    return [unescape(u) for u in re.findall(r'href="(/reports/forecast/deals/\?[^"]*)"', html)]


def adjust_links(html: str) -> list[str]:
    return [unescape(u) for u in re.findall(r'hx-get="(/reports/forecast/adjust/\?[^"]*)"', html)]


def csv_rows(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.fixture(params=["en", "bg"])
def language(request, scene):
    for actor in (scene.admin, scene.manager, scene.ana, scene.analyst):
        actor.user.language = request.param
        actor.user.save(update_fields=["language"])
    return request.param


@pytest.mark.parametrize("who", ["admin", "manager", "ana", "analyst"])
def test_every_role_sees_the_forecast_in_its_language(scene, web_as, language, who):
    response = web_as(getattr(scene, who)).get(REPORT, WINDOW)
    assert response.status_code == 200
    assert html_lang(response) == language
    html = response.content.decode()
    assert 'id="forecast-report"' in html and "<svg" in html
    assert 'id="definitions"' in html


def test_the_navigation_offers_the_forecast(scene, web_as):
    html = web_as(scene.ana).get(reverse("home")).content.decode()
    assert f'href="{REPORT}"' in html


def test_the_filters_refresh_only_the_report_for_htmx(scene, web_as):
    response = web_as(scene.admin).get(REPORT, WINDOW, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="forecast-report"')
    assert 'id="forecast-filters"' not in html


def test_bad_filters_are_explained_not_failed(scene, web_as):
    response = web_as(scene.admin).get(REPORT, {"months": "99", "from": "soon", "owner": "x"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "alert-error" in html and 'id="forecast-report"' in html


def test_a_pipeline_of_another_organisation_is_404(scene, web_as, other_org_records):
    pipeline = other_org_records.ids["pipeline"]
    assert web_as(scene.admin).get(REPORT, {"pipeline": pipeline}).status_code == 404
    assert web_as(scene.admin).get(DRILL, {"pipeline": pipeline}).status_code == 404


# -- drill-downs -------------------------------------------------------------------------------


def test_every_number_links_to_its_deals_and_the_list_matches_it(scene, web_as):
    browser = web_as(scene.admin)
    html = browser.get(REPORT, {**WINDOW, "group_by": "owner"}).content.decode()
    links = drill_links(html)
    assert len(links) > 100
    ana = scene.ana.user.pk
    [march_commit] = [
        link
        for link in links
        if f"group={ana}" in link and "month=2025-03" in link and "category=commit&" in link + "&"
    ]
    page = browser.get(march_commit).content.decode()
    assert 'data-count="1"' in page
    assert ">d1</a>" in page
    assert "Back to the forecast" in page


def test_the_drill_down_exports_its_deals(scene, web_as):
    response = web_as(scene.admin).get(DRILL, {**WINDOW, "category": "won", "format": "csv"})
    rows = csv_rows(response)
    assert [r[1] for r in rows[1:]] == ["w1", "w2"]


def test_a_bad_drill_down_is_explained(scene, web_as):
    response = web_as(scene.admin).get(DRILL, {"month": "2025-13", "category": "x"})
    assert response.status_code == 200
    assert "alert-error" in response.content.decode()


def test_a_rep_drills_only_into_their_own_deals(scene, web_as):
    html = web_as(scene.ana).get(DRILL, WINDOW).content.decode()
    assert 'data-count="4"' in html  # d1 d2 d3 w1
    assert ">d7</a>" not in html and ">w2</a>" not in html


# -- CSV ---------------------------------------------------------------------------------------


def test_the_forecast_table_exports_with_the_adjusted_and_computed_amounts(scene, web_as):
    response = web_as(scene.admin).get(REPORT, {**WINDOW, "format": "csv", "table": "forecast"})
    rows = csv_rows(response)
    header, body = rows[0], rows[1:]
    assert header[:5] == ["Group", "Period", "Commit deals", "Commit", "Commit computed"]
    march = next(r for r in body if r[1] == "2025-03")
    line = dict(zip(header, march, strict=True))
    assert (line["Commit"], line["Commit computed"], line["Won"]) == (
        "2500.00",
        "1000.00",
        "1500.00",
    )
    assert line["Commit forecast"] == "4000.00"
    assert [r[1] for r in body] == ["Overdue", "2025-03", "2025-04", "No close date", "Total"]


def test_every_group_is_in_the_csv(scene, web_as):
    query = {**WINDOW, "format": "csv", "table": "forecast", "group_by": "team"}
    groups = {r[0] for r in csv_rows(web_as(scene.admin).get(REPORT, query))[1:]}
    assert groups == {"All", "North", "South", "No team"}


@pytest.mark.parametrize(
    ("table", "first_cells"),
    [
        ("quarters", ["All", "2025-Q1"]),
        ("plan", ["All", "2024-09"]),
        ("trend", ["2024-03", "0.00"]),
    ],
)
def test_each_table_exports_as_csv(scene, web_as, table, first_cells):
    response = web_as(scene.admin).get(REPORT, {**WINDOW, "format": "csv", "table": table})
    rows = csv_rows(response)
    assert rows[1][: len(first_cells)] == first_cells
    assert "attachment" in response["Content-Disposition"]


# -- the inline adjustment ---------------------------------------------------------------------


def ana_march_commit(scene, web_as) -> str:
    html = web_as(scene.manager).get(REPORT, {**WINDOW, "group_by": "owner"}).content.decode()
    ana = scene.ana.user.pk
    [link] = [
        u
        for u in adjust_links(html)
        if f"user={ana}&" in u and "start=2025-03-01" in u and "category=commit" in u
    ]
    return link


def test_a_manager_is_offered_to_adjust_only_the_reps_of_their_teams(scene, web_as):
    html = web_as(scene.manager).get(REPORT, {**WINDOW, "group_by": "owner"}).content.decode()
    users = {re.search(r"user=(\d+)", u)[1] for u in adjust_links(html)}
    # Mira manages North: Ana and herself (Mira's own table shows only when she has figures).
    assert str(scene.ana.user.pk) in users
    assert str(scene.boris.user.pk) not in users


@pytest.mark.parametrize("who", ["ana", "analyst"])
def test_reps_and_analysts_are_not_offered_to_adjust(scene, web_as, who):
    query = {**WINDOW, "group_by": "owner"}
    html = web_as(getattr(scene, who)).get(REPORT, query).content.decode()
    assert adjust_links(html) == []


def test_the_adjustment_form_shows_the_current_adjustment_and_who_made_it(scene, web_as):
    link = ana_march_commit(scene, web_as)
    response = web_as(scene.manager).get(link, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith("<form")
    assert 'value="2500.00"' in html and 'value="CFO confirmed"' in html
    assert "Mira Manager" in html
    # Without HTMX the same address is a page of its own.
    page = web_as(scene.manager).get(link).content.decode()
    assert "<html" in page and "Ana Aneva" in page


def test_a_manager_adjusts_inline_and_gets_the_refreshed_report(scene, web_as):
    link = ana_march_commit(scene, web_as)
    fragment = web_as(scene.manager).get(link, headers={"HX-Request": "true"}).content.decode()
    form = dict(re.findall(r'<input[^>]* name="(\w+)" value="([^"]*)"', unescape(fragment)))
    form.update(amount="3000", note="Signed next week")
    response = web_as(scene.manager).post(ADJUST, form, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#forecast-report"
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="forecast-report"')
    assert "Signed next week" in html
    adjustment = ForecastAdjustment.objects.for_tenant(scene.admin.tenant).get()
    assert adjustment.amount == Decimal("3000.00")
    assert adjustment.adjusted_by == scene.manager.user
    # The report kept its filters: grouped by owner, March 2025.
    assert "group_by=owner" in response["HX-Push-Url"] and "from=2025-03" in response["HX-Push-Url"]


def test_without_htmx_the_adjustment_returns_to_the_report(scene, web_as):
    link = ana_march_commit(scene, web_as)
    query = dict(re.findall(r"(\w+)=([^&]*)", link.split("?", 1)[1]))
    from urllib.parse import unquote_plus

    form = {k: unquote_plus(v) for k, v in query.items()} | {"amount": "10", "note": ""}
    response = web_as(scene.manager).post(ADJUST, form)
    assert response.status_code == 302
    assert response["Location"].startswith(REPORT) and "group_by=owner" in response["Location"]


def test_removing_the_adjustment_brings_the_computed_amount_back(scene, web_as):
    link = ana_march_commit(scene, web_as)
    from urllib.parse import parse_qsl

    form = dict(parse_qsl(link.split("?", 1)[1])) | {"amount": "", "note": "", "remove": "1"}
    web_as(scene.manager).post(ADJUST, form, headers={"HX-Request": "true"})
    assert not ForecastAdjustment.objects.for_tenant(scene.admin.tenant).exists()
    assert ForecastAdjustment.objects.for_tenant(scene.admin.tenant, with_deleted=True).count() == 1


def test_an_invalid_amount_is_shown_on_the_form(scene, web_as):
    from urllib.parse import parse_qsl

    form = dict(parse_qsl(ana_march_commit(scene, web_as).split("?", 1)[1]))
    response = web_as(scene.manager).post(
        ADJUST, form | {"amount": "-5"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()
    assert ForecastAdjustment.objects.for_tenant(scene.admin.tenant).get().amount == 2500


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_rep_may_not_adjust_even_their_own_number(scene, web_as, method):
    from urllib.parse import parse_qsl

    form = dict(parse_qsl(ana_march_commit(scene, web_as).split("?", 1)[1])) | {"amount": "1"}
    browser = web_as(scene.ana)
    before = tenant_snapshot(scene.admin.tenant)
    response = getattr(browser, method)(ADJUST, form)
    assert response.status_code == 403
    assert tenant_snapshot(scene.admin.tenant) == before


def test_an_incomplete_adjustment_link_is_a_bad_request(scene, web_as):
    assert web_as(scene.manager).get(ADJUST).status_code == 400


# -- the adjustment records --------------------------------------------------------------------


def test_the_adjustments_list_shows_what_the_reader_may_see(scene, web_as):
    listed = web_as(scene.manager).get("/reports/forecast/adjustments/").content.decode()
    assert "Ana Aneva" in listed and "CFO confirmed" in listed
    assert (
        "CFO confirmed"
        not in web_as(scene.boris).get("/reports/forecast/adjustments/").content.decode()
    )


def test_a_manager_creates_edits_trashes_and_restores_an_adjustment(scene, web_as):
    browser = web_as(scene.manager)
    form = browser.get("/reports/forecast/adjustments/new/").content.decode()
    assert "Ana Aneva" in form and "Boris Borisov" not in form  # only the reps of North
    response = browser.post(
        "/reports/forecast/adjustments/new/",
        {
            "user": scene.ana.user.pk,
            "period": "quarter",
            "start": "2025-04-01",
            "category": "best_case",
            "amount": "4200",
            "note": "Tender",
        },
    )
    assert response.status_code == 302, response.content.decode()
    created = ForecastAdjustment.objects.for_tenant(scene.admin.tenant).get(period="quarter")
    detail = browser.get(response["Location"]).content.decode()
    assert "Tender" in detail and "Mira Manager" in detail
    edit = f"/reports/forecast/adjustments/{created.pk}/edit/"
    response = browser.post(
        edit,
        {
            "user": scene.ana.user.pk,
            "period": "quarter",
            "start": "2025-04-01",
            "category": "best_case",
            "amount": "4300",
            "note": "Tender",
            "etag": created.etag,
        },
    )
    assert response.status_code == 302
    browser.post(f"/reports/forecast/adjustments/{created.pk}/delete/")
    assert not ForecastAdjustment.objects.for_tenant(scene.admin.tenant).filter(pk=created.pk)
    browser.post(f"/reports/forecast/adjustments/{created.pk}/restore/")
    restored = ForecastAdjustment.objects.for_tenant(scene.admin.tenant).get(pk=created.pk)
    assert restored.amount == Decimal("4300.00")


def test_the_form_explains_a_duplicate_and_a_wrong_start(scene, web_as):
    browser = web_as(scene.admin)
    fields = {
        "user": scene.ana.user.pk,
        "period": "month",
        "start": "2025-03-01",
        "category": "commit",
        "amount": "1",
    }
    duplicate = browser.post("/reports/forecast/adjustments/new/", fields).content.decode()
    assert "already an adjustment" in duplicate
    wrong = browser.post(
        "/reports/forecast/adjustments/new/", fields | {"start": "2025-03-02"}
    ).content.decode()
    assert "2025-03-01" in wrong


def test_a_rep_may_not_create_an_adjustment_on_the_form(scene, web_as):
    response = web_as(scene.ana).post(
        "/reports/forecast/adjustments/new/",
        {
            "user": scene.ana.user.pk,
            "period": "month",
            "start": "2025-04-01",
            "category": "commit",
            "amount": "1",
        },
    )
    assert response.status_code in (200, 403)
    assert ForecastAdjustment.objects.for_tenant(scene.admin.tenant).count() == 1
