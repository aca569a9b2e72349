"""The sales dashboard page: scopes by role, elements as fragments with SVG charts, links
that open exactly the counted deals, CSV exports, Bulgarian, and the home card."""

import csv
import io
import re
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse

from funia.core import periods
from funia.core.models import User
from funia.sales.quotas.services import quota_create
from tests import factories
from tests.analytics.dashboard.helpers import deal_with_history

ELEMENTS = ("funnel", "plan", "conversion", "risk", "forecast")
EXPORTS = ("funnel", "conversion", "conversion_by_owner", "plan", "forecast", "risk")
HX = {"HX-Request": "true"}


@pytest.fixture
def sales(admin, manager, rep):
    """The manager runs North (the rep and Bob); Sara is in no team of the manager's. The
    rep: three deals entered Proposal in the last 90 days, one went on, two were lost."""
    bob = factories.member(admin.tenant, "sales_rep", first_name="Bob", last_name="Builder")
    sara = factories.member(admin.tenant, "sales_rep", first_name="Sara", last_name="Solo")
    north = factories.team(admin, "North", manager=manager, members=[rep, bob])
    south = factories.team(admin, "South", members=[sara])
    pipeline = factories.pipeline(admin, is_default=True)

    def deal(name, owner, history, **fields):
        fields.setdefault("amount", 1000)
        return deal_with_history(admin, pipeline, name, history, owner_id=owner.user.pk, **fields)

    deal("Rep advanced", rep, [("Qualification", 60), ("Proposal", 40), ("Negotiation", 20)])
    for n in (1, 2):
        deal(
            f"Rep lost {n}",
            rep,
            [("Qualification", 60), ("Proposal", 40), ("Lost", 10)],
            lost_reason="Price",
        )
    deal("Bob advanced", bob, [("Proposal", 50), ("Negotiation", 30), ("Won", 5)], amount=5000)
    deal("=HYPERLINK(1)", rep, [("Qualification", 45)], amount=40000)
    deal("Sara stuck", sara, [("Needs analysis", 70)], amount=700)
    month = periods.period_start(periods.MONTH, periods.today(admin.tenant))
    quota_create(by=admin, period="month", start=month, amount=Decimal(10000), user_id=rep.user.pk)
    return {"pipeline": pipeline, "north": north, "south": south, "bob": bob, "sara": sara}


def dashboard(client, **query):
    response = client.get(reverse("sales_dashboard"), query)
    assert response.status_code == 200, response.content
    return response.content.decode()


def element(client, name, **query):
    response = client.get(reverse("sales_dashboard"), {**query, "element": name}, headers=HX)
    assert response.status_code == 200, response.content
    return response.content.decode()


def scope_options(html: str) -> list[str]:
    select = re.search(r'<select id="d-scope".*?</select>', html, re.S).group(0)
    return re.findall(r'<option value="(\w+)"', select)


def selected(html: str, select_id: str) -> str:
    select = re.search(rf'<select id="{select_id}".*?</select>', html, re.S).group(0)
    return re.search(r'<option value="(\w+)" selected', select).group(1)


# -- scopes ------------------------------------------------------------------------------------


def test_a_rep_sees_only_their_own_numbers_and_cannot_pick_the_company(web_as, rep, sales):
    browser = web_as(rep)
    html = dashboard(browser)
    assert scope_options(html) == ["me"]
    assert selected(html, "d-scope") == "me"
    refused = dashboard(browser, scope="company")
    assert selected(refused, "d-scope") == "me"
    assert "You may not choose that view" in refused
    risk = element(browser, "risk", scope="company")
    assert "HYPERLINK" in risk and "Sara stuck" not in risk


def test_a_manager_defaults_to_their_team_and_sees_only_the_teams_they_manage(
    web_as, manager, sales
):
    browser = web_as(manager)
    html = dashboard(browser)
    assert scope_options(html) == ["me", "team", "company"]
    assert selected(html, "d-scope") == "team"
    team_select = re.search(r'<select id="d-team".*?</select>', html, re.S).group(0)
    assert "North" in team_select and "South" not in team_select
    # Another team's id falls back to the managed one.
    other = dashboard(browser, scope="team", team=sales["south"].pk)
    assert selected(other, "d-team") == str(sales["north"].pk)
    # Visibility still applies to the company scope: Sara's deal is not the manager's to see.
    assert "Sara stuck" not in element(browser, "risk", scope="company")


