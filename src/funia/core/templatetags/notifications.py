"""{% notification_bell %}: the bell with the unread count in the top bar (one count query)."""

from django import template

from funia.core.notifications import unread_count

register = template.Library()


@register.inclusion_tag("core/notifications_bell.html", takes_context=True)
def notification_bell(context):
    request = context.get("request")
    actor = getattr(request, "actor", None)
    count = unread_count(tenant=actor.tenant, user=actor.user) if actor else 0
    return {"unread": count, "actor": actor}
