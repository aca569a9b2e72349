"""Reading uploaded files as a table: a header and rows of text cells.

CSV in any common encoding (BOM, UTF-8, Windows-1251, ... detected with charset-normalizer)
and delimiter (csv.Sniffer, checked against the rows); XLSX through openpyxl in read-only
mode; vCard 3.0 (vobject) and 4.0 (the same reader, with the 4.0 forms of TEL, TYPE and
VALUE handled here), turned into fixed columns. Everything streams: a file is never held in
memory whole.

Row numbers are those a person sees in the file: in CSV and XLSX the header is row 1 and
blank rows count; in a vCard file the n-th card is row n.
"""

import codecs
import contextlib
import csv
import datetime
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import charset_normalizer
from django.utils.translation import gettext as _

SAMPLE_BYTES = 1024 * 1024
SNIFF_CHARS = 64 * 1024
DELIMITERS = ",;\t|"
MAX_COLUMNS = 500
csv.field_size_limit(10 * 1024 * 1024)

# The columns a vCard becomes (their names are guessed like any header).
VCARD_COLUMNS = [
    "Full name",
    "First name",
    "Last name",
    "Email",
    "Email 2",
    "Phone",
    "Mobile",
    "Organisation",
    "Title",
    "Street",
    "City",
    "Region",
    "Postal code",
    "Country",
    "Website",
    "Tags",
    "Note",
]


class FileProblem(ValueError):
    """The file cannot be read as a table; the message is for the user."""


@dataclass
class TableInfo:
    file_format: str  # csv | xlsx | vcf
    headers: list[str]
    encoding: str = ""
    delimiter: str = ""


@dataclass
class Row:
    number: int
    cells: list[str]
    problem: str = ""  # the row could not be read at all (a broken vCard)
    extra: list[str] = field(default_factory=list)


def detect_format(file_name: str, head: bytes) -> str:
    name = (file_name or "").lower()
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileProblem(_("Old Excel files (.xls) are not supported; save it as XLSX or CSV."))
    if name.endswith((".vcf", ".vcard")) or re.search(rb"(?im)^\s*begin:vcard", head[:4096]):
        return "vcf"
    if name.endswith(".xlsx"):
        raise FileProblem(_("This is not a readable XLSX file."))
    return "csv"


# -- encodings ---------------------------------------------------------------------------


def detect_encoding(sample: bytes) -> str:
    """BOM first, then strict UTF-8, then charset-normalizer's best guess."""
    for bom, name in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if sample.startswith(bom):
            return name
    try:
        # A multi-byte character may be cut at the end of the sample.
        sample.decode("utf-8") if len(sample) < SAMPLE_BYTES else sample[:-4].decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(sample).best()
    if best is None:
        raise FileProblem(_("The file's text encoding cannot be recognised."))
    return codecs.lookup(best.encoding).name


@contextlib.contextmanager
def _text_stream(binary, encoding: str):
    """The binary file as text; detached afterwards, so the file itself stays open."""
    binary.seek(0)
    text = io.TextIOWrapper(binary, encoding=encoding, errors="replace", newline="")
    try:
        yield text
    finally:
        if not binary.closed:
            text.detach()


def _clean(value: str) -> str:
    # Databases refuse NUL; a BOM or stray spaces around a cell carry no meaning.
    return value.replace("\x00", "").replace("\ufeff", "").strip()


def _unique_headers(cells: list[str]) -> list[str]:
    cells = [_clean(str(c or "")) for c in cells[:MAX_COLUMNS]]
    while cells and not cells[-1]:
        cells.pop()
    headers, taken = [], set()
    for index, cell in enumerate(cells):
        base = cell[:240] or _("Column %(n)d") % {"n": index + 1}
        name, count = base, 1
        while name.lower() in taken:
            count += 1
            name = f"{base} ({count})"
        taken.add(name.lower())
        headers.append(name)
    return headers


# -- CSV ---------------------------------------------------------------------------------


