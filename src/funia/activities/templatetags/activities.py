"""Template tags of activities.

{% load activities %}
{% record_activities record %}   the activities of a lead, contact, account (with its
                                 contacts') or deal, open first, with "Log a call" and
                                 "New activity" links prefilled for that record
"""

from urllib.parse import urlencode

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy

from funia.activities import registry, selectors
from funia.activities.models import ActivityKind

register = template.Library()

SORTS = [
    ("-created_at", gettext_lazy("Newest")),
    ("due_at", gettext_lazy("Due first")),
    ("-due_at", gettext_lazy("Due last")),
    ("-done_at", gettext_lazy("Recently done")),
    ("subject", gettext_lazy("Subject")),
]
PREFILL = {
    "customers.contact": "contact",
    "customers.account": "account",
    "sales.lead": "lead",
    "sales.opportunity": "opportunity",
}


@register.simple_tag
def activity_kinds():
    return ActivityKind.choices


@register.simple_tag
def activity_sorts():
    return SORTS


@register.simple_tag(takes_context=True)
def activity_purposes(context):
    actor = context.get("actor") or getattr(context.get("request"), "actor", None)
    if actor is None:
        return []
    return selectors.activity_purpose_list(actor=actor)


@register.filter
def user_name(user) -> str:
    return registry.user_name(user)


def _url(name: str, pk: int) -> str:
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return ""


@register.simple_tag
def activity_customer(activity):
    """Links to the contact, account, lead and deal of an activity (those loaded)."""
    parts = []
    for field, url_name in (
        ("contact", "contact_detail"),
        ("account", "account_detail"),
        ("lead", "lead_detail"),
        ("opportunity", "opportunity_detail"),
    ):
        if getattr(activity, f"{field}_id"):
            record = getattr(activity, field)
            url = _url(url_name, record.pk)
            parts.append((url, str(record)) if url else ("", str(record)))
    if not parts:
        return "—"
    return format_html_join(
        ", ",
        "{}",
        (
            (format_html('<a href="{}">{}</a>', url, label) if url else label,)
            for url, label in parts
        ),
    )


@register.inclusion_tag("activities/_record_activities.html", takes_context=True)
def record_activities(context, record):
    request = context.get("request")
    actor = getattr(request, "actor", None)
    if actor is None or record is None:
        return {"shown": False}
    open_, done, more = selectors.record_activities(actor=actor, record=record)
    field = PREFILL.get(record._meta.label_lower)
    query = {field: record.pk} if field else {}
    new_url = reverse("activity_create")
    return {
        "shown": True,
        "request": request,
        "record": record,
        "open": open_,
        "done": done,
        "more_url": f"{reverse('activity_list')}?{urlencode(query)}" if more and field else "",
        "call_url": f"{new_url}?{urlencode(query | {'kind': ActivityKind.CALL})}",
        "new_url": f"{new_url}?{urlencode(query)}",
        "next": request.get_full_path() if request else "",
    }


@register.simple_tag
def conflict_message(activity):
    return registry.conflict_message(activity)
