"""The one visibility policy, used by web pages and the API alike.

Admins, analysts, marketers and service agents see every customer record (marketing and
service work across the whole customer base); sales managers see their own records, their
teams' and unassigned ones; sales reps see their own, plus their teams' when the organisation
enables it. Analysts only read. A record outside what a user sees answers 404, never 403.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from funia.core.actor import Actor
from funia.core.models import Role, Team, TeamMember

SEES_ALL = {Role.ADMIN, Role.ANALYST, Role.MARKETER, Role.SERVICE_AGENT}
READ_ONLY = {Role.ANALYST}


def _team_user_ids(actor: Actor, teams: QuerySet):
    return TeamMember.objects.for_tenant(actor.tenant).filter(team__in=teams).values("user_id")


def visible_owner_q(actor: Actor, owner_field: str = "owner") -> Q | None:
    """The filter on the owner field for this actor; None means no restriction."""
    if actor.role in SEES_ALL:
        return None
    own = Q(**{f"{owner_field}_id": actor.user.pk})
    if actor.role == Role.SALES_MANAGER:
        managed = Team.objects.for_tenant(actor.tenant).filter(manager=actor.user)
        return (
            own
            | Q(**{f"{owner_field}_id__in": _team_user_ids(actor, managed)})
            | Q(**{f"{owner_field}__isnull": True})
        )
    if actor.tenant.reps_see_team_records:
        mine = Team.objects.for_tenant(actor.tenant).filter(teammember__user=actor.user)
        return own | Q(**{f"{owner_field}_id__in": _team_user_ids(actor, mine)})
    return own


def restrict(queryset: QuerySet, actor: Actor, owner_field: str = "owner") -> QuerySet:
    """Narrow a tenant-scoped queryset to what the actor's role may see."""
    queryset = queryset.filter(tenant=actor.tenant)
    q = visible_owner_q(actor, owner_field)
    return queryset if q is None else queryset.filter(q)


def visible_records(model, actor: Actor, *, with_deleted: bool = False) -> QuerySet:
    """Every record of `model` the actor may see; records without an owner are tenant-wide."""
    queryset = model.objects.for_tenant(actor.tenant, with_deleted=with_deleted)
    if any(field.name == "owner" for field in model._meta.fields):
        queryset = restrict(queryset, actor)
    return queryset


def can_change(actor: Actor, obj, owner_field: str = "owner") -> bool:
    if actor.role in READ_ONLY or obj.tenant_id != actor.tenant.pk:
        return False
    q = visible_owner_q(actor, owner_field)
    if q is None:
        return True
    model = type(obj)
    return model.objects.for_tenant(actor.tenant, with_deleted=True).filter(q, pk=obj.pk).exists()


def require_change(actor: Actor, obj, owner_field: str = "owner") -> None:
    if not can_change(actor, obj, owner_field):
        raise PermissionDenied(_("Your role may not change this record."))


def require_writer(actor: Actor) -> None:
    if actor.role in READ_ONLY:
        raise PermissionDenied(_("Your role may only read records."))


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied(_("Only administrators may do this."))
