"""Scans of a whole tenant: blocking, pair scoring and clustering (`find_clusters`)."""

import bisect
import gc
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import combinations

from django.db.models import QuerySet

from funia.customers.dedupe.constants import COMMON, FUZZY_MIN, RARE, THRESHOLD
from funia.customers.dedupe.names import _pair_keys, account_profile, contact_profile
from funia.customers.dedupe.scoring import REASONS, Features, name_similarity, score_pair
from funia.customers.models import (
    Account,
    Contact,
    ContactPoint,
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
