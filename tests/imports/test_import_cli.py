"""`funia import`, run for real in a subprocess against a throwaway SQLite database."""

import csv

from tests.test_cli import acme, assert_refused, funia, last_line, migrated_database  # noqa: F401

PEOPLE = (
    "Име;Фамилия;Имейл;Мобилен;Фирма\n"
    "Иван;Петров;ivan@example.com;0888 123 456;Фуния ООД\n"
    "Мария;Иванова;not-an-email;;Фуния ООД\n"
    "Петър;Георгиев;petar@example.com;;\n"
)


def count_contacts(funia) -> int:  # noqa: F811  (the fixture, passed on by the tests)
    script = (
        "from funia.customers.models import Contact; "
        "print(Contact.objects.across_tenants().count())"
    )
    result = funia("shell", "-c", script)
    assert result.returncode == 0, result.stderr
    return int(last_line(result))


def test_funia_import_imports_a_file_with_progress_on_stderr_and_counts_on_stdout(
    funia,  # noqa: F811  (the fixtures of tests/test_cli.py)
    acme,  # noqa: F811
    tmp_path,
):
    path = tmp_path / "хора.csv"
    path.write_bytes(PEOPLE.encode("cp1251"))
    errors = tmp_path / "errors.csv"

    result = funia(
        "import", str(path), "--tenant", "acme", "--type", "contacts", "--errors", str(errors)
    )

    assert result.returncode == 0, result.stderr
    assert "Import 1 of хора.csv as contacts: done" in result.stdout
    for line in ("total: 3", "created: 2", "updated: 0", "skipped: 0", "failed: 1"):
        assert line in result.stdout.splitlines()
    assert "100%" in result.stderr
    assert "row 3, Имейл:" in result.stderr
    assert count_contacts(funia) == 2
    with errors.open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[1][:3] == ["3", "Имейл", "not-an-email"]


def test_a_dry_run_with_a_mapping_and_a_policy_writes_nothing(funia, acme, tmp_path):  # noqa: F811
    path = tmp_path / "people.csv"
    path.write_text("Who,Mail\nPetrov,ivan@example.com\nPetrov,ivan@example.com\n")

    result = funia(
        "import",
        str(path),
        "--tenant",
        "acme",
        "--type",
        "contacts",
        "--dry-run",
        "--on-duplicate",
        "skip",
        "--mapping",
        '{"Who": "last_name", "Mail": "email"}',
        "--user",
        "boss@acme.example",
    )

    assert result.returncode == 0, result.stderr
    assert "(dry run: nothing written)" in result.stdout
    assert "created: 1" in result.stdout.splitlines()
    assert "skipped: 1" in result.stdout.splitlines()
    assert count_contacts(funia) == 0


def test_mistakes_are_refused_with_a_clear_message(funia, acme, tmp_path):  # noqa: F811
    path = tmp_path / "people.csv"
    path.write_text("Email\nivan@example.com\n")

    assert_refused(
        funia("import", str(tmp_path / "missing.csv"), "--tenant", "acme", "--type", "contacts"),
        "No file",
    )
    assert_refused(
        funia("import", str(path), "--tenant", "nope", "--type", "contacts"),
        "No organisation with the slug 'nope'.",
    )
    assert_refused(
        funia("import", str(path), "--tenant", "acme", "--type", "contacts"),
        "mapping: Map a column to Last name or Full name.",
    )
    assert_refused(
        funia("import", str(path), "--tenant", "acme", "--type", "ships"),
        "type: Choose one of: contacts, accounts, leads, orders.",
    )
    assert_refused(
        funia("import", str(path), "--tenant", "acme", "--type", "contacts", "--mapping", "{x"),
        "--mapping is not JSON",
    )
