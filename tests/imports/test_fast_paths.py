"""The import's fast paths change nothing a user sees.

Remembered normalisation (fold, email domains, phones), the receiving thread of the helper
processes, the paused search triggers of a bulk insert and the garbage-collector settings
of a run: each is checked against the plain way of doing the same thing.
"""

import gc
import random
import re
import unicodedata

import phonenumbers
import pytest
from django.db import connection, transaction
from email_validator import EmailNotValidError, validate_email

from funia.core.models import AuditEntry
from funia.customers import normalize
from funia.customers.models import Contact, ContactPoint
from funia.customers.normalize import fold, normalize_email, normalize_phone
from funia.imports import engine
from funia.imports.bulk import RecordPreparer, records_bulk_create
from funia.imports.models import ImportRowError
from funia.search.backends import backend_for
from funia.search.customers import CONTACT_INDEX

# -- normalisation -----------------------------------------------------------------------


def reference_fold(text: str) -> str:
    """fold() as it was before it remembered anything."""
    text = (text or "").lower().translate(normalize._TRANSLIT)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def reference_email(value: str) -> str:
    value = (value or "").strip()
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise ValueError(value) from None


def reference_phone(value: str, region: str = "BG") -> tuple[str, str]:
    raw = (value or "").strip()
    try:
        number = phonenumbers.parse(raw, (region or "BG").upper())
    except phonenumbers.NumberParseException:
        return "error", "not a phone number"
    if not phonenumbers.is_valid_number(number):
        return "error", "not a valid phone number"
    return "ok", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def outcome(function, *args):
    try:
        return "ok", function(*args)
    except ValueError:
        return "error", None


TEXTS = [
    "",
    "Иван Петров",
    "Щерев Жечев",
    "Zoë  Ångström-Ко",
    "IVAN petrov",
    "  O'Brien, Mary-Jane ",
    "„Фуния“ ООД",
    "Ĳsselmeer ﬁne ½",
    "Ivan\tPetrov\n",
    "x" * 199 + "É",
    "Dimitrov " * 40,  # longer than the remembered texts
    "日本語 テキスト",
]


@pytest.mark.parametrize("text", TEXTS)
def test_fold_gives_the_same_words_first_time_and_remembered(text):
    assert fold(text) == reference_fold(text)
    assert fold(text) == reference_fold(text)


def _email_cases() -> list[str]:
    rng = random.Random(7)
    locals_ = [
        "ivan",
        "Ivan.Petrov",
        "a",
        "x_y+tag",
        "first-last",
        ".dot",
        "dot.",
        "two..dots",
        'q"uote',
        "sp ace",
        "ünïcode",
        "info",
        "Postmaster",
        "o'brien",
        "a" * 64,
        "a" * 65,
        "b" * 200,
    ]
    domains = [
        "example.com",
        "Example.COM",
        "mail.example.bg",
        "xn--e1afmkfd.xn--90ae",
        "пример.бг",
        "localhost",
        "test",
        "example.invalid",
        "host.local",
        "1.2.3.4",
        "[1.2.3.4]",
        "a..b.com",
        "-a.com",
        "a-.com",
        "a.b",
        "abc.123",
        "sub.domain-with-dash.org",
        "x" * 63 + ".com",
        "x" * 64 + ".com",
        ".".join(["abcdefghij"] * 23) + ".com",  # 256 characters
        ".".join(["abcdefghi"] * 24) + ".com",  # 243 characters
        "",
    ]
    cases = [f"{local}@{domain}" for local in locals_ for domain in domains]
    alphabet = "aZ09._+-@ \"'<>()[],;:!#$%&*/=?^`{|}~й"
    cases += [
        "".join(rng.choice(alphabet) for _n in range(rng.randint(1, 30))) for _n in range(300)
    ]
    cases += ["no-at-sign", "two@at@example.com", " padded@example.com ", "Name <a@example.com>"]
    return cases


def test_normalize_email_agrees_with_the_full_validation_on_every_kind_of_address():
    normalize._email_domain.cache_clear()
    for value in _email_cases():
        expected = outcome(reference_email, value)
        assert outcome(normalize_email, value) == expected, value
        assert outcome(normalize_email, value) == expected, value  # the domain remembered


