"""/api/v1/reports/plan-risk and /reports/plan-risk/: defaults, errors, other
organisations, the counted deals, the page with its badge, chooser and CSV."""

import csv
import datetime
import io
from decimal import Decimal

import pytest

from funia.core import periods
from funia.sales.quotas import services
from tests import factories

PAGE = "/reports/plan-risk/"


@pytest.fixture
def current(admin, manager):
    """This quarter: the rep won 2000 and has 1000 in Needs analysis due today (no history:
    25 %) and 600 in Proposal due today (50 %); the quota is 5000."""
    rep = factories.member(
        admin.tenant, "sales_rep", email="rep@acme.example", first_name="Ivan", last_name="Kolev"
    )
    other = factories.member(admin.tenant, "sales_rep", email="other@acme.example")
    team = factories.team(admin, "Sofia sales", manager=manager, members=[rep])
    pipeline = factories.pipeline(admin)
    today = periods.today(admin.tenant)
    quarter = periods.period_start("quarter", today)
    won = factories.opportunity(
        admin,
        name="Closed fleet",
        pipeline_id=pipeline.pk,
        owner_id=rep.user.pk,
        amount=Decimal("2000"),
        stage_history=[
            {"stage": "Qualification", "at": periods.midnight(admin.tenant, today)},
            {"stage": "Won", "at": periods.midnight(admin.tenant, today)},
        ],
    )
    for name, stage, amount in (
        ("Analysis deal", "Needs analysis", "1000"),
        ("Offer", "Proposal", "600"),
    ):
        factories.opportunity(
            admin,
            name=name,
            pipeline_id=pipeline.pk,
            stage_id=factories.stage(pipeline, stage).pk,
            owner_id=rep.user.pk,
            amount=Decimal(amount),
            expected_close_date=today,
        )
    services.quota_create(
        by=admin, user_id=rep.user.pk, period="quarter", start=quarter, amount=5000
    )
    label = periods.period_label("quarter", quarter)
    return rep, other, team, pipeline, label, won


def test_the_default_is_your_own_current_quarter(api_as, current):
    rep, *_rest, label, _won = current
    report = api_as(rep).call("get", "/reports/plan-risk").json()
    assert (report["period"], report["user"], report["subject"]) == (label, rep.user.pk, "user")
    assert report["quota"] == "5000.00"
    assert report["won"] == "2000.00"
    assert report["expected"] == "550.00"  # 1000 x 25 % + 600 x 50 %
    assert report["forecast"] == "2550.00"
    assert report["gap"] == "2450.00"
    assert report["at_risk"] is True
    assert report["coverage"] == round(1600 / 3000, 4)
    assert report["from"] == periods.parse_period(label)[1].isoformat()


def test_a_manager_reads_their_rep_and_team(api_as, manager, current):
    rep, _other, team, _pipeline, label, _won = current
    client = api_as(manager)
    by_rep = client.call("get", "/reports/plan-risk", {"user": rep.user.pk, "period": label})
    by_team = client.call("get", "/reports/plan-risk", {"team": team.pk, "period": label})
    assert by_rep.json()["expected"] == by_team.json()["expected"] == "550.00"
    # The team has no quota of its own: it plans its member's.
    assert by_team.json()["quota"] == by_rep.json()["quota"] == "5000.00"
    assert by_team.json()["manager"]


def test_the_counted_deals_add_up_to_expected_and_page(api_as, admin, current):
    rep, *_rest, label, _won = current
    client = api_as(admin)
    query = {"user": rep.user.pk, "period": label}
    deals = client.call("get", "/reports/plan-risk/deals", query).json()
    assert deals["count"] == 2
    assert [(d["name"], d["expected"], d["win_rate"]) for d in deals["items"]] == [
        ("Offer", "300.00", 0.5),
        ("Analysis deal", "250.00", 0.25),
    ]
    first = client.call("get", "/reports/plan-risk/deals", query | {"limit": 1}).json()
    assert len(first["items"]) == 1 and first["next"]


@pytest.mark.parametrize("period", ["2026-13", "Q4", "0000-01", "9999", "2026-Q5", "26"])
def test_a_bad_period_answers_422(api_as, admin, current, period):
    response = api_as(admin).call("get", "/reports/plan-risk", {"period": period})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "period"


def test_a_rep_and_a_team_together_answer_422(api_as, admin, current):
    rep, _other, team, *_rest = current
    response = api_as(admin).call(
        "get", "/reports/plan-risk", {"user": rep.user.pk, "team": team.pk}
    )
    assert response.status_code == 422


