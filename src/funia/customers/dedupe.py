"""Duplicate detection: candidates for a new or changed record, and scans of a whole tenant.

Names are compared in a canonical form: `fold()` (lower case, accents gone, Cyrillic
transliterated: Иван Петров -> ivan petrov), then `phonetic()` for the spellings
transliteration produces ("shch"~"sht", "kh"~"h", "ts"~"c", "zh"~"j", "y"~"i", doubled
letters single: Georgiy -> georgi, Mariya -> maria), then nicknames resolved to the full name
(`NICKNAMES`: Gosho -> georgi, Bill -> william). Each record keeps three blocking keys from
that form, indexed and kept by the services beside `name_key`:

- `phonetic_key`: the canonical words, sorted (swapped names, nicknames, variants share it);
- `fuzzy_key_a` / `fuzzy_key_b`: one name in full + the first two letters of the other
  ("ivan|pe", "petrov|iv"), so a typo in either name still shares the other key.

A lookup reads only rows sharing a key or an email/phone (index range scans, never the
tenant) and scores each candidate with a noisy-OR of the evidence, `100 * (1 - Π(1 - p))`:

| evidence | contacts | accounts |
| --- | --- | --- |
| same email / phone / domain | 0.90 / 0.80 / - | 0.85 / 0.75 / 0.85 |
| same name (any script, any order) | 0.70 | 0.75 |
| spelling variant / nickname | 0.68 / 0.66 | 0.72 |
| similar name (Jaro-Winkler >= 0.90 per word) | 0.60-0.68 | 0.60-0.68 |
| a one-word name matching | 0.45 | (as a name) |
| same account | 0.30 | - |

An email or phone shared by clearly different names (a shared inbox, the family phone)
counts x0.75; Petrov/Petrova and Ivan/Ivana (gender forms) are different people. Only
candidates scoring THRESHOLD (60) or more are returned: a same full name alone (70) or a close
typo (60+) is worth a look; a phone shared by different names is at the line (60); a
one-word name or a same account alone is not enough.

The scan (`find_clusters`) reads a tenant once in pk-ordered chunks, and its emails and
phones once sorted by value; it compares records only within blocks (equal canonical names,
similar names sharing a fuzzy key, equal emails, phones or domains) and joins the pairs
scoring >= THRESHOLD into clusters (union-find). It is stricter than the create check, whose
user sees the candidates and decides, because a cluster chains links transitively:

- a name (or an email, phone, domain) shared by more than COMMON (5) records is no evidence
  on its own: two of a hundred Ivan Petrovs are joined only with a second signal (the same
  account, email or phone), and info@ joins no one;
- a name match between records that both have emails (phones, domains) but share none
  counts x0.8 (x0.9): two people of one name, each with their own address;
- a similar spelling counts only when one of the two spellings is rare (RARE, 2 records):
  two established spellings (Petrov, Petkov) are two names, not a typo.

Blocks bigger than FULL_BLOCK are compared within a sliding WINDOW of sorted neighbours, so
no block costs quadratic time and the scan stays near-linear.
"""

import bisect
import functools
import gc
import re
from array import array
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import combinations
from typing import NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rapidfuzz.distance import JaroWinkler

from funia.core.actor import Actor
from funia.core.errors import DuplicatesFound  # noqa: F401  (raised by the services)
from funia.core.jobs import enqueue_on_commit
from funia.core.models import Role
from funia.core.visibility import visible_records
from funia.customers.models import (
    Account,
    Contact,
    ContactPoint,
    DuplicateCluster,
    DuplicateClusterMember,
    DuplicateScan,
)
from funia.customers.normalize import company_name_key, fold
from funia.customers.tasks import scan_duplicates

LIMIT = 10  # candidates returned by a lookup
THRESHOLD = 60  # lowest score of a candidate, and of a link in a scan's cluster
LOOKUP_ROWS = 200  # rows a lookup reads through the name keys, at most
MAX_WORDS = 5  # words of a name compared
FUZZY_MIN = 0.90  # Jaro-Winkler similarity of each word for a "similar name"
COMMON = 5  # a name or value shared by more records is no evidence on its own in a scan
RARE = 2  # in a scan, one of two similar spellings must be this rare to be a typo

# -- canonical names ---------------------------------------------------------------------

_PHONETIC_RULES = (
    ("shch", "sht"),  # щ: Russian-style and Bulgarian transliteration
    ("sch", "sh"),
    ("tch", "ch"),
    ("dzh", "j"),  # дж
    ("dj", "j"),
    ("zh", "j"),  # ж: Zhivko / Jivko
    ("kh", "h"),  # х: Khristo / Hristo
    ("tz", "c"),  # ц: Tsvetan / Cvetan / Tzvetan
    ("ts", "c"),
    ("cz", "c"),
    ("ph", "f"),
    ("ck", "k"),
    ("q", "k"),
    ("w", "v"),  # Petrow / Petrov
    ("x", "ks"),
    ("y", "i"),  # й, ь, ы: Nikolay / Nikolai, Georgiy / Georgi, Yana / Iana
)
_DOUBLED = re.compile(r"(.)\1+")


@functools.lru_cache(maxsize=65536)
def phonetic(word: str) -> str:
    """A folded word with the spelling differences of transliteration removed."""
    for old, new in _PHONETIC_RULES:
        if old in word:
            word = word.replace(old, new)
    word = _DOUBLED.sub(r"\1", word)
    if len(word) > 4 and word.endswith("ur"):  # -ър: Petur / Petar, Dimitur / Dimitar
        word = word[:-2] + "ar"
    return word


