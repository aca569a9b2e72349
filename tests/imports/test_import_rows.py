"""Rows become contacts and accounts: validation per row, duplicates, counts, row errors."""

import csv
import io

from funia.core.models import AuditEntry
from funia.customers.models import Account, Contact
from funia.imports import selectors
from tests import factories

MESSY = """First Name,Last Name,Email,Mobile Phone,Account Name,Tags
Ivan,Petrov,ivan@example.com,0888 123 456,Funia OOD,"vip, sofia"
Maria,Georgieva,not-an-email,,Funia OOD,
Petar,Ivanov,petar@example.com,12,,
"=HYPERLINK(""http://evil.example"")",Bad,formula@example.com,,,
Ivan,Petrov,IVAN@Example.com,,,
Existing,Person,existing@example.com,,,
Anna,Stoyanova,anna@example.com,+359 88 765 4321,Слънце АД,
"""


def errors_of(job) -> list[dict]:
    text = "".join(selectors.errors_csv(job=job)).lstrip("\ufeff")
    return list(csv.DictReader(io.StringIO(text)))


def test_a_messy_file_counts_created_updated_skipped_and_failed_rows(admin, run_import):
    factories.contact(
        admin, first_name="Existing", last_name="Person", emails=["existing@example.com"]
    )

    job = run_import(admin, "messy.csv", MESSY)

    assert job.status == "done"
    assert (job.total, job.processed) == (7, 7)
    assert (job.created, job.updated, job.skipped, job.failed) == (2, 0, 2, 3)
    names = set(Contact.objects.for_tenant(admin.tenant).values_list("last_name", flat=True))
    assert names == {"Petrov", "Stoyanova", "Person"}


def test_the_errors_csv_names_the_row_the_column_and_the_value(admin, run_import):
    job = run_import(admin, "messy.csv", MESSY)

    errors = errors_of(job)

    found = {(e["row"], e["column"], e["value"]) for e in errors}
    assert ("3", "Email", "not-an-email") in found
    assert ("4", "Mobile Phone", "12") in found
    assert ("5", "First Name", '\'=HYPERLINK("http://evil.example")') in found
    assert all(e["message"] for e in errors)


def contacts_of(actor):
    return Contact.objects.for_tenant(actor.tenant)


def test_imported_records_are_normalised_keyed_audited_and_owned_by_the_importer(admin, run_import):
    content = (
        "First Name,Last Name,Email,Phone Number,Mailing City,Mailing Country,Tags\n"
        'Иван,Петров,Ivan.Petrov@Example.COM,0888 123 456,София,България,"vip; sofia"\n'
    )

    job = run_import(admin, "one.csv", content)

    assert (job.created, job.failed) == (1, 0)
    contact = contacts_of(admin).get()
    assert contact.tenant_id == admin.tenant.pk
    assert contact.owner_id == admin.user.pk
    assert contact.name_key == "ivan petrov"
    assert "ivan petrov" in contact.search_text
    assert "359888123456" in contact.search_text
    points = {(p.kind, p.value) for p in contact.points.all()}
    assert points == {("email", "ivan.petrov@example.com"), ("phone", "+359888123456")}
    address = contact.addresses.get()
    assert (address.city, address.country) == ("София", "BG")
    assert sorted(contact.tag_names) == ["sofia", "vip"]
    entry = AuditEntry.objects.for_tenant(admin.tenant).get(object_id=contact.pk)
    assert (entry.action, entry.object_type, entry.user_id) == (
        "create",
        "customers.contact",
        admin.user.pk,
    )
    assert entry.changes["last_name"] == [None, "Петров"]
    assert entry.changes["emails"] == [None, ["ivan.petrov@example.com"]]
    assert entry.changes["tags"] == [None, ["sofia", "vip"]]


def test_a_contact_is_linked_to_its_account_found_or_created_by_name(admin, run_import):
    existing = factories.account(admin, name="Funia Ltd.")
    content = (
        "Name,Company\n"
        "Ivan Petrov,FUNIA OOD\n"
        "Maria Ivanova,Nova Firma AD\n"
        "Petar Georgiev,Nova Firma\n"
    )

    job = run_import(admin, "people.csv", content)

    assert job.created == 3
    by_name = {c.last_name: c for c in contacts_of(admin).select_related("account")}
    assert by_name["Petrov"].account_id == existing.pk
    assert by_name["Ivanova"].account.name == "Nova Firma AD"
    assert by_name["Georgiev"].account_id == by_name["Ivanova"].account_id
    assert Account.objects.for_tenant(admin.tenant).count() == 2
    new_account = by_name["Ivanova"].account
    assert (
        AuditEntry.objects.for_tenant(admin.tenant)
        .filter(object_type="customers.account", object_id=new_account.pk, action="create")
        .exists()
    )


