"""Normalised forms of what people type: emails, phones (E.164), domains, names.

`fold()` makes names comparable across scripts and spellings: lower case, accents removed,
Cyrillic transliterated by the Bulgarian streamlined system (the official one, so
"Иван Петров" folds to "ivan petrov", as a Bulgarian writes it in Latin letters).

The same values come back again and again in an import (first names, companies, the
domains of emails, a switchboard's phone), so the work that depends only on such a value is
remembered (bounded caches of pure functions: the results are the same as without them).
"""

import functools
import re
import unicodedata

import email_validator
import phonenumbers
from django.utils.translation import gettext as _
from email_validator import EmailNotValidError, validate_email

# Bulgarian streamlined transliteration, plus the other Cyrillic letters common in names.
CYRILLIC_TO_LATIN = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "h",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "sht",
    "ъ": "a",
    "ь": "y",
    "ю": "yu",
    "я": "ya",
    "ё": "yo",
    "ы": "y",
    "э": "e",
    "і": "i",
    "ї": "yi",
    "є": "ye",
    "ґ": "g",
    "ђ": "dj",
    "ј": "j",
    "љ": "lj",
    "њ": "nj",
    "ћ": "c",
    "џ": "dz",
    "ѓ": "gj",
    "ќ": "kj",
    "ѕ": "dz",
}
_TRANSLIT = str.maketrans(CYRILLIC_TO_LATIN)
_NON_WORD = re.compile(r"[^a-z0-9]+")


# Texts up to this long are remembered by fold() (names, not documents).
FOLD_CACHED_LENGTH = 200


def fold(text: str) -> str:
    """Lower-case ASCII words separated by single spaces ('Ивáн  Петров-Ко' -> 'ivan petrov ko')."""
    text = text or ""
    if len(text) <= FOLD_CACHED_LENGTH:
        return _fold_cached(text)
    return _fold(text)


def _fold(text: str) -> str:
    if text.isascii():
        # No accents or Cyrillic: NFKD and the combining marks change nothing.
        return _NON_WORD.sub(" ", text.lower()).strip()
    text = text.lower().translate(_TRANSLIT)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", text).strip()


_fold_cached = functools.lru_cache(maxsize=65536)(_fold)


def person_name_key(first_name: str, last_name: str) -> str:
    """Order-free key of a person's name: 'Petrov Ivan' and 'Иван Петров' share it."""
    return " ".join(sorted(fold(f"{first_name} {last_name}").split()))[:200]


_COMPANY_FORMS = {
    "ood",
    "eood",
    "ad",
    "ead",
    "et",
    "sd",
    "kd",
    "ltd",
    "llc",
    "inc",
    "corp",
    "co",
    "gmbh",
    "ag",
    "sa",
    "srl",
    "sl",
    "bv",
    "plc",
    "limited",
    "company",
    "corporation",
}


def company_name_key(name: str) -> str:
    """A company's name without legal form ('„Фуния“ ООД' and 'Funiya Ltd.' -> 'funiya')."""
    words = [w for w in fold(name).split() if w not in _COMPANY_FORMS]
    return " ".join(words)[:200]


# A local part of letters, digits and . _ + - (dots only between them): always valid and
# already in normal form for email_validator (a strict subset of its dot-atom syntax).
_PLAIN_EMAIL = re.compile(r"([A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*)@([A-Za-z0-9.-]+)")
EMAIL_MAX_LENGTH = 254  # bytes, in each of the address's forms (email_validator's rule)


def normalize_email(value: str) -> str:
    """A valid address in canonical form, or ValueError with a message for the user."""
    value = (value or "").strip()
    plain = _PLAIN_EMAIL.fullmatch(value)
    if plain is not None:
        # The common case, without running the whole validation for every address: the
        # local part needs none, the domain's validation is remembered per domain.
        local, domain = plain.groups()
        checked = _email_domain(
            domain, email_validator.TEST_ENVIRONMENT, email_validator.GLOBALLY_DELIVERABLE
        )
        if checked is not None:
            unicode_domain, ascii_domain = checked
            normalized = f"{local}@{unicode_domain}"
            if (
                len(value) <= EMAIL_MAX_LENGTH
                and len(normalized.encode()) <= EMAIL_MAX_LENGTH
                and len(local) + 1 + len(ascii_domain) <= EMAIL_MAX_LENGTH
            ):
                return normalized.lower()
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(_("“%(value)s” is not a valid email address.") % {"value": value}) from exc
    return result.normalized.lower()


@functools.lru_cache(maxsize=4096)
def _email_domain(domain: str, _test_environment: bool, _globally_deliverable: bool):
    """(domain, its ASCII form) as email_validator normalises it, or None when the shortest
    address with this domain is refused (the settings it reads are part of the key)."""
    try:
        probe = validate_email(f"a@{domain}", check_deliverability=False)
    except EmailNotValidError:
        return None
    return probe.domain, probe.ascii_domain


def normalize_phone(value: str, region: str = "BG") -> str:
    """E.164 ('+359888123456'), or ValueError with a message for the user."""
    raw = (value or "").strip()
    result = _e164(raw, (region or "BG").upper())
    if result is None:
        raise ValueError(_("“%(value)s” is not a phone number.") % {"value": raw})
    if result == "":
        raise ValueError(_("“%(value)s” is not a valid phone number.") % {"value": raw})
    return result


@functools.lru_cache(maxsize=8192)
def _e164(raw: str, region: str) -> str | None:
    """The number in E.164; "" when it is not a valid number, None when not a number."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """For display: international format ('+359 88 812 3456')."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


_DOMAIN = re.compile(
    r"^(?=.{1,200}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$"
)


def normalize_domain(value: str) -> str:
    """'https://www.Example.com/about' -> 'example.com'; ValueError when not a domain."""
    text = (value or "").strip().lower()
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text)
    text = text.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].split(":", 1)[0]
    text = text.removeprefix("www.")
    try:
        text = text.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError(_("“%(value)s” is not a domain name.") % {"value": value}) from exc
    if not _DOMAIN.match(text):
        raise ValueError(_("“%(value)s” is not a domain name.") % {"value": value})
    return text


def phone_digits(value: str) -> str:
    """Digits only, for searching a phone typed in any format."""
    return re.sub(r"\D", "", value or "")