# Full name -> its nicknames and foreign forms (folded); Bulgarian first, then English.
NICKNAMES = {
    "georgi": ("gosho", "goshko", "zhoro", "george", "georgios", "jorge"),
    "todor": ("tosho", "toshko", "teodor", "theodore"),
    "ivan": ("vancho", "vanko", "ivancho", "vanyo"),
    "ivana": ("vanya", "vanche", "ivanka"),
    "dimitar": ("mitko", "mityo", "mitaka", "dimitri", "dimitrios", "dimitry", "dmitry"),
    "petar": ("pesho", "petyo", "pepi", "peter", "pete", "pierre", "pedro"),
    "nikolay": ("kolyo", "koko", "niki", "nikola", "nicholas", "nick", "nicky", "nicolas"),
    "aleksandar": ("sasho", "sashko", "sasha", "alex", "aleks", "alexander", "alexandr"),
    "aleksandra": ("sashka", "alexandra", "sandra"),
    "stoyan": ("stoyo", "stoycho"),
    "hristo": ("itso", "icho", "christo", "christos"),
    "hristina": ("hrisi", "christina", "kristina", "tina"),
    "krasimir": ("krasi", "kras"),
    "krasimira": ("krasimirka",),
    "vasil": ("vasko", "vaseto", "vasilis", "basil"),
    "atanas": ("nasko", "naso", "tanas"),
    "yordan": ("dancho", "jordan", "yordancho"),
    "konstantin": ("kosta", "koce", "kocho", "constantine", "kostadin"),
    "lyubomir": ("lyubo", "lubo", "lyubcho"),
    "lyudmila": ("lyuda", "mila"),
    "kiril": ("kiro", "kircho", "cyril"),
    "mihail": ("misho", "michael", "mike", "mikey", "mikhail", "michel", "miguel"),
    "veselin": ("vesko", "veso"),
    "valentin": ("valyo", "vale"),
    "tsvetan": ("tsetso", "tseko", "ceco"),
    "tsvetelina": ("tsveti", "cveti"),
    "angel": ("acho", "ancho"),
    "martin": ("marto",),
    "daniel": ("dani", "danny", "dan", "danail"),
    "emil": ("emo",),
    "plamen": ("plamcho",),
    "radoslav": ("rado", "radi"),
    "borislav": ("bobi", "boby"),
    "svetoslav": ("svetlio", "sveto"),
    "maria": ("mimi", "mima", "mary", "marie", "mariyka", "maya"),
    "elena": ("eli", "lena", "helen", "helena", "ellen"),
    "ekaterina": (
        *("katya", "katerina", "kati", "kate", "katie", "kathy", "kat"),
        *("katherine", "catherine", "cathy", "kathryn", "katharine"),
    ),
    "gergana": ("geri", "gery"),
    "nadezhda": ("nadya", "nadia", "nadine"),
    "teodora": ("tedi", "dora", "theodora"),
    "desislava": ("desi", "desa"),
    "anna": ("ani", "anya", "ann", "anne", "annie"),
    "zornitsa": ("zori",),
    "silviya": ("silvi", "sylvia"),
    "margarita": ("magi", "rita", "margaret", "maggie", "peggy", "meg"),
    "viktoria": ("viki", "vicky", "tori", "victoria"),
    "elisaveta": ("elizabeth", "liz", "lizzy", "beth", "betty", "eliza", "elsa"),
    "robert": ("bob", "bobby", "rob", "robbie", "bert"),
    "william": ("bill", "billy", "will", "willy", "liam"),
    "james": ("jim", "jimmy", "jamie"),
    "richard": ("dick", "rick", "ricky", "rich", "richie"),
    "thomas": ("tom", "tommy"),
    "anthony": ("tony", "antony", "anton"),
    "timothy": ("tim", "timmy"),
    "david": ("dave", "davy"),
    "steven": ("steve", "stephen", "stevie", "stefan"),
    "christopher": ("chris", "kit"),
    "joseph": ("joe", "joey", "josef", "yosif"),
    "john": ("jack", "johnny", "jon"),
    "edward": ("ed", "eddie", "ted", "teddy", "ned"),
    "andrew": ("andy", "drew", "andrey", "andrei"),
    "gregory": ("greg", "grigor"),
    "matthew": ("matt", "matey"),
    "charles": ("charlie", "chuck"),
    "frederick": ("fred", "freddie"),
    "henry": ("harry", "hank"),
    "lawrence": ("larry",),
    "gerald": ("jerry", "gerry"),
    "benjamin": ("ben", "benny"),
    "samuel": ("sam", "sammy"),
    "jennifer": ("jenny", "jen"),
    "susan": ("sue", "susie"),
    "patricia": ("pat", "patty", "trish"),
    "rebecca": ("becky",),
    "deborah": ("debbie", "deb"),
    "abigail": ("abby",),
    "jessica": ("jess", "jessie"),
}


def _nickname_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for full, variants in NICKNAMES.items():
        canonical = phonetic(fold(full))
        index.setdefault(canonical, canonical)
        for variant in variants:
            index.setdefault(phonetic(fold(variant)), canonical)
    return index


_NICKNAME_OF = _nickname_index()


def _is_nickname(word: str) -> bool:
    """Is this folded word a nickname or foreign form of another name?"""
    form = phonetic(word)
    return _NICKNAME_OF.get(form, form) != form


