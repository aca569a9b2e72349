"""Reads of leads and web forms, restricted by the visibility policy."""

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from funia.core.actor import Actor
from funia.core.visibility import visible_records
from funia.sales.leads.filters import LeadFilter
from funia.sales.models import Lead, LeadForm, LeadStatus


def _lead_details(qs: QuerySet) -> QuerySet:
    return qs.select_related(
        "owner", "form", "converted_account", "converted_contact", "converted_opportunity"
    )


def lead_list(*, actor: Actor, filters: LeadFilter | None = None) -> QuerySet[Lead]:
    """The leads the actor may see, filtered and sorted as asked."""
    filters = filters or LeadFilter()
    qs = filters.filter(visible_records(Lead, actor, with_deleted=True))
    return _lead_details(qs).order_by(filters.sort, "id")


def lead_get(*, actor: Actor, pk: int, with_deleted: bool = False) -> Lead:
    return _lead_details(visible_records(Lead, actor, with_deleted=with_deleted)).get(pk=pk)


def new_leads_this_week(*, actor: Actor) -> int:
    """The actor's own new leads created in the last seven days."""
    since = timezone.now() - datetime.timedelta(days=7)
    return (
        visible_records(Lead, actor)
        .filter(owner=actor.user, status=LeadStatus.NEW, created_at__gte=since)
        .count()
    )


def lead_form_list(*, actor: Actor, filters=None) -> QuerySet[LeadForm]:
    """The organisation's web forms (the owner of a form is who gets its leads, not who
    may see it: every member sees them)."""
    qs = LeadForm.objects.for_tenant(actor.tenant, with_deleted=True)
    qs = filters.filter(qs) if filters is not None else qs.filter(deleted_at__isnull=True)
    return qs.select_related("owner").order_by("name", "id")


def lead_form_get(*, actor: Actor, pk: int, with_deleted: bool = False) -> LeadForm:
    return (
        LeadForm.objects.for_tenant(actor.tenant, with_deleted=with_deleted)
        .select_related("owner")
        .get(pk=pk)
    )
