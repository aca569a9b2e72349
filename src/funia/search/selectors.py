"""The global search: every registered record type, ranked, within what the actor may see.

Ranking: exact hits (the whole name, an email, a phone number) first, then records where
every word of the query starts a word (prefix: "iv pe" finds Ivan Petrov), then records
that contain every word anywhere (contains: "etro" finds Petrov); within a rank, records
matched on their own text before those matched through a related record (a contact through
its company), whole words before parts of words ("ivan": Ivan before Ivanov), then the
most recently changed first.

Each tier is a bounded, index-backed query: exact hits through the ordinary indexes, the
other two through the search index, newest first and stopping at `limit` visible records.
The contains tier runs only when the better tiers leave room. So a query for a common name
in a million contacts reads a few dozen rows, not all the Ivans; the price is that a
tier with more than `limit` matches offers its newest records, by creation.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import connections

from funia.core.actor import Actor
from funia.search.backends import backend_for, patterns
from funia.search.query import SearchQuery, Term, parse_query
from funia.search.registry import Searchable, searchables

DEFAULT_LIMIT = 10
MAX_LIMIT = 50
EXACT, PREFIX, CONTAINS = 3, 2, 1


@dataclass(frozen=True)
class Hit:
    type: str
    id: int
    title: str
    subtitle: str
    url: str
    rank: int
    own: bool  # matched on its own text, not only on a related record's
    whole_words: bool  # every term is a whole word ("ivan": Ivan before Ivanov)
    changed_at: datetime
    order: int


def _ranked_ids(searchable: Searchable, actor: Actor, query: SearchQuery, limit: int) -> dict:
    """{id: rank} of this type's best candidates (some may be invisible: checked on load)."""
    visible = searchable.visible(actor)
    backend = backend_for(connections[visible.db])
    sees_all = searchable.sees_all(actor)

    def match(terms) -> list[int]:
        return backend.match(
            searchable.index,
            visible,
            tenant_id=actor.tenant.pk,
            terms=terms,
            limit=limit,
            tenant_wide=sees_all,
        )

    ranks: dict[int, int] = {}
    prefix_terms = query.word_start_terms()
    # A phone number's digits are found anywhere in the stored digits: no prefix tier.
    prefixed = match(prefix_terms) if any(t.word_start for t in prefix_terms) else []
    ranks.update(dict.fromkeys(prefixed, PREFIX))
    if len(prefixed) < limit:
        for pk in match(query.contained_terms()):
            ranks.setdefault(pk, CONTAINS)
    if searchable.exact is not None:
        ranks.update(dict.fromkeys(searchable.exact(actor, query), EXACT))
    return ranks


def _found(term: Term, text: str, *, whole: bool = False) -> bool:
    end = " " if whole else ""
    return any(f"{pattern}{end}" in text for pattern in patterns(term))


def _hits(searchable: Searchable, actor: Actor, query: SearchQuery, limit: int) -> list[Hit]:
    ranks = _ranked_ids(searchable, actor, query, limit)
    if not ranks:
        return []
    records = searchable.visible(actor).filter(pk__in=list(ranks))
    if searchable.prepare is not None:
        records = searchable.prepare(records, actor)
    terms = query.contained_terms()
    hits = []
    for record in records:
        shown = searchable.present(record)
        own_text = searchable.own_text(record) if searchable.own_text else None
        text = f" {own_text if own_text is not None else getattr(record, 'search_text', '')} "
        hits.append(
            Hit(
                type=searchable.type,
                id=record.pk,
                title=shown.title,
                subtitle=shown.subtitle,
                url=shown.url,
                rank=ranks[record.pk],
                own=own_text is None or all(_found(term, text) for term in terms),
                whole_words=all(_found(term, text, whole=True) for term in terms),
                changed_at=record.updated_at,
                order=searchable.order,
            )
        )
    return hits


def global_search(
    *, actor: Actor, text: str | None, types: list[str] | None = None, limit: int = DEFAULT_LIMIT
) -> list[Hit]:
    """The best `limit` records of the given types (default: all) for what the user typed."""
    query = parse_query(text, region=getattr(actor.tenant, "default_region", "") or "BG")
    if query is None:
        return []
    limit = max(1, min(limit, MAX_LIMIT))
    hits: list[Hit] = []
    for searchable in searchables(types):
        hits += _hits(searchable, actor, query, limit)
    hits.sort(
        key=lambda h: (
            -h.rank,
            not h.own,
            not h.whole_words,
            -h.changed_at.timestamp(),
            h.order,
            -h.id,
        )
    )
    return hits[:limit]
