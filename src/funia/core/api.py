"""API of the platform: /me, /users, /teams, /tokens, /audit."""

from django.apps import apps
from django.http import Http404, HttpResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from funia.api.concurrency import if_match, with_etag
from funia.api.pagination import Page
from funia.api.schemas import Id, RejectNul
from funia.core import selectors, services
from funia.core.models import Organization
from funia.core.schemas import (
    AuditEntryOut,
    MeOut,
    OrganizationOut,
    OrganizationPatch,
    TeamIn,
    TeamOut,
    TeamPatch,
    TokenCreated,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
    UserPatch,
)
from funia.core.tenancy import TenantModel
from funia.core.visibility import require_admin, visible_records

router = Router(tags=["platform"])


def _user_out(membership, team_ids: dict[int, list[int]]) -> dict:
    user = membership.user
    return {
        "id": user.pk,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "role": membership.role,
        "is_active": membership.is_active,
        "teams": team_ids.get(user.pk, []),
    }


def _team_ids_by_user(tenant) -> dict[int, list[int]]:
    result: dict[int, list[int]] = {}
    for team_id, user_id in selectors.team_list(tenant=tenant).values_list(
        "id", "teammember__user_id"
    ):
        if user_id is not None:
            result.setdefault(user_id, []).append(team_id)
    return result


def _team_out(team) -> dict:
    return {
        "id": team.pk,
        "name": team.name,
        "manager": team.manager_id,
        "members": sorted(m.pk for m in team.members.all()),
        "version": team.version,
        "created_at": team.created_at,
        "updated_at": team.updated_at,
        "deleted": team.is_deleted,
    }


@router.get("/me", response=MeOut, summary="The authenticated user and organisation")
def me(request):
    actor = request.auth
    return {
        "id": actor.user.pk,
        "email": actor.user.email,
        "first_name": actor.user.first_name,
        "last_name": actor.user.last_name,
        "role": actor.role,
        "organization": actor.tenant.slug,
        "organization_name": actor.tenant.name,
        "currency": actor.tenant.currency,
        "time_zone": actor.tenant.time_zone,
    }


@router.get("/organization", response=OrganizationOut, summary="Your organisation's settings")
def organization_get(request):
    return request.auth.tenant


@router.patch("/organization", response=OrganizationOut, summary="Change settings (admins)")
def organization_update(request, payload: OrganizationPatch):
    return services.organization_update(
        by=request.auth, fields=payload.model_dump(exclude_unset=True)
    )


class UserFilter(RejectNul, Schema):
    role: str | None = None
    q: str | None = Field(None, max_length=200)


@router.get("/users", response=list[UserOut], summary="Users of the organisation")
@paginate(Page)
def user_list(request, filters: Query[UserFilter]):
    teams = _team_ids_by_user(request.auth.tenant)
    memberships = selectors.membership_list(
        tenant=request.auth.tenant, role=filters.role, q=filters.q
    )
    return [_user_out(m, teams) for m in memberships]


@router.post("/users", response={201: UserOut}, summary="Add a user with a role (admins)")
def user_create(request, payload: UserIn):
    membership = services.user_add_to_tenant(
        by=request.auth,
        tenant=request.auth.tenant,
        email=payload.email,
        role=payload.role,
        password=payload.password,
        first_name=payload.first_name,
        last_name=payload.last_name,
    )
    return Status(201, _user_out(membership, {}))


@router.get("/users/{user_id}", response=UserOut)
def user_get(request, user_id: Id):
    membership = selectors.membership_get(tenant=request.auth.tenant, user_id=user_id)
    return _user_out(membership, _team_ids_by_user(request.auth.tenant))


@router.patch(
    "/users/{user_id}", response=UserOut, summary="Change role, name or deactivate (admins)"
)
def user_update(request, user_id: Id, payload: UserPatch):
    require_admin(request.auth)
    membership = selectors.membership_get(tenant=request.auth.tenant, user_id=user_id)
    membership = services.membership_update(
        by=request.auth, membership=membership, **payload.model_dump(exclude_unset=True)
    )
    return _user_out(membership, _team_ids_by_user(request.auth.tenant))