def test_another_organisations_rep_team_or_pipeline_answers_404(
    api_as, admin, current, other_org_records
):
    client = api_as(admin)
    ids = other_org_records.ids
    for path in ("/reports/plan-risk", "/reports/plan-risk/deals"):
        for query in ({"user": ids["user"]}, {"team": ids["team"]}, {"pipeline": ids["pipeline"]}):
            response = client.call("get", path, query)
            assert response.status_code == 404, (path, query)
            assert not other_org_records.leaked_markers(response.content.decode())


def test_a_rep_cannot_read_another_reps_plan_risk(api_as, current):
    rep, other, *_rest = current
    response = api_as(rep).call("get", "/reports/plan-risk", {"user": other.user.pk})
    assert response.status_code == 404


# -- pages -------------------------------------------------------------------------------


def test_the_page_shows_the_badge_the_numbers_and_the_stages(web_as, manager, current):
    rep, *_rest, label, _won = current
    html = web_as(manager).get(PAGE, {"who": f"user-{rep.user.pk}", "period": label})
    html = html.content.decode()
    assert "At risk: 2,450.00 EUR short of the quota" in html
    assert "risk-at-risk" in html
    assert "Needs analysis" in html and "stage probability" in html
    assert f"/reports/plan-risk/deals/?period={label}&amp;who=user-{rep.user.pk}" in html
    assert "How these numbers are counted" in html


def test_the_chooser_offers_what_the_reader_may_see(web_as, manager, current):
    rep, other, team, *_rest = current
    assert f'value="team-{team.pk}"' not in web_as(rep).get(PAGE).content.decode()
    rep.tenant.reps_see_team_records = True
    rep.tenant.save()
    rep_page = web_as(rep).get(PAGE).content.decode()
    assert f'value="team-{team.pk}"' in rep_page
    assert f'value="user-{other.user.pk}"' not in rep_page
    manager_page = web_as(manager).get(PAGE).content.decode()
    assert f'value="user-{rep.user.pk}"' in manager_page
    assert f'value="user-{other.user.pk}"' not in manager_page


def test_the_page_answers_404_for_a_rep_out_of_sight_and_shows_bad_periods(
    web_as, current, outsider
):
    rep, other, *_rest = current
    client = web_as(rep)
    assert client.get(PAGE, {"who": f"user-{other.user.pk}"}).status_code == 404
    assert client.get(PAGE, {"who": f"user-{outsider.user.pk}"}).status_code == 404
    assert client.get(PAGE, {"who": "someone"}).status_code == 404
    bad = client.get(PAGE, {"period": "2026-13"})
    assert bad.status_code == 200
    assert "Give a period as YYYY-MM, YYYY-Qn or YYYY." in bad.content.decode()


def test_the_report_and_its_deals_export_as_csv(web_as, admin, current):
    rep, *_rest, label, _won = current
    client = web_as(admin)
    query = {"who": f"user-{rep.user.pk}", "period": label}
    report = list(
        csv.reader(io.StringIO(client.get(PAGE, query | {"format": "csv"}).content.decode()))
    )
    assert report[0] == ["Period", label]
    assert ["At risk", "yes"] in report
    deals = client.get(PAGE + "deals/", query | {"format": "csv"}).content.decode()
    rows = list(csv.reader(io.StringIO(deals)))
    assert [r[1] for r in rows[1:]] == ["Offer", "Analysis deal"]


def test_the_deals_page_lists_the_counted_deals(web_as, admin, current):
    rep, _other, _team, pipeline, label, _won = current
    client = web_as(admin)
    query = {"who": f"user-{rep.user.pk}", "period": label}
    page = client.get(PAGE + "deals/", query).content.decode()
    assert 'data-count="2"' in page and "Offer" in page
    proposal = factories.stage(pipeline, "Proposal")
    one = client.get(PAGE + "deals/", query | {"stage": proposal.pk}).content.decode()
    assert 'data-count="1"' in one and "Analysis deal" not in one


def test_the_page_refreshes_for_htmx_and_renders_in_bulgarian(web_as, admin, current):
    client = web_as(admin)
    fragment = client.get(PAGE, headers={"HX-Request": "true"}).content.decode()
    assert fragment.startswith('<div id="plan-risk"')
    page = client.get(PAGE, headers={"accept-language": "bg"})
    assert page.status_code == 200 and '<html lang="bg">' in page.content.decode()


def test_the_command_center_links_each_rows_risk_to_the_page(web_as, admin, current):
    rep, *_rest, label, _won = current
    html = web_as(admin).get("/sales/command-center/").content.decode()
    assert f"{PAGE}?period={label}&amp;who=user-{rep.user.pk}" in html
    assert datetime.date.today().year  # the grid is this year's by default
