"""Lookup of one record (create and update): `find_contact_duplicates`,
`find_account_duplicates` and their `Candidate`s."""

from dataclasses import dataclass, field
from itertools import combinations

from django.db.models import Q

from funia.customers.dedupe.constants import LIMIT, LOOKUP_ROWS, MAX_WORDS, THRESHOLD
from funia.customers.dedupe.names import (
    _canonical,
    _keys,
    _pair_keys,
    account_profile,
    contact_profile,
)
from funia.customers.dedupe.scoring import Features, reason_labels, score_pair
from funia.customers.models import (
    Account,
    Contact,
    ContactPoint,
)

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
