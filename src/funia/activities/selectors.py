"""Reads of activities, purposes and the registry's conflicts, restricted by visibility."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.db.models import F, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from funia.activities.filters import ActivityConflictFilter, ActivityFilter, ActivityPurposeFilter
from funia.activities.models import Activity, ActivityConflict, ActivityPurpose
from funia.core.actor import Actor
from funia.core.models import Role
from funia.core.visibility import visible_records
from funia.customers.models import Account, Contact

RECORD_LIMIT = 20
# Who reviews the registry's conflicts.
CONFLICT_REVIEWERS = {Role.ADMIN, Role.SALES_MANAGER, Role.ANALYST}


def _conflicts_prefetch(tenant) -> Prefetch:
    return Prefetch(
        "conflicts",
        queryset=ActivityConflict.objects.for_tenant(tenant)
        .filter(earlier__deleted_at__isnull=True)
        .select_related("earlier__tenant", "earlier__owner", "earlier__team", "earlier__purpose")
        .order_by("earlier__created_at", "id"),
    )


def _details(qs: QuerySet, tenant) -> QuerySet:
    return qs.select_related(
        "tenant", "owner", "purpose", "team", "contact", "account", "lead", "opportunity"
    ).prefetch_related(_conflicts_prefetch(tenant))


def activity_list(*, actor: Actor, filters: ActivityFilter | None = None) -> QuerySet[Activity]:
    filters = filters or ActivityFilter()
    qs = filters.filter(visible_records(Activity, actor, with_deleted=True))
    sort = filters.sort
    order = F(sort.lstrip("-"))
    order = order.desc(nulls_last=True) if sort.startswith("-") else order.asc(nulls_last=True)
    return _details(qs, actor.tenant).order_by(order, "-id")


def activity_get(*, actor: Actor, pk: int, with_deleted: bool = False) -> Activity:
    return _details(visible_records(Activity, actor, with_deleted=with_deleted), actor.tenant).get(
        pk=pk
    )


def stored_conflicts(activity: Activity) -> list[Activity]:
    """The earlier activities the registry found for this one (prefetched by the selectors)."""
    return [c.earlier for c in activity.conflicts.all() if c.earlier.deleted_at is None]


def follow_ups(*, actor: Actor, activity: Activity) -> QuerySet[Activity]:
    return visible_records(Activity, actor).filter(follow_up_of=activity).order_by("created_at")


# -- activities of one record (the record pages' tag, the customer card's timeline) ---------


def record_activity_q(record) -> Q | None:
    """Which activities belong to a lead, contact, account (its contacts' too) or deal."""
    label = record._meta.label_lower
    if label == "customers.account":
        contacts = Contact.objects.for_tenant(record.tenant_id, with_deleted=True).filter(
            account=record
        )
        return Q(account=record) | Q(contact_id__in=contacts.values("pk"))
    field = {
        "customers.contact": "contact",
        "sales.lead": "lead",
        "sales.opportunity": "opportunity",
    }.get(label)
    return Q(**{field: record}) if field else None


def with_moment(qs: QuerySet) -> QuerySet:
    return qs.annotate(moment=Coalesce("done_at", "due_at", "created_at"))


def record_activities(
    *, actor: Actor, record, limit: int = RECORD_LIMIT
) -> tuple[list[Activity], list[Activity], bool]:
    """(open, done, more): the record's open activities, then done ones, newest first."""
    which = record_activity_q(record)
    if which is None:
        return [], [], False
    qs = with_moment(visible_records(Activity, actor).filter(which)).select_related(
        "owner", "purpose", "contact"
    )
    open_ = list(qs.filter(done_at__isnull=True).order_by("-moment", "-id")[: limit + 1])
    done = list(qs.filter(done_at__isnull=False).order_by("-moment", "-id")[: limit + 1])
    more = len(open_) > limit or len(done) > limit
    return open_[:limit], done[:limit], more


def timeline_activities(
    *, actor: Actor, record, before: datetime | None, limit: int
) -> list[Activity]:
    which = record_activity_q(record)
    if which is None:
        return []
    qs = with_moment(visible_records(Activity, actor).filter(which))
    if before is not None:
        qs = qs.filter(moment__lt=before)
    return list(qs.select_related("owner", "purpose", "contact").order_by("-moment", "-id")[:limit])


# -- my day ---------------------------------------------------------------------------------


def tenant_zone(tenant):
    try:
        return ZoneInfo(tenant.time_zone)
    except Exception:
        return timezone.get_current_timezone()


def today_bounds(tenant, now: datetime | None = None) -> tuple[datetime, datetime]:
    """Start and end of today in the organisation's time zone."""
    local = timezone.localtime(now or timezone.now(), tenant_zone(tenant))
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=1)).replace(tzinfo=None)
    return start, timezone.make_aware(end, tenant_zone(tenant))