@functools.lru_cache(maxsize=65536)
def _canonical(word: str, nicknames: bool) -> str:
    form = phonetic(word)
    return _NICKNAME_OF.get(form, form) if nicknames else form


@functools.lru_cache(maxsize=65536)
def _words(text: str) -> list[str]:
    return fold(text).split()


@functools.lru_cache(maxsize=65536)
def contact_profile(first_name: str, last_name: str) -> tuple[tuple, tuple, str, str]:
    """(folded words sorted, canonical words sorted, canonical given name, family name)."""
    first, last = _words(first_name), _words(last_name)
    folded = tuple(sorted(first + last)[:MAX_WORDS])
    canonical = tuple(sorted(_canonical(w, True) for w in folded))
    given = _canonical(first[0], True) if first else ""
    family = _canonical(last[-1], True) if last else ""
    return folded, canonical, given, family


@functools.lru_cache(maxsize=65536)
def account_profile(name: str) -> tuple[tuple, tuple, str, str]:
    """As contact_profile, for a company name without its legal form; no nicknames."""
    words = company_name_key(name).split()[:MAX_WORDS]
    canonical = tuple(sorted(_canonical(w, False) for w in words))
    first = _canonical(words[0], False) if words else ""
    last = _canonical(words[-1], False) if len(words) > 1 else ""
    return tuple(sorted(words)), canonical, first, last


def _pair_keys(one: str, other: str) -> tuple[str, str]:
    """The two typo-tolerant keys of a name: each word in full + two letters of the other."""
    if not one or not other:
        word = one or other
        return (f"{word}|"[:100], f"{word[:3]}*") if word else ("", "")
    one, other = sorted((one, other))
    return f"{one}|{other[:2]}"[:100], f"{other}|{one[:2]}"[:100]


def _keys(profile) -> dict:
    _folded, canonical, one, other = profile
    key_a, key_b = _pair_keys(one, other)
    return {"phonetic_key": " ".join(canonical)[:200], "fuzzy_key_a": key_a, "fuzzy_key_b": key_b}


def contact_keys(first_name: str, last_name: str) -> dict:
    """The blocking key columns of a contact (`phonetic_key`, `fuzzy_key_a`, `fuzzy_key_b`)."""
    return _keys(contact_profile(first_name or "", last_name or ""))


def account_keys(name: str) -> dict:
    """The blocking key columns of an account."""
    return _keys(account_profile(name or ""))


# -- scoring -----------------------------------------------------------------------------

REASONS = (
    "email",
    "phone",
    "domain",
    "name",
    "swapped_names",
    "nickname",
    "name_variant",
    "name_fuzzy",
    "account",
)
REASON_LABELS = {
    "email": _("Same email"),
    "phone": _("Same phone"),
    "domain": _("Same website domain"),
    "name": _("Same name"),
    "swapped_names": _("First and last name swapped"),
    "nickname": _("Nickname"),
    "name_variant": _("Spelling variant"),
    "name_fuzzy": _("Similar name"),
    "account": _("Same account"),
}
WEIGHTS = {
    "contact": {
        "email": 0.90,
        "phone": 0.80,
        "name": 0.70,
        "name_variant": 0.68,
        "nickname": 0.66,
        "one_word": 0.45,
        "account": 0.30,
    },
    "account": {
        "email": 0.85,
        "phone": 0.75,
        "domain": 0.85,
        "name": 0.75,
        "name_variant": 0.72,
        "nickname": 0.72,
        "one_word": 0.75,
    },
}
FUZZY_WEIGHTS = (0.60, 0.68)  # similarity FUZZY_MIN .. 1.0
COMMON_FACTOR = 0.7  # a name shared by more than COMMON records, in a scan
DIFFERENT_NAMES = 0.75  # below this similarity, names are clearly different people's
DIFFERENT_NAMES_FACTOR = 0.75  # an email or phone shared by them counts this much
# In a scan, a name match between records with emails (phones, domains) but none in common
# counts this much: two people of one name, each with their own address.
CONFLICT_FACTORS = {"email": 0.8, "phone": 0.9, "domain": 0.8}
EXTRA_WORD_FACTOR = 0.98  # "Ivan Georgiev Petrov" against "Ivan Petrov"
_FINAL_DEVOICED = {"f": "v", "p": "b", "t": "d", "s": "z", "k": "g"}  # Petrof / Petrov


class Features(NamedTuple):
    """What the scorer compares of one record."""

    canonical: tuple  # canonical words, sorted
    folded: tuple  # folded words, sorted
    given: str = ""  # canonical first word of the first name; "" when unknown
    account: int | None = None
    commonness: int = 1  # records of the tenant with this canonical name (scans only)


def _gender_forms(one: str, other: str) -> bool:
    """Petrov/Petrova, Ivan/Ivana, Petrovski/Petrovska, Aleksandar/Aleksandra."""
    if len(one) > len(other):
        one, other = other, one
    if len(one) >= 3 and other == one + "a":
        return True
    return (
        len(one) == len(other) > 3
        and one[:-2] == other[:-2]
        and {one[-2:], other[-2:]} in ({"ki", "ka"}, {"ar", "ra"})
    )


