"""Writes of the platform: organisations, users and memberships, teams, API tokens."""

from urllib.parse import parse_qsl, urlencode

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from funia.core.actor import Actor
from funia.core.models import (
    ApiToken,
    AuditAction,
    AuditEntry,
    Membership,
    Organization,
    Role,
    SavedView,
    Team,
    TeamMember,
    User,
)
from funia.core.records import record_create, record_restore, record_soft_delete, record_update
from funia.core.visibility import require_admin


def check_owner(tenant, owner_id, errors: dict, *, active_only: bool = False) -> None:
    """Record an `owner` field error unless the user is a member of the organisation (and
    an active one, with `active_only`): the check every record type with an owner makes."""
    if owner_id is None:
        return
    members = Membership.objects.for_tenant(tenant).filter(user_id=owner_id)
    if active_only:
        members = members.filter(is_active=True)
    if not members.exists():
        errors["owner"] = _("The owner must be a user of this organisation.")


def organization_create(
    *,
    slug: str,
    name: str,
    admin_email: str,
    admin_password: str | None = None,
    currency: str = "EUR",
    time_zone: str = "Europe/Sofia",
) -> tuple[Organization, User]:
    """A new tenant with its first administrator."""
    slug = slugify(slug)
    if not slug:
        raise ValidationError({"slug": _("A slug of letters, digits and hyphens is required.")})
    if Organization.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": _("An organisation with this slug already exists.")})
    with transaction.atomic():
        org = Organization(slug=slug, name=name or slug, currency=currency, time_zone=time_zone)
        org.full_clean()
        org.save()
        user = _user_get_or_create(email=admin_email, password=admin_password)
        Membership.objects.create(tenant=org, user=user, role=Role.ADMIN)
    return org, user


def _user_get_or_create(
    *, email: str, password: str | None, first_name: str = "", last_name: str = ""
) -> User:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": _("Enter a valid email address.")}) from exc
    user = User.objects.filter(email=email).first()
    if user is not None:
        if password:
            raise ValidationError(
                {"password": _("This user already exists; their password was not changed.")}
            )
        return user
    if password:
        validate_password(password)
    user = User(email=email, first_name=first_name, last_name=last_name)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user


def user_add_to_tenant(
    *,
    by: Actor | None,
    tenant: Organization,
    email: str,
    role: str,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
) -> Membership:
    """Give a (new or existing) user a role in the organisation. `by` is None for the CLI."""
    if by is not None:
        require_admin(by)
    if role not in Role.values:
        raise ValidationError(
            {"role": _("Unknown role. Choose one of: %s.") % ", ".join(Role.values)}
        )
    with transaction.atomic():
        user = _user_get_or_create(
            email=email, password=password, first_name=first_name, last_name=last_name
        )
        if Membership.objects.for_tenant(tenant).filter(user=user).exists():
            raise ValidationError(
                {"email": _("This user is already a member of the organisation.")}
            )
        return Membership.objects.create(tenant=tenant, user=user, role=role)


def membership_update(
    *,
    by: Actor,
    membership: Membership,
    role: str | None = None,
    is_active: bool | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
) -> Membership:
    require_admin(by)
    if role is not None and role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    demoting_self = membership.user_id == by.user.pk and (
        (role is not None and role != Role.ADMIN) or is_active is False
    )
    if demoting_self:
        raise ValidationError({"role": _("You cannot remove your own administrator access.")})
    with transaction.atomic():
        if role is not None:
            membership.role = role
        if is_active is not None:
            membership.is_active = is_active
        membership.save()
        user = membership.user
        if first_name is not None:
            user.first_name = first_name
        if last_name is not None:
            user.last_name = last_name
        user.save(update_fields=["first_name", "last_name"])
    return membership


ORGANIZATION_SETTINGS = (
    "name",
    "currency",
    "time_zone",
    "language",
    "default_region",
    "merge_undo_days",
    "reps_see_team_records",
    "contact_window_days",
)


def organization_update(*, by: Actor, fields: dict) -> Organization:
    """Change the organisation's settings (admins); audited like any record."""
    require_admin(by)
    unknown = set(fields) - set(ORGANIZATION_SETTINGS)
    if unknown:
        raise ValidationError({name: _("This setting cannot be changed.") for name in unknown})
    with transaction.atomic():
        org = Organization.objects.select_for_update().get(pk=by.tenant.pk)
        before = {name: getattr(org, name) for name in ORGANIZATION_SETTINGS}
        for name, value in fields.items():
            setattr(org, name, value)
        org.full_clean()
        org.save()
        changes = {
            name: [before[name], getattr(org, name)]
            for name in ORGANIZATION_SETTINGS
            if before[name] != getattr(org, name)
        }
        if changes:
            AuditEntry.objects.create(
                tenant=org,
                object_type="core.organization",
                object_id=org.pk,
                object_repr=org.name[:200],
                action=AuditAction.UPDATE,
                changes=changes,
                user=by.user,
                token=by.token,
            )
    return org


