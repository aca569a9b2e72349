"""Deal pages: list (filters, sort, bulk actions), detail (stage path, history, time in
stage), form, dashboard card and the customer card's section."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from funia.sales import opportunities, pipelines
from funia.sales.models import Opportunity, StageChange
from tests import factories


@pytest.fixture
def b2b(admin):
    return factories.pipeline(admin)


def test_list_filters_by_status_owner_and_search(web_as, admin, rep, b2b):
    account = factories.account(admin, name="Globex")
    factories.opportunity(rep, name="Rep deal", account_id=account.pk)
    won = factories.opportunity(admin, name="Admin won deal", amount=Decimal(10))
    opportunities.opportunity_move(
        by=admin, opportunity=won, stage_id=b2b.stages.get(name="Won").pk
    )
    browser = web_as(admin)
    url = reverse("opportunity_list")

    assert "Rep deal" in browser.get(url).content.decode()
    won_only = browser.get(url, {"status": "won"}).content.decode()
    assert "Admin won deal" in won_only and "Rep deal" not in won_only
    by_owner = browser.get(url, {"owner": rep.user.pk}).content.decode()
    assert "Rep deal" in by_owner and "Admin won deal" not in by_owner
    by_account = browser.get(url, {"q": "Globex"}, headers={"HX-Request": "true"})
    assert "Rep deal" in by_account.content.decode()
    assert "<html" not in by_account.content.decode()


def test_list_sorts_by_amount(web_as, admin, b2b):
    factories.opportunity(admin, name="Small", amount=Decimal(5))
    factories.opportunity(admin, name="Large", amount=Decimal(5000))
    html = web_as(admin).get(reverse("opportunity_list"), {"sort": "-amount_base"}).content.decode()
    assert html.index("Large") < html.index("Small")


def test_a_rep_lists_only_their_own_deals(web_as, rep, org, b2b):
    colleague = factories.member(org, "sales_rep")
    factories.opportunity(colleague, name="Colleague deal")
    factories.opportunity(rep, name="My deal")
    html = web_as(rep).get(reverse("opportunity_list")).content.decode()
    assert "My deal" in html and "Colleague deal" not in html


def test_bulk_reassign_reports_what_was_done(web_as, admin, rep, b2b):
    deals = [factories.opportunity(admin, name=f"Deal {n}") for n in range(3)]
    response = web_as(admin).post(
        reverse("opportunity_bulk"),
        {
            "action": "reassign",
            "owner": rep.user.pk,
            "ids": [d.pk for d in deals],
            "next": reverse("opportunity_list"),
        },
        follow=True,
    )
    assert "3 deals reassigned." in response.content.decode()
    owners = set(Opportunity.objects.for_tenant(admin.tenant).values_list("owner_id", flat=True))
    assert owners == {rep.user.pk}


def test_bulk_move_names_the_refused_deals_and_why(web_as, admin, b2b):
    ready = factories.opportunity(admin, name="Has amount", amount=Decimal(100))
    missing = factories.opportunity(admin, name="No amount")
    proposal = b2b.stages.get(name="Proposal")

    response = web_as(admin).post(
        reverse("opportunity_bulk"),
        {"action": "move", "stage": proposal.pk, "ids": [ready.pk, missing.pk]},
        follow=True,
    )

    html = response.content.decode()
    assert "1 deal moved." in html
    assert "1 deal refused" in html
    assert "No amount: “Proposal” requires amount." in html
    ready.refresh_from_db()
    missing.refresh_from_db()
    assert ready.stage_id == proposal.pk
    assert missing.stage.name == "Qualification"


def test_detail_shows_the_stage_path_history_and_time_in_stage(web_as, admin, b2b):
    account = factories.account(admin, name="Globex")
    contact = factories.contact(admin, first_name="Ada", last_name="Lovelace")
    start = timezone.now() - datetime.timedelta(days=10)
    deal = opportunities.opportunity_create(
        by=admin,
        name="Migrated deal",
        account_id=account.pk,
        contact_id=contact.pk,
        amount=Decimal(900),
        stage_history=[
            {"stage": "Qualification", "at": start},
            {"stage": "Needs analysis", "at": start + datetime.timedelta(days=3)},
            {"stage": "Proposal", "at": start + datetime.timedelta(days=7, hours=5)},
        ],
    )

    response = web_as(admin).get(reverse("opportunity_detail", args=[deal.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'aria-current="step"' in html
    assert "3 days" in html  # Qualification
    assert "4 days 5 hours" in html  # Needs analysis
    assert "2 days" in html and "(so far)" in html  # Proposal, still there
    assert reverse("account_detail", args=[account.pk]) in html
    assert reverse("contact_detail", args=[contact.pk]) in html
    assert 'id="history-title"' in html  # the audit trail
    assert reverse("opportunity_move", args=[deal.pk]) in html


def test_detail_shows_the_amount_in_the_organisation_currency_too(web_as, admin, b2b):
    pipelines.exchange_rate_create(by=admin, currency="USD", rate=Decimal("0.9"))
    deal = factories.opportunity(admin, name="Dollar deal", amount=Decimal(1000), currency="USD")
    html = web_as(admin).get(reverse("opportunity_detail", args=[deal.pk])).content.decode()
    assert "1,000.00 USD" in html
    assert "900.00 EUR" in html


def test_moving_from_the_stage_path_redirects_back_to_the_deal(web_as, admin, b2b):
    deal = factories.opportunity(admin, name="Path deal")
    detail = reverse("opportunity_detail", args=[deal.pk])
    response = web_as(admin).post(
        reverse("opportunity_move", args=[deal.pk]),
        {"stage": b2b.stages.get(name="Needs analysis").pk, "from": "detail", "next": detail},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == detail
    assert StageChange.objects.for_tenant(admin.tenant).filter(opportunity=deal).count() == 2


def test_creating_a_deal_through_the_form(web_as, rep, b2b):
    account = factories.account(rep, name="Globex")
    needs = b2b.stages.get(name="Needs analysis")
    response = web_as(rep).post(
        reverse("opportunity_create"),
        {
            "name": "Form deal",
            "account": account.pk,
            "owner": rep.user.pk,
            "pipeline": b2b.pk,
            "stage": needs.pk,
            "amount": "1500",
            "currency": "EUR",
            "forecast_category": "pipeline",
            "expected_close_date": "2031-02-03",
        },
    )
    deal = Opportunity.objects.for_tenant(rep.tenant).get(name="Form deal")
    assert response.status_code == 302
    assert response["Location"] == reverse("opportunity_detail", args=[deal.pk])
    assert deal.stage_id == needs.pk and deal.account_id == account.pk


def test_the_form_shows_the_stage_gate_refusal(web_as, rep, b2b):
    response = web_as(rep).post(
        reverse("opportunity_create"),
        {
            "name": "Gated",
            "owner": rep.user.pk,
            "pipeline": b2b.pk,
            "stage": b2b.stages.get(name="Proposal").pk,
            "currency": "EUR",
            "forecast_category": "pipeline",
        },
    )
    assert response.status_code == 200
    assert "“Proposal” requires amount." in response.content.decode()
    assert not Opportunity.objects.for_tenant(rep.tenant).filter(name="Gated").exists()


def test_stage_choices_follow_the_pipeline(web_as, admin, b2b):
    other = factories.pipeline(
        admin,
        name="Renewals",
        stages=[
            {"name": "Due"},
            {"name": "Renewed", "kind": "won"},
            {"name": "Gone", "kind": "lost"},
        ],
    )
    browser = web_as(admin)
    options = browser.get(reverse("opportunity_stage_options"), {"pipeline": other.pk})
    assert "Due" in options.content.decode() and "Qualification" not in options.content.decode()
    form = browser.get(reverse("opportunity_create")).content.decode()
    assert "Qualification" in form and 'hx-get="/opportunities/stage-options/"' in form


def test_dashboard_shows_the_open_pipeline(web_as, rep, b2b):
    factories.opportunity(rep, name="A", amount=Decimal(1000))
    factories.opportunity(rep, name="B", amount=Decimal("234.5"))
    html = web_as(rep).get(reverse("home")).content.decode()
    assert "Open pipeline" in html
    assert "1,234.50 EUR" in html
    assert "2 open deals" in html


def test_the_account_card_lists_its_deals(web_as, admin, b2b):
    account = factories.account(admin, name="Globex")
    factories.opportunity(admin, name="Globex renewal", account_id=account.pk, amount=Decimal(42))
    html = web_as(admin).get(reverse("account_detail", args=[account.pk])).content.decode()
    assert 'id="section-opportunities"' in html
    assert "Globex renewal" in html and "Qualification · 42.00 EUR" in html


def test_deleting_and_restoring_a_deal(web_as, admin, b2b):
    deal = factories.opportunity(admin, name="Trash me")
    browser = web_as(admin)
    browser.post(reverse("opportunity_delete", args=[deal.pk]))
    assert "Trash me" not in browser.get(reverse("opportunity_list")).content.decode()
    browser.post(reverse("opportunity_restore", args=[deal.pk]))
    assert "Trash me" in browser.get(reverse("opportunity_list")).content.decode()


def test_deal_page_lists_its_activities_with_a_prefilled_new_activity_link(web_as, rep):
    from funia.activities import services as activity_services

    factories.pipeline(rep)
    deal = factories.opportunity(rep, name="Fleet renewal")
    activity_services.activity_create(
        by=rep, kind="task", subject="Prepare the offer", opportunity_id=deal.pk
    )

    html = web_as(rep).get(reverse("opportunity_detail", args=[deal.pk])).content.decode()

    assert "Prepare the offer" in html
    assert f"opportunity={deal.pk}" in html
