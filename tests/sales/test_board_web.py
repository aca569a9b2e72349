"""The pipeline board: columns, moves (with the stage gate), quick edit, visibility, speed."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from funia.sales import selectors
from funia.sales.models import Opportunity
from funia.sales.views.board import CARDS_PER_COLUMN
from tests import factories

HTMX = {"HX-Request": "true"}


@pytest.fixture
def b2b(admin):
    return factories.pipeline(admin)


def column_html(html: str, stage) -> str:
    start = html.index(f'id="column-{stage.pk}"')
    end = html.find("</section>", start)
    return html[start:end]


def test_board_shows_a_column_per_stage_with_count_total_and_cards(web_as, rep, b2b):
    account = factories.account(rep, name="Globex")
    factories.opportunity(
        rep,
        name="Fleet renewal",
        account_id=account.pk,
        amount=Decimal("1200"),
        expected_close_date=datetime.date(2031, 3, 1),
    )
    factories.opportunity(rep, name="Spare parts", amount=Decimal("300.50"))

    response = web_as(rep).get(reverse("opportunity_board"))

    assert response.status_code == 200
    html = response.content.decode()
    names = [s.name for s in selectors.stages_of(tenant=rep.tenant, pipeline_id=b2b.pk)]
    positions = [html.index(f">{name}") for name in names]
    assert positions == sorted(positions)  # open stages, then won, then lost
    first = column_html(html, factories.stage(b2b, "Qualification"))
    assert "2 deals" in first
    assert "1,500.50 EUR" in first
    assert "Fleet renewal" in first and "Globex" in first and "1,200.00 EUR" in first
    assert "0 days in stage" in first
    assert "Move to…" in first
    assert "0 deals" in column_html(html, factories.stage(b2b, "Won"))


def test_board_filters_by_owner_and_close_date(web_as, admin, rep, b2b):
    factories.opportunity(rep, name="Rep deal", expected_close_date=datetime.date(2031, 1, 5))
    factories.opportunity(admin, name="Admin deal", expected_close_date=datetime.date(2031, 6, 5))
    browser = web_as(admin)

    mine = browser.get(reverse("opportunity_board"), {"owner": admin.user.pk}).content.decode()
    early = browser.get(
        reverse("opportunity_board"), {"close_to": "2031-02-01"}, headers=HTMX
    ).content.decode()

    assert "Admin deal" in mine and "Rep deal" not in mine
    assert "Rep deal" in early and "Admin deal" not in early
    assert "<html" not in early  # the board fragment only


def test_a_rep_does_not_see_colleagues_deals_on_the_board(web_as, rep, b2b, org):
    colleague = factories.member(org, "sales_rep")
    factories.opportunity(colleague, name="Colleague deal", amount=Decimal(999))
    factories.opportunity(rep, name="My deal", amount=Decimal(1))

    html = web_as(rep).get(reverse("opportunity_board")).content.decode()

    assert "My deal" in html
    assert "Colleague deal" not in html
    assert "1 deal" in column_html(html, factories.stage(b2b, "Qualification"))


def test_the_pipeline_switcher_shows_another_pipeline(web_as, admin, b2b):
    other = factories.pipeline(
        admin,
        name="Renewals",
        stages=[
            {"name": "Due", "probability": 50},
            {"name": "Renewed", "kind": "won"},
            {"name": "Churned", "kind": "lost"},
        ],
    )
    factories.opportunity(admin, name="Renewal 2031", pipeline_id=other.pk)

    html = web_as(admin).get(reverse("opportunity_board"), {"pipeline": other.pk}).content.decode()

    assert "Renewal 2031" in html and "Churned" in html and "Qualification" not in html
    assert web_as(admin).get(reverse("opportunity_board"), {"pipeline": 999999}).status_code == 404


def move(browser, deal, stage, **extra):
    data = {"stage": stage.pk, "from": "board", "board": f"pipeline={deal.pipeline_id}", **extra}
    return browser.post(reverse("opportunity_move", args=[deal.pk]), data, headers=HTMX)


def test_moving_a_card_answers_the_updated_columns(web_as, rep, b2b):
    deal = factories.opportunity(rep, name="Fleet renewal", amount=Decimal(500))
    target = factories.stage(b2b, "Needs analysis")

    response = move(web_as(rep), deal, target)

    assert response.status_code == 200
    html = response.content.decode()
    assert "boardMoved" in response["HX-Trigger"]
    source_column = column_html(html, factories.stage(b2b, "Qualification"))
    target_column = column_html(html, target)
    assert "0 deals" in source_column and "Fleet renewal" not in source_column
    assert "1 deal" in target_column and "500.00 EUR" in target_column
    assert "Fleet renewal" in target_column
    assert 'hx-swap-oob="true"' in html
    assert "moved to “Needs analysis”" in html
    deal.refresh_from_db()
    assert deal.stage_id == target.pk
    assert [c.to_stage.name for c in selectors.stage_history(opportunity=deal)] == [
        "Qualification",
        "Needs analysis",
    ]


def test_a_move_refused_by_the_stage_gate_shows_why_and_changes_nothing(web_as, rep, b2b):
    from tests.conftest import tenant_snapshot

    deal = factories.opportunity(rep, name="No amount yet")
    browser = web_as(rep)
    before = tenant_snapshot(rep.tenant)

    response = move(browser, deal, factories.stage(b2b, "Proposal"))

    assert response.status_code == 422
    assert response["X-Swap-Errors"] == "1"
    html = response.content.decode()
    assert "“Proposal” requires amount." in html
    assert 'name="amount"' in html  # the missing field can be filled right there
    assert tenant_snapshot(rep.tenant) == before


def test_filling_the_gate_field_in_the_dialog_lets_the_move_through(web_as, rep, b2b):
    deal = factories.opportunity(rep, name="No amount yet")
    proposal = factories.stage(b2b, "Proposal")

    response = move(web_as(rep), deal, proposal, amount="2500")

    assert response.status_code == 200
    deal.refresh_from_db()
    assert deal.stage_id == proposal.pk
    assert deal.amount == Decimal("2500.00")


def test_moving_to_lost_asks_for_the_reason_then_records_it(web_as, rep, b2b):
    deal = factories.opportunity(rep, name="Long shot")
    lost = factories.stage(b2b, "Lost")
    browser = web_as(rep)

    asked = move(browser, deal, lost)
    assert asked.status_code == 422
    assert 'name="lost_reason"' in asked.content.decode()
    deal.refresh_from_db()
    assert deal.stage.name == "Qualification"

    done = move(browser, deal, lost, lost_reason="Went with a competitor")
    assert done.status_code == 200
    deal.refresh_from_db()
    assert deal.stage_id == lost.pk
    assert deal.lost_reason == "Went with a competitor"
    assert deal.closed_at is not None


def test_an_analyst_cannot_move_a_deal(web_as, analyst, rep, b2b):
    deal = factories.opportunity(rep, name="Read only")

    response = move(web_as(analyst), deal, factories.stage(b2b, "Needs analysis"))

    assert response.status_code == 403
    assert "may not change" in response.content.decode()
    deal.refresh_from_db()
    assert deal.stage.name == "Qualification"


def test_a_rep_cannot_move_a_colleagues_deal(web_as, rep, org, b2b):
    colleague = factories.member(org, "sales_rep")
    deal = factories.opportunity(colleague, name="Theirs")

    response = move(web_as(rep), deal, factories.stage(b2b, "Needs analysis"))

    assert response.status_code == 404


def test_a_move_without_javascript_redirects_or_shows_the_gate_page(web_as, rep, b2b):
    deal = factories.opportunity(rep, name="Plain form")
    browser = web_as(rep)
    url = reverse("opportunity_move", args=[deal.pk])

    refused = browser.post(url, {"stage": factories.stage(b2b, "Proposal").pk})
    assert refused.status_code == 200
    assert "requires amount" in refused.content.decode()

    done = browser.post(url, {"stage": factories.stage(b2b, "Negotiation").pk}, follow=True)
    assert done.redirect_chain[-1][0] == reverse("opportunity_detail", args=[deal.pk])
    assert "moved to “Negotiation”" in done.content.decode()


def test_quick_edit_shows_a_form_and_saves_into_the_column(web_as, rep, b2b):
    deal = factories.opportunity(rep, name="Quick one", amount=Decimal(100))
    browser = web_as(rep)
    url = reverse("opportunity_quickedit", args=[deal.pk])

    form = browser.get(url, {"board": f"pipeline={b2b.pk}"}, headers=HTMX)
    assert form.status_code == 200
    assert 'name="amount"' in form.content.decode()
    assert 'name="next_step"' in form.content.decode()

    saved = browser.post(
        url,
        {
            "amount": "750",
            "expected_close_date": "2031-05-01",
            "next_step": "Send the offer",
            "owner": rep.user.pk,
            "etag": deal.etag,
            "from": "board",
            "board": f"pipeline={b2b.pk}",
        },
        headers=HTMX,
    )
    assert saved.status_code == 200
    html = saved.content.decode()
    assert "750.00 EUR" in html  # the column's total and the card
    deal.refresh_from_db()
    assert deal.amount == Decimal(750)
    assert deal.next_step == "Send the offer"
    assert deal.expected_close_date == datetime.date(2031, 5, 1)


def test_quick_edit_errors_come_back_on_the_form(web_as, rep, b2b):
    deal = factories.opportunity(rep, name="Quick one", amount=Decimal(100))
    response = web_as(rep).post(
        reverse("opportunity_quickedit", args=[deal.pk]),
        {"amount": "lots", "owner": rep.user.pk, "etag": deal.etag},
        headers=HTMX,
    )
    assert response.status_code == 422
    assert "Enter a number." in response.content.decode()
    deal.refresh_from_db()
    assert deal.amount == Decimal(100)


def test_a_column_shows_its_first_cards_and_more_on_demand(web_as, rep, b2b):
    for n in range(CARDS_PER_COLUMN + 3):
        factories.opportunity(rep, name=f"Deal {n:03d}", amount=Decimal(1))
    browser = web_as(rep)
    qualification = factories.stage(b2b, "Qualification")

    html = browser.get(reverse("opportunity_board")).content.decode()
    column = column_html(html, qualification)
    assert column.count('class="board-card"') == CARDS_PER_COLUMN
    assert f"{CARDS_PER_COLUMN + 3} deals" in column
    assert "Show more" in column

    more = browser.get(
        reverse("opportunity_board_column"),
        {"pipeline": b2b.pk, "stage": qualification.pk, "offset": CARDS_PER_COLUMN},
        headers=HTMX,
    ).content.decode()
    assert more.count('class="board-card"') == 3
    assert "Show more" not in more


def _board_queries(browser) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert browser.get(reverse("opportunity_board")).status_code == 200
    return len(queries)


def test_the_board_runs_the_same_number_of_queries_for_few_or_many_deals(web_as, admin, b2b):
    browser = web_as(admin)
    stages = selectors.stages_of(tenant=admin.tenant, pipeline_id=b2b.pk)
    account = factories.account(admin, name="Globex")
    factories.opportunity(admin, name="First", account_id=account.pk)
    _board_queries(browser)  # the session's first request does its own bookkeeping
    few = _board_queries(browser)

    rows = []
    for n in range(300):
        stage = stages[n % 4]
        rows.append(
            Opportunity(
                tenant=admin.tenant,
                name=f"Bulk {n}",
                owner=admin.user,
                account=account,
                pipeline=b2b,
                stage=stage,
                amount=Decimal(n),
                amount_base=Decimal(n),
            )
        )
    Opportunity.objects.for_tenant(admin.tenant).bulk_create(rows)
    many = _board_queries(browser)

    assert many == few
    assert many <= 20


def test_closed_columns_show_the_last_thirty_days_only(web_as, admin, b2b):
    from django.utils import timezone

    now = timezone.now()
    for name, days in (("Won recently", 5), ("Won long ago", 40)):
        factories.opportunity(
            admin,
            name=name,
            amount=Decimal(10),
            stage_history=[
                {"stage": "Qualification", "at": now - datetime.timedelta(days=days + 10)},
                {"stage": "Won", "at": now - datetime.timedelta(days=days)},
            ],
        )

    html = web_as(admin).get(reverse("opportunity_board")).content.decode()

    won = column_html(html, factories.stage(b2b, "Won"))
    assert "Won recently" in won and "1 deal" in won
    assert "Won long ago" not in html
    assert "Closed in the last 30 days" in won


def _queries(client, url) -> int:
    get = (lambda: client.call("get", url)) if hasattr(client, "call") else lambda: client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert get().status_code == 200
    return len(queries)


def test_the_list_page_and_endpoint_run_a_constant_number_of_queries(web_as, api_as, rep, b2b):
    browser, api = web_as(rep), api_as(rep)
    account = factories.account(rep, name="Globex")
    factories.opportunity(rep, name="First", account_id=account.pk)
    page = f"{reverse('opportunity_list')}?pipeline={b2b.pk}"
    endpoint = f"/api/v1/opportunities?pipeline={b2b.pk}"
    # The session's and the token's first requests do their own bookkeeping.
    _queries(browser, page), _queries(api, endpoint)
    few = (_queries(browser, page), _queries(api, endpoint))

    stages = selectors.stages_of(tenant=rep.tenant, pipeline_id=b2b.pk)
    Opportunity.objects.for_tenant(rep.tenant).bulk_create(
        Opportunity(
            tenant=rep.tenant,
            name=f"Bulk {n}",
            owner=rep.user,
            account=account,
            pipeline=b2b,
            stage=stages[n % len(stages)],
            amount=Decimal(n),
            amount_base=Decimal(n),
        )
        for n in range(120)
    )

    assert (_queries(browser, page), _queries(api, endpoint)) == few
