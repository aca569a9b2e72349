"""Reads of the platform: memberships, users and teams of a tenant, the audit trail."""

from django.db.models import Prefetch, Q, QuerySet

from funia.core.actor import Actor
from funia.core.models import ApiToken, AuditEntry, Membership, SavedView, Team, User


def active_memberships_of(user: User) -> QuerySet[Membership]:
    """A user's organisations (login and the organisation switcher cross tenants by design)."""
    return (
        Membership.objects.across_tenants()
        .filter(user=user, is_active=True)
        .select_related("tenant", "user")
        .order_by("created_at", "id")
    )


def membership_list(*, tenant, role: str | None = None, q: str | None = None):
    qs = Membership.objects.for_tenant(tenant).select_related("user").order_by("user__email")
    if role:
        qs = qs.filter(role=role)
    if q:
        qs = qs.filter(user__email__icontains=q) | qs.filter(user__last_name__icontains=q)
    return qs


def membership_get(*, tenant, user_id: int) -> Membership:
    return membership_list(tenant=tenant).get(user_id=user_id)


def team_list(*, tenant, with_deleted: bool = False) -> QuerySet[Team]:
    return (
        Team.objects.for_tenant(tenant, with_deleted=with_deleted)
        .select_related("manager")
        .prefetch_related(Prefetch("members", queryset=User.objects.order_by("email")))
        .order_by("name", "id")
    )


def user_team_names(*, tenant, user: User) -> list[str]:
    return list(
        team_list(tenant=tenant).filter(teammember__user=user).values_list("name", flat=True)
    )


def audit_trail(*, tenant, object_type: str, object_id: int) -> QuerySet[AuditEntry]:
    return (
        AuditEntry.objects.for_tenant(tenant)
        .filter(object_type=object_type, object_id=object_id)
        .select_related("user", "token")
        .order_by("at", "id")
    )


def token_list(*, actor: Actor) -> QuerySet[ApiToken]:
    return ApiToken.objects.for_tenant(actor.tenant).filter(user=actor.user).order_by("-created_at")


def token_authenticate(secret: str) -> ApiToken | None:
    """The active token with this secret, across tenants: the token names its tenant."""
    if not secret.startswith(ApiToken.PREFIX):
        return None
    return (
        ApiToken.objects.across_tenants()
        .select_related("tenant", "user")
        .filter(key_hash=ApiToken.hash(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )


def saved_views_for(*, actor: Actor, list_key: str):
    """The actor's own views of a list and the ones shared with everyone."""
    return SavedView.objects.for_tenant(actor.tenant).filter(
        Q(user=actor.user) | Q(shared=True), list_key=list_key
    )
