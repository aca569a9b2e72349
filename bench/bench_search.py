"""Global search and the contact list on a tenant of 1,000,000 contacts, SQLite and PostgreSQL.

Builds the tenant with bulk_create in a temporary database (a temp SQLite file; a PostgreSQL
database `funia_bench` created and dropped here), then times, through Django's test client
and against baselines measured in the same run:

- baseline: a primary-key lookup (ORM) and GET /api/v1/contacts/{id} (one record, HTTP);
- global search: a realistic mix of queries (full names in Latin and Cyrillic, partial
  names, emails, phones in several formats, company names, misses), as an administrator
  (sees everything) and as a sales rep (sees their own), through the selector, the API
  and the live-results fragment;
- the contact list: GET /api/v1/contacts?limit=50 and /contacts/, plain and with ?q=,
  with their query counts;
- two proposals for the list, not in the product yet: `?q=` through the search index
  (`funia.search.filters.text_filter`), and the count over a partial index of live rows.

Targets: search median < 50 ms and p95 < 150 ms; list median < 100 ms.
Run: .venv/bin/python bench/bench_search.py [--contacts N] [--database sqlite|postgresql]
(building the million rows takes about ten minutes per database; --keep / --reuse keep it)
"""

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE = "funia_bench"
ROOT = Path(__file__).resolve().parent.parent

parser = argparse.ArgumentParser()
parser.add_argument("--contacts", type=int, default=1_000_000)
parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
parser.add_argument("--queries", type=int, default=400, help="searches per role and path")
parser.add_argument("--requests", type=int, default=30, help="requests per list variant")
parser.add_argument("--seed", type=int, default=2026)
parser.add_argument("--keep", action="store_true", help="keep the database (prints where)")
parser.add_argument("--reuse", help="SQLite: the kept var dir; PostgreSQL: 'yes' (funia_bench)")
args = parser.parse_args()