@router.get("/teams", response=list[TeamOut], summary="Teams of the organisation")
@paginate(Page)
def team_list(request, deleted: bool = False):
    teams = selectors.team_list(tenant=request.auth.tenant, with_deleted=deleted)
    if deleted:
        teams = teams.filter(deleted_at__isnull=False)
    return [_team_out(t) for t in teams]


def _team(request, team_id: Id, *, with_deleted: bool = False):
    return selectors.team_list(tenant=request.auth.tenant, with_deleted=with_deleted).get(
        pk=team_id
    )


@router.post("/teams", response={201: TeamOut}, summary="Create a team (admins)")
def team_create(request, payload: TeamIn, response: HttpResponse):
    team = services.team_create(
        by=request.auth, name=payload.name, manager_id=payload.manager, member_ids=payload.members
    )
    return Status(201, _team_out(with_etag(response, _team(request, team.pk))))


@router.get("/teams/{team_id}", response=TeamOut)
def team_get(request, team_id: Id, response: HttpResponse):
    return _team_out(with_etag(response, _team(request, team_id, with_deleted=True)))


@router.patch("/teams/{team_id}", response=TeamOut, summary="Update a team (admins; If-Match)")
def team_update(request, team_id: Id, payload: TeamPatch, response: HttpResponse):
    team = _team(request, team_id)
    data = payload.model_dump(exclude_unset=True)
    fields = {}
    if "name" in data:
        fields["name"] = data["name"]
    if "manager" in data:
        fields["manager_id"] = data["manager"]
    if "members" in data:
        fields["member_ids"] = data["members"]
    team = services.team_update(
        by=request.auth, team=team, fields=fields, if_match=if_match(request)
    )
    return _team_out(with_etag(response, _team(request, team.pk)))


@router.delete("/teams/{team_id}", response={204: None}, summary="Move a team to the trash")
def team_delete(request, team_id: Id):
    services.team_delete(by=request.auth, team=_team(request, team_id), if_match=if_match(request))
    return Status(204, None)


@router.post("/teams/{team_id}/restore", response=TeamOut, summary="Restore a deleted team")
def team_restore(request, team_id: Id, response: HttpResponse):
    team = _team(request, team_id, with_deleted=True)
    team = services.team_restore(by=request.auth, team=team, if_match=if_match(request))
    return _team_out(with_etag(response, _team(request, team.pk)))


def _token_out(token) -> dict:
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.key_prefix,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
    }


@router.get("/tokens", response=list[TokenOut], summary="Your API tokens")
@paginate(Page)
def token_list(request):
    return [_token_out(t) for t in selectors.token_list(actor=request.auth)]


@router.post("/tokens", response={201: TokenCreated}, summary="Create an API token (shown once)")
def token_create(request, payload: TokenIn):
    token, secret = services.token_create(
        tenant=request.auth.tenant, user=request.auth.user, name=payload.name
    )
    return Status(201, _token_out(token) | {"token": secret})


@router.delete("/tokens/{token_id}", response={204: None}, summary="Revoke an API token")
def token_revoke(request, token_id: Id):
    token = selectors.token_list(actor=request.auth).get(pk=token_id)
    services.token_revoke(by=request.auth, token=token)
    return Status(204, None)


class AuditQuery(RejectNul, Schema):
    object_type: str = Field(max_length=100)
    object_id: Id


def _audited_model(object_type: str):
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError) as exc:
        raise Http404 from exc
    if not issubclass(model, TenantModel | Organization):
        raise Http404
    return model


@router.get("/audit", response=list[AuditEntryOut], summary="Audit trail of one record")
@paginate(Page)
def audit_list(request, query: Query[AuditQuery]):
    model = _audited_model(query.object_type)
    if model is Organization:
        # Only your own organisation's settings history.
        if query.object_id != request.auth.tenant.pk:
            raise Http404
    elif (
        not visible_records(model, request.auth, with_deleted=True)
        .filter(pk=query.object_id)
        .exists()
    ):
        raise Http404
    return selectors.audit_trail(
        tenant=request.auth.tenant, object_type=model._meta.label_lower, object_id=query.object_id
    )
