"""The command center page: who sees which rows, quotas set inline (HTMX and without
JavaScript), totals, plan against fact, the won drill-down, CSV, a quota's page."""

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from funia.core import periods
from funia.sales import opportunities
from funia.sales.models import Quota
from funia.sales.quotas import services
from tests import factories

D = datetime.date
URL = "/sales/command-center/"


@pytest.fixture
def sales(admin, manager):
    rep = factories.member(
        admin.tenant, "sales_rep", email="rep@acme.example", first_name="Ivan", last_name="Kolev"
    )
    other = factories.member(
        admin.tenant, "sales_rep", email="other@acme.example", first_name="Ana", last_name="Stoy"
    )
    manager.user.first_name, manager.user.last_name = "Georgi", "Petrov"
    manager.user.save()
    team = factories.team(admin, "Sofia sales", manager=manager, members=[manager, rep])
    far = factories.team(admin, "Plovdiv sales", members=[other])
    return rep, other, team, far


@pytest.fixture
def today(admin):
    return periods.today(admin.tenant)


@pytest.fixture
def pipeline(admin):
    return factories.pipeline(admin)


def win(admin, pipeline, owner, amount):
    deal = factories.opportunity(
        admin,
        name=f"Deal of {owner.user.email} for {amount}",
        pipeline_id=pipeline.pk,
        owner_id=owner.user.pk,
        amount=Decimal(amount),
    )
    won = pipeline.stages.get(kind="won")
    return opportunities.opportunity_move(by=admin, opportunity=deal, stage_id=won.pk)


def cell_post(client, who, start, amount, *, period="month", htmx=True, granularity=None):
    query = {"year": start.year, "granularity": granularity or period}
    headers = {"HX-Request": "true"} if htmx else None
    return client.post(
        f"{URL}?year={query['year']}&granularity={query['granularity']}",
        {"who": who, "period": period, "start": start.isoformat(), "amount": amount},
        headers=headers,
    )


def row_names(html: str) -> list[str]:
    return re.findall(r'<span class="cc-name">([^<]+)</span>', html)


def test_an_admin_plans_every_team_and_rep_with_the_team_manager_shown(web_as, admin, sales):
    html = web_as(admin).get(URL).content.decode()
    assert row_names(html) == [
        "Plovdiv sales",
        "Ana Stoy",
        "Sofia sales",
        "Georgi Petrov",
        "Ivan Kolev",
    ]
    assert "Manager: Georgi Petrov" in html
    assert html.count('class="cc-input"') == 5 * 4  # five rows, four quarters, all editable


def test_a_manager_plans_their_team_and_its_members_but_not_themself(web_as, manager, sales):
    rep = sales[0]
    html = web_as(manager).get(URL, {"granularity": "year"}).content.decode()
    assert row_names(html) == ["Sofia sales", "Georgi Petrov", "Ivan Kolev"]
    assert f'name="who" value="user-{rep.user.pk}"' in html
    assert f'name="who" value="team-{sales[2].pk}"' in html
    assert f'name="who" value="user-{manager.user.pk}"' not in html  # their own: read-only


def test_a_rep_reads_their_row_and_their_teams_without_inputs(web_as, sales):
    rep = sales[0]
    assert row_names(web_as(rep).get(URL).content.decode()) == ["Ivan Kolev"]
    # Their team's row (every member's wins) when reps see their team's records.
    rep.tenant.reps_see_team_records = True
    rep.tenant.save()
    response = web_as(rep).get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert row_names(html) == ["Sofia sales", "Ivan Kolev"]
    assert "cc-input" not in html


def test_the_navigation_offers_the_command_center_to_managers_and_admins(
    web_as, admin, manager, sales
):
    link = f'href="{URL}"'
    assert link in web_as(admin).get("/").content.decode()
    assert link in web_as(manager).get("/").content.decode()
    assert link not in web_as(sales[0]).get("/").content.decode()


def test_a_quota_typed_in_a_cell_is_saved_and_the_totals_follow(web_as, admin, sales, today):
    rep = sales[0]
    month = periods.period_start("month", today)

    response = cell_post(web_as(admin), f"user-{rep.user.pk}", month, "12500.50")

    assert response.status_code == 200
    quota = Quota.objects.for_tenant(admin.tenant).get(user=rep.user)
    assert (quota.period, quota.start, quota.amount) == ("month", month, Decimal("12500.50"))
    html = response.content.decode()
    cell_id = f"cc-user-{rep.user.pk}-{month:%Y-%m-%d}"
    assert html.lstrip().startswith(f'<td id="{cell_id}"')
    assert 'value="12500.50"' in html
    for oob in (
        f"cc-year-user-{rep.user.pk}",
        f"cc-risk-user-{rep.user.pk}",
        f"cc-column-{month:%Y-%m-%d}",
        "cc-grand-total",
    ):
        assert re.search(rf'id="{oob}"[^>]*hx-swap-oob="true"', html), oob
    assert "At risk" in html  # nothing won, nothing expected: the month is at risk