def test_policy_update_writes_the_rows_cells_into_the_matched_records(admin, run_import):
    contact = factories.contact(
        admin,
        first_name="Ivan",
        last_name="Petrov",
        emails=["ivan@example.com"],
        phones=["+359888000001"],
        tags=["old"],
    )
    content = (
        "Email,Mobile,Job Title,Last Name,Tags\n"
        "IVAN@example.com,0888 123 456,Sales Director,,new\n"
        "maria@example.com,,Buyer,Ivanova,\n"
        "maria@example.com,0877 111 222,Head Buyer,,\n"
    )

    job = run_import(admin, "update.csv", content, on_duplicate="update")

    assert (job.created, job.updated, job.skipped, job.failed) == (1, 2, 0, 0)
    contact.refresh_from_db()
    assert (contact.title, contact.last_name, contact.version) == ("Sales Director", "Petrov", 2)
    assert {p.value for p in contact.points.all()} == {
        "ivan@example.com",
        "+359888000001",
        "+359888123456",
    }
    assert sorted(contact.tag_names) == ["new", "old"]
    assert (
        AuditEntry.objects.for_tenant(admin.tenant)
        .filter(object_id=contact.pk, action="update")
        .exists()
    )
    maria = contacts_of(admin).get(last_name="Ivanova")
    assert maria.title == "Head Buyer"
    assert {p.value for p in maria.points.all()} == {"maria@example.com", "+359877111222"}


def test_policy_create_creates_duplicates_anyway(admin, run_import):
    factories.contact(admin, emails=["ivan@example.com"])
    content = "Last Name,Email\nPetrov,ivan@example.com\nPetrov,ivan@example.com\n"

    job = run_import(admin, "dupes.csv", content, on_duplicate="create")

    assert (job.created, job.skipped) == (2, 0)
    assert contacts_of(admin).count() == 3


def test_a_duplicate_by_phone_in_another_format_is_found(admin, run_import):
    factories.contact(admin, phones=["+359 888 123 456"])

    job = run_import(admin, "phones.csv", "Last Name,Phone\nPetrov,0888/123-456\n")

    assert (job.created, job.skipped) == (0, 1)


def test_owner_and_custom_columns_are_checked_and_a_bad_cell_names_its_column(
    admin, rep, run_import
):
    from funia.customers import custom_fields

    custom_fields.custom_field_create(
        by=admin, entity="contact", key="budget", label="Budget", kind="number"
    )
    content = (
        "Last Name,Contact Owner,Budget\n"
        f"Petrov,{rep.user.email.upper()},1200\n"
        "Ivanova,nobody@example.com,10\n"
        "Georgiev,,lots\n"
    )

    job = run_import(admin, "owners.csv", content)

    assert (job.created, job.failed) == (1, 2)
    petrov = contacts_of(admin).get(last_name="Petrov")
    assert petrov.owner_id == rep.user.pk
    assert petrov.custom == {"budget": 1200}
    found = {(e["row"], e["column"], e["value"]) for e in errors_of(job)}
    assert found == {("3", "Contact Owner", "nobody@example.com"), ("4", "Budget", "lots")}


def test_a_dry_run_counts_and_reports_but_writes_nothing(admin, run_import):
    job = run_import(admin, "messy.csv", MESSY, dry_run=True)

    assert job.status == "done"
    assert (job.created, job.skipped, job.failed) == (3, 1, 3)
    assert not contacts_of(admin).exists()
    assert not Account.objects.for_tenant(admin.tenant).exists()
    assert len(errors_of(job)) == 3


def test_accounts_are_matched_by_name_or_domain_and_parents_named_later_are_linked(
    admin, run_import
):
    factories.account(admin, name="Acme Corporation", domain="acme.example")
    content = (
        "account,sector,employees,office_location,subsidiary_of,Website\n"
        'Bluth Company,technolgy,"3,027",United States,Massive Dynamic,https://www.bluth.example/\n'
        "ACME Corp.,software,100,Kenya,,\n"
        "Massive Dynamic,entertainment,1 200,Philipines,,\n"
        "Lonely Ltd,retail,ten,Atlantis,Nobody Inc,\n"
        "Other Name,retail,5,BG,,acme.example\n"
    )
    mapping = {"office_location": "country", "sector": "industry", "subsidiary_of": "parent"}

    job = run_import(admin, "accounts.csv", content, target="accounts", mapping=mapping)

    assert (job.created, job.skipped, job.failed) == (2, 2, 1)
    accounts = {a.name: a for a in Account.objects.for_tenant(admin.tenant)}
    bluth = accounts["Bluth Company"]
    assert (bluth.industry, bluth.employees, bluth.country, bluth.domain) == (
        "technolgy",
        3027,
        "US",
        "bluth.example",
    )
    assert bluth.parent_id == accounts["Massive Dynamic"].pk
    assert accounts["Massive Dynamic"].country == "PH"
    problems = {(e["row"], e["column"]) for e in errors_of(job)}
    assert problems == {("5", "employees"), ("5", "office_location")}


