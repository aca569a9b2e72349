"""Reads of quotas: who may read and set which quotas, the quota lists with their fact.

The policy, in one place (the API, the command center and the plan risk all use it):
- **Read**: administrators and analysts read every quota. A sales manager reads their own,
  the quotas of the teams they manage and of those teams' members, and (like everyone) the
  quotas of the teams they belong to. Everyone else reads their own and their teams'.
- **Set**: administrators set any quota; a sales manager sets the quotas of the teams they
  manage and of those teams' members, except their own (set by an administrator). Nobody
  else sets quotas.
"""

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.db.models.query import ModelIterable

from funia.core import periods
from funia.core.actor import Actor
from funia.core.models import Role, Team, TeamMember
from funia.core.tenancy import TenantQuerySet
from funia.sales import plans
from funia.sales.models import Quota

READS_ALL = {Role.ADMIN, Role.ANALYST}


@dataclass(frozen=True)
class Scope:
    """Reps (user ids) and teams (team ids); `everyone` means no restriction."""

    users: frozenset[int] = frozenset()
    teams: frozenset[int] = frozenset()
    everyone: bool = False

    def has_user(self, user_id: int) -> bool:
        return self.everyone or user_id in self.users

    def has_team(self, team_id: int) -> bool:
        return self.everyone or team_id in self.teams

    def allows(self, *, user_id: int | None = None, team_id: int | None = None) -> bool:
        return self.has_user(user_id) if user_id is not None else self.has_team(team_id)

    def q(self) -> Q:
        if self.everyone:
            return Q()
        return Q(user_id__in=sorted(self.users)) | Q(team_id__in=sorted(self.teams))

    @property
    def empty(self) -> bool:
        return not self.everyone and not self.users and not self.teams


def managed_team_ids(actor: Actor) -> set[int]:
    return set(
        Team.objects.for_tenant(actor.tenant)
        .filter(manager_id=actor.user.pk)
        .values_list("pk", flat=True)
    )


def _own_team_ids(actor: Actor) -> set[int]:
    return set(
        TeamMember.objects.for_tenant(actor.tenant)
        .filter(user_id=actor.user.pk, team__deleted_at__isnull=True)
        .values_list("team_id", flat=True)
    )


def _members_of(actor: Actor, team_ids: set[int]) -> set[int]:
    if not team_ids:
        return set()
    return set(
        TeamMember.objects.for_tenant(actor.tenant)
        .filter(team_id__in=sorted(team_ids))
        .values_list("user_id", flat=True)
    )


def read_scope(actor: Actor) -> Scope:
    """The reps and teams whose quotas (and plan risk) the actor may read."""
    if actor.role in READS_ALL:
        return Scope(everyone=True)
    # A team's won amount counts every member's deals: only readers who may see the
    # members' deals read it (their own teams when the organisation shares team records).
    teams = _own_team_ids(actor) if actor.tenant.reps_see_team_records else set()
    users = {actor.user.pk}
    if actor.role == Role.SALES_MANAGER:
        managed = managed_team_ids(actor)
        teams |= managed
        users |= _members_of(actor, managed)
    return Scope(users=frozenset(users), teams=frozenset(teams))


def write_scope(actor: Actor) -> Scope:
    """The reps and teams whose quotas the actor may set (empty: none)."""
    if actor.role == Role.ADMIN:
        return Scope(everyone=True)
    if actor.role != Role.SALES_MANAGER:
        return Scope()
    managed = managed_team_ids(actor)
    users = _members_of(actor, managed) - {actor.user.pk}
    return Scope(users=frozenset(users), teams=frozenset(managed))


# -- the fact (won amount) and progress of listed quotas -------------------------------------


def attach_facts(tenant, quotas: list[Quota]) -> None:
    """Set `won` (the fact of the quota's rep or team in its period, see `funia.sales.plans`)
    and `progress` (won / amount; None for an amount of 0) on each quota, in at most two
    queries whatever their number."""
    if not quotas:
        return
    team_ids = {q.team_id for q in quotas if q.team_id is not None}
    members = plans.team_members_of(tenant, team_ids) if team_ids else {}
    owners_of = {
        q.pk: [q.user_id] if q.user_id is not None else members.get(q.team_id, []) for q in quotas
    }
    owners = {owner for ids in owners_of.values() for owner in ids}
    monthly = {}
    if owners:
        monthly = plans.won_by_owner_month(
            tenant,
            start=min(q.start for q in quotas),
            end=max(periods.period_end(q.period, q.start) for q in quotas),
            owner_ids=sorted(owners),
        )
    for quota in quotas:
        quota.won = plans.fact_from(monthly, owners_of[quota.pk], quota.period, quota.start)
        quota.progress = progress(quota.won, quota.amount)


def progress(won, amount) -> float | None:
    """won / amount as a ratio with four decimals; None without a positive amount."""
    if amount is None or amount <= 0:
        return None
    return round(float(won / amount), 4)


class QuotaQuerySet(TenantQuerySet):
    """Quotas that carry their fact: evaluating the queryset (a page of a list, a `get`)
    attaches `won` and `progress` to the rows it fetched, in a fixed number of queries."""

    _facts_tenant = None

    def _clone(self):
        clone = super()._clone()
        clone._facts_tenant = self._facts_tenant
        return clone

    def _fetch_all(self):
        fresh = self._result_cache is None
        super()._fetch_all()
        if fresh and self._facts_tenant is not None and self._iterable_class is ModelIterable:
            attach_facts(self._facts_tenant, self._result_cache)


def _with_facts(queryset: QuerySet, tenant) -> QuotaQuerySet:
    facts = QuotaQuerySet(model=Quota, query=queryset.query.chain(), using=queryset.db)
    facts._tenant_scoped = queryset._tenant_scoped
    facts._facts_tenant = tenant
    return facts


def visible_quotas(actor: Actor, *, with_deleted: bool = False) -> QuerySet[Quota]:
    return Quota.objects.for_tenant(actor.tenant, with_deleted=with_deleted).filter(
        read_scope(actor).q()
    )


def quota_list(*, actor: Actor, filters=None) -> QuotaQuerySet:
    """The quotas the actor may read (trash included unless the filters say otherwise),
    oldest period first, each with its `won` and `progress`."""
    qs = visible_quotas(actor, with_deleted=True)
    if filters is not None:
        qs = filters.filter(qs)
    qs = qs.select_related("user", "team").order_by("start", "period", "team_id", "user_id", "id")
    return _with_facts(qs, actor.tenant)


def quota_get(*, actor: Actor, pk: int, with_deleted: bool = False) -> Quota:
    qs = visible_quotas(actor, with_deleted=with_deleted).select_related("user", "team")
    return _with_facts(qs, actor.tenant).get(pk=pk)
