"""Scoring a pair of records: the evidence, its weights and the reasons."""

import functools
from collections.abc import Iterable
from typing import NamedTuple

from django.utils.translation import gettext_lazy as _
from rapidfuzz.distance import JaroWinkler

from funia.customers.dedupe.constants import COMMON, FUZZY_MIN
from funia.customers.dedupe.names import _is_nickname

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
