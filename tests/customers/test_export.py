"""Exports of filtered account and contact lists: CSV, XLSX, vCard 4.0; visibility applies."""

import csv
import io

import pytest
import vobject
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from funia.customers.models import Contact
from funia.imports import engine, services
from funia.imports.customers.targets import OWNER
from tests import factories

FORMULA = "=cmd|' /C calc'!A0"


def body_of(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def csv_rows(response) -> list[dict]:
    text = body_of(response).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def xlsx_rows(response) -> list[list]:
    sheet = load_workbook(io.BytesIO(body_of(response)), read_only=True).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def contacts(admin, rep):
    account = factories.account(admin, name="Funia OOD", domain="funia.example")
    ivan = factories.contact(
        admin,
        first_name="Иван",
        last_name="Петров",
        title="Търговски директор",
        account_id=account.pk,
        emails=["ivan@funia.example", "ivan.petrov@home.example"],
        phones=[
            {"value": "+359 2 987 6543", "label": ""},
            {"value": "0888 123 456", "label": "mobile"},
        ],
        addresses=[
            {"street": "ул. Витоша 1", "city": "София", "postal_code": "1000", "country": "BG"}
        ],
        tags=["vip", "sofia"],
    )
    evil = factories.contact(admin, first_name="@SUM(1+1)", last_name=FORMULA, tags=["evil"])
    reps_own = factories.contact(rep, first_name="Rep", last_name="Ownova")
    return {"ivan": ivan, "evil": evil, "reps_own": reps_own}


def test_a_csv_export_has_the_lists_columns_and_neutralises_formulas(admin, web_as, contacts):
    response = web_as(admin).get("/contacts/export/", {"format": "csv"})

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'attachment; filename="contacts-' in response["Content-Disposition"]
    rows = {row["Last name"]: row for row in csv_rows(response)}
    ivan = rows["Петров"]
    assert (ivan["First name"], ivan["Account (name)"], ivan["Job title"]) == (
        "Иван",
        "Funia OOD",
        "Търговски директор",
    )
    assert (ivan["Email"], ivan["Email 2"]) == ("ivan@funia.example", "ivan.petrov@home.example")
    assert (ivan["Phone"], ivan["Mobile"]) == ("'+35929876543", "'+359888123456")
    assert (ivan["City"], ivan["Country"], ivan["Tags (comma-separated)"]) == (
        "София",
        "BG",
        "sofia, vip",
    )
    evil = rows["'" + FORMULA]
    assert evil["First name"] == "'@SUM(1+1)"


def test_an_export_applies_the_lists_filters(admin, web_as, api_as, contacts):
    page = web_as(admin).get("/contacts/export/", {"format": "csv", "tag": "VIP"})
    api = api_as(admin).call("get", "/contacts/export", {"format": "csv", "q": "петров"})

    assert [r["Last name"] for r in csv_rows(page)] == ["Петров"]
    assert [r["Last name"] for r in csv_rows(api)] == ["Петров"]


def test_a_sales_rep_exports_only_the_records_they_see(rep, web_as, api_as, contacts):
    for response in (
        web_as(rep).get("/contacts/export/"),
        api_as(rep).call("get", "/contacts/export", {"format": "csv"}),
    ):
        assert [r["Last name"] for r in csv_rows(response)] == ["Ownova"]


def test_an_xlsx_export_is_a_workbook_with_formulas_neutralised(admin, api_as, contacts):
    response = api_as(admin).call("get", "/contacts/export", {"format": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    header, *rows = xlsx_rows(response)
    assert header[:3] == ["ID", "First name", "Last name"]
    by_last = {row[2]: row for row in rows}
    assert set(by_last) == {"Петров", "'" + FORMULA, "Ownova"}
    assert by_last["'" + FORMULA][1] == "'@SUM(1+1)"


def test_a_vcard_export_is_vcard_4_that_vobject_reads(admin, web_as, contacts):
    response = web_as(admin).get("/contacts/export/", {"format": "vcf", "q": "ivan"})

    text = body_of(response).decode("utf-8")
    assert response["Content-Type"] == "text/vcard; charset=utf-8"
    assert text.startswith("BEGIN:VCARD\r\nVERSION:4.0\r\n")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    card = vobject.readOne(text)
    assert card.fn.value == "Иван Петров"
    assert card.org.value == ["Funia OOD"]
    assert sorted(t.value for t in card.tel_list) == ["tel:+35929876543", "tel:+359888123456"]


def test_contacts_exported_as_vcard_import_back_with_their_details(
    admin, web_as, outsider, contacts, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    exported = body_of(web_as(admin).get("/contacts/export/", {"format": "vcf", "tag": "vip"}))

    job = services.import_create(
        by=outsider, target="contacts", uploaded=SimpleUploadedFile("back.vcf", exported)
    )
    job = engine.process_import(job)

    assert (job.created, job.failed) == (1, 0)
    ivan = Contact.objects.for_tenant(outsider.tenant).select_related("account").get()
    original = contacts["ivan"]
    assert (ivan.first_name, ivan.last_name, ivan.title, ivan.account.name) == (
        original.first_name,
        original.last_name,
        original.title,
        "Funia OOD",
    )
    assert sorted((p.kind, p.value, p.label) for p in ivan.points.all()) == sorted(
        (p.kind, p.value, p.label) for p in original.points.all()
    )
    address = ivan.addresses.get()
    assert (address.street, address.city, address.postal_code, address.country) == (
        "ул. Витоша 1",
        "София",
        "1000",
        "BG",
    )
    assert sorted(ivan.tag_names) == ["sofia", "vip"]


def test_a_csv_export_imports_back_with_its_columns_recognised(
    admin, web_as, outsider, contacts, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    exported = body_of(web_as(admin).get("/contacts/export/", {"tag": "vip"}))

    job = services.import_create(
        by=outsider,
        target="contacts",
        uploaded=SimpleUploadedFile("back.csv", exported),
        mapping={str(OWNER.label): ""},  # Acme's users are not Rival's
    )
    job = engine.process_import(job)

    assert job.mapping["Last name"] == "last_name"
    assert job.mapping["Mobile"] == "mobile"
    assert (job.created, job.failed) == (1, 0)
    ivan = Contact.objects.for_tenant(outsider.tenant).get()
    assert {p.value for p in ivan.points.all()} == {
        "ivan@funia.example",
        "ivan.petrov@home.example",
        "+35929876543",
        "+359888123456",
    }


def test_accounts_export_with_their_parent_and_filters(admin, api_as):
    parent = factories.account(admin, name="Holding AD", industry="Finance")
    factories.account(admin, name="Daughter EOOD", parent_id=parent.pk, industry="Retail")

    response = api_as(admin).call("get", "/accounts/export", {"industry": "retail"})

    [row] = csv_rows(response)
    assert (row["Name"], row["Parent account (name)"], row["Industry"]) == (
        "Daughter EOOD",
        "Holding AD",
        "Retail",
    )


def test_the_export_path_is_not_read_as_a_record_id(admin, api_as):
    client = api_as(admin)

    response = client.call("get", "/contacts/export")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert client.call("get", "/contacts/export", {"format": "pdf"}).status_code == 422


def test_invalid_filters_or_formats_on_the_export_page_answer_400(admin, web_as):
    browser = web_as(admin)

    assert browser.get("/contacts/export/", {"format": "pdf"}).status_code == 400
    assert browser.get("/accounts/export/", {"sort": "shoe_size"}).status_code == 400


def test_the_list_pages_offer_export_and_import(admin, web_as):
    html = web_as(admin).get("/contacts/", {"q": "ivan"}).content.decode()

    assert 'formaction="/contacts/export/"' in html
    assert 'href="/imports/new/?type=contacts"' in html
