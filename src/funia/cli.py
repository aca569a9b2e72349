"""The `funia` command: serve, worker, demo, migrate, tenant, token, user.

Any other sub-command is handed to Django's management commands (`funia check`,
`funia makemigrations`, `funia shell`, ...).
"""

import argparse
import os
import signal
import subprocess
import sys

FUNIA_COMMANDS = {
    "serve",
    "worker",
    "demo",
    "tenant",
    "token",
    "user",
    "import",
    "compilemessages",
    "reminders",
    "rebuild-funnel-facts",
}


class CliError(Exception):
    """A user mistake: printed as a clear message, exit code 2."""


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "funia.settings")
    import django

    django.setup()


def _manage(*args: str) -> None:
    from django.core.management import call_command

    call_command(*args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="funia", description="Funia sales force automation.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = sub.add_parser("serve", help="serve the web app (and one job worker)")
    serve.add_argument("--host", default=os.environ.get("FUNIA_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("FUNIA_PORT", "8000")))
    serve.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("FUNIA_WEB_WORKERS", "1")),
        help="web server processes",
    )
    serve.add_argument(
        "--threads",
        type=int,
        default=int(os.environ.get("FUNIA_WEB_THREADS", str(2 * (os.cpu_count() or 1)))),
        help="threads per web process",
    )
    serve.add_argument(
        "--no-worker",
        action="store_true",
        help="do not start a job worker beside the web server (SaaS: run them apart)",
    )

    worker = sub.add_parser("worker", help="run background jobs")
    worker.add_argument("--queue", default="default")
    worker.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
    worker.add_argument("--batch", action="store_true", help="run the waiting jobs, then exit")

    demo = sub.add_parser("demo", help="migrate, load the demo organisation and serve")
    demo.add_argument("--host", default=os.environ.get("FUNIA_HOST", "127.0.0.1"))
    demo.add_argument("--port", type=int, default=int(os.environ.get("FUNIA_PORT", "8000")))
    demo.add_argument("--no-serve", action="store_true", help="load the demo data only")

    tenant = sub.add_parser("tenant", help="manage organisations").add_subparsers(dest="action")
    tenant_create = tenant.add_parser("create", help="create an organisation and its admin")
    tenant_create.add_argument("slug")
    tenant_create.add_argument("--name", required=True)
    tenant_create.add_argument("--admin", required=True, metavar="EMAIL")
    tenant_create.add_argument("--password", help="the admin's password (else: sign in by token)")
    tenant_create.add_argument("--currency", default="EUR")
    tenant_create.add_argument("--time-zone", default="Europe/Sofia")

    token = sub.add_parser("token", help="manage API tokens").add_subparsers(dest="action")
    token_create = token.add_parser("create", help="create an API token for a user")
    token_create.add_argument("--tenant", required=True, metavar="SLUG")
    token_create.add_argument("--user", required=True, metavar="EMAIL")
    token_create.add_argument("--name", default="CLI")

    user = sub.add_parser("user", help="manage users").add_subparsers(dest="action")
    user_create = user.add_parser("create", help="add a user with a role to an organisation")
    user_create.add_argument("--tenant", required=True, metavar="SLUG")
    user_create.add_argument("--email", required=True)
    user_create.add_argument("--role", required=True)
    user_create.add_argument("--password")
    user_create.add_argument("--first-name", default="")
    user_create.add_argument("--last-name", default="")

    imp = sub.add_parser(
        "import", help="import contacts, accounts, leads or orders from a CSV, XLSX or vCard file"
    )
    imp.add_argument("file", help="a .csv (any delimiter and encoding), .xlsx or .vcf file")
    imp.add_argument("--tenant", required=True, metavar="SLUG")
    imp.add_argument(
        "--type", required=True, metavar="TYPE", help="contacts, accounts, leads or orders"
    )
    imp.add_argument(
        "--mapping",
        metavar="JSON",
        help='{"column": "field"} overriding the mapping guessed from the headers',
    )
    imp.add_argument(
        "--on-duplicate",
        default="skip",
        choices=["skip", "update", "create"],
        help="what a row matching an existing record does (default: skip)",
    )
    imp.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
    imp.add_argument(
        "--user", metavar="EMAIL", help="who imports (default: the first administrator)"
    )
    imp.add_argument("--errors", metavar="PATH", help="write the row errors to this CSV file")

    sub.add_parser("compilemessages", help="compile the translation catalogs")
    sub.add_parser("reminders", help="deliver every overdue activity reminder now")
    facts = sub.add_parser("rebuild-funnel-facts", help="rebuild the funnel reports' summary")
    facts.add_argument("--tenant", metavar="SLUG", help="one organisation (default: all)")
    return parser


def _organization(slug: str):
    from funia.core.models import Organization

    org = Organization.objects.filter(slug=slug).first()
    if org is None:
        raise CliError(f"No organisation with the slug '{slug}'.")
    return org


def _validation_message(exc) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
    return " ".join(exc.messages)


def cmd_tenant(args) -> None:
    from funia.core import services

    if args.action != "create":
        raise CliError("Usage: funia tenant create <slug> --name <name> --admin <email>")
    org, admin = services.organization_create(
        slug=args.slug,
        name=args.name,
        admin_email=args.admin,
        admin_password=args.password,
        currency=args.currency,
        time_zone=args.time_zone,
    )
    _, secret = services.token_create(tenant=org, user=admin, name="CLI")
    print(f"Created organisation '{org.slug}' ({org.name}) with administrator {admin.email}.")
    print("API token for the administrator (shown once):")
    print(secret)


def cmd_token(args) -> None:
    from funia.core import services
    from funia.core.models import User

    if args.action != "create":
        raise CliError("Usage: funia token create --tenant <slug> --user <email>")
    org = _organization(args.tenant)
    user = User.objects.filter(email=args.user.strip().lower()).first()
    if user is None:
        raise CliError(f"No user with the email '{args.user}'.")
    _, secret = services.token_create(tenant=org, user=user, name=args.name)
    print(secret)


def cmd_user(args) -> None:
    from funia.core import services

    if args.action != "create":
        raise CliError("Usage: funia user create --tenant <slug> --email <email> --role <role>")
    org = _organization(args.tenant)
    membership = services.user_add_to_tenant(
        by=None,
        tenant=org,
        email=args.email,
        role=args.role,
        password=args.password,
        first_name=args.first_name,
        last_name=args.last_name,
    )
    print(f"Added {membership.user.email} to '{org.slug}' as {membership.role}.")


def _importer(org, email: str | None):
    from funia.core.actor import Actor
    from funia.core.models import Membership, Role

    memberships = (
        Membership.objects.for_tenant(org).filter(is_active=True).select_related("tenant", "user")
    )
    if email:
        membership = memberships.filter(user__email=email.strip().lower()).first()
        if membership is None:
            raise CliError(f"No active member with the email '{email}' in '{org.slug}'.")
    else:
        membership = memberships.filter(role=Role.ADMIN).order_by("created_at", "id").first()
        if membership is None:
            raise CliError(f"'{org.slug}' has no administrator; name a user with --user.")
    return Actor.from_membership(membership)


def _progress_bar(job) -> None:
    width = 30
    total = job.total or 0
    done = round(width * job.processed / total) if total else 0
    line = (
        f"\r[{'#' * done}{'.' * (width - done)}] {job.percent:3d}%  "
        f"{job.processed:,}/{total:,} rows  created {job.created:,}  updated {job.updated:,}  "
        f"skipped {job.skipped:,}  failed {job.failed:,}"
    )
    print(line, end="", file=sys.stderr, flush=True)


def cmd_import(args) -> None:
    """Run an import in this process: progress on stderr, the counts on stdout."""
    import json
    from pathlib import Path

    from django.core.files import File

    from funia.imports import engine, parsers, selectors, services

    org = _organization(args.tenant)
    actor = _importer(org, args.user)
    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"No file '{args.file}'.")
    mapping = None
    if args.mapping:
        try:
            mapping = json.loads(args.mapping)
        except ValueError as exc:
            raise CliError(f"--mapping is not JSON: {exc}") from exc
    with path.open("rb") as handle:
        try:
            job = services.import_create(
                by=actor,
                target=args.type,
                uploaded=File(handle, name=path.name),
                file_name=path.name,
                mapping=mapping,
                on_duplicate=args.on_duplicate,
                dry_run=args.dry_run,
                background=False,
            )
        except services.FileTooLarge as exc:
            raise CliError(str(exc)) from exc
    mapped = [f"{column} -> {field}" for column, field in job.mapping.items() if field]
    left_out = [column for column, field in job.mapping.items() if not field]
    print(f"Columns: {', '.join(mapped)}", file=sys.stderr)
    if left_out:
        print(f"Left out: {', '.join(left_out)}", file=sys.stderr)
    try:
        job = engine.process_import(job, on_progress=_progress_bar)
    except (parsers.FileProblem, engine.ImportStopped) as exc:
        engine.mark_failed(job, str(exc))
        raise CliError(str(exc)) from exc
    print(file=sys.stderr)
    errors = list(selectors.import_errors(job=job)[:10])
    for error in errors:
        column = f", {error.column}" if error.column else ""
        print(f"row {error.row}{column}: {error.message}", file=sys.stderr)
    if args.errors:
        with open(args.errors, "w", encoding="utf-8", newline="") as out:
            out.writelines(selectors.errors_csv(job=job))
    dry = " (dry run: nothing written)" if job.dry_run else ""
    print(f"Import {job.pk} of {job.file_name} as {job.target}: {job.status}{dry}")
    for name in ("total", "created", "updated", "skipped", "failed"):
        print(f"{name}: {getattr(job, name) or 0}")


