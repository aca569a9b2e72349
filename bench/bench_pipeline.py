"""Stage moves, the opportunity list and the kanban on a tenant of 1,000,000 opportunities.

Builds the tenant with bulk inserts in a temporary database (a temp SQLite file; a
PostgreSQL database `funia_bench_pipeline` created and dropped here): one pipeline "B2B"
with 5,000 open deals (and closed ones), the rest closed deals of a second pipeline, one
StageChange per deal (one INSERT ... SELECT). Then times, through Django's test client and
against a baseline measured in the same run (GET /api/v1/me):

- (a) POST /api/v1/opportunities/{id}/move, alternating between two stages, as an
  administrator and as a sales rep (their own deals);
- (b) GET /api/v1/opportunities?pipeline=<id> (and with status=open);
- (c) the pages: the kanban board (`opportunity_board`, ?pipeline=<id>) and the list
  (`opportunity_list`), skipped with a message while they do not exist;

with median, p95 and the number of SQL queries of each request, counted at two sizes (the
first page and a larger one, or before and after a burst of moves) to show it is constant.

Targets: move median < 30 ms; kanban and list median < 200 ms; constant query counts.
Run: .venv/bin/python bench/bench_pipeline.py [--scale 0.01] [--database sqlite|postgresql]
(the default --database both skips PostgreSQL when it is not reachable; --keep / --reuse
keep the built database for another run)
"""

import argparse
import os
import random
import shutil
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

from databases import pg_admin, run_per_database, use_database

PG_DATABASE = "funia_bench_pipeline"
ROOT = Path(__file__).resolve().parent.parent
TOTAL = 1_000_000
OPEN_IN_PIPELINE = 5_000

parser = argparse.ArgumentParser()
parser.add_argument(
    "--scale", type=float, default=1.0, help="fraction of the full size (1,000,000 deals)"
)
parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
parser.add_argument("--moves", type=int, default=300, help="moves per role")
parser.add_argument("--requests", type=int, default=40, help="requests per list or page")
parser.add_argument("--seed", type=int, default=2026)
parser.add_argument("--keep", action="store_true", help="keep the database (prints where)")
parser.add_argument("--reuse", help="SQLite: the kept var dir; PostgreSQL: 'yes'")
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
from django.urls import NoReverseMatch, reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from funia.core import services as core_services  # noqa: E402
from funia.core.actor import Actor  # noqa: E402
from funia.core.models import Membership, Organization, Role, User  # noqa: E402
from funia.customers.models import Account  # noqa: E402
from funia.customers.normalize import company_name_key, fold  # noqa: E402
from funia.sales import pipelines  # noqa: E402
from funia.sales.models import Opportunity, Pipeline, Stage, StageChange  # noqa: E402

rng = random.Random(args.seed)
VENDOR = connection.vendor
REPS = 50
BATCH = 5000
B2B = [
    {"name": "Qualification", "probability": 10},
    {"name": "Needs analysis", "probability": 25},
    {"name": "Proposal", "probability": 50, "required_fields": ["amount"]},
    {"name": "Negotiation", "probability": 75},
    {"name": "Won", "probability": 100, "kind": "won"},
    {"name": "Lost", "probability": 0, "kind": "lost", "required_fields": ["lost_reason"]},
]


def log(message: str) -> None:
    print(f"[{VENDOR}] {message}", flush=True)


# -- the tenant ----------------------------------------------------------------------------


