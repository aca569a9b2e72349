"""Whose numbers the dashboard shows: the scope.

- **Me**: the deals the user owns (anyone).
- **Team**: the deals owned by the members of one team: a sales manager chooses among the
  teams they manage, administrators and analysts among all teams.
- **Company**: every deal the user may see (administrators, analysts, and sales managers,
  for whom visibility keeps it to their own, their teams' and unowned deals).

Default: a sales manager's first managed team (else the company), the company for
administrators and analysts, "me" for everyone else. A scope or team the user may not
choose falls back to the default (`refused` says so); visibility still applies to every
number, whatever the scope.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from funia.core.actor import Actor
from funia.core.models import Role, Team

ME, TEAM, COMPANY = "me", "team", "company"
LABELS = {ME: _("Me"), TEAM: _("Team"), COMPANY: _("Company")}
COMPANY_ROLES = {Role.ADMIN, Role.ANALYST, Role.SALES_MANAGER}
ALL_TEAMS_ROLES = {Role.ADMIN, Role.ANALYST}


@dataclass(frozen=True)
class Scope:
    kind: str
    team: Team | None = None
    kinds: tuple[str, ...] = (ME,)
    teams: tuple[Team, ...] = field(default_factory=tuple)
    refused: bool = False
    owner_id: int | None = None

    @property
    def team_id(self) -> int | None:
        return self.team.pk if self.team is not None else None

    @property
    def label(self) -> str:
        return self.team.name if self.team is not None else str(LABELS[self.kind])

    @property
    def choices(self) -> list[tuple[str, str]]:
        return [(kind, str(LABELS[kind])) for kind in self.kinds]

    def filters(self) -> dict:
        """The report filter of the scope: {"owner": id}, {"team": id} or {}."""
        if self.kind == ME:
            return {"owner": self.owner_id}
        if self.kind == TEAM:
            return {"team": self.team_id}
        return {}

    def query(self) -> dict:
        """The scope as URL parameters."""
        values = {"scope": self.kind}
        if self.kind == TEAM:
            values["team"] = str(self.team_id)
        return values


def choosable_teams(actor: Actor) -> list[Team]:
    teams = Team.objects.for_tenant(actor.tenant).order_by("name", "id")
    if actor.role in ALL_TEAMS_ROLES:
        return list(teams)
    if actor.role == Role.SALES_MANAGER:
        return list(teams.filter(manager=actor.user))
    return []


def dashboard_scope(actor: Actor, *, kind: str | None = None, team: str | None = None) -> Scope:
    """The scope asked for (`kind`, `team` as they come from the URL) if the actor may
    choose it, else the actor's default."""
    teams = choosable_teams(actor)
    kinds = [ME]
    if teams:
        kinds.append(TEAM)
    if actor.role in COMPANY_ROLES:
        kinds.append(COMPANY)
    base = {"kinds": tuple(kinds), "teams": tuple(teams), "owner_id": actor.user.pk}
    by_id = {str(t.pk): t for t in teams}
    if kind == TEAM and kind in kinds:
        chosen = by_id.get(team or "") if team else teams[0]
        if chosen is not None:
            return Scope(kind=TEAM, team=chosen, **base)
    elif kind in kinds:
        return Scope(kind=kind, **base)
    refused = kind is not None and kind != ""
    if actor.role == Role.SALES_MANAGER and teams:
        return Scope(kind=TEAM, team=teams[0], refused=refused, **base)
    if actor.role in COMPANY_ROLES:
        return Scope(kind=COMPANY, refused=refused, **base)
    return Scope(kind=ME, refused=refused, **base)