@functools.lru_cache(maxsize=262144)
def word_similarity(one: str, other: str) -> float:
    """0..1 between two canonical words; a final voiced/voiceless consonant is the same."""
    if one == other:
        return 1.0
    if _gender_forms(one, other):
        return 0.0
    one = one[:-1] + _FINAL_DEVOICED.get(one[-1], one[-1])
    other = other[:-1] + _FINAL_DEVOICED.get(other[-1], other[-1])
    return JaroWinkler.normalized_similarity(one, other)


def name_similarity(one: tuple, other: tuple) -> float:
    """0..1: equal words paired first, the rest best to best (order-free); the worst pair
    decides. A word more on one side (a middle name) costs a little."""
    if not one or not other:
        return 0.0
    if len(one) == len(other) == 2:  # the usual case, without building lists
        (a0, a1), (b0, b1) = one, other
        if a0 == b0 or a1 == b1:
            return word_similarity(a1, b1) if a0 == b0 else word_similarity(a0, b0)
        if a0 == b1 or a1 == b0:
            return word_similarity(a1, b0) if a0 == b1 else word_similarity(a0, b1)
        straight = min(word_similarity(a0, b0), word_similarity(a1, b1))
        return max(straight, min(word_similarity(a0, b1), word_similarity(a1, b0)))
    factor = EXTRA_WORD_FACTOR if len(one) != len(other) else 1.0
    if len(one) > len(other):
        one, other = other, one
    if len(one) == 1:
        return max(word_similarity(one[0], word) for word in other) * factor
    rest = list(other)
    unpaired = []
    for word in one:
        if word in rest:
            rest.remove(word)
        else:
            unpaired.append(word)
    if not unpaired:
        return factor
    one, other = unpaired, rest
    if len(one) == 1:  # the usual case: one word differs (a typo)
        return max(word_similarity(one[0], word) for word in other) * factor
    scored = sorted(
        ((word_similarity(a, b), i, j) for i, a in enumerate(one) for j, b in enumerate(other)),
        reverse=True,
    )
    paired_one, paired_other, worst = set(), set(), 1.0
    for similarity, i, j in scored:
        if i in paired_one or j in paired_other:
            continue
        paired_one.add(i)
        paired_other.add(j)
        worst = min(worst, similarity)
        if len(paired_one) == len(one):
            break
    return worst * factor


def _name_evidence(kind: str, a: Features, b: Features) -> tuple[float, set, bool]:
    """(probability the names say "same", reasons, names clearly differ)."""
    if not a.canonical or not b.canonical:
        return 0.0, set(), False
    weights = WEIGHTS[kind]
    one_word = min(len(a.canonical), len(b.canonical)) < 2
    if a.canonical == b.canonical:
        if a.folded == b.folded:
            reasons = {"name"}
        else:
            differing = set(a.folded) ^ set(b.folded)
            reasons = {"nickname" if any(map(_is_nickname, differing)) else "name_variant"}
        probability = min(weights[reason] for reason in reasons)
        if one_word:
            probability = weights["one_word"]
        elif a.given and b.given and a.given != b.given:
            reasons.add("swapped_names")
        return probability, reasons, False
    similarity = name_similarity(a.canonical, b.canonical)
    if similarity >= FUZZY_MIN:
        low, high = FUZZY_WEIGHTS
        probability = low + (high - low) * (similarity - FUZZY_MIN) / (1 - FUZZY_MIN)
        if one_word:
            probability = min(probability, weights["one_word"])
        return probability, {"name_fuzzy"}, False
    return 0.0, set(), similarity < DIFFERENT_NAMES


def score_pair(
    kind: str, a: Features, b: Features, shared: Iterable[str] = (), conflicting: Iterable = ()
) -> tuple:
    """(score 0-100, reasons) of two records. `shared`: the kinds of values ("email",
    "phone", "domain") they share; `conflicting`: kinds both have but share none of."""
    weights = WEIGHTS[kind]
    reasons = set(shared)
    miss = 1.0
    for reason in reasons:
        miss *= 1 - weights[reason]
    probability, name_reasons, names_differ = _name_evidence(kind, a, b)
    if probability:
        if max(a.commonness, b.commonness) > COMMON:
            probability *= COMMON_FACTOR
        for value_kind in conflicting:
            probability *= CONFLICT_FACTORS[value_kind]
        miss *= 1 - probability
        reasons |= name_reasons
    if "account" in weights and a.account is not None and a.account == b.account:
        miss *= 1 - weights["account"]
        reasons.add("account")
    score = 100 * (1 - miss)
    if names_differ and reasons & {"email", "phone"}:
        score *= DIFFERENT_NAMES_FACTOR
    return int(score + 0.5), sorted(reasons, key=REASONS.index)


def reason_labels(reasons: Iterable[str]) -> list:
    return [REASON_LABELS.get(reason, reason) for reason in reasons]


# -- lookup of one record (create and update) ------------------------------------------------


@dataclass
class Candidate:
    record: object
    score: int
    reasons: list[str] = field(default_factory=list)

    @property
    def reason_labels(self) -> list:
        return reason_labels(self.reasons)


def _point_owner_ids(tenant, kind: str, values: list[str], owner: str) -> dict[int, set[str]]:
    if not values:
        return {}
    matches: dict[int, set[str]] = {}
    rows = (
        ContactPoint.objects.for_tenant(tenant)
        .filter(kind=kind, value__in=values, **{f"{owner}__isnull": False})
        .values_list(f"{owner}_id", flat=True)
    )
    for owner_id in rows:
        matches.setdefault(owner_id, set()).add(kind)
    return matches


