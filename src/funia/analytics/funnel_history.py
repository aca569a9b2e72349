"""The historical funnel: how many deals entered each stage in a period, and what became
of them, computed from the append-only stage history (`sales.StageChange`).

Definitions (binding; shown on the page and in the API documentation). For a pipeline
with open stages S1..Sk in order, then its won and lost stages, and a period [from, to):

- A deal's entries are ordered by time (then by recording order). A deal **entered** Si in
  the period if its first entry into Si is in [from, to). In mode `any` (the default)
  reaching any later open stage or a won stage without passing Si counts as entering Si at
  that moment (so the first entry into Si *or any stage after it*); in mode `strict` only
  real entries into Si count.
- Of those deals, **advanced** = reached a stage after Si or a won stage after that entry
  (at any time up to now; in mode `any` a skip over Si is an advance past it), **lost** =
  are in a lost stage now and never advanced past Si, **open** = the rest (entered =
  advanced + lost + open). **conversion** = advanced / entered, null when nothing entered.
  Backward moves and reopenings never count a deal twice: each number counts deals.
- A won or lost stage counts only its **entered**: deals whose first entry into that stage
  is in the period ("won in the period"); its other numbers are null.
- **median_days_in_stage** of Si: over the deals that entered Si in the period, really
  stayed in it and have left it (they are not in Si now), the median of each deal's total
  time in Si (the sum of all its stays there), in days. Null when there is none.
- Only live (not deleted) deals now in the pipeline that the reader may see count; entries
  into other pipelines' stages only end a stay.

Where the numbers come from: the funnel facts (`analytics.FunnelFact`, one row per deal and
stage, kept exact by `funia.analytics.facts` with every write), so a report is one grouped
scan of the rows entered in the period. The raw history is the reference and the fallback:
one set-based query (a window pass over the history of the deals with an entry in the
period, one grouped pass per deal and stage) used while a pipeline's facts wait for a
rebuild (its stages changed) and for filters the facts do not hold (e.g. territory).
"""

# ruff: noqa: S608  (SQL built from ids, table names and fixed text; values are params)

import datetime
from dataclasses import dataclass, replace

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import F
from django.utils.translation import gettext as _

from funia.analytics import facts
from funia.analytics import sql as q
from funia.analytics.filters import (
    HistoryParams,
    ReportFilter,
    deals_in_scope,
    month_starts,
    period_of,
    pipeline_stages,
    report_pipeline,
    tenant_zone,
)
from funia.analytics.models import FunnelFact
from funia.core.actor import Actor
from funia.core.models import Team, TeamMember, User
from funia.core.visibility import visible_owner_q
from funia.sales.models import Pipeline, Stage, StageChange, StageKind

METRICS = ("entered", "advanced", "lost", "open")
NO_GROUP = "__none__"
# The filters the funnel facts answer; any other filter set reads the raw history.
FACT_FILTERS = {"pipeline", "owner", "team", "source"}


@dataclass
class FunnelQuery:
    """Everything a historical funnel (or one of its drill-downs) is computed from."""

    actor: Actor
    pipeline: Pipeline
    stages: list[Stage]
    params: HistoryParams
    start: datetime.datetime
    end: datetime.datetime
    months: list[datetime.datetime] | None = None
    use_facts: bool = False


def prepare(actor: Actor, params: HistoryParams, *, raw: bool = False) -> FunnelQuery:
    """The query of a report; `raw` computes it from the raw history (the reference)."""
    pipeline = report_pipeline(actor, params.pipeline)
    start, end = period_of(actor.tenant, params)
    months = month_starts(actor.tenant, start, end) if params.group_by == "month" else None
    stages = pipeline_stages(actor, pipeline)
    fq = FunnelQuery(actor, pipeline, stages, params, start, end, months)
    fq.use_facts = not raw and _facts_answer(fq)
    return fq


def _facts_answer(fq: FunnelQuery) -> bool:
    """Whether the funnel facts answer the query: no filter they do not hold, and built
    with the pipeline's current stage ranks."""
    for name in ReportFilter.model_fields:
        if name not in FACT_FILTERS and getattr(fq.params, name, None) not in (None, "", []):
            return False
    return facts.is_current(fq.actor.tenant, fq.pipeline, fq.stages)


