"""The list / detail / form / trash pattern every record type's pages share.

An app describes its record type once (selectors, services, form, filter schema, templates)
and gets the five views: list (full page, or the rows fragment for HTMX), detail with the
audit trail, create/edit with optimistic concurrency, delete to the trash, restore.
"""

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from pydantic import ValidationError as SchemaError

from funia.core.errors import DuplicatesFound
from funia.core.records import StaleVersion
from funia.core.selectors import audit_trail, membership_list, saved_views_for
from funia.core.visibility import visible_records
from funia.web.decorators import member_required
from funia.web.forms import add_service_errors
from funia.web.htmx import render_page_or_fragment

PAGE_SIZE = 50


@dataclass
class RecordPages:
    name: str  # "account": templates customers/account_*.html, url names account_*
    app: str
    filter_class: Any
    list_selector: Any  # (actor, filters) -> queryset
    get_selector: Any  # (actor, pk, with_deleted) -> record
    form_class: Any
    create: Any  # (by, **fields) -> record
    update: Any  # (by, record, fields, if_match) -> record
    delete: Any  # (by, record) -> record
    restore: Any  # (by, record) -> record
    detail_context: Any = None  # (actor, record) -> dict

    def template(self, page: str) -> str:
        return f"{self.app}/{self.name}_{page}.html"

    def _get(self, request, pk: int, *, with_deleted: bool = False):
        try:
            return self.get_selector(actor=request.actor, pk=pk, with_deleted=with_deleted)
        except ObjectDoesNotExist as exc:
            raise Http404 from exc

    def list_view(self):
        @member_required
        def view(request):
            params = {k: v for k, v in request.GET.items() if v not in ("", None) and k != "page"}
            try:
                filters = self.filter_class(**params)
            except SchemaError:
                filters = self.filter_class()
                messages.error(request, _("Some filters were not valid and were ignored."))
            queryset = self.list_selector(actor=request.actor, filters=filters)
            page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
            context = {
                "page": page,
                "filters": filters,
                "query": request.GET.urlencode(),
                "list_key": f"{self.name}_list",
                # Lazy: evaluated only by lists that offer an owner filter.
                "owners": membership_list(tenant=request.actor.tenant).filter(is_active=True),
                "saved_views": saved_views_for(actor=request.actor, list_key=f"{self.name}_list"),
            }
            return render_page_or_fragment(
                request, self.template("list"), self.template("rows"), context
            )

        return view

    def detail_view(self):
        @member_required
        def view(request, pk: int):
            record = self._get(request, pk, with_deleted=True)
            context = {
                "record": record,
                "audit": audit_trail(
                    tenant=request.actor.tenant,
                    object_type=record._meta.label_lower,
                    object_id=record.pk,
                ),
            }
            if self.detail_context:
                context |= self.detail_context(actor=request.actor, record=record)
            return render(request, self.template("detail"), context)

        return view

    def form_view(self):
        @member_required
        def view(request, pk: int | None = None):
            record = self._get(request, pk) if pk else None
            # A new record may be prefilled from the query (?account=12 from an account card).
            initial = request.GET.dict() if record is None else None
            form = self.form_class(
                request.POST or None, instance=record, actor=request.actor, initial=initial
            )
            duplicates = None
            if request.method == "POST" and form.is_valid():
                # "Save anyway" under the duplicate candidates posts on_duplicate=create.
                options = {"on_duplicate": "create"} if "on_duplicate" in request.POST else {}
                try:
                    if record:
                        record = self.update(
                            by=request.actor,
                            fields=form.service_fields(),
                            if_match=request.POST.get("etag") or None,
                            **options,
                            **{self.name: record},
                        )
                    else:
                        record = self.create(by=request.actor, **options, **form.service_fields())
                except DuplicatesFound as exc:
                    duplicates = self._candidates(request.actor, exc.candidates)
                    form.add_error(
                        None,
                        _(
                            "This may duplicate a record that exists: check the possible "
                            "duplicates below the form, or save anyway."
                        ),
                    )
                except ValidationError as exc:
                    add_service_errors(form, exc)
                except StaleVersion:
                    form.add_error(
                        None,
                        _(
                            "Someone else changed this record meanwhile. "
                            "Reload the page to see their change, then try again."
                        ),
                    )
                else:
                    messages.success(request, _("Saved."))
                    return redirect(f"{self.name}_detail", pk=record.pk)
            context = {"form": form, "record": record, "duplicates": duplicates}
            return render(request, self.template("form"), context)

        return view

    def _candidates(self, actor, candidates: list) -> list[dict]:
        """Possible duplicates for the form: named and linked when the actor may see them,
        else only their score and reasons (their name is not the actor's to read)."""
        if not candidates:
            return []
        pks = [c.record.pk for c in candidates]
        visible = set(
            visible_records(type(candidates[0].record), actor)
            .filter(pk__in=pks)
            .values_list("pk", flat=True)
        )
        shown = []
        for c in candidates:
            seen = c.record.pk in visible
            shown.append(
                {
                    "record": c.record if seen else None,
                    "url": reverse(f"{self.name}_detail", args=[c.record.pk]) if seen else None,
                    "score": c.score,
                    "reasons": getattr(c, "reason_labels", c.reasons),
                }
            )
        return shown

    def delete_view(self):
        @require_POST
        @member_required
        def view(request, pk: int):
            record = self._get(request, pk)
            try:
                self.delete(by=request.actor, **{self.name: record})
            except ValidationError as exc:  # e.g. a record that is read-only by now
                messages.error(request, " ".join(exc.messages))
                return redirect(f"{self.name}_detail", pk=record.pk)
            messages.success(request, _("Moved to the trash. You can restore it from there."))
            return redirect(f"{self.name}_list")

        return view

    def restore_view(self):
        @require_POST
        @member_required
        def view(request, pk: int):
            record = self._get(request, pk, with_deleted=True)
            try:
                self.restore(by=request.actor, **{self.name: record})
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("Restored."))
            return redirect(f"{self.name}_detail", pk=record.pk)

        return view

    def urlpatterns(self, prefix: str) -> list:
        from django.urls import path

        return [
            path(f"{prefix}/", self.list_view(), name=f"{self.name}_list"),
            path(f"{prefix}/new/", self.form_view(), name=f"{self.name}_create"),
            path(f"{prefix}/<id:pk>/", self.detail_view(), name=f"{self.name}_detail"),
            path(f"{prefix}/<id:pk>/edit/", self.form_view(), name=f"{self.name}_edit"),
            path(f"{prefix}/<id:pk>/delete/", self.delete_view(), name=f"{self.name}_delete"),
            path(f"{prefix}/<id:pk>/restore/", self.restore_view(), name=f"{self.name}_restore"),
        ]