def _shared_points(tenant, owner: str, emails: list[str], phones: list[str]) -> dict:
    shared: dict[int, set[str]] = {}
    for kind, values in (("email", emails), ("phone", phones)):
        for pk, kinds in _point_owner_ids(tenant, kind, values, owner).items():
            shared.setdefault(pk, set()).update(kinds)
    return shared


def _probe_keys(canonical: tuple) -> set[str]:
    """Every pair of the name's words as keys: the stored keys of a record are built from
    its given and family name, which a sorted `name_key` no longer tells apart."""
    if len(canonical) == 1:
        return set(_pair_keys(canonical[0], ""))
    return {key for a, b in combinations(canonical, 2) for key in _pair_keys(a, b)}


def _lookup(
    *,
    model,
    kind: str,
    tenant,
    probe: Features,
    keys: list[Q],
    shared: dict[int, set[str]],
    exclude_id,
    limit: int,
    domain: str = "",
) -> list[Candidate]:
    contact = kind == "contact"
    fields = (
        ("pk", "first_name", "last_name", "account_id") if contact else ("pk", "name", "domain")
    )
    alive = model.objects.for_tenant(tenant).filter(merged_into__isnull=True)
    rows = []
    if keys:
        # One indexed range scan per key (a UNION): an OR of them may make a planner read
        # the whole tenant through its tenant index instead.
        parts = [alive.filter(key).values_list(*fields) for key in keys]
        rows = list(parts[0].union(*parts[1:])[:LOOKUP_ROWS])
    missing = set(shared) - {row[0] for row in rows}
    if missing:
        rows += list(alive.filter(pk__in=missing).values_list(*fields))
    scored = []
    for row in rows:
        pk = row[0]
        if pk == exclude_id:
            continue
        if contact:
            folded, canonical, given, _family = contact_profile(row[1], row[2])
            features = Features(canonical, folded, given, row[3])
            evidence = shared.get(pk, ())
        else:
            folded, canonical, _first, _last = account_profile(row[1])
            features = Features(canonical, folded)
            evidence = set(shared.get(pk, ()))
            if domain and row[2] == domain:
                evidence.add("domain")
        score, reasons = score_pair(kind, probe, features, evidence)
        if score >= THRESHOLD:
            scored.append((score, pk, reasons))
    scored.sort(key=lambda item: (-item[0], item[1]))
    scored = scored[:limit]
    records = model.objects.for_tenant(tenant).in_bulk([pk for _score, pk, _reasons in scored])
    return [
        Candidate(records[pk], score, reasons) for score, pk, reasons in scored if pk in records
    ]


def find_contact_duplicates(
    *,
    tenant,
    name_key: str,
    emails: list[str],
    phones: list[str],
    exclude_id: int | None = None,
    limit: int = LIMIT,
) -> list[Candidate]:
    """Contacts that may be the person described, best first (score >= THRESHOLD).

    Reads only the owners of the emails and phones and the rows sharing a name key.
    """
    folded = tuple(name_key.split()[:MAX_WORDS])
    canonical = tuple(sorted(_canonical(word, True) for word in folded))
    keys = []
    if canonical:
        fuzzy = sorted(_probe_keys(canonical))
        keys = [
            Q(phonetic_key=" ".join(canonical)[:200]),
            Q(fuzzy_key_a__in=fuzzy),
            Q(fuzzy_key_b__in=fuzzy),
        ]
    return _lookup(
        model=Contact,
        kind="contact",
        tenant=tenant,
        probe=Features(canonical, folded),
        keys=keys,
        shared=_shared_points(tenant, "contact", emails, phones),
        exclude_id=exclude_id,
        limit=limit,
    )


def find_account_duplicates(
    *,
    tenant,
    name_key: str,
    domain: str,
    emails: list[str],
    phones: list[str],
    exclude_id: int | None = None,
    limit: int = LIMIT,
) -> list[Candidate]:
    """Accounts that may be the company described, best first (score >= THRESHOLD)."""
    profile = account_profile(name_key)
    folded, canonical = profile[0], profile[1]
    keys = []
    if canonical:
        stored = _keys(profile)
        fuzzy = [stored["fuzzy_key_a"], stored["fuzzy_key_b"]]
        keys = [
            Q(phonetic_key=stored["phonetic_key"]),
            Q(fuzzy_key_a__in=fuzzy),
            Q(fuzzy_key_b__in=fuzzy),
        ]
    if domain:
        keys.append(Q(domain=domain))
    return _lookup(
        model=Account,
        kind="account",
        tenant=tenant,
        probe=Features(canonical, folded),
        keys=keys,
        shared=_shared_points(tenant, "account", emails, phones),
        exclude_id=exclude_id,
        limit=limit,
        domain=domain,
    )


# -- scans of a whole tenant -------------------------------------------------------------

SCAN_CHUNK = 10_000  # rows read per query
FULL_BLOCK = 20  # blocks up to this size are compared in full...
WINDOW = 10  # ...bigger ones each member with its next WINDOW neighbours only
_BITS = {"email": 1, "phone": 2, "domain": 4}


@dataclass
class FoundCluster:
    record_ids: list[int]
    score: int
    reasons: list[str]


def _block_pairs(members: list) -> Iterator[tuple]:
    """The pairs to compare in a block: all of a small one, a sliding window of a big one
    (sorted, so neighbours are alike), so no block costs quadratic time."""
    if len(members) <= FULL_BLOCK:
        yield from combinations(members, 2)
        return
    for position, one in enumerate(members):
        for other in members[position + 1 : position + 1 + WINDOW]:
            yield one, other


