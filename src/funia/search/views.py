"""The search page and the top bar's live results: one view, the page or its fragment."""

from django.utils.text import capfirst

from funia.search.registry import searchables
from funia.search.selectors import MAX_LIMIT, global_search
from funia.web.decorators import member_required
from funia.web.htmx import render_page_or_fragment, wants_fragment

LIVE_LIMIT = 8
# The top bar's results panel: its HTMX requests name it as their target.
LIVE_TARGET = "search-live"


@member_required
def search(request):
    text = request.GET.get("q", "").replace("\x00", "")[:200]
    kinds = searchables()
    chosen = [t for t in request.GET.getlist("types") if t in {s.type for s in kinds}]
    live = wants_fragment(request) and request.htmx.target == LIVE_TARGET
    hits = global_search(
        actor=request.actor,
        text=text,
        types=None if live or not chosen else chosen,
        limit=LIVE_LIMIT if live else MAX_LIMIT,
    )
    labels = {s.type: capfirst(s.model_class._meta.verbose_name) for s in kinds}
    context = {
        "q": text,
        "hits": [(hit, labels[hit.type]) for hit in hits],
        "live": live,
        "kinds": [(s.type, s.label, s.type in chosen) for s in kinds],
    }
    return render_page_or_fragment(request, "search/search.html", "search/_results.html", context)
