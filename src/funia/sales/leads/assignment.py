"""Assignment rules: who gets a captured lead (by territory, or round-robin in a team).

The first active rule by position whose criteria all match wins; a criterion left empty
matches anything. A rule assigns its `user`, or the next active member of its `team`, or
(`by_territory`) the next active rep of the lead's territory: the rule's (or the
territory's) row is locked (`select_for_update`) while the cursor advances, so two
captures at the same moment never get the same turn. A territory rule for a lead without a
territory, or whose territory has no active rep, does not apply: the next rule is tried.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from funia.core.actor import Actor
from funia.core.models import Membership, Team, TeamMember
from funia.core.records import record_create, record_restore, record_soft_delete, record_update
from funia.core.visibility import require_admin, visible_owner_q
from funia.sales.models import AssignmentRule, Territory, TerritoryRep
from funia.sales.territories.matching import territory_for

CRITERIA = ("countries", "regions", "industries", "sources")
MAX_CRITERIA = 100


def _key(value) -> str:
    return " ".join(str(value or "").split()).casefold()


def rule_matches(rule: AssignmentRule, lead: dict) -> bool:
    """Do the lead's country, region, industry and source fit the rule (empty = any)?"""
    checks = (
        ("countries", "country"),
        ("regions", "region"),
        ("industries", "industry"),
        ("sources", "source"),
    )
    for criterion, field in checks:
        wanted = {_key(v) for v in getattr(rule, criterion) or []}
        if wanted and _key(lead.get(field)) not in wanted:
            return False
    return True