def my_day(*, actor: Actor, now: datetime | None = None) -> dict:
    """The actor's overdue and today's open activities, and what they did today."""
    start, end = today_bounds(actor.tenant, now)
    mine = (
        Activity.objects.for_tenant(actor.tenant)
        .filter(owner=actor.user)
        .select_related("purpose", "contact", "account", "lead", "opportunity")
    )
    return {
        "overdue": list(mine.filter(done_at__isnull=True, due_at__lt=start).order_by("due_at")),
        "today": list(
            mine.filter(done_at__isnull=True, due_at__gte=start, due_at__lt=end).order_by("due_at")
        ),
        "done": list(mine.filter(done_at__gte=start, done_at__lt=end).order_by("-done_at")),
        "start": start,
    }


def open_today_count(*, actor: Actor) -> tuple[int, int]:
    """(open activities due by the end of today, of which overdue) for the actor."""
    start, end = today_bounds(actor.tenant)
    mine = Activity.objects.for_tenant(actor.tenant).filter(
        owner=actor.user, done_at__isnull=True, due_at__lt=end
    )
    return mine.count(), mine.filter(due_at__lt=start).count()


# -- purposes -------------------------------------------------------------------------------


def activity_purpose_list(
    *, actor: Actor, filters: ActivityPurposeFilter | None = None
) -> QuerySet[ActivityPurpose]:
    filters = filters or ActivityPurposeFilter()
    qs = filters.filter(ActivityPurpose.objects.for_tenant(actor.tenant, with_deleted=True))
    return qs.order_by("position", "name", "id")


def activity_purpose_get(*, actor: Actor, pk: int, with_deleted: bool = False) -> ActivityPurpose:
    return ActivityPurpose.objects.for_tenant(actor.tenant, with_deleted=with_deleted).get(pk=pk)


def purpose_choices(*, tenant, keep_id: int | None = None) -> QuerySet[ActivityPurpose]:
    """The purposes a form offers: the active ones, plus the activity's own."""
    which = Q(is_active=True)
    if keep_id is not None:
        which |= Q(pk=keep_id)
    return ActivityPurpose.objects.for_tenant(tenant).filter(which).order_by("position", "id")


# -- the registry's conflicts ---------------------------------------------------------------


def can_review_conflicts(actor: Actor) -> bool:
    return actor.role in CONFLICT_REVIEWERS


def conflict_list(
    *, actor: Actor, filters: ActivityConflictFilter | None = None
) -> QuerySet[ActivityConflict]:
    """Conflicts between live activities, at least one of which the actor may see; for
    managers, analysts and administrators."""
    if not can_review_conflicts(actor):
        raise PermissionDenied(_("Only managers and administrators review contact conflicts."))
    filters = filters or ActivityConflictFilter()
    visible = visible_records(Activity, actor).values("pk")
    qs = ActivityConflict.objects.for_tenant(actor.tenant).filter(
        Q(activity_id__in=visible) | Q(earlier_id__in=visible),
        activity__deleted_at__isnull=True,
        earlier__deleted_at__isnull=True,
    )
    qs = filters.filter(qs)
    related = ("owner", "team", "purpose", "contact", "account", "lead", "tenant")
    return qs.select_related(
        *(f"activity__{r}" for r in related), *(f"earlier__{r}" for r in related)
    ).order_by("-detected_at", "-id")


# -- customers for the quick forms -----------------------------------------------------------


def customer_options(*, actor: Actor, text: str, limit: int = 10) -> list[tuple[str, str]]:
    """("contact:12" | "account:5", label) of the visible customers matching the text."""
    from funia.customers.filters import AccountFilter, ContactFilter
    from funia.customers.selectors import account_list, contact_list

    text = (text or "").strip()[:100]
    if len(text) < 2:
        return []
    contacts = contact_list(actor=actor, filters=ContactFilter(q=text)).select_related("account")
    accounts = account_list(actor=actor, filters=AccountFilter(q=text))
    options = [
        (f"contact:{c.pk}", f"{c} · {c.account}" if c.account_id else str(c))
        for c in contacts[:limit]
    ]
    options += [(f"account:{a.pk}", f"{a.name}") for a in accounts[:limit]]
    return options


def customer_label(*, actor: Actor, value: str) -> str:
    """The label of a "contact:12" / "account:5" choice the actor may see, else ""."""
    kind, _sep, pk = (value or "").partition(":")
    model = {"contact": Contact, "account": Account}.get(kind)
    if model is None or not pk.isdecimal() or int(pk) > 2**63 - 1:
        return ""
    record = visible_records(model, actor).select_related(
        *(["account"] if model is Contact else [])
    )
    record = record.filter(pk=int(pk)).first()
    if record is None:
        return ""
    if model is Contact and record.account_id:
        return f"{record} · {record.account}"
    return str(record)


def probe_refs_visible(*, actor: Actor, contact_id=None, account_id=None, lead_id=None) -> dict:
    """Field errors for customers the actor may not see (the registry is asked only about
    customers the asker sees)."""
    from funia.sales.models import Lead

    errors = {}
    for name, pk, model in (
        ("contact", contact_id, Contact),
        ("account", account_id, Account),
        ("lead", lead_id, Lead),
    ):
        if pk is not None and not visible_records(model, actor).filter(pk=pk).exists():
            errors[name] = _("No such %(model)s.") % {"model": model._meta.verbose_name}
    return errors
