"""The Bulgarian catalog is complete: every message translated, no fuzzy guesses, placeholders kept.

These tests read the .po file with polib and need no database. After adding or changing a
translatable string, run (from src/funia):

    ../../.venv/bin/funia makemessages -l bg --no-obsolete --no-wrap --ignore '*/migrations/*'

then translate the new entries in src/funia/locale/bg/LC_MESSAGES/django.po.
"""

import re
from collections import Counter
from pathlib import Path

import polib
import pytest

CATALOG = (
    Path(__file__).resolve().parents[2]
    / "src"
    / "funia"
    / "locale"
    / "bg"
    / "LC_MESSAGES"
    / "django.po"
)

# printf-style conversions as Python's % operator reads them: %s, %d, %(name)s, %.2f, ...
PERCENT = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]"
)
# named %-placeholders are unambiguous even in messages without the python-format flag
NAMED_PERCENT = re.compile(r"%\([A-Za-z_]\w*\)[#0\- +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
# str.format fields: {}, {0}, {name}, {name!r}, {name:>10}
BRACES = re.compile(r"(?<!\{)\{(?:[A-Za-z_]\w*|\d*)(?:![rsa])?(?::[^{}]*)?\}(?!\})")


@pytest.fixture(scope="module")
def catalog() -> polib.POFile:
    assert CATALOG.is_file(), f"no Bulgarian catalog at {CATALOG}"
    return polib.pofile(str(CATALOG))


def entries(catalog: polib.POFile) -> list[polib.POEntry]:
    return [entry for entry in catalog if not entry.obsolete]


def label(entry: polib.POEntry) -> str:
    context = f"[{entry.msgctxt}] " if entry.msgctxt else ""
    where = f" ({entry.occurrences[0][0]})" if entry.occurrences else ""
    return f"{context}{entry.msgid!r}{where}"


def placeholders(text: str, python_format: bool) -> Counter:
    found: Counter = Counter()
    if python_format:
        found.update(m.group(0) for m in PERCENT.finditer(text) if m.group(0) != "%%")
    else:
        found.update(m.group(0) for m in NAMED_PERCENT.finditer(text))
    found.update(m.group(0) for m in BRACES.finditer(text))
    return found


def translations(entry: polib.POEntry) -> list[tuple[str, str]]:
    """Pairs of (source, translation): the singular, or each plural form with its source."""
    if not entry.msgid_plural:
        return [(entry.msgid, entry.msgstr)]
    return [
        (entry.msgid if index == 0 else entry.msgid_plural, text)
        for index, text in sorted(entry.msgstr_plural.items())
    ]


def test_the_catalog_exists_and_has_entries(catalog):
    assert len(entries(catalog)) > 0


def test_the_header_declares_bulgarian_utf8_and_two_plural_forms(catalog):
    assert catalog.metadata.get("Language") == "bg"
    assert "charset=UTF-8" in catalog.metadata.get("Content-Type", "")
    plural_forms = catalog.metadata.get("Plural-Forms", "").replace(" ", "")
    assert plural_forms.startswith("nplurals=2;plural=(n!=1);"), plural_forms
    assert not catalog.metadata_is_fuzzy, "the header is still marked fuzzy"


def test_every_message_is_translated(catalog):
    untranslated = [label(e) for e in entries(catalog) if not e.msgid_plural and not e.msgstr]

    assert not untranslated, "untranslated messages:\n" + "\n".join(untranslated)


def test_no_message_is_fuzzy(catalog):
    fuzzy = [label(e) for e in entries(catalog) if "fuzzy" in e.flags]

    assert not fuzzy, "fuzzy messages (check the translation, then drop the flag):\n" + "\n".join(
        fuzzy
    )


def test_every_plural_message_has_both_bulgarian_forms(catalog):
    incomplete = [
        label(e)
        for e in entries(catalog)
        if e.msgid_plural
        and (sorted(e.msgstr_plural) != [0, 1] or not all(e.msgstr_plural.values()))
    ]

    assert not incomplete, "plural messages without both forms:\n" + "\n".join(incomplete)


def test_placeholders_are_kept_in_every_translation(catalog):
    mismatches = []
    for entry in entries(catalog):
        python_format = "python-format" in entry.flags
        for source, text in translations(entry):
            if not text:
                continue  # reported by the completeness tests
            expected = placeholders(source, python_format)
            actual = placeholders(text, python_format)
            if expected != actual:
                mismatches.append(
                    f"{label(entry)}: expected {sorted(expected.elements())}, "
                    f"got {sorted(actual.elements())} in {text!r}"
                )

    assert not mismatches, "placeholders differ:\n" + "\n".join(mismatches)


@pytest.mark.parametrize(
    ("text", "python_format", "expected"),
    [
        ("Welcome, %(name)s", True, ["%(name)s"]),
        ("Unknown role. Choose one of: %s.", True, ["%s"]),
        ("%(counter)s of %(total)d, 100%% done", True, ["%(counter)s", "%(total)d"]),
        ("Hello {name}, you have {} new {0}", False, ["{name}", "{}", "{0}"]),
        ("Literal {{braces}} and 50% done", False, []),
        ("Named %(user)s without the flag", False, ["%(user)s"]),
    ],
)
def test_the_placeholder_finder(text, python_format, expected):
    assert sorted(placeholders(text, python_format).elements()) == sorted(expected)