def _ranks(stages: list[Stage]) -> dict[int, int]:
    """Open stages 1..k in order, won stages k + 1, lost stages 0."""
    open_stages = [s for s in stages if s.kind == StageKind.OPEN]
    ranks = {s.pk: n for n, s in enumerate(open_stages, start=1)}
    for s in stages:
        if s.kind == StageKind.WON:
            ranks[s.pk] = len(open_stages) + 1
        elif s.kind == StageKind.LOST:
            ranks[s.pk] = 0
    return ranks


def _group_sql(fq: FunnelQuery) -> tuple[str, str, list]:
    """(join, key expression, params) of the grouping."""
    group_by = fq.params.group_by
    if group_by == "owner":
        return "", "r.owner_id", []
    if group_by == "source":
        return "", "NULLIF(r.source, '')", []
    if group_by == "team":
        join = (
            f" LEFT JOIN {TeamMember._meta.db_table} tm ON tm.user_id = r.owner_id"
            f" AND tm.tenant_id = %s AND tm.team_id IN (SELECT t.id FROM"
            f" {Team._meta.db_table} t WHERE t.tenant_id = %s AND t.deleted_at IS NULL)"
        )
        return join, "tm.team_id", [fq.actor.tenant.pk, fq.actor.tenant.pk]
    if group_by == "month":
        cases, params = [], []
        for index, bound in enumerate(fq.months[1:-1]):
            cases.append(f"WHEN r.entered_at < %s THEN {index}")
            params.append(q.db_time(bound))
        expression = f"CASE {' '.join(cases)} ELSE {len(fq.months) - 2} END" if cases else "0"
        return "", expression, params
    return "", "0", []


def facts_sql(fq: FunnelQuery) -> tuple[str, list]:
    """SQL of one row per (deal, stage) entered in the period, with its group key:
    deal, slot (the stage id), grp, advanced, lost, stay_days."""
    rows, params = _fact_rows_sql(fq) if fq.use_facts else _raw_rows_sql(fq)
    join, key, group_params = _group_sql(fq)
    text = (
        f"SELECT r.deal AS deal, r.slot AS slot, {key} AS grp, r.advanced AS advanced, "
        f"r.lost AS lost, r.stay_days AS stay_days FROM ({rows}) r{join}"
    )
    # The month's CASE comes before the join's parameters in the text.
    if fq.params.group_by == "month":
        return text, [*group_params, *params]
    return text, [*params, *group_params]


def _fact_rows_sql(fq: FunnelQuery) -> tuple[str, list]:
    """The rows (deal, slot, owner_id, source, entered_at, advanced, lost, stay_days) of
    the deals entered in the period, read from the funnel facts."""
    actor, params = fq.actor, fq.params
    strict = params.mode == "strict"
    entered = "entered_strict" if strict else "entered_any"
    advanced = "advanced_strict" if strict else "advanced_any"
    # Every stage named: the index is (tenant, pipeline, stage, entered_*).
    qs = FunnelFact.objects.for_tenant(actor.tenant).filter(
        pipeline=fq.pipeline,
        stage_id__in=[s.pk for s in fq.stages],
        **{f"{entered}__gte": fq.start, f"{entered}__lt": fq.end},
    )
    owner_q = visible_owner_q(actor, "owner")
    if owner_q is not None:
        qs = qs.filter(owner_q)
    if params.owner is not None:
        qs = qs.filter(owner_id=params.owner)
    if params.team is not None:
        # As deals_in_scope(): the owner is a member of the (live, own) team.
        qs = qs.filter(
            owner__teams__id=params.team,
            owner__teams__tenant_id=F("tenant_id"),
            owner__teams__deleted_at__isnull=True,
        )
    if params.source:
        qs = qs.filter(source__iexact=params.source)
    inner, inner_params = q.queryset_sql(
        qs.values(
            "opportunity_id",
            "stage_id",
            "owner_id",
            "source",
            entered,
            advanced,
            "lost_now",
            "stay_days",
        ).order_by()
    )
    text = f"""
        SELECT f.opportunity_id AS deal, f.stage_id AS slot, f.owner_id AS owner_id,
               f.source AS source, f.{entered} AS entered_at, f.{advanced} AS advanced,
               CASE WHEN f.{advanced} IS NULL THEN NULL
                    WHEN f.{advanced} = 0 AND f.lost_now = 1 THEN 1 ELSE 0 END AS lost,
               f.stay_days AS stay_days
        FROM ({inner}) f
    """
    return text, inner_params


