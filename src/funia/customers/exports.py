"""Export of account and contact lists: CSV, XLSX and vCard 4.0, streamed.

An export is the list the user sees: the same filter schema and selector as the list page
and the API list (so the visibility policy applies), every row, not one page. Spreadsheet
formula injection is neutralised in CSV and XLSX (a cell that starts with = + - @, a tab or
a carriage return gets a leading apostrophe). CSV and vCard stream row by row; XLSX is
written by openpyxl in write-only mode to a temporary file that is then streamed.

The column headers are the import's field labels, so an exported file imports back with
its columns recognised.
"""

import csv
import datetime
import re
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.http import FileResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import ValidationError as SchemaError

from funia.core.actor import Actor
from funia.customers import selectors
from funia.customers.custom_fields import definitions
from funia.customers.filters import AccountFilter, ContactFilter
from funia.web.decorators import member_required

FORMATS = ("csv", "xlsx", "vcf")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "vcf": "text/vcard; charset=utf-8",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ITERATOR_CHUNK = 1000
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def neutralise(value):
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class Echo:
    """A file-like object whose write() returns the line, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


# -- columns -----------------------------------------------------------------------------


def _points(record, kind: str) -> list:
    return [p for p in record.points.all() if p.kind == kind]


def _phone(record) -> str:
    phones = [p for p in _points(record, "phone") if p.label.lower() not in {"mobile", "cell"}]
    return phones[0].value if phones else ""


def _mobile(record) -> str:
    phones = [p for p in _points(record, "phone") if p.label.lower() in {"mobile", "cell"}]
    return phones[0].value if phones else ""


def _email(n: int) -> Callable:
    def get(record) -> str:
        emails = _points(record, "email")
        return emails[n].value if len(emails) > n else ""

    return get


def _address(part: str) -> Callable:
    def get(record) -> str:
        addresses = list(record.addresses.all())
        if addresses:
            return getattr(addresses[0], part)
        # Accounts keep their own city, region and country besides postal addresses.
        return getattr(record, part, "") or ""

    return get


def _attr(name: str) -> Callable:
    return lambda record: getattr(record, name)


def _name_of(name: str) -> Callable:
    def get(record) -> str:
        related = getattr(record, name)
        return related.name if related is not None else ""

    return get


def _owner(record) -> str:
    return record.owner.email if record.owner_id and record.owner else ""


def _custom(key: str) -> Callable:
    return lambda record: record.custom.get(key, "")


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable  # record -> value


def columns(*, tenant, entity: str) -> list[Column]:
    """The export's columns; headers are the import's labels of the same fields."""
    from funia.imports.customers import targets as t

    shared_tail = [
        Column(str(t.EMAIL.label), _email(0)),
        Column(str(t.EMAIL_2.label), _email(1)),
        Column(str(t.PHONE.label), _phone),
        Column(str(t.MOBILE.label), _mobile),
        *(
            Column(str(f.label), _address(f.key))
            for f in (t.STREET, t.CITY, t.POSTAL_CODE, t.REGION, t.COUNTRY)
        ),
        Column(str(t.TAGS.label), lambda r: ", ".join(r.tag_names)),
        Column(str(t.SOURCE.label), _attr("source")),
        Column(str(t.OWNER.label), _owner),
    ]
    if entity == "contact":
        head = [
            Column("ID", _attr("pk")),
            Column(str(t.FIRST_NAME.label), _attr("first_name")),
            Column(str(t.LAST_NAME.label), _attr("last_name")),
            Column(str(t.TITLE.label), _attr("title")),
            Column(str(t.ACCOUNT.label), _name_of("account")),
        ]
    else:
        head = [
            Column("ID", _attr("pk")),
            Column(str(t.NAME.label), _attr("name")),
            Column(str(t.DOMAIN.label), _attr("domain")),
            Column(str(t.INDUSTRY.label), _attr("industry")),
            Column(str(t.SEGMENT.label), _attr("segment")),
            Column(str(t.EMPLOYEES.label), _attr("employees")),
            Column(str(t.PARENT.label), _name_of("parent")),
        ]
    custom = [
        Column(field.label, _custom(field.key))
        for field in definitions(tenant=tenant, entity=entity)
    ]
    tail = [
        Column(_("Created"), _attr("created_at")),
        Column(_("Changed"), _attr("updated_at")),
    ]
    return [*head, *shared_tail, *custom, *tail]


def records(*, actor: Actor, entity: str, filters) -> Iterator:
    """Every record of the filtered list (visibility applied), fetched in chunks."""
    if entity == "contact":
        queryset = selectors.contact_list(actor=actor, filters=filters)
    else:
        queryset = selectors.account_list(actor=actor, filters=filters)
    return queryset.iterator(chunk_size=ITERATOR_CHUNK)


# -- CSV ---------------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def csv_lines(cols: list[Column], rows: Iterable) -> Iterator[str]:
    writer = csv.writer(Echo())
    yield "\ufeff"  # spreadsheet programs then read the file as UTF-8
    yield writer.writerow([neutralise(c.header) for c in cols])
    for record in rows:
        yield writer.writerow([neutralise(_text(c.value(record))) for c in cols])


# -- XLSX --------------------------------------------------------------------------------


def _cell(value):
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, bool | int | float):
        return value
    return neutralise(_XLSX_ILLEGAL.sub("", str(value)))


def xlsx_file(cols: list[Column], rows: Iterable, title: str):
    """A temporary file (deleted when closed) holding the workbook."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([_cell(c.header) for c in cols])
    for record in rows:
        sheet.append([_cell(c.value(record)) for c in cols])
    output = tempfile.TemporaryFile()  # noqa: SIM115  (closed by the FileResponse)
    workbook.save(output)
    output.seek(0)
    return output