class _TenantScan:
    """One scan's working set: compact arrays indexed by the record's position in pk order.

    Records are positions (0..n-1); a pair is the int `a * n + b` (a < b); names and folded
    names are stored once and referred to by id: a record costs five array slots, the rest
    grows with the distinct names (the 1M-contact benchmark peaks below 1 GB of memory).
    """

    def __init__(self, tenant, kind: str, progress: Callable | None):
        self.tenant, self.kind = tenant, kind
        self.model = Contact if kind == "contact" else Account
        self.progress = progress or (lambda processed, total: None)
        self.pks = array("q")
        self.name_of = array("q")  # position -> canonical name id
        self.folded_of = array("q")  # position -> folded name id
        self.given_of = array("q")  # position -> given name id
        self.account_of = array("q")  # position -> account id (0: none)
        self.names: list[tuple] = []
        self.folded: list[tuple] = []
        self.givens: list[str] = []
        self.name_blocks: dict[str, list[int]] = {}  # fuzzy key -> canonical name ids
        self.domains: dict[str, list[int]] = {}  # accounts: domain -> positions
        self.evidence: dict[int, int] = {}  # pair -> _BITS of the values it shares
        self.has = bytearray()  # position -> _BITS of the kinds of values it has
        self.n = 0

    def alive(self) -> QuerySet:
        return self.model.objects.for_tenant(self.tenant).filter(merged_into__isnull=True)

    def read_records(self) -> None:
        total = self.alive().count()
        self.progress(0, total)
        contact = self.kind == "contact"
        fields = (
            ("pk", "first_name", "last_name", "account_id") if contact else ("pk", "name", "domain")
        )
        ids: dict = {"name": {}, "folded": {}, "given": {}, "profile": {}}
        last_pk = 0
        while True:
            rows = list(
                self.alive().filter(pk__gt=last_pk).order_by("pk").values_list(*fields)[:SCAN_CHUNK]
            )
            if not rows:
                break
            for row in rows:
                raw = (row[1], row[2]) if contact else row[1]
                name_id, folded_id, given_id = ids["profile"].get(raw) or self._profile(raw, ids)
                self.pks.append(row[0])
                self.name_of.append(name_id)
                self.folded_of.append(folded_id)
                self.given_of.append(given_id)
                self.account_of.append((row[3] or 0) if contact else 0)
                if not contact and row[2]:
                    self.domains.setdefault(row[2], []).append(len(self.pks) - 1)
            last_pk = rows[-1][0]
            self.progress(len(self.pks), max(total, len(self.pks)))
        self.n = len(self.pks)
        self.has = bytearray(self.n)
        for members in self.domains.values():
            for position in members:
                self.has[position] |= _BITS["domain"]

    def _profile(self, raw, ids: dict) -> tuple[int, int, int]:
        if self.kind == "contact":
            folded, canonical, one, other = contact_profile(*raw)
            given = one
        else:
            folded, canonical, one, other = account_profile(raw)
            given = ""
        name_id = ids["name"].setdefault(canonical, len(self.names))
        if name_id == len(self.names):
            self.names.append(canonical)
        # Once per distinct spelling (blocks may list a name twice; they are deduplicated).
        for key in _pair_keys(one, other):
            if key:
                self.name_blocks.setdefault(key, []).append(name_id)
        folded_id = ids["folded"].setdefault(folded, len(self.folded))
        if folded_id == len(self.folded):
            self.folded.append(folded)
        given_id = ids["given"].setdefault(given, len(self.givens))
        if given_id == len(self.givens):
            self.givens.append(given)
        ids["profile"][raw] = (name_id, folded_id, given_id)
        return name_id, folded_id, given_id

    def position(self, pk: int) -> int | None:
        position = bisect.bisect_left(self.pks, pk)
        return position if position < self.n and self.pks[position] == pk else None

    def read_shared_values(self) -> None:
        """Emails and phones (and accounts' domains) shared by 2..COMMON records."""
        owner = self.kind
        rows = (
            ContactPoint.objects.for_tenant(self.tenant)
            .filter(
                **{
                    f"{owner}__isnull": False,
                    f"{owner}__deleted_at__isnull": True,
                    f"{owner}__merged_into__isnull": True,
                }
            )
            .order_by("kind", "value")
            .values_list("kind", "value", f"{owner}_id")
            .iterator(chunk_size=SCAN_CHUNK)
        )
        current, members = None, []
        for kind, value, pk in rows:
            if current is None or current[1] != value or current[0] != kind:
                if current is not None:
                    self._share(members, _BITS[current[0]])
                current, members = (kind, value), []
            position = self.position(pk)
            if position is not None:
                members.append(position)
                self.has[position] |= _BITS[kind]
        if current is not None:
            self._share(members, _BITS[current[0]])
        for members in self.domains.values():
            self._share(members, _BITS["domain"])

    def _share(self, members: list[int], bit: int) -> None:
        members = sorted(set(members))
        # A value many records share (a switchboard, info@) says nothing about identity.
        if not 2 <= len(members) <= COMMON:
            return
        for one, other in combinations(members, 2):
            pair = one * self.n + other
            self.evidence[pair] = self.evidence.get(pair, 0) | bit

    def group_names(self) -> None:
        """Positions sorted by canonical name: each name's records are one run of `order`."""
        self.order = sorted(range(self.n), key=self.name_of.__getitem__)
        self.start = array("q", [0]) * len(self.names)
        self.count = array("q", [0]) * len(self.names)
        position = 0
        while position < self.n:
            name = self.name_of[self.order[position]]
            end = position + 1
            while end < self.n and self.name_of[self.order[end]] == name:
                end += 1
            self.start[name], self.count[name] = position, end - position
            position = end

    def members(self, name: int) -> list[int]:
        return self.order[self.start[name] : self.start[name] + self.count[name]]

    def candidate_pairs(self) -> Iterator[tuple[int, int]]:
        # Records of the same canonical name (same name, swapped, nickname, variant).
        for name in range(len(self.names)):
            count = self.count[name]
            if count < 2:
                continue
            members = sorted(self.members(name))
            if count <= COMMON:
                yield from combinations(members, 2)
            elif self.kind == "contact":
                # A common name needs a second signal: the same account (the rest share
                # an email or a phone, compared below).
                by_account: dict[int, list[int]] = {}
                for member in members:
                    if self.account_of[member]:
                        by_account.setdefault(self.account_of[member], []).append(member)
                for group in by_account.values():
                    yield from _block_pairs(group)
        # Records of similar names sharing a fuzzy key.
        for name_ids in self.name_blocks.values():
            if len(name_ids) < 2:
                continue
            distinct = sorted(set(name_ids), key=self.names.__getitem__)
            for one, other in _block_pairs(distinct):
                counts = self.count[one], self.count[other]
                if max(counts) > COMMON or min(counts) > RARE:
                    continue  # a common name, or two established spellings: two names
                if name_similarity(self.names[one], self.names[other]) < FUZZY_MIN:
                    continue
                for a in self.members(one):
                    for b in self.members(other):
                        yield (a, b) if a < b else (b, a)
        # Records sharing an email, a phone or a domain.
        for pair in self.evidence:
            yield divmod(pair, self.n)

    def features(self, position: int) -> Features:
        name = self.name_of[position]
        return Features(
            self.names[name],
            self.folded[self.folded_of[position]],
            self.givens[self.given_of[position]],
            self.account_of[position] or None,
            self.count[name],
        )

    def links(self) -> list[tuple]:
        """(score, a, b, reasons) of every compared pair scoring >= THRESHOLD."""
        seen: set[int] = set()
        links = []
        for a, b in self.candidate_pairs():
            pair = a * self.n + b
            if pair in seen:
                continue
            seen.add(pair)
            bits = self.evidence.get(pair, 0)
            both = self.has[a] & self.has[b] & ~bits
            shared = [kind for kind, bit in _BITS.items() if bits & bit]
            conflicting = [kind for kind, bit in _BITS.items() if both & bit]
            score, reasons = score_pair(
                self.kind, self.features(a), self.features(b), shared, conflicting
            )
            if score >= THRESHOLD:
                links.append((score, a, b, reasons))
        return links


