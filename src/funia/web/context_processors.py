from django.conf import settings

from funia.web.navigation import entries_for


def shell(request):
    actor = getattr(request, "actor", None)
    return {
        "actor": actor,
        "tenant": getattr(request, "tenant", None),
        "memberships": getattr(request, "memberships", []),
        "navigation": entries_for(actor) if actor else [],
        "LANGUAGES": settings.LANGUAGES,
    }