def _deliver_due_reminders() -> int:
    from funia.activities.reminders import reminders_deliver_due

    return reminders_deliver_due()


def cmd_reminders(args) -> None:
    print(f"delivered: {_deliver_due_reminders()}")


def cmd_rebuild_funnel_facts(args) -> None:
    from funia.analytics.facts import rebuild_all

    rebuild_all(tenant=_organization(args.tenant) if args.tenant else None)


def cmd_worker(args) -> None:
    # Reminders whose job was lost (a restored backup, a cleared queue) still arrive.
    try:
        _deliver_due_reminders()
    except Exception as exc:  # the worker must start anyway
        print(f"funia: reminder catch-up failed: {exc}", file=sys.stderr)
    options = ["db_worker", "--queue-name", args.queue, "--interval", str(args.interval)]
    if args.batch:
        options.append("--batch")
    _manage(*options)


def _serve(host: str, port: int, workers: int = 1, threads: int = 8, with_worker: bool = True):
    from django.conf import settings

    _manage("collectstatic", "--noinput", "--verbosity", "0")
    children = []
    if with_worker:
        worker = [sys.executable, "-m", "funia.cli", "worker"]
        children.append(subprocess.Popen(worker))  # noqa: S603
    server = [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--blocking-threads",
        str(threads),
        "--no-ws",
        "funia.wsgi:application",
    ]
    database = settings.DATABASES["default"]["NAME"]
    print(f"Funia is serving on http://{host}:{port}/ (database: {database})", flush=True)
    web = subprocess.Popen(server)  # noqa: S603  (our own interpreter and arguments)
    children.append(web)

    def stop(*_):
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        web.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop()
        for child in children:
            child.wait(timeout=15)