def _raw_rows_sql(fq: FunnelQuery) -> tuple[str, list]:
    """The same rows as `_fact_rows_sql`, computed from the raw stage history."""
    tenant_id = fq.actor.tenant.pk
    ranks = _ranks(fq.stages)
    strict = fq.params.mode == "strict"
    if not ranks:
        empty = "SELECT 0 AS deal, 0 AS slot, 0 AS owner_id, '' AS source, NULL AS entered_at, "
        return empty + "0 AS advanced, 0 AS lost, 0.0 AS stay_days WHERE 1 = 0", []
    scope = deals_in_scope(fq.actor, fq.pipeline, fq.params).values(
        "id", "owner_id", "source", "stage_id"
    )
    scope_sql, scope_params = q.queryset_sql(scope)
    stage_ids = ", ".join(str(int(pk)) for pk in ranks)
    rank_case = " ".join(f"WHEN {int(pk)} THEN {int(r)}" for pk, r in ranks.items())
    lost_ids = [s.pk for s in fq.stages if s.kind == StageKind.LOST] or [0]
    slots = ", ".join(
        f"({int(s.pk)}, {int(ranks[s.pk])}, {0 if s.kind == StageKind.OPEN else 1})"
        for s in fq.stages
    )
    history = StageChange._meta.db_table
    start, end = q.db_time(fq.start), q.db_time(fq.end)
    entered = (
        "CASE WHEN s.closed = 1 OR %s = 1 THEN MIN(CASE WHEN e.stage = s.stage_id "
        "THEN e.at END) ELSE MIN(e.at) END"
    )
    advanced = (
        "CASE WHEN s.closed = 1 THEN NULL WHEN %s = 1 THEN (CASE WHEN MAX(CASE WHEN "
        "e.rnk > s.rnk THEN e.pos END) > MIN(CASE WHEN e.stage = s.stage_id THEN e.pos END) "
        "THEN 1 ELSE 0 END) WHEN MAX(e.rnk) > s.rnk THEN 1 ELSE 0 END"
    )
    stay = q.seconds_between("e.next_at", "e.at")
    lost_list = ", ".join(str(int(pk)) for pk in lost_ids)
    text = f"""
        WITH slots (stage_id, rnk, closed) AS (VALUES {slots}),
        deals AS ({scope_sql}),
        active AS (
            SELECT DISTINCT c.opportunity_id AS deal FROM {history} c
            WHERE c.tenant_id = %s AND c.to_stage_id IN ({stage_ids})
              AND c.at >= %s AND c.at < %s
        ),
        entries AS (
            SELECT c.opportunity_id AS deal, c.at AS at, c.to_stage_id AS stage,
                   CASE c.to_stage_id {rank_case} END AS rnk,
                   ROW_NUMBER() OVER w AS pos, LEAD(c.at) OVER w AS next_at
            FROM {history} c
            WHERE c.tenant_id = %s
              AND c.opportunity_id IN (SELECT a.deal FROM active a)
              AND c.opportunity_id IN (SELECT d.id FROM deals d)
            WINDOW w AS (PARTITION BY c.opportunity_id ORDER BY c.at, c.id)
        ),
        per_stage AS (
            SELECT e.deal AS deal, s.stage_id AS slot, s.closed AS closed,
                   {entered} AS entered_at,
                   {advanced} AS advanced,
                   CASE WHEN s.closed = 1 THEN NULL
                        WHEN MIN(CASE WHEN e.stage = s.stage_id THEN e.pos END) IS NULL
                          OR MAX(CASE WHEN e.stage = s.stage_id AND e.next_at IS NULL
                                 THEN 1 ELSE 0 END) = 1 THEN NULL
                        ELSE SUM(CASE WHEN e.stage = s.stage_id THEN {stay} END) / 86400.0
                   END AS stay_days
            FROM entries e
            JOIN slots s ON (s.closed = 0 AND e.rnk >= s.rnk)
                         OR (s.closed = 1 AND e.stage = s.stage_id)
            GROUP BY e.deal, s.stage_id, s.rnk, s.closed
        )
        SELECT f.deal AS deal, f.slot AS slot, d.owner_id AS owner_id, d.source AS source,
               f.entered_at AS entered_at, f.advanced AS advanced,
               CASE WHEN f.closed = 1 THEN NULL
                    WHEN f.advanced = 0 AND d.stage_id IN ({lost_list}) THEN 1 ELSE 0
               END AS lost,
               f.stay_days AS stay_days
        FROM per_stage f JOIN deals d ON d.id = f.deal
        WHERE f.entered_at >= %s AND f.entered_at < %s
    """
    params = [
        *scope_params,
        tenant_id,
        start,
        end,
        tenant_id,
        int(strict),
        int(strict),
        start,
        end,
    ]
    return text, params


