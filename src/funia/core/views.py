"""Pages of the platform: users, teams, API tokens."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from funia.core import selectors, services
from funia.core.models import Membership, Role, Team
from funia.core.records import StaleVersion
from funia.web.decorators import admin_required, member_required
from funia.web.forms import (
    MembershipForm,
    OrganizationForm,
    TeamForm,
    TokenForm,
    UserCreateForm,
    add_service_errors,
)
from funia.web.htmx import render_page_or_fragment


@admin_required
def user_list(request):
    memberships = selectors.membership_list(
        tenant=request.actor.tenant,
        role=request.GET.get("role") or None,
        q=request.GET.get("q") or None,
    )
    context = {"members": memberships, "roles": Role.choices}
    return render_page_or_fragment(request, "core/user_list.html", "core/_user_rows.html", context)


@admin_required
def user_create(request):
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.user_add_to_tenant(
                by=request.actor, tenant=request.actor.tenant, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(user)s was added.") % {"user": membership.user})
            return redirect("user_list")
    return render(request, "core/user_form.html", {"form": form})


def _membership(request, user_id: int) -> Membership:
    try:
        return selectors.membership_get(tenant=request.actor.tenant, user_id=user_id)
    except Membership.DoesNotExist as exc:
        raise Http404 from exc


@admin_required
def user_edit(request, user_id: int):
    membership = _membership(request, user_id)
    initial = {
        "first_name": membership.user.first_name,
        "last_name": membership.user.last_name,
        "role": membership.role,
        "is_active": membership.is_active,
    }
    form = MembershipForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_update(by=request.actor, membership=membership, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The user was saved."))
            return redirect("user_list")
    return render(request, "core/user_form.html", {"form": form, "membership": membership})


def _team(request, team_id: int, *, with_deleted: bool = False):
    try:
        return selectors.team_list(tenant=request.actor.tenant, with_deleted=with_deleted).get(
            pk=team_id
        )
    except Team.DoesNotExist as exc:
        raise Http404 from exc


def _tenant_users(request):
    return [m.user for m in selectors.membership_list(tenant=request.actor.tenant)]


@member_required
def team_list(request):
    show_deleted = request.GET.get("deleted") == "1" and request.actor.is_admin
    teams = selectors.team_list(tenant=request.actor.tenant, with_deleted=show_deleted)
    if show_deleted:
        teams = teams.filter(deleted_at__isnull=False)
    return render(request, "core/team_list.html", {"teams": teams, "show_deleted": show_deleted})


@member_required
def team_detail(request, team_id: int):
    team = _team(request, team_id, with_deleted=True)
    audit = selectors.audit_trail(
        tenant=request.actor.tenant, object_type="core.team", object_id=team.pk
    )
    return render(request, "core/team_detail.html", {"team": team, "audit": audit})


@admin_required
def team_form(request, team_id: int | None = None):
    team = _team(request, team_id) if team_id else None
    initial = {}
    if team:
        initial = {
            "name": team.name,
            "manager": team.manager_id,
            "members": [m.pk for m in team.members.all()],
        }
    form = TeamForm(request.POST or None, initial=initial, users=_tenant_users(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if team:
                team = services.team_update(
                    by=request.actor,
                    team=team,
                    if_match=request.POST.get("etag") or None,
                    fields={
                        "name": data["name"],
                        "manager_id": data["manager"],
                        "member_ids": data["members"],
                    },
                )
            else:
                team = services.team_create(
                    by=request.actor,
                    name=data["name"],
                    manager_id=data["manager"],
                    member_ids=data["members"],
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except StaleVersion:
            form.add_error(
                None, _("Someone else changed this team meanwhile. Reload and try again.")
            )
        else:
            messages.success(request, _("The team was saved."))
            return redirect("team_detail", team_id=team.pk)
    return render(request, "core/team_form.html", {"form": form, "team": team})


@require_POST
@admin_required
def team_delete(request, team_id: int):
    services.team_delete(by=request.actor, team=_team(request, team_id))
    messages.success(request, _("The team was moved to the trash."))
    return redirect("team_list")


@require_POST
@admin_required
def team_restore(request, team_id: int):
    team = services.team_restore(by=request.actor, team=_team(request, team_id, with_deleted=True))
    messages.success(request, _("The team was restored."))
    return redirect("team_detail", team_id=team.pk)


@admin_required
def organization_settings(request):
    from funia.sales.quotes.organisation import DOCUMENT_SETTINGS, document_settings_update

    form = OrganizationForm(
        request.POST or None, request.FILES or None, instance=request.actor.tenant
    )
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        documents = {name: fields.pop(name) for name in DOCUMENT_SETTINGS if name in fields}
        try:
            with transaction.atomic():
                services.organization_update(by=request.actor, fields=fields)
                document_settings_update(by=request.actor, fields=documents)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The organisation's settings were saved."))
            return redirect("organization_settings")
    return render(request, "core/organization_form.html", {"form": form})


@member_required
def token_list(request):
    form = TokenForm(request.POST or None)
    new_secret = None
    if request.method == "POST" and form.is_valid():
        _token, new_secret = services.token_create(
            tenant=request.actor.tenant, user=request.actor.user, name=form.cleaned_data["name"]
        )
        form = TokenForm()
    tokens = selectors.token_list(actor=request.actor)
    return render(
        request, "core/token_list.html", {"tokens": tokens, "form": form, "new_secret": new_secret}
    )


@require_POST
@member_required
def token_revoke(request, token_id: int):
    token = selectors.token_list(actor=request.actor).filter(pk=token_id).first()
    if token is None:
        raise Http404
    services.token_revoke(by=request.actor, token=token)
    messages.success(request, _("The token was revoked."))
    return redirect("token_list")
