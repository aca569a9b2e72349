"""Navigation entries, the "Today" dashboard card, the customer card's timeline of
activities, and the default purposes of every new organisation."""

from urllib.parse import urlencode

from django.db.models.signals import post_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from funia.activities import selectors
from funia.activities.registry import user_name
from funia.activities.selectors import CONFLICT_REVIEWERS
from funia.activities.services import default_purposes_create
from funia.core.models import Organization
from funia.customers.card import TimelineEntry, register_action, register_timeline_source
from funia.web import dashboard
from funia.web.navigation import NavEntry, register

register(NavEntry(_("My day"), "my_day", "sun", order=5))
register(NavEntry(_("Activities"), "activity_list", "check", order=40))
register(
    NavEntry(
        _("Contact conflicts"),
        "activity_conflict_report",
        "alert",
        order=60,
        roles=frozenset(CONFLICT_REVIEWERS),
    )
)
register(
    NavEntry(_("Activity purposes"), "activity_purpose_list", "list", admin_only=True, order=960)
)


@dashboard.register
def today_card(actor):
    total, overdue = selectors.open_today_count(actor=actor)
    hint = gettext("%(n)d overdue") % {"n": overdue} if overdue else gettext("open activities")
    return [dashboard.Card(gettext("Today"), str(total), reverse("my_day"), hint)]


def _detail(activity) -> str:
    parts = [activity.purpose.name if activity.purpose_id else "", activity.outcome]
    if activity.done_at is None:
        parts.insert(0, gettext("planned"))
    return " · ".join(p for p in parts if p)


@register_timeline_source
def activity_timeline(actor, record, *, before=None, limit=20):
    """An account's own and its contacts' activities; a contact's own."""
    activities = selectors.timeline_activities(
        actor=actor, record=record, before=before, limit=limit
    )
    return [
        TimelineEntry(
            at=a.moment,
            kind=a.kind,
            title=a.subject,
            detail=_detail(a),
            user=user_name(a.owner),
            link=reverse("activity_detail", args=[a.pk]),
        )
        for a in activities
    ]


@receiver(post_save, sender=Organization, dispatch_uid="activities_default_purposes")
def seed_default_purposes(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        default_purposes_create(instance)


def _prefilled(record, **extra) -> str:
    field = "contact" if record._meta.model_name == "contact" else "account"
    return f"{reverse('activity_create')}?{urlencode({field: record.pk, **extra})}"


register_action("log_call", _("Log a call"), lambda r: _prefilled(r, kind="call"), order=10)
register_action("new_activity", _("New activity"), _prefilled, order=20)
