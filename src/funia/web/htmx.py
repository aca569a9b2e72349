"""One view answers both the full page and its HTMX fragment."""

from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def wants_fragment(request) -> bool:
    # A history restore (Back after hx-push-url) needs the whole page, not the fragment.
    return bool(request.htmx) and not request.htmx.history_restore_request


def render_page_or_fragment(request, page: str, fragment: str, context: dict):
    response = render(request, fragment if wants_fragment(request) else page, context)
    patch_vary_headers(response, ("HX-Request", "HX-History-Restore-Request"))
    return response