def test_a_remembered_domain_follows_email_validators_settings(monkeypatch):
    import email_validator

    assert normalize_email("ivan@example.com") == "ivan@example.com"
    assert outcome(normalize_email, "ivan@shop.test")[0] == "error"
    monkeypatch.setattr(email_validator, "TEST_ENVIRONMENT", True)
    assert normalize_email("ivan@shop.test") == "ivan@shop.test"


@pytest.mark.parametrize(
    "typed",
    [
        "0888 123 456",
        "+359 88 812 3456",
        "00359888123456",
        "+44 20 7946 0958",
        "12",
        "call me",
        "+359 1",
        "+359 888 123 456 ext. 12",
        "",
        "+1 (650) 253-0000",
    ],
)
def test_normalize_phone_gives_the_same_number_or_error_first_time_and_remembered(typed):
    for _time in range(2):
        expected = reference_phone(typed)
        if expected[0] == "ok":
            assert normalize_phone(typed, "BG") == expected[1]
        else:
            with pytest.raises(ValueError, match=expected[1]):
                normalize_phone(typed, "BG")


def test_a_phone_is_read_for_the_region_it_was_given_with():
    assert normalize_phone("0888 123 456", "bg") == "+359888123456"
    with pytest.raises(ValueError):
        normalize_phone("0888 123 456", "US")


# -- the search index during a bulk insert -------------------------------------------------


def insert_triggers() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name = %s",
            [CONTACT_INDEX.trigger_name("insert")],
        )
        return cursor.fetchall()


@pytest.fixture
def sqlite_only():
    if not backend_for(connection).pauses_row_triggers:
        pytest.skip("statement triggers index a bulk insert as one statement already")


def test_a_bulk_insert_puts_the_paused_trigger_back_as_it_was(db, admin, sqlite_only):
    before = insert_triggers()
    assert before
    preparer = RecordPreparer(by=admin, entity="contact")
    records = [preparer.prepare({"first_name": "Bulk", "last_name": "Zarkova"})]

    with transaction.atomic():
        records_bulk_create(by=admin, records=records)
        assert insert_triggers() == before

    assert insert_triggers() == before
    # A contact written the ordinary way afterwards is indexed by the trigger.
    contact = Contact.objects.create(
        tenant=admin.tenant, last_name="Ordinaryova", search_text="ordinaryova"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM search_doc_contact WHERE rowid = %s", [contact.pk])
        assert "ordinaryova" in cursor.fetchone()[0]


def test_an_insert_trigger_of_an_older_definition_stands_aside_too(db, admin, sqlite_only):
    ((name, sql),) = insert_triggers()
    older = f"{CONTACT_INDEX.trigger_prefix}0000000000_insert"
    with connection.cursor() as cursor:
        cursor.execute(sql.replace(name, older, 1))
    preparer = RecordPreparer(by=admin, entity="contact")
    records = [preparer.prepare({"first_name": "Bulk", "last_name": "Zarkova"})]

    with transaction.atomic():
        records_bulk_create(by=admin, records=records)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM search_doc_contact WHERE rowid = %s", [records[0].instance.pk]
        )
        assert cursor.fetchone()[0] == 1
        cursor.execute("SELECT name FROM sqlite_master WHERE name = %s", [older])
        assert cursor.fetchall() == [(older,)]  # put back as it was, for `ensure` to repair


def test_a_failed_bulk_insert_leaves_the_trigger_in_place(db, admin, sqlite_only):
    from funia.search.index import bulk_insert

    before = insert_triggers()
    with (
        pytest.raises(RuntimeError),
        transaction.atomic(),
        bulk_insert(CONTACT_INDEX.table, [10**9]),
    ):
        assert insert_triggers() == []  # paused inside the transaction only
        raise RuntimeError("stop")

    assert insert_triggers() == before


# -- garbage collection ---------------------------------------------------------------


def test_a_run_restores_the_garbage_collector_as_it_found_it():
    thresholds = gc.get_threshold()
    frozen = gc.get_freeze_count()

    with engine.few_collections():
        assert gc.get_threshold()[0] >= engine.GC_THRESHOLDS[0]
        assert gc.get_freeze_count() > frozen

    assert gc.get_threshold() == thresholds
    assert gc.get_freeze_count() == frozen


def test_a_run_leaves_a_freeze_of_the_process_itself_in_place():
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with engine.few_collections():
            pass
        assert gc.get_freeze_count() >= frozen
    finally:
        gc.unfreeze()


# -- helper processes ------------------------------------------------------------------