def _count_sql(facts: str, *, grouped: bool, distinct: bool, level: int | None = None) -> str:
    """Counts and medians per stage (lvl 0: per group; lvl 1: overall, when grouped).

    The overall funnel is computed, not added up from the groups: medians do not add up,
    and a deal of an owner in several teams is in each team's funnel but once overall.
    PostgreSQL with `level` 0: the groups' counts only (grouped by slot and grp)."""
    if connection.vendor == "postgresql":
        median = "percentile_cont(0.5) WITHIN GROUP (ORDER BY stay_days)"
        counts = f"COUNT(*), SUM(advanced), SUM(lost), {median}"
        if level == 0:
            return f"SELECT slot, 0, grp, {counts} FROM ({facts}) AS g GROUP BY slot, grp"
        if not grouped:
            return f"SELECT slot, 1, NULL, {counts} FROM ({facts}) AS f GROUP BY slot"
        if not distinct:
            # One scan for both levels: each row is one deal and stage.
            return f"""
                SELECT slot, GROUPING(grp), grp, {counts} FROM ({facts}) AS f
                GROUP BY GROUPING SETS ((slot, grp), (slot))
            """
    rows = "SELECT slot, 0 AS lvl, grp, advanced, lost, stay_days FROM facts"
    if grouped:
        unique = "SELECT DISTINCT deal, slot, advanced, lost, stay_days FROM facts"
        rows += (
            " UNION ALL SELECT slot, 1 AS lvl, NULL AS grp, advanced, lost, stay_days FROM "
            f"({unique if distinct else 'SELECT * FROM facts'}) AS u"
        )
    if connection.vendor == "postgresql":
        return f"""
            WITH facts AS ({facts}), both_levels AS ({rows})
            SELECT slot, lvl, grp, {counts} FROM both_levels GROUP BY slot, lvl, grp
        """
    return f"""
        WITH facts AS ({facts}),
        both_levels AS ({rows}),
        ordered AS (
            SELECT slot, lvl, grp, advanced, lost, stay_days,
                   ROW_NUMBER() OVER (PARTITION BY slot, lvl, grp, (stay_days IS NULL)
                                      ORDER BY stay_days) AS rn,
                   COUNT(stay_days) OVER (PARTITION BY slot, lvl, grp) AS cnt
            FROM both_levels
        )
        SELECT slot, lvl, grp, COUNT(*), SUM(advanced), SUM(lost),
               AVG(CASE WHEN stay_days IS NOT NULL AND rn IN ((cnt + 1) / 2, (cnt + 2) / 2)
                        THEN stay_days END)
        FROM ordered GROUP BY slot, lvl, grp
    """


def _stage_rows(stages: list[Stage], counts: dict) -> list[dict]:
    rows = []
    for stage in stages:
        entered, advanced, lost, median = counts.get(stage.pk, (0, None, None, None))
        closed = stage.kind != StageKind.OPEN
        if closed:
            advanced = lost = opened = conversion = None
        else:
            advanced, lost = int(advanced or 0), int(lost or 0)
            opened = entered - advanced - lost
            conversion = round(advanced / entered, 4) if entered else None
        rows.append(
            {
                "stage": stage.pk,
                "name": stage.name,
                "kind": stage.kind,
                "entered": entered,
                "advanced": advanced,
                "lost": lost,
                "open": opened,
                "conversion": conversion,
                "median_days_in_stage": None
                if closed or median is None
                else round(float(median), 4),
            }
        )
    return rows


