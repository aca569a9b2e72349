"""The contact registry: no two people contact the same customer for the same purpose.

When an outreach activity (call, meeting, email, visit) is planned or logged, the registry
looks for outreach activities of the same organisation with the same purpose, owned by
ANOTHER user, whose moment (`done_at`, else `due_at`, else creation) lies within the
organisation's `contact_window_days` of this one's, reaching the same customer:

- the same contact;
- the account itself, or any contact of that account (a contact's account counts, so a
  call to one person of a company and a visit to another person of it meet);
- the same lead (a lead has no account yet).

`find_conflicts()` answers without saving anything (the form's live warning);
`record_conflicts()` stores what it found as `ActivityConflict` rows for the activity
(replacing the previous findings) so managers can review them.

Every query is bounded by indexes: the customer's rows through (tenant, contact, due_at),
(tenant, account, due_at) and (tenant, lead), then narrowed by purpose, owner and time;
never a scan of the tenant's (or the purpose's) activities.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from funia.activities.models import OUTREACH_KINDS, Activity, ActivityConflict, ActivityKind
from funia.customers.models import Contact

MAX_CONFLICTS = 20


@dataclass(frozen=True)
class Probe:
    """What the registry needs to know about an outreach, saved or not."""

    tenant: object  # Organization
    owner_id: int | None
    kind: str
    purpose_id: int | None
    at: datetime
    contact_id: int | None = None
    account_id: int | None = None
    lead_id: int | None = None
    exclude_id: int | None = None  # the activity itself, when it is saved

    @classmethod
    def of(cls, activity: Activity) -> "Probe":
        return cls(
            tenant=activity.tenant,
            owner_id=activity.owner_id,
            kind=activity.kind,
            purpose_id=activity.purpose_id,
            at=activity.when or timezone.now(),
            contact_id=activity.contact_id,
            account_id=activity.account_id,
            lead_id=activity.lead_id,
            exclude_id=activity.pk,
        )


def _customer_links(probe: Probe) -> list[Q]:
    """One condition per way of reaching the customer, each served by its own index."""
    tenant = probe.tenant
    account_id = probe.account_id
    if account_id is None and probe.contact_id is not None:
        account_id = (
            Contact.objects.for_tenant(tenant, with_deleted=True)
            .filter(pk=probe.contact_id)
            .values_list("account_id", flat=True)
            .first()
        )
    links = []
    if probe.contact_id is not None:
        links.append(Q(contact_id=probe.contact_id))
    if account_id is not None:
        contacts = Contact.objects.for_tenant(tenant, with_deleted=True).filter(
            account_id=account_id
        )
        links.append(Q(account_id=account_id))
        links.append(Q(contact_id__in=contacts.values("pk")))
    if probe.lead_id is not None:
        links.append(Q(lead_id=probe.lead_id))
    return links


def conflicting(probe: Probe) -> QuerySet[Activity]:
    """The other users' outreach to the same customer for the same purpose in the window.

    The customer's rows are read link by link (tenant+contact, tenant+account, tenant+lead
    indexes): a handful of rows however many activities the tenant or the purpose has. The
    purpose and the owner are compared as expressions, so the planner does not range over
    their (far larger) indexes instead."""
    none = Activity.objects.for_tenant(probe.tenant).none()
    if probe.kind not in OUTREACH_KINDS or probe.purpose_id is None or probe.owner_id is None:
        return none
    days = probe.tenant.contact_window_days
    links = _customer_links(probe)
    if not days or not links:
        return none
    window = timedelta(days=days)
    base = (
        Activity.objects.for_tenant(probe.tenant)
        .filter(kind__in=OUTREACH_KINDS)
        .alias(
            purpose_key=F("purpose_id") + 0,
            owner_key=F("owner_id") + 0,
            moment=Coalesce("done_at", "due_at", "created_at"),
        )
        .filter(
            purpose_key=probe.purpose_id,
            owner_key__isnull=False,
            moment__gte=probe.at - window,
            moment__lte=probe.at + window,
        )
        .exclude(owner_key=probe.owner_id)
    )
    if probe.exclude_id is not None:
        base = base.exclude(pk=probe.exclude_id)
    ids: set[int] = set()
    for link in links:
        ids.update(base.filter(link).values_list("pk", flat=True)[: MAX_CONFLICTS * 5])
    return (
        Activity.objects.for_tenant(probe.tenant)
        .filter(pk__in=ids)
        .annotate(moment=Coalesce("done_at", "due_at", "created_at"))
        .select_related("tenant", "owner", "team", "purpose")
        .order_by("moment", "id")
    )


def find_conflicts(probe: Probe) -> list[Activity]:
    """The conflicting activities, earliest first (at most MAX_CONFLICTS); saves nothing."""
    return list(conflicting(probe)[:MAX_CONFLICTS])


def record_conflicts(activity: Activity) -> list[Activity]:
    """Find the activity's conflicts now and store them in place of the previous ones."""
    found = find_conflicts(Probe.of(activity))
    stored = ActivityConflict.objects.for_tenant(activity.tenant_id).filter(activity=activity)
    keep = {a.pk for a in found}
    stored.exclude(earlier_id__in=keep).delete()
    existing = set(stored.values_list("earlier_id", flat=True))
    ActivityConflict.objects.bulk_create(
        [
            ActivityConflict(tenant_id=activity.tenant_id, activity=activity, earlier=a)
            for a in found
            if a.pk not in existing
        ]
    )
    return found


