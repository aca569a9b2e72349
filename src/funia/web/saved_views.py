"""Saved views of list pages: save the current filters under a name, open them later."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from funia.core import selectors, services
from funia.web.decorators import member_required


def _list_url(list_key: str) -> str:
    try:
        return reverse(list_key)
    except NoReverseMatch as exc:
        raise Http404 from exc


@require_POST
@member_required
def saved_view_save(request):
    list_key = request.POST.get("list_key", "")
    url = _list_url(list_key)
    try:
        view = services.saved_view_create(
            by=request.actor,
            list_key=list_key,
            name=request.POST.get("name", ""),
            query=request.POST.get("query", ""),
            shared=request.POST.get("shared") == "on",
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(url)
    messages.success(request, _("The view “%(name)s” was saved.") % {"name": view.name})
    return HttpResponseRedirect(f"{url}?{view.query}")


@require_POST
@member_required
def saved_view_delete(request, pk: int):
    view = next(
        (
            v
            for v in selectors.saved_views_for(
                actor=request.actor, list_key=request.POST.get("list_key", "")
            )
            if v.pk == pk
        ),
        None,
    )
    if view is None:
        raise Http404
    services.saved_view_delete(by=request.actor, view=view)
    messages.success(request, _("The view was deleted."))
    return HttpResponseRedirect(_list_url(view.list_key))