def _labels(fq: FunnelQuery, keys) -> dict:
    group_by = fq.params.group_by
    tenant = fq.actor.tenant
    if group_by == "owner":
        users = User.objects.filter(pk__in=[k for k in keys if k is not None])
        names = {u.pk: (u.get_full_name() or u.email) for u in users}
        return {
            k: names.get(k, _("Unknown user")) if k is not None else _("No owner") for k in keys
        }
    if group_by == "team":
        teams = Team.objects.for_tenant(tenant).filter(pk__in=[k for k in keys if k is not None])
        names = {t.pk: t.name for t in teams}
        return {k: names.get(k, "?") if k is not None else _("No team") for k in keys}
    if group_by == "source":
        return {k: k if k is not None else _("No source") for k in keys}
    if group_by == "month":
        return {k: k for k in keys}
    return {}


def month_key(fq: FunnelQuery, index: int) -> str:
    return fq.months[index].astimezone(tenant_zone(fq.actor.tenant)).strftime("%Y-%m")


def historical_funnel(*, actor: Actor, params: HistoryParams, raw: bool = False) -> dict:
    """The historical funnel of the pipeline (see the module's definitions), with one
    funnel per group when `params.group_by` is set; `raw`: from the raw history."""
    fq = prepare(actor, params, raw=raw)
    facts, facts_params = facts_sql(fq)
    grouped = fq.params.group_by is not None
    text = _count_sql(facts, grouped=grouped, distinct=fq.params.group_by == "team")
    if grouped and fq.params.group_by == "team" and connection.vendor == "postgresql":
        # The overall level without the team join (a deal counts once), the teams' with it:
        # two scans, neither materialised nor made distinct.
        overall_fq = replace(fq, params=fq.params.model_copy(update={"group_by": None}))
        overall, overall_params = facts_sql(overall_fq)
        text = (
            f"{_count_sql(overall, grouped=False, distinct=False)} UNION ALL "
            f"{_count_sql(facts, grouped=False, distinct=False, level=0)}"
        )
        facts_params = [*overall_params, *facts_params]
    with q.report_cursor() as cursor:
        cursor.execute(text, facts_params)
        rows = cursor.fetchall()
    overall: dict = {}
    groups: dict = {}
    for slot, lvl, grp, entered, advanced, lost, median in rows:
        counts = (entered, advanced, lost, median)
        if not grouped or lvl == 1:
            overall[slot] = counts
            continue
        if fq.params.group_by == "month" and grp is not None:
            grp = month_key(fq, int(grp))
        groups.setdefault(grp, {})[slot] = counts
    answer = {
        "pipeline": fq.pipeline.pk,
        "from": fq.start,
        "to": fq.end,
        "mode": fq.params.mode,
        "group_by": fq.params.group_by,
        "stages": _stage_rows(fq.stages, overall),
    }
    if grouped:
        labels = _labels(fq, list(groups))
        if fq.params.group_by == "month":
            keys = sorted(groups, key=lambda k: k or "")
        else:
            keys = sorted(groups, key=lambda k: (k is None, str(labels[k]).lower(), str(k)))
        answer["groups"] = [
            {"key": key, "label": str(labels[key]), "stages": _stage_rows(fq.stages, groups[key])}
            for key in keys
        ]
    return answer


def parse_group(fq: FunnelQuery, group: str | None):
    """A drill-down's `group` (as the report gives keys) -> the SQL value to match, or
    raise a field error."""
    if group is None:
        return None
    if fq.params.group_by is None:
        raise ValidationError({"group": _("A group needs group_by.")})
    if group == NO_GROUP:
        return NO_GROUP
    if fq.params.group_by in ("owner", "team"):
        if not group.isdecimal():
            raise ValidationError({"group": _("Give the group's key from the report.")})
        return int(group)
    if fq.params.group_by == "month":
        keys = [month_key(fq, i) for i in range(len(fq.months) - 1)]
        if group not in keys:
            raise ValidationError({"group": _("Give a month of the period as YYYY-MM.")})
        return keys.index(group)
    return group