def clear_conflicts(activity: Activity) -> None:
    """A non-outreach activity (or one without purpose) has no conflicts."""
    ActivityConflict.objects.for_tenant(activity.tenant_id).filter(activity=activity).delete()


# -- how a conflict is told: the API's shape and the warning's sentence ---------------------


def user_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.email


def conflict_data(earlier: Activity) -> dict:
    """The API's description of a conflicting activity: who, which department, when, why."""
    return {
        "activity": earlier.pk,
        "subject": earlier.subject,
        "kind": earlier.kind,
        "user": {"id": earlier.owner_id, "name": user_name(earlier.owner)}
        if earlier.owner_id
        else None,
        "team": {"id": earlier.team_id, "name": earlier.team.name} if earlier.team_id else None,
        "at": earlier.when,
        "done": earlier.done_at is not None,
        "purpose": earlier.purpose_id,
        "purpose_name": earlier.purpose.name if earlier.purpose_id else "",
    }


DONE_PHRASES = {
    ActivityKind.CALL: gettext_noop("%(who)s called this customer for %(purpose)s on %(date)s"),
    ActivityKind.MEETING: gettext_noop("%(who)s met this customer for %(purpose)s on %(date)s"),
    ActivityKind.EMAIL: gettext_noop("%(who)s emailed this customer for %(purpose)s on %(date)s"),
    ActivityKind.VISIT: gettext_noop("%(who)s visited this customer for %(purpose)s on %(date)s"),
}
PLANNED_PHRASES = {
    ActivityKind.CALL: gettext_noop(
        "%(who)s plans to call this customer for %(purpose)s on %(date)s"
    ),
    ActivityKind.MEETING: gettext_noop(
        "%(who)s plans to meet this customer for %(purpose)s on %(date)s"
    ),
    ActivityKind.EMAIL: gettext_noop(
        "%(who)s plans to email this customer for %(purpose)s on %(date)s"
    ),
    ActivityKind.VISIT: gettext_noop(
        "%(who)s plans to visit this customer for %(purpose)s on %(date)s"
    ),
}


def conflict_message(earlier: Activity) -> str:
    """E.g. "Maria Ivanova (Service desk) called this customer for Collection on 12 Nov"."""
    who = user_name(earlier.owner)
    if earlier.team_id:
        who = f"{who} ({earlier.team.name})"
    moment = timezone.localtime(earlier.when, _tenant_zone(earlier))
    phrases = DONE_PHRASES if earlier.done_at is not None else PLANNED_PHRASES
    phrase = phrases.get(earlier.kind, DONE_PHRASES[ActivityKind.CALL])
    return _(phrase) % {
        "who": who,
        "purpose": earlier.purpose.name if earlier.purpose_id else "—",
        "date": formats.date_format(moment, "j M Y"),
    }


def _tenant_zone(activity: Activity):
    from zoneinfo import ZoneInfo

    try:
        return ZoneInfo(activity.tenant.time_zone)
    except Exception:
        return timezone.get_current_timezone()
