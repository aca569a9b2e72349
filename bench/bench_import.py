"""Import of a contacts CSV (normalisation, duplicate check, audit) against a plain bulk insert.

Writes a CSV of N contacts (default 100,000; names, a unique email and mobile each, one of
2,000 companies, a city, tags; 1% repeat an earlier row's email), then measures in the same
run:

- baseline: `bulk_create` of the same rows as contacts and contact points, values as they
  are in the file (no normalisation, no duplicate check, no audit), in chunks of 1,000;
- import: `funia.imports.engine.process_import` (what the job and `funia import` run), with
  the duplicate policy `skip`.

- previous (with --previous REF, e.g. HEAD): the same import by the code of that git
  revision (its `src` taken with `git archive`, run in a child process on the same
  database and file), so a change is measured against the code before it in one run,
  under the same load.

Prints rows per second, the ratio to the baseline, CPU seconds and the peak memory of the
process and of its helpers (getrusage maxrss); the temporary directory is removed at the
end. SQLite in a temporary directory by default; PostgreSQL when
FUNIA_DATABASE_URL is set (use a database created for the run and dropped afterwards).
Run: .venv/bin/python bench/bench_import.py [--rows N] [--previous REF]
"""

import argparse
import csv
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--rows", type=int, default=100_000)
parser.add_argument("--target", type=float, default=5000, help="rows/s the import must reach")
parser.add_argument("--previous", metavar="REF", help="also run the import of this git revision")
# Internal: the child process of --previous (import the file into the given var dir).
parser.add_argument("--import-only", metavar="CSV", help=argparse.SUPPRESS)
parser.add_argument("--workdir", help=argparse.SUPPRESS)
args = parser.parse_args()

workdir = Path(args.workdir or tempfile.mkdtemp(prefix="funia-bench-import-"))
os.environ["FUNIA_VAR_DIR"] = str(workdir)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "funia.settings")

import django  # noqa: E402

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from funia.core import services as core_services  # noqa: E402
from funia.core.actor import Actor  # noqa: E402
from funia.core.models import Membership  # noqa: E402
from funia.customers.models import Contact, ContactPoint  # noqa: E402
from funia.imports import engine, services  # noqa: E402

FIRST = [
    "Ivan",
    "Maria",
    "Georgi",
    "Elena",
    "Petar",
    "Anna",
    "Nikolay",
    "Desislava",
    "Иван",
    "Мария",
    "Георги",
    "Елена",
    "John",
    "Jane",
    "Stefan",
    "Vesela",
]
LAST = [
    "Petrov",
    "Ivanova",
    "Georgiev",
    "Dimitrova",
    "Kolev",
    "Stoyanova",
    "Петров",
    "Иванова",
    "Smith",
    "Angelov",
    "Todorova",
    "Hristova",
    "Nikolov",
]
CITIES = ["София", "Пловдив", "Варна", "Бургас", "Русе", "Sofia", "Plovdiv"]
TAGS = ["", "vip", "partner", "vip, newsletter", ""]
HEADERS = [
    "First Name",
    "Last Name",
    "Email",
    "Mobile Phone",
    "Account Name",
    "City",
    "Country",
    "Tags",
]


def write_csv(path: Path, rows: int) -> None:
    rng = random.Random(42)
    companies = [f"Company {n} OOD" for n in range(2000)]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for n in range(rows):
            email_n = rng.randrange(n) if n > 100 and rng.random() < 0.01 else n
            writer.writerow(
                [
                    rng.choice(FIRST),
                    rng.choice(LAST),
                    f"person.{email_n}@example.com",
                    f"+359 88{n // 1_000_000 % 10} {n % 1_000_000:06d}",
                    rng.choice(companies),
                    rng.choice(CITIES),
                    "BG",
                    rng.choice(TAGS),
                ]
            )


def setup_actor(slug: str) -> Actor:
    org, admin = core_services.organization_create(
        slug=slug, name=slug.title(), admin_email=f"admin@{slug}.example", admin_password=None
    )
    return Actor.from_membership(Membership.objects.for_tenant(org).get(user=admin))


def baseline(actor: Actor, path: Path) -> tuple[float, float]:
    """Plain bulk_create of the rows as they are: no normalisation, no checks, no audit."""
    start, cpu = time.perf_counter(), time.process_time()
    tenant_id = actor.tenant.pk
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        while chunk := [row for _n, row in zip(range(1000), reader, strict=False)]:
            with transaction.atomic():
                contacts = Contact.objects.bulk_create(
                    [
                        Contact(tenant_id=tenant_id, first_name=r[0], last_name=r[1], owner=None)
                        for r in chunk
                    ]
                )
                points = []
                for contact, row in zip(contacts, chunk, strict=True):
                    points.append(
                        ContactPoint(
                            tenant_id=tenant_id, contact=contact, kind="email", value=row[2]
                        )
                    )
                    points.append(
                        ContactPoint(
                            tenant_id=tenant_id, contact=contact, kind="phone", value=row[3]
                        )
                    )
                ContactPoint.objects.bulk_create(points)
    return time.perf_counter() - start, time.process_time() - cpu


