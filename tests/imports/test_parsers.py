"""Files of every supported kind are read as a header and rows of text cells."""

import io

import pytest
from openpyxl import Workbook

from funia.imports import parsers

BULGARIAN_CSV = (
    "Име;Фамилия;Имейл;Телефон;Фирма\r\n"
    "Иван;Петров;ivan@abv.bg;0888 123 456;„Фуния“ ООД\r\n"
    "Мария;Георгиева;maria@abv.bg;02 987 6543;Слънце АД\r\n"
)

VCARD_3 = """BEGIN:VCARD
VERSION:3.0
FN:John Smith
N:Smith;John;;;
EMAIL;TYPE=INTERNET,WORK:john@example.com
EMAIL;TYPE=INTERNET,HOME:john.smith@home.example
TEL;TYPE=CELL:+1 202 555 0143
TEL;TYPE=WORK,VOICE:+1 202 555 0100
ORG:Acme Inc.;Sales
TITLE:CEO
ADR;TYPE=WORK:;;1 Main St;Springfield;IL;62701;USA
NOTE:Met at the fair\\, line one\\nline two
END:VCARD
"""

VCARD_4 = (
    "BEGIN:VCARD\r\n"
    "VERSION:4.0\r\n"
    "KIND:individual\r\n"
    "FN:Иван Петров\r\n"
    "N:Петров;Иван;;;\r\n"
    "EMAIL;PREF=1:ivan@example.com\r\n"
    'TEL;VALUE=uri;TYPE="voice,cell":tel:+359-888-123-456\r\n'
    "TEL;VALUE=uri;TYPE=work:tel:+359-2-987-6543;ext=12\r\n"
    "ORG:Фуния ООД\r\n"
    "TITLE:Търговски директор\r\n"
    'ADR;TYPE=work;LABEL="ул. Витоша 1\\nСофия":;;ул. Витоша 1;София;;1000;България\r\n'
    "NOTE:Дълга бележка\\, с запетая\r\n"
    "BDAY:--0415\r\n"
    "END:VCARD\r\n"
)


def read(content: bytes, name: str) -> tuple[parsers.TableInfo, list[parsers.Row]]:
    binary = io.BytesIO(content)
    info = parsers.sniff(binary, name)
    return info, list(parsers.rows(binary, info))


def as_dicts(info, rows) -> list[dict]:
    return [dict(zip(info.headers, row.cells, strict=True)) for row in rows]


def test_a_semicolon_csv_in_windows_1251_is_read_with_its_cyrillic(db):
    info, rows = read(BULGARIAN_CSV.encode("cp1251"), "клиенти.csv")

    assert (info.file_format, info.encoding, info.delimiter) == ("csv", "cp1251", ";")
    assert info.headers == ["Име", "Фамилия", "Имейл", "Телефон", "Фирма"]
    assert as_dicts(info, rows)[0]["Фирма"] == "„Фуния“ ООД"
    assert [r.number for r in rows] == [2, 3]


def test_a_utf8_csv_with_a_byte_order_mark_has_a_clean_first_header(db):
    content = "\ufeffFirst Name,Last Name,Email\nАна,Иванова,ana@example.com\n".encode()

    info, rows = read(content, "export.csv")

    assert info.encoding == "utf-8-sig"
    assert info.headers == ["First Name", "Last Name", "Email"]
    assert as_dicts(info, rows) == [
        {"First Name": "Ана", "Last Name": "Иванова", "Email": "ana@example.com"}
    ]


def test_a_tab_separated_file_with_quoted_delimiters_and_blank_lines_is_read(db):
    content = b'Name\tNotes\n"Smith, John"\t"a;b"\n\n\nDoe\t\n'

    info, rows = read(content, "people.txt")

    assert info.delimiter == "\t"
    assert [r.cells for r in rows] == [["Smith, John", "a;b"], ["Doe", ""]]
    assert [r.number for r in rows] == [2, 5]


def test_duplicate_and_empty_headers_get_names_of_their_own(db):
    info, _rows = read(b"Email,Email,,Phone\nx,y,z,1\n", "a.csv")

    assert info.headers == ["Email", "Email (2)", "Column 3", "Phone"]


def test_an_xlsx_sheet_is_read_with_numbers_and_dates_as_text(db):
    import datetime

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Company Name", "Employees", "Founded", "Phone Number"])
    sheet.append(["Acme", 250, datetime.datetime(1999, 5, 1), 359888123456])
    sheet.append([None, None, None, None])
    sheet.append(["Beta", 12.0, None, "+359 2 987 6543"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    info, rows = read(buffer.getvalue(), "companies.xlsx")

    assert info.file_format == "xlsx"
    assert info.headers == ["Company Name", "Employees", "Founded", "Phone Number"]
    assert [r.cells for r in rows] == [
        ["Acme", "250", "1999-05-01", "359888123456"],
        ["Beta", "12", "", "+359 2 987 6543"],
    ]
    assert [r.number for r in rows] == [2, 4]


def test_a_vcard_3_file_becomes_rows_of_the_vcard_columns(db):
    info, rows = read(VCARD_3.encode(), "contacts.vcf")

    assert info.file_format == "vcf"
    card = as_dicts(info, rows)[0]
    assert card["Full name"] == "John Smith"
    assert (card["First name"], card["Last name"]) == ("John", "Smith")
    assert (card["Email"], card["Email 2"]) == ("john@example.com", "john.smith@home.example")
    assert (card["Mobile"], card["Phone"]) == ("+1 202 555 0143", "+1 202 555 0100")
    assert (card["Organisation"], card["Title"]) == ("Acme Inc.", "CEO")
    assert (card["Street"], card["City"], card["Region"]) == ("1 Main St", "Springfield", "IL")
    assert (card["Postal code"], card["Country"]) == ("62701", "USA")
    assert card["Note"] == "Met at the fair, line one\nline two"


def test_a_vcard_4_file_with_uri_phones_and_quoted_types_is_read(db):
    info, rows = read(VCARD_4.encode(), "contacts.vcf")

    card = as_dicts(info, rows)[0]
    assert (card["First name"], card["Last name"]) == ("Иван", "Петров")
    assert card["Email"] == "ivan@example.com"
    assert card["Mobile"] == "+359-888-123-456"
    assert card["Phone"] == "+359-2-987-6543"
    assert (card["Organisation"], card["Title"]) == ("Фуния ООД", "Търговски директор")
    assert (card["Street"], card["City"], card["Postal code"], card["Country"]) == (
        "ул. Витоша 1",
        "София",
        "1000",
        "България",
    )
    assert card["Note"] == "Дълга бележка, с запетая"


def test_a_broken_card_is_a_row_with_a_problem_and_the_next_card_is_still_read(db):
    content = (
        "BEGIN:VCARD\nVERSION:3.0\nN:Broken\nthis line is not a property\nEND:VCARD\n" + VCARD_3
    )

    _info, rows = read(content.encode(), "two.vcf")

    assert [r.number for r in rows] == [1, 2]
    assert rows[0].problem
    assert not rows[1].problem


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.csv", "The file is empty."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old.xls", "Old Excel files"),
        (b"PK\x03\x04 not really a zip", "broken.xlsx", "not a readable XLSX file"),
    ],
    ids=["empty", "xls", "broken-xlsx"],
)
def test_unreadable_files_are_refused_with_a_reason(db, content, name, message):
    with pytest.raises(parsers.FileProblem, match=message):
        parsers.sniff(io.BytesIO(content), name)
