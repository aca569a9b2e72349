"""Per-request tenant, actor, language and time zone."""

import zoneinfo

from django.conf import settings
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers

from funia.core.actor import Actor
from funia.core.selectors import active_memberships_of

SESSION_TENANT_KEY = "funia_tenant_id"


class TenantMiddleware:
    """For a signed-in user: the organisation chosen in the session (or their first one)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.actor = None
        request.tenant = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            memberships = list(active_memberships_of(user))
            wanted = request.session.get(SESSION_TENANT_KEY)
            chosen = next((m for m in memberships if m.tenant_id == wanted), None)
            chosen = chosen or (memberships[0] if memberships else None)
            if chosen is not None:
                if wanted != chosen.tenant_id:
                    request.session[SESSION_TENANT_KEY] = chosen.tenant_id
                request.actor = Actor.from_membership(chosen)
                request.tenant = chosen.tenant
                request.memberships = memberships
                timezone.activate(zoneinfo.ZoneInfo(chosen.tenant.time_zone))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class UserLanguageMiddleware:
    """The user's language setting wins, then the language cookie, then Accept-Language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if user and user.is_authenticated else ""
        if language not in dict(settings.LANGUAGES):
            language = translation.get_language_from_request(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response