def run_import(actor: Actor, path: Path):
    upload = SimpleUploadedFile("contacts.csv", path.read_bytes())
    job = services.import_create(by=actor, target="contacts", uploaded=upload)
    del upload
    start, cpu = time.perf_counter(), time.process_time()
    helper_cpu = _children_cpu()
    server = _server_cpu()
    job = engine.process_import(job)
    helper_cpu = _children_cpu() - helper_cpu
    if server is not None:
        after = _server_cpu()
        SERVER_CPU.append(after - server if after is not None else None)
    return job, time.perf_counter() - start, time.process_time() - cpu, helper_cpu


SERVER_CPU: list = []  # PostgreSQL: CPU s of the server process serving the import


def _server_cpu() -> float | None:
    """CPU seconds of this connection's PostgreSQL server process, when it runs on this
    machine (read from /proc); None otherwise."""
    if connection.vendor != "postgresql":
        return None
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def import_only() -> int:
    """The child of --previous: one import of the file; its figures as JSON on stdout."""
    job, seconds, cpu, helper_cpu = run_import(setup_actor("previous"), Path(args.import_only))
    assert job.status == "done", (job.status, job.message)
    figures = {
        "seconds": seconds,
        "cpu": cpu,
        "helper_cpu": helper_cpu,
        "counts": [job.created, job.updated, job.skipped, job.failed],
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "helper_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "server_cpu": SERVER_CPU[-1] if SERVER_CPU else None,
    }
    print(json.dumps(figures))
    return 0


def run_previous(ref: str, path: Path) -> dict:
    """The import by the code of git revision `ref`, in a child process (same database)."""
    source = workdir / "previous"
    source.mkdir()
    root = Path(__file__).resolve().parent.parent
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", ref, "src"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(source)], input=archive, check=True)
    env = {**os.environ, "PYTHONPATH": str(source / "src")}
    child = subprocess.run(
        [
            sys.executable,
            __file__,
            "--rows",
            str(args.rows),
            "--import-only",
            str(path),
            "--workdir",
            str(workdir),
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(child.stdout.strip().splitlines()[-1])


def main() -> int:
    load = os.getloadavg()[0]
    call_command("migrate", verbosity=0)
    path = workdir / "contacts.csv"
    write_csv(path, args.rows)
    vendor = connection.vendor
    base_seconds, base_cpu = baseline(setup_actor("baseline"), path)
    job, import_seconds, import_cpu, helper_cpu = run_import(setup_actor("bench"), path)
    assert job.status == "done", (job.status, job.message)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    helper_peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    # Afterwards, so that its process is not counted in the peaks above.
    previous = run_previous(args.previous, path) if args.previous else None
    import_rate = args.rows / import_seconds
    print(f"database: {vendor}; rows: {args.rows:,}; file: {path.stat().st_size / 1e6:.1f} MB")
    print(
        f"load average before the run: {load:.2f}, after: {os.getloadavg()[0]:.2f} "
        f"on {os.cpu_count()} cores"
    )
    print(
        f"{'step':<48} {'seconds':>8} {'rows/s':>9} {'x baseline':>11} "
        f"{'CPU s':>7} {'rows/CPU s':>11}"
    )
    steps = [("baseline: bulk_create as is (no checks, no audit)", base_seconds, base_cpu)]
    if previous:
        steps.append(
            (f"import by {args.previous} (same steps)", previous["seconds"], previous["cpu"])
        )
    steps.append(("import: normalise, dedupe, audit, bulk write", import_seconds, import_cpu))
    for label, seconds, cpu in steps:
        print(
            f"{label:<48} {seconds:>8.1f} {args.rows / seconds:>9,.0f} "
            f"{base_seconds / seconds:>11.2f} {cpu:>7.1f} {args.rows / cpu:>11,.0f}"
        )
    print(
        f"the import's helper processes (validation, ahead of the writer): "
        f"{helper_cpu:.1f} CPU s, peak memory {helper_peak_mb:.0f} MB"
    )
    if SERVER_CPU and SERVER_CPU[-1] is not None:
        print(f"the PostgreSQL server process of the import: {SERVER_CPU[-1]:.1f} CPU s")
    if previous:
        if previous.get("server_cpu") is not None:
            print(f"{args.previous}: PostgreSQL server process {previous['server_cpu']:.1f} CPU s")
        print(
            f"{args.previous}: helper processes {previous['helper_cpu']:.1f} CPU s; "
            f"peak memory {previous['peak_mb']:.0f} MB (helpers {previous['helper_peak_mb']:.0f} "
            f"MB); created, updated, skipped, failed {previous['counts']}"
        )
        print(
            f"this code vs {args.previous}: {previous['seconds'] / import_seconds:.2f}x the "
            f"rows/s; CPU s of writer + helpers "
            f"{import_cpu + helper_cpu:.1f} vs {previous['cpu'] + previous['helper_cpu']:.1f}"
        )
        same = previous["counts"] == [job.created, job.updated, job.skipped, job.failed]
        print(f"same created/updated/skipped/failed counts as {args.previous}: {same}")
    print(
        f"created {job.created:,}, updated {job.updated:,}, skipped {job.skipped:,}, "
        f"failed {job.failed:,}; peak memory (maxrss) {peak_mb:.0f} MB"
    )
    ok = import_rate >= args.target and max(peak_mb, helper_peak_mb) < 500
    print(f"target {args.target:,.0f} rows/s and < 500 MB: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    if args.import_only:
        try:
            code = import_only()
        finally:
            connection.close()
        sys.exit(code)
    try:
        code = main()
    finally:
        connection.close()
        shutil.rmtree(workdir, ignore_errors=True)
    sys.exit(code)