def cmd_serve(args) -> None:
    _serve(args.host, args.port, args.workers, args.threads, with_worker=not args.no_worker)


def cmd_demo(args) -> None:
    from funia.demo import load_demo

    _manage("migrate", "--noinput", "--verbosity", "0")
    summary = load_demo()
    print(summary)
    if not args.no_serve:
        print(f"Open http://{args.host}:{args.port}/ and sign in with a login above.", flush=True)
        _serve(args.host, args.port)


def cmd_compilemessages(args) -> None:
    """Compile .po catalogs to .mo with polib, so no system gettext is needed."""
    from pathlib import Path

    import polib

    locale_dir = Path(__file__).resolve().parent / "locale"
    for po_path in locale_dir.glob("*/LC_MESSAGES/*.po"):
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
            polib.pofile(str(po_path)).save_as_mofile(str(mo_path))


COMMANDS = {
    "serve": cmd_serve,
    "worker": cmd_worker,
    "demo": cmd_demo,
    "tenant": cmd_tenant,
    "token": cmd_token,
    "user": cmd_user,
    "import": cmd_import,
    "compilemessages": cmd_compilemessages,
    "reminders": cmd_reminders,
    "rebuild-funnel-facts": cmd_rebuild_funnel_facts,
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and not argv[0].startswith("-") and argv[0] not in FUNIA_COMMANDS:
        _setup_django()
        from django.core.management import execute_from_command_line

        execute_from_command_line(["funia", *argv])
        return 0
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if args.command == "compilemessages":
        cmd_compilemessages(args)
        return 0
    _setup_django()
    from django.core.exceptions import ValidationError

    try:
        COMMANDS[args.command](args)
    except CliError as exc:
        print(f"funia: error: {exc}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        print(f"funia: error: {_validation_message(exc)}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