def mixed_rows(rows: int) -> str:
    """Names in both scripts, companies, repeated and broken emails and phones."""
    firsts = ["Ivan", "Мария", "Georgi", "Елена", "John"]
    lasts = ["Petrov", "Иванова", "Smith", "Kolev"]
    lines = ["First Name,Last Name,Email,Mobile Phone,Company,City,Country,Tags"]
    for n in range(rows):
        email = f"Person.{n % 45}@Example.com" if n % 7 else f"broken{n}@"
        phone = f"+359 88{n % 10} {n:06d}" if n % 11 else "12"
        lines.append(
            f"{firsts[n % 5]},{lasts[n % 4]},{email},{phone},Company {n % 6} OOD,"
            f"София,BG,{'vip, partner' if n % 3 else ''}"
        )
    return "\n".join(lines) + "\n"


PER_RUN = {"created_at", "updated_at", "account", "owner", "tenant"}  # ids and times


def imported(actor, job) -> dict:
    """What the import left behind, without ids and times."""
    contacts = Contact.objects.for_tenant(actor.tenant).order_by("pk")
    return {
        "counts": (job.status, job.processed, job.created, job.skipped, job.failed),
        "contacts": list(
            contacts.values_list(
                "first_name", "last_name", "name_key", "search_text", "phonetic_key"
            )
        ),
        "points": list(
            ContactPoint.objects.for_tenant(actor.tenant)
            .order_by("contact_id", "kind", "position")
            .values_list("kind", "value", "label", "position")
        ),
        "errors": list(
            ImportRowError.objects.for_tenant(actor.tenant)
            .filter(job=job)
            .order_by("row", "column")
            .values_list("row", "column", "value", "message")
        ),
        "audit": [
            {k: v for k, v in changes.items() if k not in PER_RUN}
            for changes in AuditEntry.objects.for_tenant(actor.tenant)
            .filter(object_type="customers.contact")
            .order_by("object_id")
            .values_list("changes", flat=True)
        ],
    }


@pytest.fixture
def with_helpers(monkeypatch):
    monkeypatch.setattr(engine, "CHUNK_SIZE", 4)
    monkeypatch.setattr(engine, "HELPER_FROM_ROWS", 5)
    monkeypatch.setattr(engine.os, "cpu_count", lambda: 2)


def test_helpers_and_inline_runs_write_the_same_records_errors_and_audit(
    admin, outsider, start_import, with_helpers, settings
):
    content = mixed_rows(60)
    settings.IMPORT_HELPER_PROCESS = False
    inline_job = engine.process_import(start_import(admin, "people.csv", content))
    inline = imported(admin, inline_job)

    settings.IMPORT_HELPER_PROCESS = True
    helper_job = engine.process_import(start_import(outsider, "people.csv", content))
    helped = imported(outsider, helper_job)

    assert inline["counts"][0] == "done" and inline["counts"][3] > 0 and inline["errors"]
    assert helped == inline


def test_an_import_with_helpers_stopped_early_continues_without_duplicates(
    admin, start_import, with_helpers
):
    job = start_import(admin, "people.csv", mixed_rows(40))

    job = engine.process_import(job, max_chunks=3)
    assert (job.status, job.processed) == ("running", 12)
    job = engine.process_import(job)

    assert (job.status, job.processed) == ("done", 40)
    emails = list(
        ContactPoint.objects.for_tenant(admin.tenant)
        .filter(kind="email")
        .values_list("value", flat=True)
    )
    assert len(emails) == len(set(emails))


def test_a_helper_that_dies_stops_the_import_with_a_message(
    admin, start_import, with_helpers, monkeypatch
):
    import os

    def die(*args, **kwargs):
        os._exit(1)

    monkeypatch.setattr(engine, "_helper_main", die)
    job = start_import(admin, "people.csv", mixed_rows(20))

    with pytest.raises(engine.ImportStopped, match="helper process ended"):
        engine.process_import(job)
    job.refresh_from_db()
    assert (job.status, job.processed) == ("running", 0)


def test_a_run_on_sqlite_puts_the_page_cache_back_as_it_was(db):
    if connection.vendor != "sqlite":
        pytest.skip("a server setting on PostgreSQL")

    def cache_size():
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            return cursor.fetchone()[0]

    before = cache_size()
    with engine.larger_page_cache():
        assert cache_size() == -engine.SQLITE_CACHE_KIB
    assert cache_size() == before