def active_team_members(tenant, team_id: int) -> list[int]:
    """User ids of the team's members who are active users of the organisation, in order."""
    active = Membership.objects.for_tenant(tenant).filter(is_active=True, user__is_active=True)
    return list(
        TeamMember.objects.for_tenant(tenant)
        .filter(team_id=team_id, user_id__in=active.values("user_id"))
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def active_territory_reps(tenant, territory_id: int) -> list[int]:
    """User ids of the territory's reps who are active users of the organisation, in order."""
    active = Membership.objects.for_tenant(tenant).filter(is_active=True, user__is_active=True)
    return list(
        TerritoryRep.objects.for_tenant(tenant)
        .filter(territory_id=territory_id, user_id__in=active.values("user_id"))
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def lead_territory(tenant, lead: dict) -> Territory | None:
    """The territory of a lead described by its fields (as an account's would be)."""
    employees = lead.get("employees")
    return territory_for(
        tenant,
        country=lead.get("country") or "",
        region=lead.get("region") or "",
        industry=lead.get("industry") or "",
        employees=employees if isinstance(employees, int) else None,
    )


def _visible_to(actor: Actor | None, user_id: int) -> bool:
    """Would `actor` see a record owned by `user_id`?"""
    if actor is None:
        return True
    q = visible_owner_q(actor, owner_field="user")
    if q is None:
        return True
    return Membership.objects.for_tenant(actor.tenant).filter(q, user_id=user_id).exists()


def assign_owner(
    *, tenant, lead: dict, visible_to: Actor | None = None
) -> tuple[int | None, AssignmentRule | None]:
    """(owner id, rule) for a lead described by `lead`'s fields; (None, None) when no rule
    matches. With `visible_to`, a rule's choice that actor could not see is not taken (the
    caller keeps the lead) and a team's turn is not used up. Call inside a transaction."""
    rules = AssignmentRule.objects.for_tenant(tenant).filter(is_active=True)
    territory: list = []  # the lead's territory, looked up once when a rule needs it
    for rule in rules.order_by("position", "id"):
        if not rule_matches(rule, lead):
            continue
        if rule.by_territory:
            if not territory:
                territory.append(lead_territory(tenant, lead))
            if territory[0] is None:
                continue
            reps = active_territory_reps(tenant, territory[0].pk)
            if not reps:
                continue
            locked = (
                Territory.objects.for_tenant(tenant).select_for_update().get(pk=territory[0].pk)
            )
            turn = locked.cursor % len(reps)
            user_id = reps[turn]
            if not _visible_to(visible_to, user_id):
                return None, None
            Territory.objects.for_tenant(tenant).filter(pk=locked.pk).update(cursor=turn + 1)
            return user_id, rule
        if rule.user_id is not None:
            if (
                not Membership.objects.for_tenant(tenant)
                .filter(user_id=rule.user_id, is_active=True)
                .exists()
            ):
                continue  # a departed user: try the next rule
            if not _visible_to(visible_to, rule.user_id):
                return None, None
            return rule.user_id, rule
        if rule.team_id is not None:
            members = active_team_members(tenant, rule.team_id)
            if not members:
                continue
            locked = AssignmentRule.objects.for_tenant(tenant).select_for_update().get(pk=rule.pk)
            turn = locked.cursor % len(members)
            user_id = members[turn]
            if not _visible_to(visible_to, user_id):
                return None, None
            AssignmentRule.objects.for_tenant(tenant).filter(pk=rule.pk).update(cursor=turn + 1)
            return user_id, rule
    return None, None


def notify_assignee(lead) -> None:
    """Tell the new owner of a lead, once the lead is saved for good."""
    from funia.core.notifications import notify

    def send():
        notify(
            tenant=lead.tenant,
            user=lead.owner,
            kind="lead_assigned",
            title=_("New lead assigned to you: %(lead)s") % {"lead": str(lead)},
            body=lead.company or lead.email or "",
            url=reverse("lead_detail", args=[lead.pk]),
        )

    transaction.on_commit(send)


# Services of the rules ---------------------------------------------------------------


def _clean_list(value, name: str, errors: dict, *, upper: bool = False) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        errors[name] = _("Give a list.")
        return []
    if len(value) > MAX_CRITERIA:
        errors[name] = _("At most %(n)d items.") % {"n": MAX_CRITERIA}
    result = []
    for item in value[:MAX_CRITERIA]:
        text = " ".join(str(item or "").split())[:100]
        if upper:
            text = text.upper()
            if text and (len(text) != 2 or not text.isalpha() or not text.isascii()):
                errors[name] = _("Give two-letter ISO country codes, e.g. BG.")
                continue
        if text and text.casefold() not in {r.casefold() for r in result}:
            result.append(text)
    return result


def _prepare_rule(by: Actor, data: dict, current: AssignmentRule | None) -> dict:
    data = dict(data)
    errors: dict = {}
    for name in CRITERIA:
        if name in data:
            data[name] = _clean_list(data[name], name, errors, upper=name == "countries")
    if "name" in data:
        data["name"] = " ".join(str(data["name"] or "").split())
        if not data["name"]:
            errors["name"] = _("Give the rule a name.")
    user_id = data.get("user_id", getattr(current, "user_id", None))
    team_id = data.get("team_id", getattr(current, "team_id", None))
    by_territory = data.get("by_territory", getattr(current, "by_territory", False))
    if "by_territory" in data and not isinstance(data["by_territory"], bool):
        errors["by_territory"] = _("Give true or false.")
    if data.get("user_id") is not None and not (
        Membership.objects.for_tenant(by.tenant).filter(user_id=data["user_id"]).exists()
    ):
        errors["user"] = _("The user must be a user of this organisation.")
    if data.get("team_id") is not None and not (
        Team.objects.for_tenant(by.tenant).filter(pk=data["team_id"]).exists()
    ):
        errors["team"] = _("No such team.")
    if by_territory and (user_id is not None or team_id is not None):
        errors["by_territory"] = _(
            "A rule by territory assigns to the territory's reps: leave the user and the team "
            "empty."
        )
    elif (
        not by_territory
        and user_id is None
        and team_id is None
        and "user" not in errors
        and "team" not in errors
    ):
        errors["user"] = _(
            "Assign to a user, round-robin in a team, or within the lead's territory."
        )
    elif user_id is not None and team_id is not None:
        errors["team"] = _("Choose a user or a team, not both.")
    if errors:
        raise ValidationError(errors)
    return data


def assignment_rule_create(*, by: Actor, **fields) -> AssignmentRule:
    """Add a rule (administrators); without a position it goes last."""
    require_admin(by)
    data = _prepare_rule(by, fields, None)
    with transaction.atomic():
        if data.get("position") is None:
            last = (
                AssignmentRule.objects.for_tenant(by.tenant, with_deleted=True)
                .order_by("-position")
                .values_list("position", flat=True)
                .first()
            )
            data["position"] = (last or 0) + 10
        return record_create(model=AssignmentRule, by=by, **data)


def assignment_rule_update(
    *, by: Actor, assignment_rule: AssignmentRule, fields: dict, if_match: str | None = None
) -> AssignmentRule:
    require_admin(by)
    data = _prepare_rule(by, fields, assignment_rule)
    if data.get("position", 0) is None:
        data.pop("position")
    return record_update(obj=assignment_rule, by=by, fields=data, if_match=if_match)


def assignment_rule_delete(
    *, by: Actor, assignment_rule: AssignmentRule, if_match: str | None = None
) -> AssignmentRule:
    require_admin(by)
    return record_soft_delete(obj=assignment_rule, by=by, if_match=if_match)


def assignment_rule_restore(
    *, by: Actor, assignment_rule: AssignmentRule, if_match: str | None = None
) -> AssignmentRule:
    require_admin(by)
    return record_restore(obj=assignment_rule, by=by, if_match=if_match)


# Reads ---------------------------------------------------------------------------------


def assignment_rule_list(*, actor: Actor, filters=None) -> QuerySet[AssignmentRule]:
    """The organisation's rules in the order they are tried."""
    qs = AssignmentRule.objects.for_tenant(actor.tenant, with_deleted=True)
    qs = filters.filter(qs) if filters is not None else qs.filter(deleted_at__isnull=True)
    return qs.select_related("user", "team").order_by("position", "id")


def assignment_rule_get(*, actor: Actor, pk: int, with_deleted: bool = False) -> AssignmentRule:
    return (
        AssignmentRule.objects.for_tenant(actor.tenant, with_deleted=with_deleted)
        .select_related("user", "team")
        .get(pk=pk)
    )