def test_a_parent_that_is_nowhere_is_reported_and_the_account_still_imported(admin, run_import):
    content = "Account Name,Parent Account\nChild Ltd,Ghost Holding\n"

    job = run_import(admin, "child.csv", content, target="accounts")

    assert (job.created, job.failed) == (1, 0)
    [error] = errors_of(job)
    assert (error["row"], error["column"], error["value"]) == (
        "2",
        "Parent Account",
        "Ghost Holding",
    )
    assert "imported without its parent" in error["message"]


def test_a_rep_cannot_link_contacts_to_an_account_they_may_not_see(admin, rep, run_import):
    factories.account(admin, name="Secret Client", owner_id=admin.user.pk)

    job = run_import(rep, "mine.csv", "Last Name,Company\nPetrov,Secret Client\n")

    assert (job.created, job.failed) == (0, 1)
    assert errors_of(job)[0]["column"] == "Company"


def test_vcard_3_and_4_files_import_as_contacts(admin, run_import):
    from tests.imports.test_parsers import VCARD_3, VCARD_4

    job = run_import(admin, "cards.vcf", VCARD_3 + VCARD_4)

    assert (job.created, job.failed) == (2, 0), errors_of(job)
    ivan = contacts_of(admin).select_related("account").get(last_name="Петров")
    assert (ivan.first_name, ivan.title, ivan.account.name) == (
        "Иван",
        "Търговски директор",
        "Фуния ООД",
    )
    assert {p.value for p in ivan.points.all()} == {
        "ivan@example.com",
        "+359888123456",
        "+35929876543",
    }
    assert ivan.addresses.get().country == "BG"
    smith = contacts_of(admin).get(last_name="Smith")
    assert smith.addresses.get().country == "US"


def test_an_xlsx_file_imports_like_a_csv(admin, run_import):
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["First Name", "Last Name", "Mobile Phone"])
    workbook.active.append(["Ivan", "Petrov", 888123456])
    buffer = io.BytesIO()
    workbook.save(buffer)

    job = run_import(admin, "people.xlsx", buffer.getvalue())

    assert job.created == 1
    assert contacts_of(admin).get().points.get().value == "+359888123456"


def test_the_audit_entry_of_an_imported_contact_is_what_a_create_records(admin, run_import):
    from funia.core.audit import _jsonable, diff, snapshot
    from funia.customers.services import prepare_record, prepared_audit_lists

    job = run_import(
        admin,
        "one.csv",
        "First Name,Last Name,Email,Phone,City,Country,Tags\n"
        'Мария,Иванова,Maria@Example.com,0888 123 457,Пловдив,BG,"b, a"\n',
    )
    assert job.created == 1
    contact = Contact.objects.for_tenant(admin.tenant).get(last_name="Иванова")
    entry = AuditEntry.objects.for_tenant(admin.tenant).get(object_id=contact.pk)
    prepared = prepare_record(
        admin,
        "contact",
        {
            "emails": ["maria@example.com"],
            "phones": ["+359888123457"],
            "addresses": [{"city": "Пловдив", "country": "BG"}],
            "tags": ["b", "a"],
        },
        current=contact,
    )
    expected = _jsonable(diff({}, snapshot(contact))) | prepared_audit_lists(prepared)
    assert entry.changes == expected


def test_the_audit_entry_of_a_contact_with_an_account_named_in_the_file(admin, run_import):
    from funia.core.audit import _jsonable, diff, snapshot

    job = run_import(
        admin,
        "one.csv",
        "First Name,Last Name,Account Name\nИван,Петров,Слънце ООД\n",
    )
    assert job.created == 1
    contact = Contact.objects.for_tenant(admin.tenant).get(last_name="Петров")
    assert contact.account.name == "Слънце ООД"
    entry = AuditEntry.objects.for_tenant(admin.tenant).get(
        object_type="customers.contact", object_id=contact.pk
    )
    assert entry.changes == _jsonable(diff({}, snapshot(contact)))
    assert entry.changes["account"] == [None, contact.account_id]
    assert entry.object_repr == "Иван Петров"