@pytest.mark.parametrize("role", ["admin", "analyst"])
def test_admins_and_analysts_default_to_the_company_and_may_pick_any_team(
    request, web_as, sales, role
):
    browser = web_as(request.getfixturevalue(role))
    html = dashboard(browser)
    assert selected(html, "d-scope") == "company"
    assert "Sara stuck" in element(browser, "risk")
    south = dashboard(browser, scope="team", team=sales["south"].pk)
    assert selected(south, "d-team") == str(sales["south"].pk)
    risk = element(browser, "risk", scope="team", team=sales["south"].pk)
    assert "Sara stuck" in risk and "HYPERLINK" not in risk


@pytest.mark.parametrize("role", ["admin", "manager", "rep", "analyst"])
@pytest.mark.parametrize("scope", ["me", "team", "company"])
def test_every_element_renders_for_every_role_and_scope(request, web_as, sales, role, scope):
    browser = web_as(request.getfixturevalue(role))
    page = dashboard(browser, scope=scope)
    for name in ELEMENTS:
        assert f"element={name}" in page
        html = element(browser, name, scope=scope)
        assert f'id="dash-{name}-title"' in html


def test_the_page_loads_each_element_as_a_fragment(web_as, admin, sales):
    html = dashboard(web_as(admin))
    for name in ELEMENTS:
        assert re.search(rf'id="dash-{name}"[^>]*hx-get="[^"]*element={name}"', html)
        assert 'hx-trigger="load"' in html


def test_a_change_of_the_filters_answers_the_body_only(web_as, admin, sales):
    html = web_as(admin).get(reverse("sales_dashboard"), {"scope": "me"}, headers=HX)
    body = html.content.decode()
    assert body.lstrip().startswith('<div id="dashboard-body">')
    assert "<html" not in body


# -- charts and links ---------------------------------------------------------------------------


def test_the_charts_are_inline_svg_with_a_title_and_a_description(web_as, admin, sales):
    browser = web_as(admin)
    for name in ("funnel", "conversion", "plan"):
        html = element(browser, name)
        svg = re.search(r"<svg class=\"chart chart-(bars|columns)\".*?</svg>", html, re.S)
        assert svg, name
        assert "<title id=" in svg.group(0) and "<desc id=" in svg.group(0)
        assert "<script" not in html and "http" not in svg.group(0).replace(
            'xmlns="http://www.w3.org/2000/svg"', ""
        )


def links(html: str, path: str) -> list[str]:
    return [unescape(u) for u in re.findall(rf'href="({re.escape(path)}\?[^"]+)"', html)]


def count_of(client, link: str) -> int:
    listed = client.get(link).content.decode()
    return int(re.search(r'data-count="(\d+)"', listed).group(1))


def test_a_reps_conversion_cell_opens_exactly_their_deals(web_as, manager, rep, sales):
    browser = web_as(manager)
    html = element(browser, "conversion")
    proposal = sales["pipeline"].stages.get(name="Proposal")
    cell = re.search(
        rf'<a href="([^"]+)" aria-label="[^"]*Proposal → Negotiation: 33 %" '
        rf'data-owner="{rep.user.pk}" data-stage="{proposal.pk}">33 %</a>',
        html,
    )
    assert cell, "no conversion cell of the rep at Proposal"
    listed = browser.get(unescape(cell.group(1))).content.decode()
    assert re.search(r'data-count="3"', listed)
    for name in ("Rep advanced", "Rep lost 1", "Rep lost 2"):
        assert name in listed
    assert "Bob advanced" not in listed
    lost = [u for u in links(html, "/reports/funnel/deals/") if f"group={rep.user.pk}" in u]
    lost = [u for u in lost if "metric=lost" in u and f"stage={proposal.pk}" in u]
    assert count_of(browser, lost[0]) == 2


def test_every_number_of_the_conversion_table_opens_as_many_deals(web_as, admin, sales):
    browser = web_as(admin)
    html = element(browser, "conversion")
    cells = re.findall(r'<a href="(/reports/funnel/deals/\?[^"]+)">(\d+)</a>', html)
    assert len(cells) >= 12
    for link, number in cells:
        assert count_of(browser, unescape(link)) == int(number), link


def test_every_funnel_bar_opens_the_deals_of_its_stage(web_as, admin, sales):
    browser = web_as(admin)
    html = element(browser, "funnel")
    bars = re.findall(
        r'<a href="(/reports/funnel/deals/\?[^"]+)" class="chart-link">.*?'
        r"<text[^>]*>[^<]* · (\d+) · ",
        html,
        re.S,
    )
    assert len(bars) == 4
    for link, number in bars:
        assert count_of(browser, unescape(link)) == int(number)


