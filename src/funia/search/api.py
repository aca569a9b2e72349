"""API of the global search: GET /search."""

from ninja import Query, Router

from funia.search.schemas import SearchOut, SearchParams
from funia.search.selectors import global_search

router = Router(tags=["search"])


@router.get(
    "/search",
    response=SearchOut,
    summary="Find accounts, contacts (and more) by name, email, phone or company",
    description=(
        "Names match in any script (`ivan petrov` finds `Иван Петров`), phones in any "
        "format, parts of words too. Ranked: exact (a whole name, an email, a phone), "
        "then words that start with the query, then anything containing it; within each, "
        "the most recently changed first. Only records you may see."
    ),
)
def search(request, params: Query[SearchParams]):
    hits = global_search(
        actor=request.auth, text=params.q, types=params.type_list(), limit=params.limit
    )
    return {
        "items": [
            {
                "type": hit.type,
                "id": hit.id,
                "title": hit.title,
                "subtitle": hit.subtitle,
                "url": request.build_absolute_uri(hit.url),
            }
            for hit in hits
        ]
    }
