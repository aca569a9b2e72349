"""The search index as a list filter: `?q=` of a list without scanning the table.

`text_filter("contact", "ivan petrov")` is a `Q` on the model's rows whose search document
contains every word (names in any script, emails, phone digits, the company for contacts),
for a list selector to combine with its other filters; its count then costs what the
matches cost, not what the table costs.
"""

from django.db import connections
from django.db.models import Q
from django.db.models.expressions import RawSQL

from funia.search.backends import backend_for
from funia.search.query import parse_query
from funia.search.registry import searchables


def text_filter(record_type: str, text: str | None, *, region: str = "BG", using="default") -> Q:
    """Rows of `record_type` that contain every term of `text` (an empty text: all rows)."""
    query = parse_query(text, region=region)
    if query is None:
        return Q() if not (text or "").strip() else Q(pk__in=[])
    (searchable,) = searchables([record_type])
    documents = backend_for(connections[using]).documents_sql(
        searchable.index, query.contained_terms()
    )
    if documents is None:
        return Q(pk__in=[])
    return Q(pk__in=RawSQL(*documents))  # noqa: S611  (built from the spec; text as params)
