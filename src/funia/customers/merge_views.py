"""Pages of merges: pick records to merge, compare and choose field by field, undo.

`/merge/new/?type=contact&ids=1,2,3` (also linked from the duplicate review) shows the records
side by side; `/merge/pick/?type=contact&id=1` finds the records to merge one with; the
survivor's page offers "Undo merge" (`customers/merge_notice.html`) while undo is possible.
"""

from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from pydantic import ValidationError as SchemaError

from funia.core.visibility import require_change, visible_records
from funia.customers import merge as merging
from funia.customers import selectors
from funia.customers.custom_fields import definitions
from funia.customers.filters import AccountFilter, ContactFilter
from funia.customers.models import Account, Contact
from funia.web.decorators import member_required
from funia.web.htmx import render_page_or_fragment

PICK_LIMIT = 20


@dataclass(frozen=True)
class Kind:
    name: str
    model: type
    merge: object
    filter_class: type
    list_selector: object


KINDS = {
    "contact": Kind(
        "contact", Contact, merging.contact_merge, ContactFilter, selectors.contact_list
    ),
    "account": Kind(
        "account", Account, merging.account_merge, AccountFilter, selectors.account_list
    ),
}


def _kind(request) -> Kind:
    kind = KINDS.get(request.GET.get("type", ""))
    if kind is None:
        raise Http404
    return kind


def _ids(values: list[str]) -> list[int]:
    """Record ids from `ids=1,2,3` (or repeated `ids`), in order, without repeats."""
    ids = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdecimal() or len(part) > 18:
                raise Http404
            if int(part) not in ids:
                ids.append(int(part))
    if len(ids) > merging.MAX_MERGED + 1:
        raise Http404
    return ids


def _records(request, kind: Kind, ids: list[int]) -> list:
    try:
        records = merging.records_for_merge(actor=request.actor, model=kind.model, ids=ids)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc
    for record in records:
        require_change(request.actor, record)
    return records


# -- the comparison ----------------------------------------------------------------------


@dataclass
class Row:
    """One field: each record's value, and the record the merge takes it from."""

    name: str
    label: str
    cells: list[tuple[object, str]]  # (record, its value as shown)
    values: list  # the records' values as stored
    chosen: int = 0
    differs: bool = field(init=False)

    def __post_init__(self):
        self.differs = len({repr(value) for value in self.values}) > 1