def _team_members(tenant: Organization, member_ids: list[int]) -> list[int]:
    ids = list(dict.fromkeys(member_ids))
    known = set(
        Membership.objects.for_tenant(tenant)
        .filter(user_id__in=ids)
        .values_list("user_id", flat=True)
    )
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise ValidationError({"members": _("Not members of this organisation: %s.") % unknown})
    return ids


def _team_manager(tenant: Organization, manager_id: int | None) -> int | None:
    if (
        manager_id is not None
        and not Membership.objects.for_tenant(tenant).filter(user_id=manager_id).exists()
    ):
        raise ValidationError({"manager": _("The manager must be a member of this organisation.")})
    return manager_id


def _team_set_members(team: Team, member_ids: list[int]) -> None:
    TeamMember.objects.for_tenant(team.tenant_id).filter(team=team).exclude(
        user_id__in=member_ids
    ).delete()
    present = set(
        TeamMember.objects.for_tenant(team.tenant_id)
        .filter(team=team)
        .values_list("user_id", flat=True)
    )
    TeamMember.objects.bulk_create(
        [
            TeamMember(tenant_id=team.tenant_id, team=team, user_id=uid)
            for uid in member_ids
            if uid not in present
        ]
    )


def _member_ids(team: Team) -> list[int]:
    return sorted(
        TeamMember.objects.for_tenant(team.tenant_id)
        .filter(team=team)
        .values_list("user_id", flat=True)
    )


def team_create(
    *, by: Actor, name: str, manager_id: int | None = None, member_ids: list[int] | None = None
) -> Team:
    require_admin(by)
    with transaction.atomic():
        members = _team_members(by.tenant, member_ids or [])
        team = record_create(
            model=Team,
            by=by,
            name=name,
            manager_id=_team_manager(by.tenant, manager_id),
            extra_changes={"members": [[], sorted(members)]} if members else None,
        )
        _team_set_members(team, members)
    return team


def team_update(*, by: Actor, team: Team, fields: dict, if_match: str | None = None) -> Team:
    """Update name, manager_id and/or member_ids (the whole member list)."""
    require_admin(by)
    fields = dict(fields)
    with transaction.atomic():
        extra = {}
        if "manager_id" in fields:
            _team_manager(by.tenant, fields["manager_id"])
        if "member_ids" in fields:
            members = _team_members(by.tenant, fields.pop("member_ids") or [])
            before = _member_ids(team)
            if sorted(members) != before:
                extra["members"] = [before, sorted(members)]
        team = record_update(obj=team, by=by, fields=fields, if_match=if_match, extra_changes=extra)
        if extra:
            _team_set_members(team, extra["members"][1])
    return team


def team_delete(*, by: Actor, team: Team, if_match: str | None = None) -> Team:
    require_admin(by)
    return record_soft_delete(obj=team, by=by, if_match=if_match)


def team_restore(*, by: Actor, team: Team, if_match: str | None = None) -> Team:
    require_admin(by)
    return record_restore(obj=team, by=by, if_match=if_match)


def token_create(*, tenant: Organization, user: User, name: str = "API") -> tuple[ApiToken, str]:
    """A new token; the secret is returned once and only its hash is kept."""
    if not Membership.objects.for_tenant(tenant).filter(user=user, is_active=True).exists():
        raise ValidationError({"user": _("The user is not an active member of this organisation.")})
    secret = ApiToken.new_secret()
    token = ApiToken.objects.create(
        tenant=tenant,
        user=user,
        name=(name or "API")[:100],
        key_prefix=secret[: len(ApiToken.PREFIX) + 6],
        key_hash=ApiToken.hash(secret),
    )
    return token, secret


def token_revoke(*, by: Actor, token: ApiToken) -> ApiToken:
    if token.user_id != by.user.pk:
        require_admin(by)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def token_touch(token: ApiToken) -> None:
    """Record use, at most once a minute per token, so reads stay free of writes."""
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.for_tenant(token.tenant_id).filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def user_set_language(*, user: User, language: str) -> User:
    user.language = language
    user.full_clean(exclude=["password"])
    user.save(update_fields=["language"])
    return user


def saved_view_create(
    *, by: Actor, list_key: str, name: str, query: str, shared: bool = False
) -> SavedView:
    name = " ".join((name or "").split())[:80]
    if not name:
        raise ValidationError({"name": _("Give the view a name.")})
    # Keep the filters only: never the page number.
    query = urlencode([(k, v) for k, v in parse_qsl(query or "") if k != "page" and v])[:1000]
    return SavedView.objects.create(
        tenant=by.tenant,
        user=by.user,
        list_key=list_key[:50],
        name=name,
        query=query,
        shared=shared,
    )


def saved_view_delete(*, by: Actor, view) -> None:
    if view.user_id != by.user.pk:
        require_admin(by)
    view.delete()
