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

Everything is one set-based query: a window pass over the history of the deals with an
entry in the period (order and the time of the next entry), one grouped pass per deal and
stage, and the counts and medians per stage (and group).
"""

# ruff: noqa: S608  (SQL built from ids, table names and fixed text; values are params)

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _

from funia.analytics import sql as q
from funia.analytics.filters import (
    HistoryParams,
    deals_in_scope,
    month_starts,
    period_of,
    pipeline_stages,
    report_pipeline,
    tenant_zone,
)
from funia.core.actor import Actor
from funia.core.models import Team, TeamMember, User
from funia.sales.models import Pipeline, Stage, StageChange, StageKind

METRICS = ("entered", "advanced", "lost", "open")
NO_GROUP = "__none__"


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


def prepare(actor: Actor, params: HistoryParams) -> FunnelQuery:
    pipeline = report_pipeline(actor, params.pipeline)
    start, end = period_of(actor.tenant, params)
    months = month_starts(actor.tenant, start, end) if params.group_by == "month" else None
    return FunnelQuery(
        actor, pipeline, pipeline_stages(actor, pipeline), params, start, end, months
    )


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
        return "", "d.owner_id", []
    if group_by == "source":
        return "", "NULLIF(d.source, '')", []
    if group_by == "team":
        join = (
            f" LEFT JOIN {TeamMember._meta.db_table} tm ON tm.user_id = d.owner_id"
            f" AND tm.tenant_id = %s AND tm.team_id IN (SELECT t.id FROM"
            f" {Team._meta.db_table} t WHERE t.tenant_id = %s AND t.deleted_at IS NULL)"
        )
        return join, "tm.team_id", [fq.actor.tenant.pk, fq.actor.tenant.pk]
    if group_by == "month":
        cases, params = [], []
        for index, bound in enumerate(fq.months[1:-1]):
            cases.append(f"WHEN f.entered_at < %s THEN {index}")
            params.append(q.db_time(bound))
        expression = f"CASE {' '.join(cases)} ELSE {len(fq.months) - 2} END" if cases else "0"
        return "", expression, params
    return "", "0", []


def facts_sql(fq: FunnelQuery) -> tuple[str, list]:
    """SQL of one row per (deal, stage) entered in the period, with its group key:
    deal, slot (the stage id), grp, advanced, lost, stay_days."""
    tenant_id = fq.actor.tenant.pk
    ranks = _ranks(fq.stages)
    strict = fq.params.mode == "strict"
    if not ranks:
        empty = "SELECT 0 AS deal, 0 AS slot, 0 AS grp, 0 AS advanced, 0 AS lost, "
        return empty + "0.0 AS stay_days WHERE 1 = 0", []
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
    join, key, group_params = _group_sql(fq)
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
        SELECT f.deal AS deal, f.slot AS slot, {key} AS grp, f.advanced AS advanced,
               CASE WHEN f.closed = 1 THEN NULL
                    WHEN f.advanced = 0 AND d.stage_id IN ({lost_list}) THEN 1 ELSE 0
               END AS lost,
               f.stay_days AS stay_days
        FROM per_stage f JOIN deals d ON d.id = f.deal{join}
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
        *group_params,
        start,
        end,
    ]
    return text, params


def _count_sql(facts: str, *, grouped: bool, distinct: bool) -> str:
    """Counts and medians per stage (lvl 0: per group; lvl 1: overall, when grouped).

    The overall funnel is computed, not added up from the groups: medians do not add up,
    and a deal of an owner in several teams is in each team's funnel but once overall."""
    rows = "SELECT slot, 0 AS lvl, grp, advanced, lost, stay_days FROM facts"
    if grouped:
        unique = "SELECT DISTINCT deal, slot, advanced, lost, stay_days FROM facts"
        rows += (
            " UNION ALL SELECT slot, 1 AS lvl, NULL AS grp, advanced, lost, stay_days FROM "
            f"({unique if distinct else 'SELECT * FROM facts'}) AS u"
        )
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


def historical_funnel(*, actor: Actor, params: HistoryParams) -> dict:
    """The historical funnel of the pipeline (see the module's definitions), with one
    funnel per group when `params.group_by` is set."""
    fq = prepare(actor, params)
    facts, facts_params = facts_sql(fq)
    grouped = fq.params.group_by is not None
    text = _count_sql(facts, grouped=grouped, distinct=fq.params.group_by == "team")
    with connection.cursor() as cursor:
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
        if not group.isdigit():
            raise ValidationError({"group": _("Give the group's key from the report.")})
        return int(group)
    if fq.params.group_by == "month":
        keys = [month_key(fq, i) for i in range(len(fq.months) - 1)]
        if group not in keys:
            raise ValidationError({"group": _("Give a month of the period as YYYY-MM.")})
        return keys.index(group)
    return group
