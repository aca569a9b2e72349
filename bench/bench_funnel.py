"""The funnel reports on a tenant of 1,000,000 opportunities and ~5,000,000 stage changes.

Builds the tenant in a temporary database (a temp SQLite file; a PostgreSQL database
`funia_bench_funnel` created and dropped here): one pipeline with the B2B stages, deals
created over the last three years by 50 reps from 6 sources, each with a random walk
through the stages (advances, skips, backward moves, losses, reopenings, wins), about
five entries per deal, inserted in bulk (COPY on PostgreSQL); then the funnel facts
(`analytics.FunnelFact`) are built by the set-based rebuild (`funia rebuild-funnel-facts`),
timed.

Then times, through Django's test client as an administrator (median and p95 of
`--requests` requests each), and in the same run the fastest hand-written SQL producing
the same numbers (checked equal):

- GET /api/v1/reports/funnel/snapshot
- GET /api/v1/reports/funnel/history (one quarter, mode any), and with group_by=owner
- GET /api/v1/reports/funnel/history/drilldown (first page of a stage's "lost")
- the same history over twelve months (the page's default period), mode strict, by team,
  by source, and twelve months by month of entry

The hand-written SQL of a history report is the faster of two: the window pass over the
raw history, and the grouped scan of the funnel facts (both checked equal to the report).

Targets: each report median < 1 s on PostgreSQL, within 2x of the hand-written SQL.
Run: .venv/bin/python bench/bench_funnel.py [--scale 0.01] [--database sqlite|postgresql]
"""

import argparse
import datetime
import os
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

from databases import pg_admin, run_per_database, use_database

PG_DATABASE = "funia_bench_funnel"
ROOT = Path(__file__).resolve().parent.parent
TOTAL = 1_000_000

parser = argparse.ArgumentParser()
parser.add_argument("--scale", type=float, default=1.0, help="fraction of 1,000,000 deals")
parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
parser.add_argument("--requests", type=int, default=7, help="requests per measure")
parser.add_argument("--seed", type=int, default=2026)
parser.add_argument("--keep", action="store_true", help="keep the database (prints where)")
parser.add_argument("--reuse", help="SQLite: the kept var dir; PostgreSQL: 'yes'")
parser.add_argument("--rebuild-facts", action="store_true", help="rebuild the facts (reuse)")
args = parser.parse_args()


if args.database == "both":
    run_per_database(__file__)
use_database(args.database, name=PG_DATABASE, reuse=args.reuse)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "funia.settings")
os.environ["FUNIA_API_RATE_LIMIT"] = "100000000/m"
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from funia.analytics import facts  # noqa: E402
from funia.analytics import sql as q  # noqa: E402
from funia.analytics.models import FunnelFact, FunnelFactState  # noqa: E402
from funia.core import services as core_services  # noqa: E402
from funia.core.actor import Actor  # noqa: E402
from funia.core.models import Membership, Organization, Role, User  # noqa: E402
from funia.sales import pipelines  # noqa: E402
from funia.sales.models import Opportunity, Pipeline, Stage, StageChange  # noqa: E402

rng = random.Random(args.seed)
VENDOR = connection.vendor
REPS = 50
BATCH = 10_000
OPEN = ["Qualification", "Needs analysis", "Proposal", "Negotiation"]
B2B = [
    {"name": "Qualification", "probability": 10},
    {"name": "Needs analysis", "probability": 25},
    {"name": "Proposal", "probability": 50},
    {"name": "Negotiation", "probability": 75},
    {"name": "Won", "probability": 100, "kind": "won"},
    {"name": "Lost", "probability": 0, "kind": "lost"},
]
SOURCES = ["Web", "Referral", "Partner", "Event", "Cold call", ""]


def log(message: str) -> None:
    print(f"[{VENDOR}] {message}", flush=True)