def pg_cli(*command: str) -> int:
    return subprocess.call(
        [*command, "-h", "127.0.0.1", "-U", "postgres", PG_DATABASE],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


if args.database == "both":
    # One process per database: Django's settings are read once per process.
    failed = 0
    for database in ("sqlite", "postgresql"):
        if database == "postgresql" and subprocess.call(
            ["pg_isready", "-h", "127.0.0.1", "-q"], stdout=subprocess.DEVNULL
        ):
            print("== PostgreSQL is not reachable: skipped", flush=True)
            continue
        forwarded = [a for a in sys.argv[1:] if not a.startswith("--database")]
        failed |= subprocess.call([sys.executable, __file__, "--database", database, *forwarded])
    sys.exit(failed)

if args.database == "postgresql":
    if args.reuse != "yes":
        pg_cli("dropdb", "--if-exists")
        if pg_cli("createdb"):
            sys.exit("createdb failed")
    os.environ["FUNIA_DATABASE_URL"] = f"{PG_SERVER}/{PG_DATABASE}"
    os.environ["FUNIA_VAR_DIR"] = tempfile.mkdtemp(prefix="funia-bench-search-")
else:
    os.environ["FUNIA_VAR_DIR"] = args.reuse or tempfile.mkdtemp(prefix="funia-bench-search-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "funia.settings")
os.environ["FUNIA_API_RATE_LIMIT"] = "100000000/m"
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from faker.providers.person.bg_BG import Provider as BulgarianNames  # noqa: E402
from faker.providers.person.en_US import Provider as EnglishNames  # noqa: E402

from funia.core import services as core_services  # noqa: E402
from funia.core.actor import Actor  # noqa: E402
from funia.core.models import Membership, Organization, Role, User  # noqa: E402
from funia.customers.models import Account, Contact, ContactPoint  # noqa: E402
from funia.customers.normalize import (  # noqa: E402
    company_name_key,
    fold,
    format_phone,
    person_name_key,
)
from funia.customers.selectors import contact_list  # noqa: E402
from funia.search.filters import text_filter  # noqa: E402
from funia.search.selectors import global_search  # noqa: E402

rng = random.Random(args.seed)
VENDOR = connection.vendor
REPS = 50
BATCH = 5000


def log(message: str) -> None:
    print(f"[{VENDOR}] {message}", flush=True)


# -- the tenant ----------------------------------------------------------------------------


def people():
    """(first, last) pairs: half Bulgarian in Cyrillic, half English."""

    def names(*pools) -> list[str]:
        return [name for pool in pools for name in pool]

    bg_male = (names(BulgarianNames.first_names_male), names(BulgarianNames.last_names_male))
    bg_female = (names(BulgarianNames.first_names_female), names(BulgarianNames.last_names_female))
    en = (
        names(EnglishNames.first_names_male, EnglishNames.first_names_female),
        names(EnglishNames.last_names),
    )
    while True:
        firsts, lasts = rng.choice((bg_male, bg_female, en, en))
        yield rng.choice(firsts), rng.choice(lasts)


FOLDED: dict[str, str] = {}


def folded(text: str) -> str:
    if text not in FOLDED:
        FOLDED[text] = fold(text)
    return FOLDED[text]


def phone_number() -> str:
    return f"+3598{rng.choice('789')}{rng.randrange(10**7):07d}"


def build_tenant(contacts: int) -> Organization:
    started = time.perf_counter()
    org = Organization.objects.create(name="Bench Ltd", slug="bench")
    users = []
    for n, role in enumerate([Role.ADMIN] + [Role.SALES_REP] * REPS):
        user = User.objects.create_user(
            f"user{n}@bench.example", first_name="User", last_name=str(n)
        )
        Membership.objects.create(tenant=org, user=user, role=role)
        users.append(user)
    reps = users[1:]
    now = timezone.now()
    span = 3 * 365 * 86400

    def stamps(index: int, total: int):
        created = now - timezone.timedelta(seconds=span * (1 - index / total))
        updated = created + (now - created) * rng.random() ** 3
        return created, updated

    n_accounts = max(10, contacts // 50)
    suffixes = ["OOD", "EOOD", "AD", "Ltd", "Inc", "GmbH", ""]
    accounts = []
    for i in range(n_accounts):
        first, last = next(person_stream)
        name = f"{last} {rng.choice(['Trade', 'Systems', 'Logistics', 'Foods', 'Build', 'Soft'])}"
        name = f"{name} {rng.choice(suffixes)}".strip()
        domain = f"{folded(last).replace(' ', '')}{i}.example"
        phone = f"+3592{rng.randrange(10**7):07d}"
        created, updated = stamps(i, n_accounts)
        accounts.append(
            Account(
                tenant=org,
                name=name,
                domain=domain,
                owner=rng.choice(reps),
                name_key=company_name_key(name),
                search_text=f"{fold(f'{name} {domain}')} {phone[1:]}",
                created_at=created,
                updated_at=updated,
            )
        )
    Account.objects.bulk_create(accounts, batch_size=BATCH)
    account_ids = list(Account.objects.for_tenant(org).values_list("pk", flat=True))
    log(f"{n_accounts:,} accounts in {time.perf_counter() - started:.0f} s")

    for start in range(0, contacts, BATCH):
        rows, points = [], []
        for i in range(start, min(start + BATCH, contacts)):
            first, last = next(person_stream)
            email = f"{folded(first)}.{folded(last)}{i}@{rng.choice(DOMAINS)}".replace(" ", "")
            phone = phone_number()
            created, updated = stamps(i, contacts)
            rows.append(
                Contact(
                    tenant=org,
                    first_name=first,
                    last_name=last,
                    owner=rng.choice(reps),
                    account_id=rng.choice(account_ids) if rng.random() < 0.7 else None,
                    name_key=person_name_key(first, last),
                    search_text=f"{folded(first)} {folded(last)} {email} {phone[1:]}",
                    created_at=created,
                    updated_at=updated,
                )
            )
            points.append((email, phone))
        with transaction.atomic():
            Contact.objects.bulk_create(rows)
            ContactPoint.objects.bulk_create(
                [
                    ContactPoint(tenant=org, contact=row, kind=kind, value=value)
                    for row, pair in zip(rows, points, strict=True)
                    for kind, value in zip(("email", "phone"), pair, strict=True)
                ]
            )
        if (start // BATCH) % 40 == 39:
            log(f"{start + BATCH:,} contacts, {time.perf_counter() - started:.0f} s")
    log(f"built {contacts:,} contacts in {time.perf_counter() - started:.0f} s")
    if VENDOR == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE") if connection.get_autocommit() else None
    else:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO search_doc_contact(search_doc_contact) VALUES ('optimize')")
            cursor.execute("ANALYZE")
    log(f"ready in {time.perf_counter() - started:.0f} s")
    return org


person_stream = people()
DOMAINS = ["gmail.com", "abv.bg", "mail.bg", "yahoo.com", *(f"firm{n}.example" for n in range(500))]

call_command("migrate", verbosity=0)
call_command("collectstatic", "--noinput", verbosity=0)
org = Organization.objects.filter(slug="bench").first()
if org is None:
    org = build_tenant(args.contacts)
total = Contact.objects.for_tenant(org).count()
admin_membership = Membership.objects.across_tenants().get(tenant=org, role=Role.ADMIN)
rep_membership = (
    Membership.objects.across_tenants().filter(tenant=org, role=Role.SALES_REP).order_by("pk")[0]
)
admin, rep = Actor.from_membership(admin_membership), Actor.from_membership(rep_membership)


# -- the query mix -------------------------------------------------------------------------


def sample_contacts(n: int) -> list[Contact]:
    top = Contact.objects.for_tenant(org).order_by("-pk").values_list("pk", flat=True)[0]
    ids = [rng.randrange(1, top + 1) for _ in range(n * 2)]
    found = Contact.objects.for_tenant(org).filter(pk__in=ids).select_related("account")
    return list(found.prefetch_related("points"))[:n]


def is_cyrillic(text: str) -> bool:
    return any("а" <= ch.lower() <= "я" for ch in text)


def query_mix(n: int) -> list[tuple[str, str]]:
    """(kind, query) pairs, evenly over the kinds, from real records of the tenant."""
    queries = []
    samples = sample_contacts(n)
    bulgarians = [c for c in samples if is_cyrillic(c.last_name)] or samples
    english = [c for c in samples if not is_cyrillic(c.last_name)] or samples
    accounts = [c.account for c in samples if c.account]
    kinds = {
        "name latin": lambda: folded(f"{(c := rng.choice(bulgarians)).first_name} {c.last_name}"),
        "name cyrillic": lambda: f"{(c := rng.choice(bulgarians)).first_name} {c.last_name}",
        "surname cyrillic": lambda: rng.choice(bulgarians).last_name,
        "surname english": lambda: rng.choice(english).last_name,
        "partial surname": lambda: rng.choice(samples).last_name[:4],
        "first + partial": lambda: (
            f"{(c := rng.choice(samples)).first_name} {c.last_name[: rng.randint(2, 4)]}"
        ),
        "email": lambda: rng.choice(samples).primary_email,
        "email part": lambda: rng.choice(samples).primary_email.split("@")[0][:12],
        "phone +359 spaced": lambda: format_phone(rng.choice(samples).primary_phone),
        "phone 0888...": lambda: "0" + rng.choice(samples).primary_phone[4:],
        "phone 888...": lambda: rng.choice(samples).primary_phone[4:],
        "company": lambda: rng.choice(accounts).name.split()[0],
        "miss": lambda: rng.choice(["qqxz", "zzyzx", "xyzzy plugh", "nonexistent person"]),
    }
    for i in range(n):
        kind = list(kinds)[i % len(kinds)]
        queries.append((kind, kinds[kind]()))
    return queries


# -- timing --------------------------------------------------------------------------------


def timed(function, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def summary(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return statistics.median(ordered), p95, ordered[-1]


ROWS: list[tuple] = []


def record(label: str, samples: list[float], baseline: float | None, queries: str = "") -> float:
    median, p95, worst = summary(samples)
    ROWS.append((label, median, p95, worst, median / baseline if baseline else 1.0, queries))
    return median


def run_queries(function, queries) -> list[float]:
    samples = []
    for _kind, text in queries:
        start = time.perf_counter()
        function(text)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


_token, secret = core_services.token_create(tenant=org, user=admin.user)
_rep_token, rep_secret = core_services.token_create(tenant=org, user=rep.user)
api = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {secret}")
rep_api = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {rep_secret}")
web = Client(HTTP_HOST="localhost")
web.force_login(admin.user)
web.get("/")  # the session's organisation

sample_ids = [c.pk for c in sample_contacts(200)]
log(f"{total:,} contacts; measuring")

# Warm the caches the way a running server has them.
warm = query_mix(100)
run_queries(lambda text: global_search(actor=admin, text=text), warm)
run_queries(lambda text: global_search(actor=rep, text=text), warm)

pk_lookup = record(
    "baseline: primary-key lookup (ORM)",
    timed(lambda: Contact.objects.for_tenant(org).get(pk=rng.choice(sample_ids)), args.queries),
    None,
)
http_detail = record(
    "baseline: GET /api/v1/contacts/{id}",
    timed(lambda: api.get(f"/api/v1/contacts/{rng.choice(sample_ids)}"), args.queries),
    None,
)

mix = query_mix(args.queries)
by_kind: dict[str, dict[str, list[float]]] = {}
for who, actor in (("admin", admin), ("rep", rep)):
    samples = []
    for kind, text in mix:
        start = time.perf_counter()
        global_search(actor=actor, text=text)
        elapsed = (time.perf_counter() - start) * 1000
        samples.append(elapsed)
        by_kind.setdefault(kind, {}).setdefault(who, []).append(elapsed)
    record(f"search selector, {who}", samples, pk_lookup)

for who, client in (("admin", api), ("rep", rep_api)):
    samples = run_queries(lambda text, c=client: c.get("/api/v1/search", {"q": text}), mix)
    record(f"GET /api/v1/search?q=, {who}", samples, http_detail)

samples = run_queries(
    lambda text: web.get("/search/", {"q": text}, headers={"HX-Request": "true"}), mix
)
record("GET /search/?q= (HTMX live results), admin", samples, http_detail)


def list_case(label: str, client, url: str, params: dict | None = None) -> None:
    client.get(url, params or {})
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url, params or {})
    assert response.status_code == 200, (url, response.status_code)
    samples = timed(lambda: client.get(url, params or {}), args.requests)
    record(label, samples, http_detail, str(len(executed)))


list_case("GET /api/v1/contacts?limit=50", api, "/api/v1/contacts", {"limit": 50})
list_case("GET /contacts/ (page)", web, "/contacts/")
list_case("GET /api/v1/contacts?limit=50, rep", rep_api, "/api/v1/contacts", {"limit": 50})
for text in ("petrov", "Иванова", "smith"):
    list_case(f"GET /api/v1/contacts?q={text}&limit=50", api, "/api/v1/contacts", {"q": text})
list_case("GET /contacts/?q=petrov (page)", web, "/contacts/", {"q": "petrov"})

# Proposals for the list (not in the product yet), measured the same way:
# 1. `?q=` through the search index instead of LIKE over every row;
for text in ("petrov", "Иванова", "smith"):
    samples = timed(
        lambda text=text: (
            (qs := contact_list(actor=admin).filter(text_filter("contact", text))).count(),
            list(qs[:50]),
        ),
        args.requests,
    )
    record(f"proposal: contact_list + text_filter({text!r})", samples, http_detail)
# 2. the count over a partial index of the live rows (an index-only count).
with connection.cursor() as cursor:
    cursor.execute(
        "CREATE INDEX bench_contact_alive ON customers_contact (tenant_id, owner_id) "
        "WHERE deleted_at IS NULL"
    )
    cursor.execute("ANALYZE customers_contact")
list_case("proposal: GET /api/v1/contacts + live index", api, "/api/v1/contacts", {"limit": 50})
list_case("proposal: GET /contacts/ + live index", web, "/contacts/")
list_case("proposal: GET /api/v1/contacts, rep + live index", rep_api, "/api/v1/contacts")
with connection.cursor() as cursor:
    cursor.execute("DROP INDEX bench_contact_alive")

print(f"\n[{VENDOR}] {total:,} contacts; milliseconds; ratio to the baseline of its kind")
print(f"{'':<48} {'median':>8} {'p95':>8} {'max':>8} {'x base':>7} {'queries':>7}")
for label, median, p95, worst, ratio, queries in ROWS:
    print(f"{label:<48} {median:>8.2f} {p95:>8.2f} {worst:>8.2f} {ratio:>7.1f} {queries:>7}")
print(f"\n[{VENDOR}] search selector by kind of query, median / p95 ms")
print(f"  {'':<22} {'admin':>17} {'rep':>17}")
for kind, samples in by_kind.items():
    cells = " ".join("{:>8.2f} {:>8.2f}".format(*summary(samples[who])[:2]) for who in samples)
    print(f"  {kind:<22} {cells}")

connection.close()
if args.keep:
    kept = os.environ["FUNIA_VAR_DIR"] if VENDOR == "sqlite" else "yes"
    print(f"[{VENDOR}] kept the database: --reuse {kept}")
elif VENDOR == "postgresql":
    pg_cli("dropdb", "--if-exists")
if VENDOR == "postgresql" or not args.keep:  # PostgreSQL's var dir holds only static files
    shutil.rmtree(os.environ["FUNIA_VAR_DIR"], ignore_errors=True)
sys.exit(0)