def _sniff_delimiter(text: str) -> str:
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    if not lines:
        raise FileProblem(_("The file is empty."))

    def consistent(delimiter: str) -> int:
        rows = list(csv.reader(lines[:-1] or lines, delimiter=delimiter))
        widths = {len(r) for r in rows}
        return len(rows[0]) if len(widths) == 1 and len(rows[0]) > 1 else 0

    try:
        sniffed = csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
        if consistent(sniffed):
            return sniffed
    except csv.Error:
        pass
    scored = sorted(DELIMITERS, key=lambda d: (consistent(d), lines[0].count(d)), reverse=True)
    return scored[0] if lines[0].count(scored[0]) else ","


def _csv_records(binary, info: TableInfo):
    number = 0
    with _text_stream(binary, info.encoding) as text:
        try:
            for record in csv.reader(text, delimiter=info.delimiter):
                number += 1
                yield number, record
        except csv.Error as exc:
            raise FileProblem(
                _("Row %(row)d cannot be read as CSV: %(error)s")
                % {"row": number + 1, "error": exc}
            ) from exc


def _sniff_csv(binary) -> TableInfo:
    binary.seek(0)
    sample = binary.read(SAMPLE_BYTES)
    if not sample.strip():
        raise FileProblem(_("The file is empty."))
    encoding = detect_encoding(sample)
    text = sample.decode(encoding, errors="ignore")[:SNIFF_CHARS]
    info = TableInfo("csv", [], encoding, _sniff_delimiter(text.lstrip("\ufeff")))
    with contextlib.closing(_csv_records(binary, info)) as records:
        for _number, record in records:
            if any(_clean(c) for c in record):
                info.headers = _unique_headers(record)
                break
    return info


# -- XLSX --------------------------------------------------------------------------------


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return _clean(str(value))


def _open_workbook(binary):
    from openpyxl import load_workbook

    binary.seek(0)
    try:
        return load_workbook(binary, read_only=True, data_only=True)
    except Exception as exc:  # zipfile, XML and openpyxl errors alike: a broken file
        raise FileProblem(_("This is not a readable XLSX file.")) from exc


def _xlsx_records(binary):
    workbook = _open_workbook(binary)
    try:
        if not workbook.worksheets:
            raise FileProblem(_("The workbook has no sheets."))
        sheet = workbook.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(v) for v in values[:MAX_COLUMNS]]
    except FileProblem:
        raise
    except Exception as exc:
        raise FileProblem(_("This is not a readable XLSX file.")) from exc
    finally:
        workbook.close()


# -- vCard -------------------------------------------------------------------------------


def _vcard_texts(binary, encoding: str) -> Iterator[tuple[int, str]]:
    """(card number, the card's text) for each BEGIN:VCARD ... END:VCARD block."""
    number, lines = 0, None
    with _text_stream(binary, encoding) as text:
        for line in text:
            stripped = line.strip().lstrip("\ufeff")
            upper = stripped.upper()
            if upper == "BEGIN:VCARD":
                number += 1
                lines = [stripped]
            elif lines is not None:
                lines.append(line.rstrip("\r\n"))
                if upper == "END:VCARD":
                    yield number, "\r\n".join(lines) + "\r\n"
                    lines = None


def _types(prop) -> set[str]:
    found = set()
    for value in prop.params.get("TYPE", []):
        found.update(part.strip().strip('"').lower() for part in value.split(","))
    # vCard 2.1 style: TEL;CELL:...
    found.update(k.lower() for k, v in prop.params.items() if not v and k != "TYPE")
    return found


def _text(value) -> str:
    if isinstance(value, list | tuple):
        return " ".join(_text(v) for v in value if v)
    return _clean(str(value or ""))


def _phone_value(prop) -> str:
    value = _text(prop.value)
    if value.lower().startswith("tel:"):  # vCard 4.0: VALUE=uri:tel:+1-555-555-5555;ext=5
        value = value[4:].split(";", 1)[0]
    return value


def _email_value(prop) -> str:
    value = _text(prop.value)
    return value[7:] if value.lower().startswith("mailto:") else value