def walk(start: datetime.datetime, now: datetime.datetime) -> list[tuple[str, datetime.datetime]]:
    """A deal's history: a random walk through the stages, five entries on average."""
    at, stage, steps = start, 0, [("Qualification", start)]
    while len(steps) < 9:
        at = at + datetime.timedelta(seconds=rng.expovariate(1 / (9 * 86400)))
        if at >= now:
            break
        roll = rng.random()
        last = steps[-1][0]
        if last in ("Won", "Lost"):
            if roll < 0.2:  # reopened
                stage = rng.randrange(4)
                steps.append((OPEN[stage], at))
                continue
            break
        if roll < 0.10:
            steps.append(("Lost", at))
        elif roll < 0.22 and stage > 0:
            stage -= 1
            steps.append((OPEN[stage], at))
        elif roll < 0.32 and stage < 2:
            stage += 2
            steps.append((OPEN[stage], at))
        elif stage == 3 or roll > 0.97:
            steps.append(("Won", at))
        else:
            stage += 1
            steps.append((OPEN[stage], at))
    return steps


def build_tenant(total: int) -> Organization:
    started = time.perf_counter()
    org = Organization.objects.create(name="Bench Ltd", slug="bench")
    users = []
    for n, role in enumerate([Role.ADMIN] + [Role.SALES_REP] * REPS):
        user = User.objects.create_user(
            f"user{n}@bench.example", first_name="User", last_name=str(n)
        )
        Membership.objects.create(tenant=org, user=user, role=role)
        users.append(user)
    admin = Actor.from_membership(Membership.objects.across_tenants().get(user=users[0]))
    pipeline = pipelines.pipeline_create(by=admin, name="B2B", stages=B2B, is_default=True)
    stages = {s.name: s for s in Stage.objects.for_tenant(org).filter(pipeline=pipeline)}
    reps = users[1:]
    now = timezone.now()
    span = 3 * 365 * 86400
    changes_table = StageChange._meta.db_table
    columns = (
        "tenant_id, opportunity_id, from_stage_id, to_stage_id, at, by_id, amount, "
        "amount_base, currency, probability, imported"
    )
    n_changes = 0
    for first in range(0, total, BATCH):
        deals, histories = [], []
        for i in range(first, min(first + BATCH, total)):
            created = now - datetime.timedelta(seconds=span * rng.random())
            steps = walk(created, now)
            stage = stages[steps[-1][0]]
            amount = rng.randrange(500, 500_000)
            deals.append(
                Opportunity(
                    tenant=org,
                    name=f"Deal {i}",
                    owner=rng.choice(reps),
                    pipeline=pipeline,
                    stage=stage,
                    amount=amount,
                    currency="EUR",
                    amount_base=amount,
                    source=rng.choice(SOURCES),
                    forecast_category="pipeline"
                    if stage.kind == "open"
                    else ("closed" if stage.kind == "won" else "omitted"),
                    lost_reason="Price" if stage.kind == "lost" else "",
                    stage_entered_at=steps[-1][1],
                    closed_at=None if stage.kind == "open" else steps[-1][1],
                    created_at=created,
                    updated_at=steps[-1][1],
                )
            )
            histories.append(steps)
        with transaction.atomic():
            made = Opportunity.objects.bulk_create(deals)
            rows = []
            for deal, steps in zip(made, histories, strict=True):
                previous = None
                for name, moment in steps:
                    to = stages[name]
                    rows.append(
                        (
                            org.pk,
                            deal.pk,
                            previous,
                            to.pk,
                            moment,
                            deal.owner_id,
                            deal.amount,
                            deal.amount_base,
                            "EUR",
                            to.probability,
                            True,
                        )
                    )
                    previous = to.pk
            n_changes += len(rows)
            with connection.cursor() as cursor:
                if VENDOR == "postgresql":
                    with cursor.cursor.copy(f"COPY {changes_table} ({columns}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                else:
                    values = [(*r[:4], q.db_time(r[4]), *r[5:]) for r in rows]
                    cursor.executemany(
                        f"INSERT INTO {changes_table} ({columns}) VALUES "
                        "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                        values,
                    )
        if (first // BATCH) % 10 == 9:
            log(
                f"{first + BATCH:,} deals, {n_changes:,} changes, "
                f"{time.perf_counter() - started:.0f} s"
            )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if VENDOR == "postgresql" else "ANALYZE")
    log(
        f"built {total:,} deals and {n_changes:,} stage changes in "
        f"{time.perf_counter() - started:.0f} s"
    )
    return org


call_command("migrate", verbosity=0)
org = Organization.objects.filter(slug="bench").first()
if org is None:
    org = build_tenant(max(100, int(TOTAL * args.scale)))
pipeline = Pipeline.objects.for_tenant(org).get(name="B2B")
built = FunnelFactState.objects.for_tenant(org).filter(pipeline=pipeline).exists()
if args.rebuild_facts or not built or not FunnelFact.objects.for_tenant(org).exists():
    # The deals were inserted in bulk, past the services: build their facts set-based.
    log("building the funnel facts (set-based)")
    started = time.perf_counter()
    n_facts = facts.rebuild_pipelines(tenant=org)
    log(f"built {n_facts:,} funnel fact rows in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            f"VACUUM ANALYZE {FunnelFact._meta.db_table}"
            if VENDOR == "postgresql"
            else f"ANALYZE {FunnelFact._meta.db_table}"
        )
    log(f"vacuum / analyze of the facts: {time.perf_counter() - started:.0f} s")
stages = {s.name: s for s in Stage.objects.for_tenant(org).filter(pipeline=pipeline)}
total = Opportunity.objects.for_tenant(org).count()
n_changes = StageChange.objects.for_tenant(org).count()
admin_user = Membership.objects.across_tenants().get(tenant=org, role=Role.ADMIN).user
_token, secret = core_services.token_create(tenant=org, user=admin_user)
api = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {secret}")
today = timezone.now().date()
quarter_to = today.replace(day=1)
quarter_from = (quarter_to - datetime.timedelta(days=80)).replace(day=1)
year_from = (quarter_to - datetime.timedelta(days=340)).replace(day=1)
year_to = (quarter_to + datetime.timedelta(days=32)).replace(day=1)


def timed(call, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def get(url: str, params: dict):
    response = api.get(url, params)
    assert response.status_code == 200, (response.status_code, response.content[:500])
    return response.json()


# -- the hand-written SQL ------------------------------------------------------------------

OPP = Opportunity._meta.db_table
SC = StageChange._meta.db_table
OPEN_IDS = [stages[n].pk for n in OPEN]
WON, LOST = stages["Won"].pk, stages["Lost"].pk
ALL_IDS = ", ".join(str(i) for i in [*OPEN_IDS, WON, LOST])
RANK = " ".join(f"WHEN {pk} THEN {n}" for n, pk in enumerate(OPEN_IDS, 1)) + f" WHEN {WON} THEN 5"


def median_expr(column: str) -> str:
    if VENDOR == "postgresql":
        return f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {column})"
    return None


def hand_snapshot():
    """Counts, amounts and mean entry time per stage, mean and median cycle (365 days).
    Hand queries run as the reports do: in a transaction with the reports' work_mem."""
    now = timezone.now()
    seconds = (
        "EXTRACT(EPOCH FROM stage_entered_at)"
        if VENDOR == "postgresql"
        else "(julianday(stage_entered_at) - 2440587.5) * 86400.0"
    )
    cycle = q.seconds_between("closed_at", "created_at")
    with q.report_cursor() as cursor:
        cursor.execute(
            f"SELECT stage_id, COUNT(*), SUM(amount_base), AVG({seconds}) FROM {OPP} "
            f"WHERE tenant_id = %s AND pipeline_id = %s AND deleted_at IS NULL "
            f"AND stage_id IN ({', '.join(map(str, OPEN_IDS))}) GROUP BY stage_id",
            [org.pk, pipeline.pk],
        )
        rows = cursor.fetchall()
        since = q.db_time(now - datetime.timedelta(days=365))
        if VENDOR == "postgresql":
            cursor.execute(
                f"SELECT COUNT(*), AVG({cycle}), {median_expr(cycle)} FROM {OPP} WHERE "
                f"tenant_id = %s AND pipeline_id = %s AND deleted_at IS NULL AND stage_id = %s "
                f"AND closed_at >= %s AND closed_at <= %s",
                [org.pk, pipeline.pk, WON, since, q.db_time(now)],
            )
            cycle_row = cursor.fetchone()
        else:
            values = (
                f"SELECT {cycle} / 86400.0 AS v FROM {OPP} WHERE tenant_id = {org.pk} AND "
                f"pipeline_id = {pipeline.pk} AND deleted_at IS NULL AND stage_id = {WON} "
                f"AND closed_at >= '{since}'"
            )
            cursor.execute(f"SELECT COUNT(*), AVG(v) FROM ({values})")
            n, mean = cursor.fetchone()
            cursor.execute(q.median_sql(values))
            cycle_row = (n, mean, cursor.fetchone()[0])
    return rows, cycle_row


def hand_history(start: datetime.date, end: datetime.date):
    """entered / advanced / lost per open stage (mode any) and the median stays: one wide
    row per deal (no per-stage join), then one UNION ALL branch per stage."""
    from funia.analytics.filters import tenant_zone

    zone = tenant_zone(org)
    lo = q.db_time(datetime.datetime.combine(start, datetime.time(), tzinfo=zone))
    hi = q.db_time(datetime.datetime.combine(end, datetime.time(), tzinfo=zone))
    stay = q.seconds_between("next_at", "at")
    wide = []
    for n, pk in enumerate(OPEN_IDS, 1):
        wide.append(f"MIN(CASE WHEN r >= {n} THEN at END) AS e{n}")
        wide.append(
            f"CASE WHEN MAX(CASE WHEN s = {pk} AND next_at IS NULL THEN 1 ELSE 0 END) = 0 "
            f"THEN SUM(CASE WHEN s = {pk} THEN {stay} END) / 86400.0 END AS t{n}"
        )
    branches = []
    for n in range(1, 5):
        branches.append(
            f"SELECT {n} AS stage, e{n} AS e, CASE WHEN mr > {n} THEN 1 ELSE 0 END AS adv, "
            f"CASE WHEN mr <= {n} AND lost_now = 1 THEN 1 ELSE 0 END AS lost, t{n} AS t "
            f"FROM per_deal WHERE e{n} >= %s AND e{n} < %s"
        )
    body = f"""
        WITH entries AS (
            SELECT c.opportunity_id AS deal, c.at AS at, c.to_stage_id AS s,
                   CASE c.to_stage_id {RANK} ELSE 0 END AS r,
                   LEAD(c.at) OVER (PARTITION BY c.opportunity_id ORDER BY c.at, c.id) AS next_at
            FROM {SC} c JOIN {OPP} o ON o.id = c.opportunity_id
            WHERE c.tenant_id = %s AND o.deleted_at IS NULL AND o.pipeline_id = %s
              AND c.opportunity_id IN (SELECT opportunity_id FROM {SC} WHERE tenant_id = %s
                  AND to_stage_id IN ({ALL_IDS}) AND at >= %s AND at < %s)
        ),
        per_deal AS (
            SELECT e.deal, MAX(e.r) AS mr, {", ".join(wide)},
                   MAX(CASE WHEN o.stage_id = {LOST} THEN 1 ELSE 0 END) AS lost_now
            FROM entries e JOIN {OPP} o ON o.id = e.deal GROUP BY e.deal
        ),
        facts AS ({" UNION ALL ".join(branches)})
    """
    params = [org.pk, pipeline.pk, org.pk, lo, hi] + [lo, hi] * 4
    if VENDOR == "postgresql":
        text = body + (
            "SELECT stage, COUNT(*), SUM(adv), SUM(lost), percentile_cont(0.5) WITHIN GROUP "
            "(ORDER BY t) FROM facts GROUP BY stage ORDER BY stage"
        )
    else:
        text = (
            body
            + """,
        ordered AS (SELECT stage, adv, lost, t,
            ROW_NUMBER() OVER (PARTITION BY stage, (t IS NULL) ORDER BY t) AS rn,
            COUNT(t) OVER (PARTITION BY stage) AS cnt FROM facts)
        SELECT stage, COUNT(*), SUM(adv), SUM(lost),
            AVG(CASE WHEN t IS NOT NULL AND rn IN ((cnt + 1) / 2, (cnt + 2) / 2) THEN t END)
        FROM ordered GROUP BY stage ORDER BY stage"""
        )
    with q.report_cursor() as cursor:
        cursor.execute(text, params)
        return cursor.fetchall()


def _period(start: datetime.date, end: datetime.date):
    from funia.analytics.filters import tenant_zone

    zone = tenant_zone(org)
    lo = q.db_time(datetime.datetime.combine(start, datetime.time(), tzinfo=zone))
    hi = q.db_time(datetime.datetime.combine(end, datetime.time(), tzinfo=zone))
    return lo, hi


FACTS = FunnelFact._meta.db_table
RANK_OF = {pk: n for n, pk in enumerate(OPEN_IDS, 1)}


def hand_history_facts(start, end, *, mode="any", group_by=None):
    """The same numbers from the funnel facts: one grouped scan of the period's rows (by
    owner: both levels in one scan with GROUPING SETS). Rows (stage rank, group, entered,
    advanced, lost, median), the overall rows with group None."""
    lo, hi = _period(start, end)
    entered, advanced = (
        ("entered_strict", "advanced_strict")
        if mode == "strict"
        else (
            "entered_any",
            "advanced_any",
        )
    )
    where = (
        f"tenant_id = %s AND pipeline_id = %s AND stage_id IN ({ALL_IDS}) "
        f"AND {entered} >= %s AND {entered} < %s"
    )
    lost = f"CASE WHEN {advanced} = 0 AND lost_now = 1 THEN 1 ELSE 0 END"
    params = [org.pk, pipeline.pk, lo, hi]
    if VENDOR == "postgresql":
        counts = (
            f"COUNT(*), SUM({advanced}), SUM({lost}), "
            "percentile_cont(0.5) WITHIN GROUP (ORDER BY stay_days)"
        )
        if group_by == "owner":
            text = (
                f"SELECT stage_id, owner_id, GROUPING(owner_id), {counts} FROM {FACTS} "
                f"WHERE {where} GROUP BY GROUPING SETS ((stage_id, owner_id), (stage_id))"
            )
        else:
            text = (
                f"SELECT stage_id, NULL, 1, {counts} FROM {FACTS} WHERE {where} GROUP BY stage_id"
            )
    else:
        key = "owner_id" if group_by == "owner" else "NULL"
        columns = f"{advanced}, {lost}, stay_days FROM {FACTS} WHERE {where}"
        rows = f"SELECT stage_id, {key} AS grp, 0 AS lvl, {columns}"
        if group_by == "owner":
            rows += f" UNION ALL SELECT stage_id, NULL, 1, {columns}"
            params = params * 2
        text = f"""
            WITH rows (stage_id, grp, lvl, adv, lost, t) AS ({rows}),
            ordered AS (SELECT stage_id, grp, lvl, adv, lost, t,
                ROW_NUMBER() OVER (PARTITION BY stage_id, grp, lvl, (t IS NULL) ORDER BY t) AS rn,
                COUNT(t) OVER (PARTITION BY stage_id, grp, lvl) AS cnt FROM rows)
            SELECT stage_id, grp, {"lvl" if group_by == "owner" else "1"}, COUNT(*), SUM(adv),
                SUM(lost),
                AVG(CASE WHEN t IS NOT NULL AND rn IN ((cnt + 1) / 2, (cnt + 2) / 2) THEN t END)
            FROM ordered GROUP BY stage_id, grp, lvl"""
    with q.report_cursor() as cursor:
        cursor.execute(text, params)
        found = cursor.fetchall()
    return [
        (RANK_OF[stage], None if overall else grp, n, adv, lost, med)
        for stage, grp, overall, n, adv, lost, med in found
        if stage in RANK_OF
    ]


def hand_drilldown(start, end):
    """The drill-down's first page (the API's 50 rows with owner, account and stage) and its
    count, from the funnel facts."""
    lo, hi = _period(start, end)
    ids = (
        f"SELECT opportunity_id FROM {FACTS} WHERE tenant_id = %s AND pipeline_id = %s AND "
        "entered_any >= %s AND entered_any < %s AND stage_id = %s AND advanced_any = 0 "
        "AND lost_now = 1"
    )
    params = [org.pk, pipeline.pk, lo, hi, stages["Proposal"].pk]
    user_table = admin_user._meta.db_table
    with q.report_cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({ids}) AS f", params)
        (count,) = cursor.fetchone()
        cursor.execute(
            f"SELECT o.id, o.name, o.amount_base, o.stage_entered_at, u.email, s.name "
            f"FROM {OPP} o LEFT JOIN {user_table} u ON u.id = o.owner_id "
            f"JOIN {Stage._meta.db_table} s ON s.id = o.stage_id "
            f"WHERE o.tenant_id = %s AND o.deleted_at IS NULL AND o.id IN ({ids}) "
            "ORDER BY o.stage_entered_at DESC, o.id DESC LIMIT 50",
            [org.pk, *params],
        )
        return count, cursor.fetchall()


# -- measuring -----------------------------------------------------------------------------

RESULTS = []


def measure(label, call, hands=(), check=None):
    """Our median and max; each hand-written query's median (the raw-history one at most
    three times: it takes seconds), the fastest kept; every hand query checked equal."""
    call()  # warm-up
    ours = timed(call, args.requests)
    line = [label, statistics.median(ours), max(ours), None, ""]
    answer = call() if check is not None else None
    for name, hand in hands:
        result = hand()  # warm-up
        if check is not None:
            check(answer, result)
        repeat = args.requests if name != "raw" else min(3, args.requests)
        median = statistics.median(timed(hand, repeat))
        log(f"  hand SQL ({name}): {median:.0f} ms")
        if line[3] is None or median < line[3]:
            line[3], line[4] = median, name
    RESULTS.append(line)
    log(f"{label}: {line[1]:.0f} ms" + (f" (SQL {line[3]:.0f} ms)" if line[3] else ""))


def check_snapshot(ours, theirs):
    rows, cycle = theirs
    counts = {stage: n for stage, n, _amount, _avg in rows}
    for row in ours["stages"]:
        assert row["count"] == counts.get(row["stage"], 0), (row, counts)
    # The 365-day window moves between the two calls: a deal may cross its edge.
    assert abs(ours["won_in_window"] - cycle[0]) <= 3, (ours["won_in_window"], cycle)
    if cycle[2] is not None and ours["won_in_window"] == cycle[0]:
        median = float(cycle[2]) / (86400 if VENDOR == "postgresql" else 1)
        assert abs(ours["median_sales_cycle_days"] - median) < 1e-3, (ours, cycle)


def _same(row, n, adv, lost, med, where):
    assert (row["entered"], row["advanced"], row["lost"]) == (n, adv, lost), (where, row)
    if med is None:
        assert row["median_days_in_stage"] is None, (where, row)
    else:
        assert abs(row["median_days_in_stage"] - float(med)) < 1e-3, (where, row, med)


def check_history(ours, theirs):
    """Every open stage's numbers overall (and per owner when the hand query groups)."""
    if theirs and len(theirs[0]) == 5:  # the raw-history query: overall only
        theirs = [(rank, None, *rest) for rank, *rest in theirs]
    found = {(rank, grp): rest for rank, grp, *rest in theirs}
    for rank, row in enumerate([r for r in ours["stages"] if r["kind"] == "open"], 1):
        _same(row, *found.get((rank, None), (0, 0, 0, None)), "overall")
    owners = {grp for _rank, grp in found if grp is not None}
    if owners:
        assert {g["key"] for g in ours["groups"]} == owners
        for group in ours["groups"]:
            for rank, row in enumerate([r for r in group["stages"] if r["kind"] == "open"], 1):
                _same(row, *found.get((rank, group["key"]), (0, 0, 0, None)), group["key"])


def check_drilldown(ours, theirs):
    count, rows = theirs
    assert ours["count"] == count, (ours["count"], count)
    assert [d["id"] for d in ours["items"]] == [r[0] for r in rows[: len(ours["items"])]]


log(f"{total:,} deals, {n_changes:,} stage changes; measuring (median of {args.requests})")
quarter = {"pipeline": pipeline.pk, "from": quarter_from.isoformat(), "to": quarter_to.isoformat()}
year = {"pipeline": pipeline.pk, "from": year_from.isoformat(), "to": year_to.isoformat()}
measure(
    "snapshot",
    lambda: get("/api/v1/reports/funnel/snapshot", {"pipeline": pipeline.pk}),
    [("sql", hand_snapshot)],
    check_snapshot,
)
measure(
    "history, a quarter",
    lambda: get("/api/v1/reports/funnel/history", quarter),
    [
        ("facts", lambda: hand_history_facts(quarter_from, quarter_to)),
        ("raw", lambda: hand_history(quarter_from, quarter_to)),
    ],
    check_history,
)
measure(
    "history, a quarter, group_by=owner",
    lambda: get("/api/v1/reports/funnel/history", {**quarter, "group_by": "owner"}),
    [
        ("facts", lambda: hand_history_facts(quarter_from, quarter_to, group_by="owner")),
        ("raw", lambda: hand_history(quarter_from, quarter_to)),
    ],
    check_history,
)
measure(
    "drill-down: lost at Proposal, page 1",
    lambda: get(
        "/api/v1/reports/funnel/history/drilldown",
        {**quarter, "stage": stages["Proposal"].pk, "metric": "lost"},
    ),
    [("facts", lambda: hand_drilldown(quarter_from, quarter_to))],
    check_drilldown,
)
measure(
    "history, twelve months",
    lambda: get("/api/v1/reports/funnel/history", year),
    [
        ("facts", lambda: hand_history_facts(year_from, year_to)),
        ("raw", lambda: hand_history(year_from, year_to)),
    ],
    check_history,
)
measure(
    "history, a quarter, mode strict",
    lambda: get("/api/v1/reports/funnel/history", {**quarter, "mode": "strict"}),
    [("facts", lambda: hand_history_facts(quarter_from, quarter_to, mode="strict"))],
    check_history,
)
measure(
    "history, a quarter, group_by=team",
    lambda: get("/api/v1/reports/funnel/history", {**quarter, "group_by": "team"}),
)
measure(
    "history, a quarter, group_by=source",
    lambda: get("/api/v1/reports/funnel/history", {**quarter, "group_by": "source"}),
)
measure(
    "history, twelve months, group_by=month",
    lambda: get("/api/v1/reports/funnel/history", {**year, "group_by": "month"}),
)

print(f"\n[{VENDOR}] {total:,} deals, {n_changes:,} stage changes; milliseconds")
print(f"{'':<40} {'median':>8} {'max':>8} {'SQL':>8} {'ratio':>6}")
for label, median, worst, hand, name in RESULTS:
    ratio = f"{median / hand:.2f}" if hand else ""
    hand_text = f"{hand:.0f}" if hand else ""
    print(f"{label:<40} {median:>8.0f} {worst:>8.0f} {hand_text:>8} {ratio:>6} {name}")
print("SQL: the fastest hand-written query computing the same numbers (facts: from the")
print("funnel facts; raw: the window pass over the stage history; for the drill-down: its")
print("count and first page), measured in the same run and checked equal; ratio = ours / SQL.")
print("targets on PostgreSQL: median < 1000 ms and ratio < 2")

connection.close()
if args.keep:
    kept = os.environ["FUNIA_VAR_DIR"] if VENDOR == "sqlite" else "yes"
    print(f"[{VENDOR}] kept the database: --reuse {kept}")
elif VENDOR == "postgresql":
    pg_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE}")
if VENDOR == "postgresql" or not args.keep:
    shutil.rmtree(os.environ["FUNIA_VAR_DIR"], ignore_errors=True)
sys.exit(0)
