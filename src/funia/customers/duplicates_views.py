"""The duplicate review page: clusters of the latest scan, and a scan with its progress bar."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from funia.customers import dedupe
from funia.customers.models import DuplicateScan
from funia.web.decorators import member_required
from funia.web.htmx import wants_fragment

PAGE_SIZE = 50
MERGE_LINK_MAX = 21  # the merge page takes a survivor and at most 20 merged records


def _record_type(value) -> str:
    return value if value in DuplicateScan.Type.values else DuplicateScan.Type.CONTACT


def _scan_context(request, record_type: str) -> dict:
    latest = dedupe.duplicate_scan_latest(actor=request.actor, record_type=record_type)
    return {
        "record_type": record_type,
        "latest": latest,
        "can_scan": dedupe.can_scan(request.actor),
    }


def _merge_url(record_type: str, records: list) -> str:
    ids = ",".join(str(record.pk) for record in records[:MERGE_LINK_MAX])
    return "/merge/new/?" + urlencode({"type": record_type, "ids": ids}, safe=",")


@member_required
def duplicate_list(request):
    """The clusters page; to HTMX (the progress bar polling) only the scan status."""
    record_type = _record_type(request.GET.get("type"))
    context = _scan_context(request, record_type)
    if wants_fragment(request):
        latest, watched = context["latest"], request.GET.get("watch", "")
        if latest is not None and watched == str(latest.pk) and not latest.is_active:
            return HttpResponseClientRefresh()  # the scan ended: show its clusters
        response = render(request, "customers/duplicates_scan.html", context)
        patch_vary_headers(response, ("HX-Request",))
        return response
    scan = dedupe.duplicate_scan_latest(actor=request.actor, record_type=record_type, finished=True)
    clusters = dedupe.duplicate_cluster_list(actor=request.actor, scan=scan)
    page = Paginator(clusters, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for cluster in page.object_list:
        records = [getattr(member, record_type) for member in cluster.visible_members]
        rows.append(
            {
                "cluster": cluster,
                "records": records,
                "reasons": dedupe.reason_labels(cluster.reasons),
                "merge_url": _merge_url(record_type, records),
            }
        )
    context |= {
        "scan": scan,
        "page": page,
        "rows": rows,
        "detail_url": f"{record_type}_detail",
        "types": DuplicateScan.Type.choices,
        "query": urlencode({"type": record_type}),
    }
    response = render(request, "customers/duplicates.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@require_POST
@member_required
def duplicate_scan_start(request):
    """Start a scan (admins and sales managers; others get 403)."""
    record_type = _record_type(request.POST.get("type"))
    dedupe.duplicate_scan_start(by=request.actor, record_type=record_type)
    if request.htmx:
        return render(
            request, "customers/duplicates_scan.html", _scan_context(request, record_type)
        )
    messages.success(request, _("The scan has started."))
    return redirect(f"{reverse('duplicate_list')}?{urlencode({'type': record_type})}")


urlpatterns = [
    path("duplicates/", duplicate_list, name="duplicate_list"),
    path("duplicates/scan/", duplicate_scan_start, name="duplicate_scan_start"),
]