def _display(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return str(value)


def _rows(kind: Kind, records: list, chosen: dict[str, int]) -> list[Row]:
    rows = []
    for model_field in merging.choosable_fields(kind.model):
        cells = []
        for record in records:
            if model_field.choices:
                value = getattr(record, f"get_{model_field.name}_display")()
            else:
                value = getattr(record, model_field.name)
            cells.append((record, _display(value)))
        values = [getattr(r, model_field.attname) for r in records]
        label = str(model_field.verbose_name)
        rows.append(Row(model_field.name, label[:1].upper() + label[1:], cells, values))
    labels = {f.key: f.label for f in definitions(tenant=records[0].tenant_id, entity=kind.name)}
    for key in merging.custom_keys(records):
        values = [(r.custom or {}).get(key) for r in records]
        cells = [(r, _display(value)) for r, value in zip(records, values, strict=True)]
        rows.append(Row(merging.CUSTOM_PREFIX + key, labels.get(key, key), cells, values))
    for row in rows:
        row.chosen = chosen[row.name]
    return rows


def _united(records: list) -> list[tuple[str, str, list[str]]]:
    """(key, label, values) of the lists the survivor ends up with (duplicates once)."""

    def unique(values):
        return list(dict.fromkeys(v for v in values if v))

    lists = [
        ("emails", _("Emails"), unique(p.value for r in records for p in r.email_points)),
        ("phones", _("Phones"), unique(p.value for r in records for p in r.phone_points)),
        (
            "addresses",
            _("Addresses"),
            unique(
                ", ".join(filter(None, (a.street, a.postal_code, a.city, a.country)))
                for r in records
                for a in r.addresses.all()
            ),
        ),
        ("tags", _("Tags"), unique(name for r in records for name in r.tag_names)),
    ]
    if isinstance(records[0], Contact):
        accounts = unique(
            str(link.account) for r in records for link in r.account_links.select_related("account")
        )
        lists.append(("accounts", _("Further accounts"), accounts))
    return lists


def _posted_choices(request, rows: list[Row], ids: list[int]) -> dict[str, int]:
    choices = {}
    for row in rows:
        value = request.POST.get(f"field-{row.name}", "")
        if value.isdecimal() and int(value) in ids:
            choices[row.name] = int(value)
    return choices


@member_required
def merge_create(request):
    """Compare the records, choose the survivor and each field's value, and merge."""
    kind = _kind(request)
    ids = _ids(request.GET.getlist("ids"))
    if len(ids) == 1:
        query = urlencode({"type": kind.name, "id": ids[0]})
        return redirect(f"{reverse('merge_pick')}?{query}")
    if not ids:
        raise Http404
    records = _records(request, kind, ids)
    wanted = request.POST.get("survivor") or request.GET.get("survivor") or ""
    survivor = next((r for r in records if str(r.pk) == wanted), records[0])
    errors = [
        _("%(name)s (#%(id)s) was already merged into #%(into)s.")
        % {"name": r, "id": r.pk, "into": r.merged_into_id}
        if r.merged_into_id
        else _("%(name)s (#%(id)s) is in the trash; restore it first.") % {"name": r, "id": r.pk}
        for r in records
        if r.is_deleted
    ]
    chosen = merging.default_sources(records, survivor)
    rows = _rows(kind, records, chosen)
    blocked = bool(errors)
    if request.method == "POST" and not blocked:
        choices = _posted_choices(request, rows, ids)
        merged = [r for r in records if r.pk != survivor.pk]
        try:
            kind.merge(by=request.actor, survivor=survivor, merged=merged, fields=choices)
        except ValidationError as exc:
            errors = exc.messages
            for row in rows:
                row.chosen = choices.get(row.name, row.chosen)
        else:
            messages.success(
                request,
                ngettext(
                    "Merged %(count)d record into this one.",
                    "Merged %(count)d records into this one.",
                    len(merged),
                )
                % {"count": len(merged)},
            )
            return redirect(f"{kind.name}_detail", pk=survivor.pk)
    context = {
        "kind": kind.name,
        "records": records,
        "survivor": survivor,
        "differing": [row for row in rows if row.differs],
        "same": [row for row in rows if not row.differs],
        "united": _united(records),
        "moving": merging.related_counts(records),
        "errors": errors,
        "blocked": blocked,
        "undo_days": request.actor.tenant.merge_undo_days,
    }
    return render(request, "customers/merge_form.html", context)


# -- picking records ---------------------------------------------------------------------


@member_required
def merge_pick(request):
    """Find the records to merge one with: by search, or those with the same name."""
    kind = _kind(request)
    ids = _ids([request.GET.get("id", "")])
    if len(ids) != 1:
        raise Http404
    try:
        source = visible_records(kind.model, request.actor).get(pk=ids[0])
    except ObjectDoesNotExist as exc:
        raise Http404 from exc
    require_change(request.actor, source)
    query = request.GET.get("q", "").strip()[:200]
    try:
        filters = kind.filter_class(q=query or None)
    except SchemaError:
        filters = kind.filter_class()
    candidates = kind.list_selector(actor=request.actor, filters=filters).exclude(pk=source.pk)
    if not query:
        candidates = candidates.filter(name_key=source.name_key) if source.name_key else []
    context = {
        "kind": kind.name,
        "source": source,
        "query": query,
        "candidates": list(candidates[:PICK_LIMIT]),
    }
    return render_page_or_fragment(
        request, "customers/merge_pick.html", "customers/merge_pick_results.html", context
    )


# -- undo --------------------------------------------------------------------------------


@require_POST
@member_required
def merge_undo(request):
    """Undo a merge (the button on the survivor's page)."""
    merge_id = request.POST.get("merge", "")
    if not merge_id.isdecimal() or len(merge_id) > 18:
        raise Http404
    try:
        merge = merging.merge_get(actor=request.actor, pk=int(merge_id))
    except ObjectDoesNotExist as exc:
        raise Http404 from exc
    try:
        merging.merge_undo(by=request.actor, merge=merge)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The merge was undone; the merged records are back."))
    return redirect(f"{merge.type}_detail", pk=merge.survivor_id)


urlpatterns = [
    # The duplicate review links here as /merge/new/?type=contact&ids=1,2,3.
    path("merge/new/", merge_create, name="merge_create"),
    path("merge/pick/", merge_pick, name="merge_pick"),
    path("merge/undo/", merge_undo, name="merge_undo"),
]