def test_the_deals_at_risk_link_to_their_pages_and_to_the_full_list(web_as, admin, sales):
    browser = web_as(admin)
    html = element(browser, "risk")
    stuck = sales["pipeline"].opportunities.get(name="Sara stuck")
    assert reverse("opportunity_detail", args=[stuck.pk]) in html
    full = links(html, "/reports/deals-at-risk/") or [reverse("deals_at_risk")]
    assert reverse("deals_at_risk") in html
    listed = browser.get(full[0]).content.decode()
    assert "Sara stuck" in listed


def test_the_plan_shows_quota_against_won_with_a_progress_bar(web_as, rep, sales):
    html = element(web_as(rep), "plan")
    assert "10,000 EUR" in html
    assert 'class="chart chart-progress' in html
    assert "No plan set." not in html.split("This quarter")[0]


# -- CSV -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("table", EXPORTS)
def test_every_table_exports_as_csv(web_as, admin, sales, table):
    response = web_as(admin).get(reverse("sales_dashboard"), {"export": table})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert len(rows) >= 2, rows


def test_formula_cells_are_neutralised_in_the_exports(web_as, admin, sales):
    browser = web_as(admin)
    body = browser.get(reverse("sales_dashboard"), {"export": "risk"}).content.decode()
    assert "'=HYPERLINK(1)" in body
    full = browser.get(reverse("deals_at_risk"), {"format": "csv"}).content.decode()
    assert "'=HYPERLINK(1)" in full and "Sara stuck" in full


def test_the_conversion_export_by_owner_names_each_owner(web_as, admin, rep, sales):
    body = web_as(admin).get(reverse("sales_dashboard"), {"export": "conversion_by_owner"})
    rows = list(csv.reader(io.StringIO(body.content.decode())))
    assert rows[0][:3] == ["Owner", "From stage", "To stage"]
    mine = [r for r in rows if r[0] == str(rep.user) and r[1] == "Proposal"]
    assert mine and mine[0][3:6] == ["3", "1", "2"]


# -- language, pipelines, home ------------------------------------------------------------------


def test_the_dashboard_renders_in_bulgarian(web_as, manager, sales):
    User.objects.filter(pk=manager.user.pk).update(language="bg")
    browser = web_as(manager)
    page = browser.get(reverse("sales_dashboard"))
    assert page.status_code == 200
    assert '<html lang="bg">' in page.content.decode()
    for name in ELEMENTS:
        assert element(browser, name)


def test_a_rival_pipeline_is_not_found(web_as, admin, sales, other_org_records):
    response = web_as(admin).get(
        reverse("sales_dashboard"), {"pipeline": other_org_records.ids["pipeline"]}
    )
    assert response.status_code == 404


def test_without_a_pipeline_the_dashboard_says_so(web_as, admin):
    browser = web_as(admin)
    assert dashboard(browser)
    assert "Create a pipeline first." in element(browser, "funnel")
    assert "Create a pipeline first." in element(browser, "conversion")
    assert element(browser, "risk")


def test_the_home_page_counts_the_deals_at_risk(web_as, admin, rep, sales):
    html = web_as(admin).get(reverse("home")).content.decode()
    card = re.search(r'href="/reports/deals-at-risk/">.*?</a>', html, re.S).group(0)
    assert "Deals at risk" in card and ">2<" in card
    mine = web_as(rep).get(reverse("home")).content.decode()
    assert ">1<" in re.search(r'href="/reports/deals-at-risk/">.*?</a>', mine, re.S).group(0)


def test_reports_lead_to_the_dashboard(web_as, admin):
    response = web_as(admin).get("/reports/")
    assert response.status_code == 302
    assert response["Location"] == reverse("sales_dashboard")


def test_the_navigation_offers_the_dashboard(web_as, rep):
    html = web_as(rep).get(reverse("home")).content.decode()
    assert f'href="{reverse("sales_dashboard")}"' in html


def test_the_won_amounts_of_the_plan_open_the_won_deals(web_as, admin, sales):
    browser = web_as(admin)
    html = element(browser, "plan")
    won = [u for u in links(html, "/reports/forecast/deals/") if "category=won" in u]
    assert len(set(won)) == 7  # six months and the quarter
    listing = [browser.get(u) for u in sorted(set(won))]
    assert all(r.status_code == 200 for r in listing)
    # Won five days ago: in its month, and in the quarter unless that began since.
    assert sum("Bob advanced" in r.content.decode() for r in listing) in (1, 2)


def test_every_forecast_number_opens_its_deals(web_as, admin, sales):
    browser = web_as(admin)
    html = element(browser, "forecast")
    found = links(html, "/reports/forecast/deals/")
    # Three months: three categories, won, and the commit forecast.
    assert len(found) == 15
    assert all(browser.get(u).status_code == 200 for u in found)