def build_tenant(total: int, open_deals: int) -> Organization:
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
    reps = users[1:]
    b2b = pipelines.pipeline_create(by=admin, name="B2B", stages=B2B, is_default=True)
    renewals = pipelines.pipeline_create(by=admin, name="Renewals", stages=B2B)
    stages = {
        p.pk: {s.name: s for s in Stage.objects.for_tenant(org).filter(pipeline=p)}
        for p in (b2b, renewals)
    }

    n_accounts = max(100, total // 50)
    accounts = []
    for i in range(n_accounts):
        name = f"Company {i} {rng.choice(['Trade', 'Systems', 'Logistics', 'Foods', 'Soft'])}"
        accounts.append(
            Account(
                tenant=org,
                name=name,
                owner=rng.choice(reps),
                name_key=company_name_key(name),
                search_text=fold(name),
            )
        )
    Account.objects.bulk_create(accounts, batch_size=BATCH)
    account_ids = list(Account.objects.for_tenant(org).values_list("pk", flat=True))
    log(f"{n_accounts:,} accounts in {time.perf_counter() - started:.0f} s")

    now = timezone.now()
    span = 4 * 365 * 86400
    # Deal i: the first `open_deals` are open in B2B; then a third of the rest closed in B2B,
    # the others closed in Renewals (some of them open too, a realistic second board).
    in_b2b_closed = (total - open_deals) // 3
    open_names = ["Qualification", "Needs analysis", "Proposal", "Negotiation"]
    sources = ["Web", "Referral", "Partner", "Event", "Cold call", ""]

    def deal(i: int) -> Opportunity:
        if i < open_deals:
            pipeline, stage = b2b, stages[b2b.pk][open_names[i % 4]]
        elif i < open_deals + in_b2b_closed:
            pipeline, stage = b2b, stages[b2b.pk]["Won" if i % 3 else "Lost"]
        else:
            pipeline = renewals
            stage = stages[renewals.pk][
                open_names[i % 4] if i % 100 == 0 else ("Won" if i % 3 else "Lost")
            ]
        created = now - timezone.timedelta(seconds=span * rng.random())
        entered = created + (now - created) * rng.random()
        amount = Decimal(rng.randrange(500, 500_000))
        closed = stage.kind != "open"
        return Opportunity(
            tenant=org,
            name=f"Deal {i}",
            account_id=rng.choice(account_ids) if rng.random() < 0.9 else None,
            owner=rng.choice(reps),
            pipeline=pipeline,
            stage=stage,
            amount=amount,
            currency="EUR",
            amount_base=amount,
            expected_close_date=(entered + timezone.timedelta(days=rng.randrange(90))).date(),
            source=rng.choice(sources),
            forecast_category=("closed" if stage.kind == "won" else "omitted")
            if closed
            else "pipeline",
            lost_reason="Price" if stage.kind == "lost" else "",
            stage_entered_at=entered,
            closed_at=entered if closed else None,
            created_at=created,
            updated_at=entered,
        )

    for start in range(0, total, BATCH):
        with transaction.atomic():
            Opportunity.objects.bulk_create(
                [deal(i) for i in range(start, min(start + BATCH, total))]
            )
        if (start // BATCH) % 40 == 39:
            log(f"{start + BATCH:,} deals, {time.perf_counter() - started:.0f} s")
    # One history entry per deal, in one statement: the entry into its current stage.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {StageChange._meta.db_table}
                (tenant_id, opportunity_id, from_stage_id, to_stage_id, at, by_id, amount,
                 amount_base, currency, probability, imported)
            SELECT o.tenant_id, o.id, NULL, o.stage_id, o.stage_entered_at, o.owner_id,
                   o.amount, o.amount_base, o.currency, s.probability, %s
            FROM {Opportunity._meta.db_table} o
            JOIN {Stage._meta.db_table} s ON s.id = o.stage_id
            WHERE o.tenant_id = %s
            """,
            [False, org.pk],
        )
    log(f"built {total:,} deals and their history in {time.perf_counter() - started:.0f} s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if VENDOR == "postgresql" else "ANALYZE")
    log(f"ready in {time.perf_counter() - started:.0f} s")
    return org


call_command("migrate", verbosity=0)
call_command("collectstatic", "--noinput", verbosity=0)
org = Organization.objects.filter(slug="bench").first()
if org is None:
    org = build_tenant(max(1, int(TOTAL * args.scale)), max(1, int(OPEN_IN_PIPELINE * args.scale)))
total = Opportunity.objects.for_tenant(org).count()
b2b = Pipeline.objects.for_tenant(org).get(name="B2B")
open_in_b2b = Opportunity.objects.for_tenant(org).filter(pipeline=b2b, stage__kind="open").count()
admin_user = Membership.objects.across_tenants().get(tenant=org, role=Role.ADMIN).user
# The sales rep: the owner of the first movable deal of the board.
rep_user = (
    Opportunity.objects.for_tenant(org)
    .filter(pipeline=b2b, stage__name__in=["Needs analysis", "Negotiation"])
    .order_by("pk")
    .select_related("owner")[0]
    .owner
)
stage_ids = {s.name: s.pk for s in Stage.objects.for_tenant(org).filter(pipeline=b2b)}


# -- timing --------------------------------------------------------------------------------


def summary(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return statistics.median(ordered), p95, ordered[-1]


def queries_of(request) -> int:
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = request()
    assert response.status_code == 200, (response.status_code, response.content[:300])
    return len(executed)


ROWS: list[tuple] = []
BASELINE: list[float] = []


def record(label: str, samples: list[float], queries: str = "") -> None:
    median, p95, worst = summary(samples)
    ratio = median / BASELINE[0] if BASELINE else 1.0
    ROWS.append((label, median, p95, worst, ratio, queries))


def timed(request, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = request()
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (response.status_code, response.content[:300])
    return samples


def client_of(user: User) -> Client:
    _token, secret = core_services.token_create(tenant=org, user=user)
    return Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {secret}")


api, rep_api = client_of(admin_user), client_of(rep_user)
web = Client(HTTP_HOST="localhost")
web.force_login(admin_user)
web.get("/")  # the session's organisation
log(f"{total:,} deals; {open_in_b2b:,} open in the pipeline B2B; measuring")

# Baseline: authentication, tenant and middleware only.
me = timed(lambda: api.get("/api/v1/me"), 200)
BASELINE.append(summary(me)[0])
record("baseline: GET /api/v1/me", me, str(queries_of(lambda: api.get("/api/v1/me"))))
one_deal = Opportunity.objects.for_tenant(org).filter(pipeline=b2b).order_by("pk")[0].pk
record(
    "GET /api/v1/opportunities/{id}",
    timed(lambda: api.get(f"/api/v1/opportunities/{one_deal}"), args.requests),
    str(queries_of(lambda: api.get(f"/api/v1/opportunities/{one_deal}"))),
)


# (a) moves: deals of the B2B board, each moved back and forth between two stages.
def move_case(label: str, client, owner: User | None) -> None:
    deals = Opportunity.objects.for_tenant(org).filter(
        pipeline=b2b, stage__name__in=["Needs analysis", "Negotiation"]
    )
    if owner is not None:
        deals = deals.filter(owner=owner)
    picked = list(deals.order_by("pk").values_list("pk", "stage_id")[:25])
    if not picked:
        log(f"{label}: no deals to move, skipped")
        return
    where = dict(picked)
    other = {
        stage_ids["Needs analysis"]: stage_ids["Negotiation"],
        stage_ids["Negotiation"]: stage_ids["Needs analysis"],
    }

    def move(pk: int):
        where[pk] = other[where[pk]]
        return client.post(
            f"/api/v1/opportunities/{pk}/move",
            {"stage": where[pk]},
            content_type="application/json",
        )

    ids = [pk for pk, _stage in picked]
    for n in range(10):  # warm-up
        assert move(ids[n % len(ids)]).status_code == 200
    first = queries_of(lambda: move(ids[0]))
    samples = []
    for n in range(args.moves):
        pk = ids[n % len(ids)]
        start = time.perf_counter()
        response = move(pk)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.content[:300]
    later = queries_of(lambda: move(ids[0]))
    record(label, samples, f"{first}/{later}")


move_case("(a) POST .../move, admin", api, None)
move_case("(a) POST .../move, rep (own deals)", rep_api, rep_user)


# (b) the list endpoint
def list_case(label: str, client, url: str, params: dict, bigger: dict) -> None:
    client.get(url, params)
    counts = f"{queries_of(lambda: client.get(url, params))}/"
    counts += str(queries_of(lambda: client.get(url, {**params, **bigger})))
    record(label, timed(lambda: client.get(url, params), args.requests), counts)


LIST = "/api/v1/opportunities"
pipe = {"pipeline": b2b.pk}
list_case("(b) GET /opportunities?pipeline=", api, LIST, pipe, {"limit": 200})
list_case("(b) ...?pipeline=&status=open", api, LIST, {**pipe, "status": "open"}, {"limit": 200})
list_case(
    "(b) ...?pipeline=&status=open, rep",
    rep_api,
    LIST,
    {**pipe, "status": "open"},
    {"limit": 200},
)
list_case(
    "(b) ...?pipeline=&sort=-amount_base",
    api,
    LIST,
    {**pipe, "sort": "-amount_base"},
    {"offset": 1000},
)


# (c) the pages
def page_case(label: str, url_name: str, params: dict, bigger: dict) -> None:
    try:
        url = reverse(url_name)
    except NoReverseMatch:
        log(f"{label}: the page {url_name!r} does not exist yet, skipped")
        ROWS.append((label, None, None, None, None, "skipped"))
        return
    list_case(label, web, url, params, bigger)


page_case("(c) kanban board ?pipeline=", "opportunity_board", pipe, {"owner": rep_user.pk})
page_case("(c) list page ?pipeline=", "opportunity_list", pipe, {"page": 2})
page_case(
    "(c) list page ?pipeline=&status=open",
    "opportunity_list",
    {**pipe, "status": "open"},
    {"page": 2},
)

print(f"\n[{VENDOR}] {total:,} deals, {open_in_b2b:,} open in the pipeline; milliseconds")
print(f"{'':<42} {'median':>8} {'p95':>8} {'max':>8} {'x me':>6} {'queries':>9}")
for label, median, p95, worst, ratio, queries in ROWS:
    if median is None:
        print(f"{label:<42} {'':>8} {'':>8} {'':>8} {'':>6} {queries:>9}")
        continue
    print(f"{label:<42} {median:>8.2f} {p95:>8.2f} {worst:>8.2f} {ratio:>6.1f} {queries:>9}")
print("queries a/b: the same request at two sizes (first page / larger page or later page;")
print("for moves: the first measured move / after the burst), so equal numbers = constant.")
print("targets: move median < 30 ms; kanban and list pages median < 200 ms")

connection.close()
if args.keep:
    kept = os.environ["FUNIA_VAR_DIR"] if VENDOR == "sqlite" else "yes"
    print(f"[{VENDOR}] kept the database: --reuse {kept}")
elif VENDOR == "postgresql":
    pg_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE}")
if VENDOR == "postgresql" or not args.keep:
    shutil.rmtree(os.environ["FUNIA_VAR_DIR"], ignore_errors=True)
sys.exit(0)
