import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from funia.sales import opportunities, pipelines, selectors
from funia.sales.models import ForecastCategory, StageChange
from tests import factories


@pytest.fixture
def b2b(admin):
    return factories.pipeline(admin)


def history(deal):
    return [
        (c.from_stage and c.from_stage.name, c.to_stage.name)
        for c in selectors.stage_history(opportunity=deal)
    ]


def test_new_deal_starts_in_first_open_stage_with_one_history_entry(rep, b2b):
    deal = factories.opportunity(rep, amount=Decimal("1200.50"))
    assert deal.stage.name == "Qualification"
    assert deal.owner_id == rep.user.pk
    assert deal.amount_base == Decimal("1200.50")
    assert history(deal) == [(None, "Qualification")]


def test_every_move_is_recorded_including_backwards_and_reopen(rep, b2b):
    deal = factories.opportunity(rep, amount=Decimal(100))
    for name in ("Needs analysis", "Proposal", "Needs analysis", "Won", "Negotiation"):
        deal = opportunities.opportunity_move(
            by=rep, opportunity=deal, stage_id=factories.stage(b2b, name).pk
        )
    assert history(deal) == [
        (None, "Qualification"),
        ("Qualification", "Needs analysis"),
        ("Needs analysis", "Proposal"),
        ("Proposal", "Needs analysis"),
        ("Needs analysis", "Won"),
        ("Won", "Negotiation"),
    ]
    assert deal.closed_at is None
    assert deal.forecast_category == ForecastCategory.PIPELINE
    probabilities = [c.probability for c in selectors.stage_history(opportunity=deal)]
    assert probabilities == [10, 25, 50, 25, 100, 75]


def test_stage_gate_refuses_until_fields_are_filled(rep, b2b):
    deal = factories.opportunity(rep)
    proposal = factories.stage(b2b, "Proposal")
    with pytest.raises(ValidationError) as caught:
        opportunities.opportunity_move(by=rep, opportunity=deal, stage_id=proposal.pk)
    assert "amount" in caught.value.message_dict
    assert "Proposal" in caught.value.message_dict["amount"][0]
    deal.refresh_from_db()
    assert deal.stage.name == "Qualification"
    assert len(history(deal)) == 1
    moved = opportunities.opportunity_move(
        by=rep, opportunity=deal, stage_id=proposal.pk, fields={"amount": Decimal(10)}
    )
    assert moved.stage == proposal


def test_lost_needs_a_reason_and_closes_the_deal(rep, b2b):
    deal = factories.opportunity(rep)
    lost = factories.stage(b2b, "Lost")
    with pytest.raises(ValidationError) as caught:
        opportunities.opportunity_move(by=rep, opportunity=deal, stage_id=lost.pk)
    assert "lost_reason" in caught.value.message_dict
    deal = opportunities.opportunity_move(
        by=rep, opportunity=deal, stage_id=lost.pk, fields={"lost_reason": "Price"}
    )
    assert deal.closed_at is not None
    assert deal.forecast_category == ForecastCategory.OMITTED


def test_stage_of_another_pipeline_is_refused(rep, b2b, admin):
    other = factories.pipeline(admin, name="Renewals")
    deal = factories.opportunity(rep)
    with pytest.raises(ValidationError):
        opportunities.opportunity_move(
            by=rep, opportunity=deal, stage_id=factories.stage(other, "Proposal").pk
        )


def test_migrated_history_is_kept_exactly(admin, b2b):
    at = [timezone.now() - datetime.timedelta(days=d) for d in (90, 60, 30)]
    deal = factories.opportunity(
        admin,
        amount=Decimal(5000),
        stage_history=[
            {"stage": "Qualification", "at": at[0]},
            {"stage": factories.stage(b2b, "Proposal").pk, "at": at[1]},
            {"stage": "won", "at": at[2]},
        ],
    )
    changes = list(selectors.stage_history(opportunity=deal))
    assert [(c.to_stage.name, c.at) for c in changes] == [
        ("Qualification", at[0]),
        ("Proposal", at[1]),
        ("Won", at[2]),
    ]
    assert changes[1].from_stage.name == "Qualification"
    assert deal.stage.name == "Won" and deal.closed_at == at[2]
    assert deal.created_at == at[0]


def test_migrated_history_must_be_chronological_and_admin_only(admin, rep, b2b):
    now = timezone.now()
    with pytest.raises(ValidationError) as caught:
        factories.opportunity(
            admin,
            stage_history=[
                {"stage": "Proposal", "at": now - datetime.timedelta(days=1)},
                {"stage": "Qualification", "at": now - datetime.timedelta(days=2)},
            ],
        )
    assert "chronological" in str(caught.value)
    with pytest.raises(PermissionDenied):
        factories.opportunity(rep, stage_history=[{"stage": "Qualification", "at": now}])


def test_history_is_append_only(rep, b2b):
    deal = factories.opportunity(rep)
    change = StageChange.objects.for_tenant(rep.tenant).get(opportunity=deal)
    with pytest.raises(ValidationError):
        change.save()
    with pytest.raises(ValidationError):
        change.delete()


def test_foreign_currency_needs_a_rate_and_is_converted(admin, rep, b2b):
    with pytest.raises(ValidationError) as caught:
        factories.opportunity(rep, amount=Decimal(100), currency="usd")
    assert "USD" in caught.value.message_dict["currency"][0]
    pipelines.exchange_rate_create(by=admin, currency="USD", rate=Decimal("0.9"))
    deal = factories.opportunity(rep, amount=Decimal(100), currency="usd")
    assert (deal.currency, deal.amount_base) == ("USD", Decimal("90.00"))
    rate = selectors.exchange_rate_list(actor=admin).get(currency="USD")
    pipelines.exchange_rate_update(by=admin, exchange_rate=rate, fields={"rate": Decimal("0.5")})
    deal.refresh_from_db()
    assert deal.amount_base == Decimal("50.00")


def test_pipeline_needs_open_won_and_lost_and_keeps_used_stages(admin, rep, b2b):
    with pytest.raises(ValidationError):
        pipelines.pipeline_create(by=admin, name="Bad", stages=[{"name": "Only"}])
    factories.opportunity(rep)
    stages = [{"id": s.pk, "name": s.name, "kind": s.kind} for s in b2b.stages.all()][1:]
    with pytest.raises(ValidationError) as caught:
        pipelines.pipeline_update(by=admin, pipeline=b2b, fields={"stages": stages})
    assert "Qualification" in str(caught.value)
    with pytest.raises(PermissionDenied):
        pipelines.pipeline_update(by=rep, pipeline=b2b, fields={"name": "Mine"})


def test_bulk_move_reports_each_refusal(rep, b2b):
    a = factories.opportunity(rep, name="A", amount=Decimal(1))
    b = factories.opportunity(rep, name="B")
    result = opportunities.opportunity_bulk_move(
        by=rep, ids=[a.pk, b.pk, 999999], stage_id=factories.stage(b2b, "Proposal").pk
    )
    assert result.done == [a.pk]
    assert set(result.refused) == {b.pk, 999999}
