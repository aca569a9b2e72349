"""Pipeline and exchange-rate pages: administrators edit stages; others are refused."""

from decimal import Decimal

import pytest
from django.urls import reverse

from funia.sales.models import ExchangeRate, Pipeline, Stage
from tests import factories


@pytest.fixture
def b2b(admin):
    return factories.pipeline(admin)


def stage_rows(stages):
    """The formset's POST data for a list of stage dicts."""
    data = {
        "stages-TOTAL_FORMS": str(len(stages)),
        "stages-INITIAL_FORMS": "0",
        "stages-MIN_NUM_FORMS": "0",
        "stages-MAX_NUM_FORMS": "1000",
    }
    for index, stage in enumerate(stages):
        for key, value in stage.items():
            data[f"stages-{index}-{key}"] = value
    return data


def test_an_admin_creates_a_pipeline_with_ordered_stages(web_as, admin):
    data = {"name": "Partners", "position": "0"} | stage_rows(
        [
            {
                "name": "Signed",
                "probability": "90",
                "kind": "open",
                "ORDER": "2",
                "required_fields": ["amount", "contact"],
            },
            {"name": "Intro", "probability": "10", "kind": "open", "ORDER": "1"},
            {"name": "Live", "probability": "100", "kind": "won", "ORDER": "3"},
            {"name": "Dropped", "probability": "0", "kind": "lost", "ORDER": "4"},
        ]
    )
    response = web_as(admin).post(reverse("pipeline_create"), data)

    pipeline = Pipeline.objects.for_tenant(admin.tenant).get(name="Partners")
    assert response.status_code == 302
    stages = list(Stage.objects.for_tenant(admin.tenant).filter(pipeline=pipeline))
    assert [s.name for s in stages] == ["Intro", "Signed", "Live", "Dropped"]
    assert stages[1].required_fields == ["amount", "contact"]
    detail = web_as(admin).get(reverse("pipeline_detail", args=[pipeline.pk])).content.decode()
    assert "Intro" in detail and "Amount" in detail


def test_editing_shows_the_stages_and_removes_one(web_as, admin, b2b):
    browser = web_as(admin)
    form = browser.get(reverse("pipeline_edit", args=[b2b.pk])).content.decode()
    assert "Needs analysis" in form and "Add a stage" in form

    stages = list(Stage.objects.for_tenant(admin.tenant).filter(pipeline=b2b))
    rows = []
    for index, s in enumerate(stages):
        row = {
            "id": str(s.pk),
            "name": s.name,
            "probability": str(s.probability),
            "kind": s.kind,
            "ORDER": str(index + 1),
            "required_fields": s.required_fields,
        }
        if s.name == "Needs analysis":
            row["DELETE"] = "on"
        rows.append(row)
    data = {"name": "B2B sales", "position": "0", "is_default": "on", "etag": b2b.etag}
    data |= stage_rows(rows)
    data["stages-INITIAL_FORMS"] = str(len(rows))

    response = browser.post(reverse("pipeline_edit", args=[b2b.pk]), data)

    assert response.status_code == 302
    names = list(
        Stage.objects.for_tenant(admin.tenant).filter(pipeline=b2b).values_list("name", flat=True)
    )
    assert "Needs analysis" not in names and len(names) == 5


def test_a_refusal_of_the_service_is_shown_on_the_form(web_as, admin, b2b):
    factories.opportunity(admin, name="Sitting in qualification")
    stages = list(Stage.objects.for_tenant(admin.tenant).filter(pipeline=b2b))
    rows = [
        {
            "id": str(s.pk),
            "name": s.name,
            "probability": str(s.probability),
            "kind": s.kind,
            "ORDER": str(i + 1),
            **({"DELETE": "on"} if s.name == "Qualification" else {}),
        }
        for i, s in enumerate(stages)
    ]
    data = {"name": "B2B sales", "position": "0", "etag": b2b.etag} | stage_rows(rows)
    data["stages-INITIAL_FORMS"] = str(len(rows))

    response = web_as(admin).post(reverse("pipeline_edit", args=[b2b.pk]), data)

    assert response.status_code == 200
    assert "has deals or history" in response.content.decode()
    assert Stage.objects.for_tenant(admin.tenant).filter(name="Qualification").exists()


def test_a_pipeline_without_won_and_lost_stages_is_refused_clearly(web_as, admin):
    data = {"name": "Half", "position": "0"} | stage_rows(
        [{"name": "Only", "probability": "10", "kind": "open", "ORDER": "1"}]
    )
    response = web_as(admin).post(reverse("pipeline_create"), data)
    assert response.status_code == 200
    assert "at least one open, one won and one lost stage" in response.content.decode()


def test_deleting_a_pipeline_with_deals_is_refused_with_the_reason(web_as, admin, b2b):
    factories.opportunity(admin, name="Keeps it alive")
    response = web_as(admin).post(reverse("pipeline_delete", args=[b2b.pk]), follow=True)
    assert "move them first" in response.content.decode()
    b2b.refresh_from_db()
    assert b2b.deleted_at is None


@pytest.mark.parametrize("name", ["pipeline_list", "pipeline_create", "exchange_rate_list"])
def test_pipeline_pages_are_for_administrators_only(web_as, rep, name):
    assert web_as(rep).get(reverse(name)).status_code == 403


def test_admin_entries_are_hidden_from_others(web_as, admin, rep, b2b):
    assert reverse("pipeline_list") in web_as(admin).get(reverse("home")).content.decode()
    html = web_as(rep).get(reverse("home")).content.decode()
    assert reverse("pipeline_list") not in html
    assert reverse("opportunity_board") in html


def test_exchange_rates_are_added_and_changed(web_as, admin):
    browser = web_as(admin)
    response = browser.post(reverse("exchange_rate_create"), {"currency": "usd", "rate": "0.92"})
    rate = ExchangeRate.objects.for_tenant(admin.tenant).get(currency="USD")
    assert response.status_code == 302
    browser.post(
        reverse("exchange_rate_edit", args=[rate.pk]),
        {"currency": "USD", "rate": "0.95", "etag": rate.etag},
    )
    rate.refresh_from_db()
    assert rate.rate == Decimal("0.95")
    assert "USD" in browser.get(reverse("exchange_rate_list")).content.decode()
    refused = browser.post(reverse("exchange_rate_create"), {"currency": "EUR", "rate": "1"})
    assert "own currency; its rate is always 1" in refused.content.decode()
