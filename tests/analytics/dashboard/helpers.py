"""Deals with a known past, for the dashboard's tests."""

import datetime
from decimal import Decimal

from django.utils import timezone

from funia.sales import opportunities


def ago(days: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def deal_with_history(admin, pipeline, name, history, **fields):
    """A deal created by an administrator with `history` = [(stage name, days ago)]."""
    if fields.get("amount") is not None:
        fields["amount"] = Decimal(fields["amount"])
    return opportunities.opportunity_create(
        by=admin,
        name=name,
        pipeline_id=pipeline.pk,
        stage_history=[{"stage": stage, "at": ago(days)} for stage, days in history],
        **fields,
    )