def _vcard_cells(card) -> list[str]:
    import vobject  # noqa: F401  (registers the vCard behaviours)

    cells = dict.fromkeys(VCARD_COLUMNS, "")
    contents = card.contents
    if "fn" in contents:
        cells["Full name"] = _text(contents["fn"][0].value)
    if "n" in contents:
        name = contents["n"][0].value
        if hasattr(name, "family"):
            cells["Last name"] = _text(name.family)
            cells["First name"] = _text([name.given, name.additional])
        else:
            parts = [*str(name).split(";"), "", ""][:2]
            cells["Last name"], cells["First name"] = _clean(parts[0]), _clean(parts[1])
    emails = [_email_value(p) for p in contents.get("email", []) if _text(p.value)]
    cells["Email"], cells["Email 2"] = ([*emails, "", ""])[:2]
    phones, mobiles = [], []
    for prop in contents.get("tel", []):
        if not _text(prop.value):
            continue
        types = _types(prop)
        (mobiles if {"cell", "mobile"} & types else phones).append(_phone_value(prop))
    cells["Phone"] = (phones or [""])[0]
    cells["Mobile"] = (mobiles or [""])[0]
    if "org" in contents:
        org = contents["org"][0].value
        cells["Organisation"] = _text(org[0] if isinstance(org, list | tuple) and org else org)
    if "title" in contents:
        cells["Title"] = _text(contents["title"][0].value)
    if "adr" in contents:
        address = contents["adr"][0].value
        if hasattr(address, "street"):
            cells["Street"] = _text(address.street)
            cells["City"] = _text(address.city)
            cells["Region"] = _text(address.region)
            cells["Postal code"] = _text(address.code)
            cells["Country"] = _text(address.country)
    if "url" in contents:
        cells["Website"] = _text(contents["url"][0].value)
    if "categories" in contents:
        values = contents["categories"][0].value
        cells["Tags"] = ", ".join(values) if isinstance(values, list) else _text(values)
    if "note" in contents:
        cells["Note"] = _text(contents["note"][0].value)
    return [cells[column] for column in VCARD_COLUMNS]


def _vcard_rows(binary, info: TableInfo) -> Iterator[Row]:
    import vobject

    for number, text in _vcard_texts(binary, info.encoding):
        try:
            card = vobject.readOne(text)
            cells = _vcard_cells(card)
        except Exception as exc:  # vobject raises many kinds of errors on bad cards
            yield Row(number, [""] * len(VCARD_COLUMNS), _("This card cannot be read: %s") % exc)
            continue
        yield Row(number, cells)


# -- the table ---------------------------------------------------------------------------


def sniff(binary, file_name: str) -> TableInfo:
    """The file's format, encoding, delimiter and header; FileProblem when unreadable."""
    binary.seek(0)
    head = binary.read(8192)
    file_format = detect_format(file_name, head)
    if file_format == "xlsx":
        with contextlib.closing(_xlsx_records(binary)) as records:
            for _number, cells in records:
                if any(cells):
                    return TableInfo("xlsx", _unique_headers(cells))
        raise FileProblem(_("The first sheet is empty."))
    if file_format == "vcf":
        binary.seek(0)
        encoding = detect_encoding(binary.read(SAMPLE_BYTES))
        return TableInfo("vcf", list(VCARD_COLUMNS), encoding)
    info = _sniff_csv(binary)
    if not info.headers:
        raise FileProblem(_("The file has no header row."))
    return info


def rows(binary, info: TableInfo) -> Iterator[Row]:
    """The data rows (blank ones left out), cells aligned with the headers."""
    if info.file_format == "vcf":
        yield from _vcard_rows(binary, info)
        return
    records = _xlsx_records(binary) if info.file_format == "xlsx" else _csv_records(binary, info)
    width = len(info.headers)
    header_seen = False
    for number, record in records:
        cells = [_clean(str(c)) for c in record]
        if not any(cells):
            continue
        if not header_seen:
            header_seen = True
            continue
        yield Row(number, (cells + [""] * width)[:width], extra=[c for c in cells[width:] if c])


def count_rows(binary, info: TableInfo) -> int:
    return sum(1 for _row in rows(binary, info))
