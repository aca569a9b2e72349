"""API authentication: bearer tokens, or the web session (with CSRF) for the app's own pages."""

from django.conf import settings
from ninja.security import APIKeyCookie, HttpBearer

from funia.core.actor import Actor
from funia.core.models import Membership
from funia.core.selectors import token_authenticate
from funia.core.services import token_touch


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        api_token = token_authenticate(token)
        if api_token is None:
            return None
        membership = (
            Membership.objects.for_tenant(api_token.tenant)
            .select_related("tenant", "user")
            .filter(user=api_token.user, is_active=True)
            .first()
        )
        if membership is None:
            return None
        token_touch(api_token)
        request.actor = Actor.from_membership(membership, token=api_token)
        request.tenant = membership.tenant
        return request.actor


class SessionActor(APIKeyCookie):
    """The signed-in web user, in the organisation chosen in the session."""

    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request, key):
        return getattr(request, "actor", None)


api_auth = [BearerToken(), SessionActor(csrf=True)]
