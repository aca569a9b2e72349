"""The command center's grid: one row per team and per rep in the reader's scope, one
column per period of a year, each cell with the quota, the plan, the won amount and the
progress; row totals (the year), column totals (the reps shown) and each row's plan risk
for the current period. Built in a fixed number of queries whatever the number of rows.

Rows: administrators and analysts see every live team and every active sales rep and
sales manager (and anyone else with a quota that year); others see the teams and reps of
their read scope (`selectors.read_scope`). A rep is listed once, under the first of their
teams shown (by name); reps in no team shown come last.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from funia.core import periods
from funia.core.actor import Actor
from funia.core.models import Membership, Role, Team
from funia.sales import plans
from funia.sales.quotas.selectors import progress, read_scope, write_scope

GRANULARITIES = (periods.MONTH, periods.QUARTER, periods.YEAR)
SELLING_ROLES = (Role.SALES_REP, Role.SALES_MANAGER)


def _name(user) -> str:
    return user.get_full_name() or user.email


def subject_key(kind: str, pk: int) -> str:
    """How a row is named in forms and element ids: "user-5", "team-3"."""
    return f"{kind}-{pk}"


@dataclass
class Cell:
    kind: str  # the row's "user" or "team"
    subject_id: int
    period: str
    start: datetime.date
    label: str
    own: Decimal | None  # the quota set for exactly this period
    plan: Decimal | None  # the plan (own, else rolled up from finer periods)
    won: Decimal
    editable: bool
    past: bool
    current: bool
    value: str = ""  # what the input shows (a refused entry is shown back)
    error: str = ""

    @property
    def progress(self) -> float | None:
        return progress(self.won, self.plan)

    @property
    def percent(self) -> int | None:
        return None if self.progress is None else round(self.progress * 100)

    @property
    def bar(self) -> int:
        return min(self.percent or 0, 100)

    @property
    def met(self) -> bool:
        return self.plan is not None and self.won >= self.plan

    @property
    def rolled_up(self) -> bool:
        return self.own is None and self.plan is not None

    @property
    def id(self) -> str:
        return f"cc-{subject_key(self.kind, self.subject_id)}-{self.start:%Y-%m-%d}"


@dataclass
class Row:
    kind: str
    id: int
    name: str
    detail: str  # a team's manager, a rep's teams
    editable: bool
    owner_ids: list[int]
    cells: list[Cell] = field(default_factory=list)
    year_plan: Decimal | None = None
    year_won: Decimal = Decimal("0")
    risk: dict | None = None

    @property
    def key(self) -> str:
        return subject_key(self.kind, self.id)

    @property
    def year_progress(self) -> float | None:
        return progress(self.year_won, self.year_plan)

    @property
    def year_percent(self) -> int | None:
        p = self.year_progress
        return None if p is None else round(p * 100)


def _sum(values) -> Decimal | None:
    known = [v for v in values if v is not None]
    return sum(known, Decimal("0")) if known else None


def scope_rows(actor: Actor, year_start, year_end) -> tuple[list[Row], dict[int, list[int]]]:
    tenant = actor.tenant
    scope, writable = read_scope(actor), write_scope(actor)
    teams = Team.objects.for_tenant(tenant).select_related("manager").order_by("name", "id")
    memberships = (
        Membership.objects.for_tenant(tenant).filter(is_active=True).select_related("user")
    )
    if scope.everyone:
        with_quota = plans.quotas_of(tenant, start=year_start, end=year_end)
        quota_users = [pk for kind, pk in with_quota if kind == "user"]
        memberships = memberships.filter(Q(role__in=SELLING_ROLES) | Q(user_id__in=quota_users))
    else:
        teams = teams.filter(pk__in=sorted(scope.teams))
        memberships = memberships.filter(user_id__in=sorted(scope.users))
    teams = list(teams)
    users = {m.user_id: m.user for m in memberships}
    members = plans.team_members_of(tenant, [t.pk for t in teams])
    team_names: dict[int, list[str]] = {}
    for team in teams:
        for uid in members[team.pk]:
            team_names.setdefault(uid, []).append(team.name)
    rows, placed = [], set()

    def rep_row(uid: int) -> Row:
        placed.add(uid)
        return Row(
            "user",
            uid,
            _name(users[uid]),
            ", ".join(team_names.get(uid, [])),
            writable.has_user(uid),
            [uid],
        )

    for team in teams:
        manager = _name(team.manager) if team.manager else ""
        rows.append(
            Row("team", team.pk, team.name, manager, writable.has_team(team.pk), members[team.pk])
        )
        listed = sorted((u for u in members[team.pk] if u in users), key=lambda u: _name(users[u]))
        rows.extend(rep_row(uid) for uid in listed if uid not in placed)
    rest = sorted((u for u in users if u not in placed), key=lambda u: _name(users[u]))
    rows.extend(rep_row(uid) for uid in rest)
    return rows, members


def owners_of(rows) -> set[int]:
    return {o for r in rows for o in r.owner_ids}


def command_center(
    *,
    actor: Actor,
    year: int,
    granularity: str,
    now=None,
    risk: bool = True,
) -> dict:
    """The grid of `year` by `granularity` (month, quarter or year) for the actor."""
    from funia.analytics.plan_risk.services import Subject, plan_risk_many

    now = now or timezone.now()
    tenant = actor.tenant
    today = now.astimezone(periods.zone_of(tenant)).date()
    year_start = datetime.date(year, 1, 1)
    year_end = periods.period_end(periods.YEAR, year_start)
    rows, _members = scope_rows(actor, year_start, year_end)
    quotas = plans.quotas_of(
        tenant,
        start=year_start,
        end=year_end,
        # Members too: a team without its own quota plans its members' (`plans.team_plan`).
        user_ids=sorted({r.id for r in rows if r.kind == "user"} | owners_of(rows)),
        team_ids=[r.id for r in rows if r.kind == "team"],
    )
    owners = sorted(owners_of(rows))
    monthly = (
        plans.won_by_owner_month(tenant, start=year_start, end=year_end, owner_ids=owners)
        if owners
        else {}
    )
    starts = periods.periods_between(granularity, year_start, year_end)
    for row in rows:
        own = quotas.get((row.kind, row.id), {})

        def plan_of(kind, start, row=row, own=own):
            if row.kind == "team":
                return plans.team_plan(quotas, row.id, row.owner_ids, kind, start)
            return plans.rolled_up_plan(own, kind, start)

        for start in starts:
            end = periods.period_end(granularity, start)
            amount = own.get((granularity, start))
            row.cells.append(
                Cell(
                    kind=row.kind,
                    subject_id=row.id,
                    period=granularity,
                    start=start,
                    label=periods.period_label(granularity, start),
                    own=amount,
                    plan=plan_of(granularity, start),
                    won=plans.fact_from(monthly, row.owner_ids, granularity, start),
                    editable=row.editable,
                    past=end <= today,
                    current=start <= today < end,
                    value=input_value(amount),
                )
            )
        row.year_plan = plan_of(periods.YEAR, year_start)
        row.year_won = plans.fact_from(monthly, row.owner_ids, periods.YEAR, year_start)
    current_start = periods.period_start(granularity, today)
    if risk and rows:
        subjects = [
            Subject(r.kind, r.id, r.name, tuple(r.owner_ids), r.detail if r.kind == "team" else "")
            for r in rows
        ]
        reports = plan_risk_many(
            actor=actor, kind=granularity, start=current_start, subjects=subjects, now=now
        )
        for row in rows:
            row.risk = reports[(row.kind, row.id)]
    reps = [r for r in rows if r.kind == "user"]
    columns = []
    for index, start in enumerate(starts):
        plan = _sum(r.cells[index].plan for r in reps)
        won = sum((r.cells[index].won for r in reps), Decimal("0"))
        columns.append(
            {
                "start": start,
                "label": periods.period_label(granularity, start),
                "plan": plan,
                "won": won,
                "percent": _percent(won, plan),
                "current": start == current_start,
            }
        )
    total_plan = _sum(r.year_plan for r in reps)
    total_won = sum((r.year_won for r in reps), Decimal("0"))
    return {
        "year": year,
        "granularity": granularity,
        "currency": tenant.currency,
        "rows": rows,
        "columns": columns,
        "total": {"plan": total_plan, "won": total_won, "percent": _percent(total_won, total_plan)},
        "risk_period": periods.period_label(granularity, current_start),
        "editable": any(r.editable for r in rows),
    }


def _percent(won, plan) -> int | None:
    ratio = progress(won, plan)
    return None if ratio is None else round(ratio * 100)


def input_value(amount: Decimal | None) -> str:
    """An amount as a number input shows it: 12500 or 12500.5 (no grouping)."""
    if amount is None:
        return ""
    text = format(amount.quantize(Decimal("0.01")), "f")
    return text.removesuffix(".00")