def test_emptying_a_cell_removes_the_quota(web_as, admin, sales, today):
    rep = sales[0]
    month = periods.period_start("month", today)
    client = web_as(admin)
    cell_post(client, f"user-{rep.user.pk}", month, "100")
    cell_post(client, f"user-{rep.user.pk}", month, "")
    assert not Quota.objects.for_tenant(admin.tenant).exists()
    assert Quota.objects.for_tenant(admin.tenant, with_deleted=True).count() == 1


def test_a_refused_entry_is_shown_in_its_cell_and_nothing_is_saved(web_as, admin, sales, today):
    rep = sales[0]
    month = periods.period_start("month", today)

    response = cell_post(web_as(admin), f"user-{rep.user.pk}", month, "10.999")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'aria-invalid="true"' in html
    assert 'value="10.999"' in html
    assert "An amount has at most two decimals." in html
    assert not Quota.objects.for_tenant(admin.tenant).exists()


def test_a_manager_is_told_in_place_that_their_own_quota_is_not_theirs_to_set(
    web_as, manager, sales, today
):
    month = periods.period_start("month", today)
    response = cell_post(web_as(manager), f"user-{manager.user.pk}", month, "100")
    assert "Your own quota is set by an administrator." in response.content.decode()
    assert not Quota.objects.for_tenant(manager.tenant).exists()


def test_without_javascript_a_cell_posts_and_comes_back_to_the_grid(web_as, admin, sales, today):
    team = sales[2]
    quarter = periods.period_start("quarter", today)
    client = web_as(admin)

    response = cell_post(client, f"team-{team.pk}", quarter, "90000", period="quarter", htmx=False)

    assert response.status_code == 302
    assert response["Location"] == f"{URL}?year={quarter.year}&granularity=quarter"
    assert Quota.objects.for_tenant(admin.tenant).get(team=team).amount == 90000
    page = client.get(response["Location"]).content.decode()
    assert "Saved." in page


def test_rows_outside_the_readers_scope_cannot_be_posted(web_as, manager, sales, today, outsider):
    month = periods.period_start("month", today)
    client = web_as(manager)
    stranger, far_team = sales[1], sales[3]
    for who in (f"user-{stranger.user.pk}", f"team-{far_team.pk}", f"user-{outsider.user.pk}"):
        assert cell_post(client, who, month, "1").status_code == 404
    assert cell_post(client, "nobody-1", month, "1").status_code == 400
    assert not Quota.objects.for_tenant(manager.tenant).exists()


def test_a_rep_cannot_set_a_quota_even_by_hand(web_as, sales, today):
    rep = sales[0]
    month = periods.period_start("month", today)
    assert cell_post(web_as(rep), f"user-{rep.user.pk}", month, "1", htmx=False).status_code == 403


def test_a_quarter_without_its_own_quota_shows_the_sum_of_its_months(web_as, admin, sales):
    rep = sales[0]
    for month in (10, 11):
        services.quota_create(
            by=admin, user_id=rep.user.pk, period="month", start=D(2026, month, 1), amount=1000
        )
    html = web_as(admin).get(URL, {"year": 2026, "granularity": "quarter"}).content.decode()
    cell = re.search(rf'<td id="cc-user-{rep.user.pk}-2026-10-01".*?</td>', html, re.S).group(0)
    assert 'placeholder="Σ 2000"' in cell
    assert 'value=""' in cell


def test_past_periods_show_plan_against_fact(web_as, admin, sales, pipeline, today):
    rep, other = sales[0], sales[1]
    month = periods.period_start("month", today)
    win(admin, pipeline, rep, "1500")
    win(admin, pipeline, other, "100")
    for who, amount in ((rep, 1000), (other, 1000)):
        services.quota_create(
            by=admin, user_id=who.user.pk, period="month", start=month, amount=amount
        )
    # Seen a month after: this month is in the past then.
    from unittest import mock

    later = periods.midnight(admin.tenant, periods.add_months(month, 1))
    with mock.patch("django.utils.timezone.now", return_value=later):
        html = web_as(admin).get(URL, {"year": month.year, "granularity": "month"})
    html = html.content.decode()
    mine = re.search(rf'<td id="cc-user-{rep.user.pk}-{month:%Y-%m-%d}".*?</td>', html, re.S)
    theirs = re.search(rf'<td id="cc-user-{other.user.pk}-{month:%Y-%m-%d}".*?</td>', html, re.S)
    assert "cc-past" in mine.group(0) and ">met<" in mine.group(0)
    assert "150 %" in mine.group(0)
    assert ">missed<" in theirs.group(0)
    column = re.search(rf'<td id="cc-column-{month:%Y-%m-%d}".*?</td>', html, re.S).group(0)
    assert "2,000" in column and "won 1,600" in column and "80 %" in column


