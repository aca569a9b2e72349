"""What the user typed, read as a search: words, email addresses and phone numbers.

Names are folded like the records' search text (lower case, accents dropped, Cyrillic
transliterated), so "Иван Петров", "ivan petrov" and "IVAN PETROV" are the same query.
People also write Bulgarian names in Latin letters other than the official way `fold` uses
(Maria for Мария -> mariya, Nikolai for Николай -> nikolay, Jivko, Cvetan), so a name is
searched in those spellings too, both ways.
A phone typed in any format ("+359 88 812 3456", "0888 123 456", "888123456") becomes the
digits of its national number, which the stored E.164 digits contain.
"""

import contextlib
import re
from dataclasses import dataclass

import phonenumbers

from funia.customers.normalize import fold, normalize_email, phone_digits

MAX_LENGTH = 200
MAX_TERMS = 8
MIN_PHONE_DIGITS = 5
_PHONE_LIKE = re.compile(r"\+?[\d\s().\-/]+")


# Common Latin spellings -> the official transliteration, applied in turn to a word.
_TO_OFFICIAL = [
    (re.compile(r"(?<!i)ia"), "iya"),  # Maria -> mariya
    (re.compile(r"(?<=[aeou])i$"), "y"),  # Nikolai -> nikolay
    (re.compile(r"^j(?=[aou])"), "y"),  # Julia -> yulia, Jana -> yana
    (re.compile(r"j"), "zh"),  # Jivko -> zhivko
    (re.compile(r"tz|c(?![hk])"), "ts"),  # Tzvetan, Cvetan -> tsvetan
    (re.compile(r"kh"), "h"),  # Khristo -> hristo
]
# The official transliteration -> the spellings stored records may use.
_FROM_OFFICIAL = [
    (re.compile(r"iya"), "ia"),  # Мария -> mariya; stored as Maria
    (re.compile(r"(?<=[aeou])y$"), "i"),  # Николай -> nikolay; stored as Nikolai
]
MAX_SPELLINGS = 4


def _apply(rules, word: str) -> str:
    for rule, replacement in rules:
        word = rule.sub(replacement, word)
    return word


def spellings(word: str) -> tuple[str, ...]:
    """Other spellings of a folded name to search too: 'maria' -> ('mariya',)."""
    if len(word) < 3 or not word.isalpha():
        return ()
    found = [
        rule.sub(repl, word) for rules in (_TO_OFFICIAL, _FROM_OFFICIAL) for rule, repl in rules
    ]
    found += [_apply(_TO_OFFICIAL, word), _apply(_FROM_OFFICIAL, word)]
    return tuple(v for v in dict.fromkeys(found) if v != word)[:MAX_SPELLINGS]


@dataclass(frozen=True)
class Term:
    """A piece every matching document contains (in one of its spellings); `word_start`: at
    the start of a word."""

    text: str
    word_start: bool = False
    spellings: tuple[str, ...] = ()

    @property
    def texts(self) -> tuple[str, ...]:
        return (self.text, *self.spellings)


@dataclass(frozen=True)
class SearchQuery:
    raw: str
    terms: tuple[str, ...]  # folded words, lower-case emails, phone digits
    emails: tuple[str, ...] = ()  # complete addresses in the query (exact hits)
    phones: tuple[str, ...] = ()  # E.164 numbers the query reads as (exact hits)

    @property
    def folded(self) -> str:
        return " ".join(self.terms)

    @property
    def is_phone(self) -> bool:
        return bool(self.phones) or (len(self.terms) == 1 and self.terms[0].isdecimal())

    def word_start_terms(self) -> list[Term]:
        """Every term starts a word: 'pe' finds Petrov, not Stepanov."""
        return [Term(t, not self.is_phone, spellings(t)) for t in self.terms]

    def contained_terms(self) -> list[Term]:
        """Every term anywhere; a term too short for the index must start a word."""
        return [Term(t, len(t) < 3 and not self.is_phone, spellings(t)) for t in self.terms]

    def name_spellings(self) -> list[list[str]]:
        """The words as typed, in the official transliteration and the other way round."""
        if self.is_phone or self.emails:
            return [list(self.terms)]
        variants = [list(self.terms)]
        for rules in (_TO_OFFICIAL, _FROM_OFFICIAL):
            variants.append([_apply(rules, t) if t.isalpha() else t for t in self.terms])
        return [list(v) for v in dict.fromkeys(tuple(v) for v in variants)]


def _phone_query(text: str, region: str) -> SearchQuery | None:
    digits = phone_digits(text)
    if not _PHONE_LIKE.fullmatch(text) or len(digits) < MIN_PHONE_DIGITS:
        return None
    try:
        number = phonenumbers.parse(text, (region or "BG").upper())
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and phonenumbers.is_valid_number(number):
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        return SearchQuery(raw=text, terms=(str(number.national_number),), phones=(e164,))
    # A part of a number: the stored digits carry no trunk prefix ("0").
    return SearchQuery(raw=text, terms=(digits.lstrip("0") or digits,))


def parse_query(text: str | None, *, region: str = "BG") -> SearchQuery | None:
    """The query's terms, or None when there is nothing to search for."""
    text = " ".join((text or "").replace("\x00", " ").split())[:MAX_LENGTH]
    if not text:
        return None
    if phone := _phone_query(text, region):
        return phone
    terms: list[str] = []
    emails: list[str] = []
    for token in text.split():
        if "@" in token:
            address = token.lower().strip(".,;:<>()[]\"'")
            terms.append(address)
            with contextlib.suppress(ValueError):  # a part of an address: a substring
                emails.append(normalize_email(address))
        else:
            terms.extend(fold(token).split())
    terms = list(dict.fromkeys(t[:100] for t in terms))[:MAX_TERMS]
    if not any(len(t) >= 2 for t in terms):
        return None
    return SearchQuery(raw=text, terms=tuple(terms), emails=tuple(emails))
