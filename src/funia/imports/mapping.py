"""Column mapping: guessed from the header names, then checked against the target's fields.

Header names are compared folded (`customers.normalize.fold`: lower case, accents removed,
Cyrillic transliterated) and without spaces, so "E-mail", "email" and "EMAIL " match, and
"Имейл" matches the alias "Имейл" whatever its capitalisation.
"""

import re

from django.utils.translation import gettext as _

from funia.customers.normalize import fold
from funia.imports.registry import ImportTarget, TargetField

# A second column of the same kind goes to the next field (two email columns: email, email_2).
OVERFLOW = {"email": "email_2", "phone": "mobile"}
# Headers no alias names exactly: the first keyword found decides (most specific first).
KEYWORDS = [
    (("mobile", "cell", "gsm", "mobilen", "mobil"), "mobile"),
    (("email", "imeyl", "poshta"), "email"),
    (("phone", "telephone", "tel", "telefon"), "phone"),
    (("postal", "postcode", "zip", "poshtenski"), "postal_code"),
    (("street", "address", "adres", "ulitsa"), "street"),
    (("city", "town", "grad"), "city"),
    (("state", "province", "region", "oblast"), "region"),
    (("country", "darzhava"), "country"),
    (("website", "domain", "url", "sayt"), "domain"),
    (("owner", "sobstvenik", "otgovornik"), "owner"),
    (("source", "iztochnik"), "source"),
    (("jobtitle", "position", "dlazhnost", "dalzhnost"), "title"),
]


def compact(header: str) -> str:
    return re.sub(r"\s+", "", fold(header))


def _names(header: str, keyword: str) -> bool:
    """Is the keyword a word of the header, or its start or end ("workemail", "phone2")?"""
    words = fold(header).split()
    if keyword in words or len(keyword) <= 3:  # short ones ("tel", "zip") only as words
        return keyword in words
    joined = "".join(words).rstrip("0123456789")
    return joined.startswith(keyword) or joined.endswith(keyword)


def _alias_index(fields: list[TargetField]) -> dict[str, str]:
    index: dict[str, str] = {}
    for field in fields:
        for name in (field.key, str(field.label), *field.aliases):
            index.setdefault(compact(name), field.key)
    return index


def guess_mapping(target: ImportTarget, tenant, headers: list[str]) -> dict[str, str]:
    """{header: field key or ""} with every field used at most once."""
    fields = target.fields(tenant)
    known = {f.key for f in fields}
    index = _alias_index(fields)
    mapping: dict[str, str] = dict.fromkeys(headers, "")
    taken: set[str] = set()

    def take(header: str, key: str) -> bool:
        while key in taken and key in OVERFLOW:
            key = OVERFLOW[key]
        if key in known and key not in taken:
            mapping[header] = key
            taken.add(key)
            return True
        return False

    for header in headers:  # exact names first, so they win over keyword guesses
        key = index.get(compact(header))
        if key:
            take(header, key)
    for header in headers:
        if mapping[header] or compact(header) in index:
            continue
        for keywords, key in KEYWORDS:
            if any(_names(header, word) for word in keywords) and take(header, key):
                break
    return mapping


def check_mapping(
    target: ImportTarget, tenant, headers: list[str], mapping: dict[str, str]
) -> list[str]:
    """The problems of a mapping, as messages for the user (empty: it is fine)."""
    fields = {f.key: f for f in target.fields(tenant)}
    problems = []
    used: dict[str, str] = {}
    for column, key in mapping.items():
        if column not in headers:
            problems.append(_("The file has no column “%(column)s”.") % {"column": column})
            continue
        if not key:
            continue
        if key not in fields:
            problems.append(_("“%(field)s” is not a field of this record type.") % {"field": key})
            continue
        if key in used:
            problems.append(
                _("“%(field)s” is mapped from two columns: “%(a)s” and “%(b)s”.")
                % {"field": fields[key].label, "a": used[key], "b": column}
            )
        used[key] = column
    for group in target.required:
        if not any(key in used for key in group):
            labels = [str(fields[key].label) for key in group if key in fields]
            problems.append(_("Map a column to %(fields)s.") % {"fields": _(" or ").join(labels)})
    return problems


def merged_mapping(
    target: ImportTarget, tenant, headers: list[str], given: dict | None
) -> dict[str, str]:
    """The guess, overridden column by column by what the user gave ("" leaves one out)."""
    mapping = guess_mapping(target, tenant, headers)
    if given:
        taken_by_user = {v for v in given.values() if v}
        for column, key in list(mapping.items()):
            if key in taken_by_user and column not in given:
                mapping[column] = ""  # the user put this field elsewhere
        mapping.update({column: (key or "") for column, key in given.items()})
    return mapping