def test_a_won_amount_leads_to_its_deals(web_as, admin, sales, pipeline, today):
    rep, other, team = sales[0], sales[1], sales[2]
    mine = win(admin, pipeline, rep, "1200")
    theirs = win(admin, pipeline, other, "300")
    month = periods.period_label("month", today)
    client = web_as(admin)

    grid = client.get(URL, {"granularity": "month"}).content.decode()
    link = f"/sales/command-center/won/?who=user-{rep.user.pk}&amp;period={month}"
    assert link in grid
    page = client.get(link.replace("&amp;", "&")).content.decode()
    assert mine.name in page and 'data-count="1"' in page
    team_page = client.get(URL + "won/", {"who": f"team-{team.pk}", "period": month[:4]})
    assert theirs.name not in team_page.content.decode()
    export = client.get(
        URL + "won/", {"who": f"user-{rep.user.pk}", "period": month, "format": "csv"}
    )
    rows = list(csv.reader(io.StringIO(export.content.decode())))
    assert rows[1][1] == mine.name and rows[1][4] == "1200.00"


def test_the_won_drilldown_is_404_outside_the_readers_scope(web_as, sales, outsider):
    rep, other = sales[0], sales[1]
    client = web_as(rep)
    for who, period in (
        (f"user-{other.user.pk}", "2026"),
        (f"user-{outsider.user.pk}", "2026"),
        (f"user-{rep.user.pk}", "2026-13"),
        ("robot-1", "2026"),
    ):
        assert client.get(URL + "won/", {"who": who, "period": period}).status_code == 404


def test_the_grid_exports_as_csv(web_as, admin, sales, pipeline):
    rep = sales[0]
    services.quota_create(
        by=admin, user_id=rep.user.pk, period="quarter", start=D(2026, 10, 1), amount=5000
    )
    response = web_as(admin).get(URL, {"year": 2026, "granularity": "quarter", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:4] == ["Responsible", "Type", "Team or manager", "2026-Q1 quota"]
    ivan = next(r for r in rows if r[0] == "Ivan Kolev")
    assert ivan[1:3] == ["Rep", "Sofia sales"]
    q4 = rows[0].index("2026-Q4 quota")
    assert ivan[q4 : q4 + 4] == ["5000.00", "5000.00", "0.00", "0"]
    assert rows[-1][0] == "Total of the reps shown"


def test_the_grid_costs_the_same_queries_for_few_or_many_reps(web_as, admin, sales, pipeline):
    client = web_as(admin)
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        client.get(URL, {"granularity": "month"})
    team = factories.team(admin, "Varna sales")
    for index in range(6):
        rep = factories.member(admin.tenant, "sales_rep", email=f"more{index}@acme.example")
        services.quota_create(
            by=admin, user_id=rep.user.pk, period="month", start=D(2026, 3, 1), amount=10
        )
        win(admin, pipeline, rep, "10")
    services.quota_create(by=admin, team_id=team.pk, period="year", start=D(2026, 1, 1), amount=1)
    with CaptureQueriesContext(connection) as many:
        client.get(URL, {"granularity": "month"})
    assert len(many) == len(few)


def test_the_page_refreshes_only_the_grid_for_htmx_and_renders_in_bulgarian(web_as, admin, sales):
    client = web_as(admin)
    fragment = client.get(URL, {"granularity": "month"}, headers={"HX-Request": "true"})
    assert fragment.content.decode().startswith('<div id="cc-grid"')
    page = client.get(URL, headers={"accept-language": "bg"})
    assert page.status_code == 200
    assert '<html lang="bg">' in page.content.decode()


def test_a_quotas_page_shows_its_history_and_goes_to_the_trash_and_back(web_as, admin, sales):
    rep = sales[0]
    quota = services.quota_create(
        by=admin, user_id=rep.user.pk, period="quarter", start=D(2026, 10, 1), amount=5000
    )
    services.quota_update(by=admin, quota=quota, fields={"amount": 6000})
    client = web_as(admin)
    page = client.get(reverse("quota_detail", args=[quota.pk])).content.decode()
    assert "Quota of Ivan Kolev for 2026-Q4" in page
    assert "<del>5000.00</del>" in page

    assert client.post(reverse("quota_delete", args=[quota.pk])).status_code == 302
    assert not Quota.objects.for_tenant(admin.tenant).exists()
    assert client.post(reverse("quota_restore", args=[quota.pk])).status_code == 302
    assert Quota.objects.for_tenant(admin.tenant).count() == 1


def test_a_quotas_page_is_read_only_for_those_who_may_not_set_it(web_as, admin, manager, sales):
    own = services.quota_create(
        by=admin, user_id=manager.user.pk, period="year", start=D(2026, 1, 1), amount=1
    )
    client = web_as(manager)
    page = client.get(reverse("quota_detail", args=[own.pk])).content.decode()
    assert reverse("quota_delete", args=[own.pk]) not in page
    assert client.post(reverse("quota_delete", args=[own.pk])).status_code == 403
    stranger_quota = services.quota_create(
        by=admin, user_id=sales[1].user.pk, period="year", start=D(2026, 1, 1), amount=1
    )
    assert client.get(reverse("quota_detail", args=[stranger_quota.pk])).status_code == 404
