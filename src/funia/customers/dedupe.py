"""Duplicate detection: candidates for a new or changed record, with a score and reasons.

Exact keys (normalised email, E.164 phone, company domain) and the folded name key find
candidates through indexes; each candidate gets a confidence score (0-100) and the list of
fields that matched.
"""

from dataclasses import dataclass, field

from django.db.models import Q

from funia.core.errors import DuplicatesFound  # noqa: F401  (raised by the services)
from funia.customers.models import Account, Contact, ContactPoint

LIMIT = 10


@dataclass
class Candidate:
    record: object
    score: int
    reasons: list[str] = field(default_factory=list)


def _point_owner_ids(tenant, kind: str, values: list[str], owner: str) -> dict[int, set[str]]:
    if not values:
        return {}
    matches: dict[int, set[str]] = {}
    rows = (
        ContactPoint.objects.for_tenant(tenant)
        .filter(kind=kind, value__in=values, **{f"{owner}__isnull": False})
        .values_list(f"{owner}_id", "value")
    )
    for owner_id, _value in rows:
        matches.setdefault(owner_id, set()).add(kind)
    return matches


def _rank(model, tenant, reasons_by_id: dict[int, set[str]], exclude_id) -> list[Candidate]:
    reasons_by_id.pop(exclude_id, None)
    if not reasons_by_id:
        return []
    weights = {"email": 60, "phone": 50, "domain": 50, "name": 40}
    records = model.objects.for_tenant(tenant).in_bulk(list(reasons_by_id))
    candidates = [
        Candidate(records[pk], min(100, sum(weights[r] for r in reasons)), sorted(reasons))
        for pk, reasons in reasons_by_id.items()
        if pk in records and records[pk].merged_into_id is None
    ]
    candidates.sort(key=lambda c: (-c.score, c.record.pk))
    return candidates[:LIMIT]


def find_contact_duplicates(
    *, tenant, name_key: str, emails: list[str], phones: list[str], exclude_id: int | None = None
) -> list[Candidate]:
    reasons: dict[int, set[str]] = {}
    for kind, values in (("email", emails), ("phone", phones)):
        for pk, kinds in _point_owner_ids(tenant, kind, values, "contact").items():
            reasons.setdefault(pk, set()).update(kinds)
    if name_key:
        for pk in (
            Contact.objects.for_tenant(tenant)
            .filter(name_key=name_key)
            .values_list("pk", flat=True)[:LIMIT]
        ):
            reasons.setdefault(pk, set()).add("name")
    return _rank(Contact, tenant, reasons, exclude_id)


def find_account_duplicates(
    *,
    tenant,
    name_key: str,
    domain: str,
    emails: list[str],
    phones: list[str],
    exclude_id: int | None = None,
) -> list[Candidate]:
    reasons: dict[int, set[str]] = {}
    for kind, values in (("email", emails), ("phone", phones)):
        for pk, kinds in _point_owner_ids(tenant, kind, values, "account").items():
            reasons.setdefault(pk, set()).update(kinds)
    lookups = Q()
    if domain:
        lookups |= Q(domain=domain)
    if name_key:
        lookups |= Q(name_key=name_key)
    if lookups:
        for pk, found_domain, found_key in (
            Account.objects.for_tenant(tenant)
            .filter(lookups)
            .values_list("pk", "domain", "name_key")[:LIMIT]
        ):
            if domain and found_domain == domain:
                reasons.setdefault(pk, set()).add("domain")
            if name_key and found_key == name_key:
                reasons.setdefault(pk, set()).add("name")
    return _rank(Account, tenant, reasons, exclude_id)