def _clusters(links: list[tuple], pks) -> list[FoundCluster]:
    """Union-find over the links, strongest first (Kruskal): a cluster's score is its
    weakest link of the strongest chain; its reasons, every link's."""
    links.sort(key=lambda link: -link[0])
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    scores: dict[int, int] = {}
    reasons: dict[int, set] = {}
    for score, a, b, why in links:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[rb] = ra
            scores.pop(rb, None)
            scores[ra] = score  # links come strongest first: the newest is the weakest
            reasons[ra] = reasons.pop(ra, set()) | reasons.pop(rb, set()) | set(why)
        else:
            reasons[ra] |= set(why)
    members: dict[int, list[int]] = {}
    for x in list(parent):
        members.setdefault(root(x), []).append(pks[x])
    clusters = [
        FoundCluster(sorted(ids), scores[r], sorted(reasons[r], key=REASONS.index))
        for r, ids in members.items()
    ]
    clusters.sort(key=lambda c: (-c.score, c.record_ids[0]))
    return clusters


@contextmanager
def _without_cycle_collection():
    """A scan allocates millions of small objects and no reference cycles: the cyclic
    collector would only walk them again and again (measured: 2-3x the time at 300k)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def find_clusters(*, tenant, record_type: str, progress: Callable | None = None) -> list:
    """Duplicate clusters among a tenant's live, unmerged contacts or accounts.

    Reads the records once (pk-ordered chunks) and the emails and phones once (sorted by
    value); compares only within blocks. `progress(processed, total)` follows the reading.
    """
    with _without_cycle_collection():
        scan = _TenantScan(tenant, record_type, progress)
        scan.read_records()
        scan.read_shared_values()
        scan.group_names()
        return _clusters(scan.links(), scan.pks)


# -- scans: services and selectors -------------------------------------------------------

SCAN_ROLES = {Role.ADMIN, Role.SALES_MANAGER}
SCAN_ABANDONED = timedelta(minutes=30)  # an active scan not touched for this long is dead
KEEP_SCANS = 5  # finished scans kept per type (older ones and their clusters are removed)


def can_scan(actor: Actor) -> bool:
    return actor.role in SCAN_ROLES


def duplicate_scan_start(*, by: Actor, record_type: str) -> DuplicateScan:
    """Queue a scan of the organisation's contacts or accounts (admins and sales managers).

    A scan of that type already queued or running is returned instead of a second one.
    """
    if not can_scan(by):
        raise PermissionDenied(
            gettext("Only administrators and sales managers may scan for duplicates.")
        )
    if record_type not in DuplicateScan.Type.values:
        raise ValidationError({"type": gettext("Use “contact” or “account”.")})
    with transaction.atomic():
        active = (
            DuplicateScan.objects.for_tenant(by.tenant)
            .filter(
                type=record_type,
                status__in=[DuplicateScan.Status.QUEUED, DuplicateScan.Status.RUNNING],
                updated_at__gte=timezone.now() - SCAN_ABANDONED,
            )
            .order_by("-pk")
            .first()
        )
        if active is not None:
            return active
        scan = DuplicateScan.objects.create(
            tenant=by.tenant, type=record_type, requested_by=by.user
        )
        enqueue_on_commit(scan_duplicates, by.tenant.pk, scan.pk)
    return scan


def duplicate_scan_run(*, tenant_id: int, scan_id: int) -> None:
    """Run a scan and publish its clusters (the job's work). Idempotent: a finished scan
    is left alone; a failed or interrupted one starts over and replaces what it wrote."""
    scans = DuplicateScan.objects.for_tenant(tenant_id).filter(pk=scan_id)
    scan = scans.first()
    if scan is None or scan.status == DuplicateScan.Status.DONE:
        return
    now = timezone.now()
    scans.update(
        status=DuplicateScan.Status.RUNNING,
        started_at=now,
        updated_at=now,
        processed=0,
        finished_at=None,
        error="",
    )

    def progress(processed: int, total: int) -> None:
        scans.update(processed=processed, total=total, updated_at=timezone.now())

    try:
        found = find_clusters(tenant=tenant_id, record_type=scan.type, progress=progress)
        _publish(scan, found)
    except Exception:
        scans.update(
            status=DuplicateScan.Status.FAILED,
            error=gettext("The scan failed; it is retried automatically."),
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
        raise


def _publish(scan: DuplicateScan, found: list[FoundCluster]) -> None:
    tenant_id, owner = scan.tenant_id, scan.type
    with transaction.atomic():
        _delete_clusters(tenant_id, [scan.pk])
        for offset in range(0, len(found), 1000):
            batch = found[offset : offset + 1000]
            clusters = DuplicateCluster.objects.bulk_create(
                [
                    DuplicateCluster(
                        tenant_id=tenant_id,
                        scan=scan,
                        type=scan.type,
                        score=cluster.score,
                        reasons=cluster.reasons,
                        size=len(cluster.record_ids),
                    )
                    for cluster in batch
                ]
            )
            DuplicateClusterMember.objects.bulk_create(
                [
                    DuplicateClusterMember(
                        tenant_id=tenant_id, cluster=saved, **{f"{owner}_id": pk}
                    )
                    for saved, cluster in zip(clusters, batch, strict=True)
                    for pk in cluster.record_ids
                ],
                batch_size=5000,
            )
        now = timezone.now()
        scans = DuplicateScan.objects.for_tenant(tenant_id)
        scans.filter(pk=scan.pk).update(
            status=DuplicateScan.Status.DONE,
            cluster_count=len(found),
            finished_at=now,
            updated_at=now,
        )
        old = list(
            scans.filter(
                type=scan.type,
                status__in=[DuplicateScan.Status.DONE, DuplicateScan.Status.FAILED],
            )
            .order_by("-created_at", "-pk")
            .values_list("pk", flat=True)[KEEP_SCANS:]
        )
        if old:
            _delete_clusters(tenant_id, old)
            scans.filter(pk__in=old).delete()


def _delete_clusters(tenant_id: int, scan_ids: list[int]) -> None:
    DuplicateClusterMember.objects.for_tenant(tenant_id).filter(
        cluster__scan_id__in=scan_ids
    ).delete()
    DuplicateCluster.objects.for_tenant(tenant_id).filter(scan_id__in=scan_ids).delete()


def duplicate_scan_get(*, actor: Actor, pk: int) -> DuplicateScan:
    return DuplicateScan.objects.for_tenant(actor.tenant).get(pk=pk)


def duplicate_scan_latest(
    *, actor: Actor, record_type: str, finished: bool = False
) -> DuplicateScan | None:
    """The newest scan of that type (only finished ones when `finished`)."""
    scans = DuplicateScan.objects.for_tenant(actor.tenant).filter(type=record_type)
    if finished:
        scans = scans.filter(status=DuplicateScan.Status.DONE)
    return scans.order_by("-created_at", "-pk").first()


def duplicate_cluster_list(*, actor: Actor, scan: DuplicateScan | None) -> QuerySet:
    """A scan's clusters the actor can act on: at least two records they see that are still
    live and unmerged (merging a cluster makes it disappear); `visible_members` lists them."""
    clusters = DuplicateCluster.objects.for_tenant(actor.tenant)
    if scan is None:
        return clusters.none()
    owner = scan.type
    model = Contact if owner == "contact" else Account
    visible = visible_records(model, actor).filter(merged_into__isnull=True)
    members = (
        DuplicateClusterMember.objects.for_tenant(actor.tenant)
        .filter(**{f"{owner}__in": visible})
        .select_related(owner)
        .order_by(f"{owner}_id")
    )
    return (
        clusters.filter(scan=scan)
        .annotate(live=Count("members", filter=Q(**{f"members__{owner}__in": visible})))
        .filter(live__gte=2)
        .order_by("-score", "pk")
        .prefetch_related(Prefetch("members", queryset=members, to_attr="visible_members"))
    )
