"""A small organisation with territories, accounts and deals whose coverage is counted by
hand in the tests."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest

from funia.core.models import Membership
from funia.customers import services as customer_services
from funia.sales import opportunities
from tests import factories
from tests.sales.territories.helpers import account, territory

UTC = datetime.UTC


@dataclass
class Scene:
    admin: object
    rep: object
    manager: object
    pipeline: object
    bulgaria: object
    large: object
    accounts: dict
    deals: dict


def make_deal(admin, scene_pipeline, *, stage, amount, owner, account_obj=None, won_at=None):
    """A deal in `stage` (a name); a won deal is won at `won_at` (its history says so)."""
    stage_obj = factories.stage(scene_pipeline, stage)
    fields = {
        "name": f"{stage} {amount}",
        "pipeline_id": scene_pipeline.pk,
        "stage_id": stage_obj.pk,
        "amount": Decimal(amount),
        "currency": admin.tenant.currency,
        "owner_id": owner.user.pk,
        "account_id": account_obj.pk if account_obj else None,
    }
    if won_at is not None:
        fields["stage_history"] = [{"stage": stage_obj.pk, "at": won_at}]
    if stage == "Lost":
        fields["lost_reason"] = "Price"
    return factories.opportunity(admin, **fields)


@pytest.fixture
def scene(admin, rep, manager):
    """Territories "Bulgaria" (BG; reps: the rep, and an inactive one) and "Large" (500+
    employees); accounts and deals in them, in none, and some that must not count."""
    gone_rep = factories.member(admin.tenant, "sales_rep")
    bulgaria = territory(
        admin, "Bulgaria", countries=["BG"], rep_ids=[rep.user.pk, gone_rep.user.pk]
    )
    Membership.objects.for_tenant(admin.tenant).filter(user=gone_rep.user).update(is_active=False)
    large = territory(admin, "Large", min_employees=500)
    pipeline = factories.pipeline(admin)
    a = {
        "rep_bg": account(admin, "Rep's Sofia shop", country="BG", owner_id=rep.user.pk),
        "mgr_bg": account(admin, "Manager's Varna shop", country="BG", owner_id=manager.user.pk),
        "rep_bg_won_by_other": account(
            admin, "Rep's Plovdiv shop", country="BG", owner_id=rep.user.pk
        ),
        "de_large": account(admin, "Berlin works", country="DE", employees=1000),
        "ro_small": account(admin, "Cluj studio", country="RO", employees=5),
        "trashed_bg": account(admin, "Trashed Burgas shop", country="BG"),
    }
    in_period = datetime.datetime(2025, 3, 10, 12, tzinfo=UTC)
    # 22:30 UTC on 31 December is already 1 January in Sofia: inside the period.
    new_year_sofia = datetime.datetime(2024, 12, 31, 22, 30, tzinfo=UTC)
    before = datetime.datetime(2024, 12, 31, 21, 30, tzinfo=UTC)
    d = {
        "rep_open": make_deal(
            admin,
            pipeline,
            stage="Qualification",
            amount="1000",
            owner=rep,
            account_obj=a["rep_bg"],
        ),
        "rep_won": make_deal(
            admin,
            pipeline,
            stage="Won",
            amount="2000",
            owner=rep,
            account_obj=a["rep_bg"],
            won_at=in_period,
        ),
        "rep_won_new_year": make_deal(
            admin,
            pipeline,
            stage="Won",
            amount="10",
            owner=rep,
            account_obj=a["rep_bg"],
            won_at=new_year_sofia,
        ),
        "rep_won_before": make_deal(
            admin,
            pipeline,
            stage="Won",
            amount="500",
            owner=rep,
            account_obj=a["rep_bg"],
            won_at=before,
        ),
        "mgr_open": make_deal(
            admin,
            pipeline,
            stage="Negotiation",
            amount="400",
            owner=manager,
            account_obj=a["mgr_bg"],
        ),
        "mgr_lost": make_deal(
            admin, pipeline, stage="Lost", amount="999", owner=manager, account_obj=a["mgr_bg"]
        ),
        "other_won": make_deal(
            admin,
            pipeline,
            stage="Won",
            amount="70",
            owner=admin,
            account_obj=a["rep_bg_won_by_other"],
            won_at=in_period,
        ),
        "large_won": make_deal(
            admin,
            pipeline,
            stage="Won",
            amount="300",
            owner=admin,
            account_obj=a["de_large"],
            won_at=in_period,
        ),
        "ro_open": make_deal(
            admin,
            pipeline,
            stage="Proposal",
            amount="200",
            owner=admin,
            account_obj=a["ro_small"],
        ),
        "trashed_account_open": make_deal(
            admin,
            pipeline,
            stage="Qualification",
            amount="7777",
            owner=admin,
            account_obj=a["trashed_bg"],
        ),
        "no_account_open": make_deal(
            admin, pipeline, stage="Qualification", amount="50", owner=admin
        ),
        "trashed_deal": make_deal(
            admin,
            pipeline,
            stage="Qualification",
            amount="12345",
            owner=rep,
            account_obj=a["rep_bg"],
        ),
    }
    customer_services.account_delete(by=admin, account=a["trashed_bg"])
    opportunities.opportunity_delete(by=admin, opportunity=d["trashed_deal"])
    return Scene(admin, rep, manager, pipeline, bulgaria, large, a, d)


PERIOD = {"start": datetime.date(2025, 1, 1), "end": datetime.date(2025, 7, 1)}
# The scene's customers, seen at the end of that period: every win of the scene is within
# the default active window of twelve months ending on this day.
AS_OF = datetime.date(2025, 6, 30)
# The API and the pages end the active window today: the widest window keeps the scene's
# wins of 2024 and 2025 in it.
EVER = {"active_months": 120}