# -- vCard 4.0 (RFC 6350) ----------------------------------------------------------------


def vcard_escape(value) -> str:
    text = str(value or "")
    return (
        text.replace("\\", "\\\\")
        .replace(",", "\\,")
        .replace(";", "\\;")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def vcard_fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 6350 3.2)."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line + "\r\n"
    parts, current, size = [], "", 0
    limit = 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size, limit = "", 0, 74  # continuation lines start with a space
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts) + "\r\n"


def _uid(record) -> str:
    name = f"funia:{record.tenant_id}:{record._meta.model_name}:{record.pk}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def vcard(record) -> str:
    is_contact = record._meta.model_name == "contact"
    lines = ["BEGIN:VCARD", "VERSION:4.0", f"UID:{_uid(record)}"]
    if is_contact:
        lines.append("KIND:individual")
        lines.append(f"FN:{vcard_escape(str(record)) or vcard_escape(record.last_name)}")
        lines.append(f"N:{vcard_escape(record.last_name)};{vcard_escape(record.first_name)};;;")
        if record.account_id and record.account:
            lines.append(f"ORG:{vcard_escape(record.account.name)}")
        if record.title:
            lines.append(f"TITLE:{vcard_escape(record.title)}")
    else:
        lines.append("KIND:org")
        lines.append(f"FN:{vcard_escape(record.name)}")
        lines.append(f"ORG:{vcard_escape(record.name)}")
        if record.domain:
            lines.append(f"URL:https://{record.domain}")
    for index, point in enumerate(_points(record, "email")):
        pref = ";PREF=1" if index == 0 else ""
        lines.append(f"EMAIL{pref}:{vcard_escape(point.value)}")
    for point in _points(record, "phone"):
        kind = "cell" if point.label.lower() in {"mobile", "cell"} else "voice"
        lines.append(f"TEL;VALUE=uri;TYPE={kind}:tel:{point.value}")
    for address in record.addresses.all():
        parts = ("", "", address.street, address.city, address.region, address.postal_code)
        lines.append("ADR:" + ";".join(vcard_escape(p) for p in (*parts, address.country)))
    if record.tag_names:
        lines.append("CATEGORIES:" + ",".join(vcard_escape(t) for t in record.tag_names))
    revision = record.updated_at.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    lines.append(f"REV:{revision}")
    lines.append("END:VCARD")
    return "".join(vcard_fold(line) for line in lines)


def vcard_lines(rows: Iterable) -> Iterator[str]:
    for record in rows:
        yield vcard(record)


# -- responses ---------------------------------------------------------------------------


def export_response(*, actor: Actor, entity: str, filters, file_format: str):
    """The whole filtered list as a download in `file_format` (csv, xlsx or vcf)."""
    cols = columns(tenant=actor.tenant, entity=entity)
    rows = records(actor=actor, entity=entity, filters=filters)
    stamp = timezone.localdate().isoformat()
    name = f"{'contacts' if entity == 'contact' else 'accounts'}-{stamp}.{file_format}"
    if file_format == "xlsx":
        title = _("Contacts") if entity == "contact" else _("Accounts")
        return FileResponse(
            xlsx_file(cols, rows, str(title)),
            as_attachment=True,
            filename=name,
            content_type=CONTENT_TYPES["xlsx"],
        )
    lines = vcard_lines(rows) if file_format == "vcf" else csv_lines(cols, rows)
    response = StreamingHttpResponse(lines, content_type=CONTENT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# -- pages: /contacts/export/ and /accounts/export/ ---------------------------------------

FILTERS = {"contact": ContactFilter, "account": AccountFilter}


def _export_view(entity: str):
    @member_required
    def view(request):
        file_format = request.GET.get("format", "csv")
        if file_format not in FORMATS:
            return HttpResponseBadRequest(_("Choose the format csv, xlsx or vcf."))
        params = {
            key: value
            for key, value in request.GET.items()
            if value not in ("", None) and key not in {"page", "format"}
        }
        try:
            filters = FILTERS[entity](**params)
        except SchemaError:
            return HttpResponseBadRequest(_("Some filters are not valid."))
        return export_response(
            actor=request.actor, entity=entity, filters=filters, file_format=file_format
        )

    view.__name__ = f"{entity}_export"
    return view


urlpatterns = [
    path("contacts/export/", _export_view("contact"), name="contact_export"),
    path("accounts/export/", _export_view("account"), name="account_export"),
]
