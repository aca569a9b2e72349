"""Columns are mapped to fields from their header names; a mapping is checked before a run."""

from funia.customers import custom_fields
from funia.imports import registry
from funia.imports.mapping import check_mapping, guess_mapping, merged_mapping

SALESFORCE_CONTACTS = [
    "Salutation",
    "First Name",
    "Last Name",
    "Title",
    "Account Name",
    "Email",
    "Phone",
    "Mobile",
    "Mailing Street",
    "Mailing City",
    "Mailing State/Province",
    "Mailing Zip/Postal Code",
    "Mailing Country",
    "Lead Source",
    "Contact Owner",
    "Description",
]
HUBSPOT_CONTACTS = [
    "Record ID",
    "First Name",
    "Last Name",
    "Email",
    "Phone Number",
    "Mobile Phone Number",
    "Company Name",
    "Job Title",
    "Street Address",
    "City",
    "State/Region",
    "Postal Code",
    "Country/Region",
    "Contact owner",
    "Original Source",
    "Lifecycle Stage",
]


def contacts():
    return registry.get("contacts")


def accounts():
    return registry.get("accounts")


def test_salesforce_contact_headers_are_recognised(org):
    mapping = guess_mapping(contacts(), org, SALESFORCE_CONTACTS)

    assert mapping == {
        "Salutation": "",
        "First Name": "first_name",
        "Last Name": "last_name",
        "Title": "title",
        "Account Name": "account",
        "Email": "email",
        "Phone": "phone",
        "Mobile": "mobile",
        "Mailing Street": "street",
        "Mailing City": "city",
        "Mailing State/Province": "region",
        "Mailing Zip/Postal Code": "postal_code",
        "Mailing Country": "country",
        "Lead Source": "source",
        "Contact Owner": "owner",
        "Description": "",
    }


def test_hubspot_contact_headers_are_recognised(org):
    mapping = guess_mapping(contacts(), org, HUBSPOT_CONTACTS)

    assert mapping == {
        "Record ID": "",
        "First Name": "first_name",
        "Last Name": "last_name",
        "Email": "email",
        "Phone Number": "phone",
        "Mobile Phone Number": "mobile",
        "Company Name": "account",
        "Job Title": "title",
        "Street Address": "street",
        "City": "city",
        "State/Region": "region",
        "Postal Code": "postal_code",
        "Country/Region": "country",
        "Contact owner": "owner",
        "Original Source": "source",
        "Lifecycle Stage": "",
    }


def test_bulgarian_headers_are_recognised_in_any_capitalisation(org):
    headers = ["Име", "ФАМИЛИЯ", "имейл", "Телефон", "Мобилен", "Фирма", "Длъжност", "Град"]

    mapping = guess_mapping(contacts(), org, headers)

    assert mapping == {
        "Име": "first_name",
        "ФАМИЛИЯ": "last_name",
        "имейл": "email",
        "Телефон": "phone",
        "Мобилен": "mobile",
        "Фирма": "account",
        "Длъжност": "title",
        "Град": "city",
    }


def test_account_headers_of_salesforce_hubspot_and_bulgarian_exports_are_recognised(org):
    headers = [
        "Account Name",
        "Website URL",
        "Industry",
        "Number of Employees",
        "Billing City",
        "Parent Account",
        "Account Owner",
        "Телефон",
    ]

    mapping = guess_mapping(accounts(), org, headers)

    assert mapping == {
        "Account Name": "name",
        "Website URL": "domain",
        "Industry": "industry",
        "Number of Employees": "employees",
        "Billing City": "city",
        "Parent Account": "parent",
        "Account Owner": "owner",
        "Телефон": "phone",
    }


def test_a_second_email_column_goes_to_the_second_email_and_keywords_catch_variants(org):
    headers = ["Name", "E-mail", "Work Email", "Home Phone", "Hotel"]

    mapping = guess_mapping(contacts(), org, headers)

    assert mapping == {
        "Name": "full_name",
        "E-mail": "email",
        "Work Email": "email_2",
        "Home Phone": "phone",
        "Hotel": "",
    }


def test_custom_fields_are_guessed_from_their_key_or_label(org, admin):
    custom_fields.custom_field_create(
        by=admin, entity="contact", key="vat_number", label="VAT number", kind="text"
    )

    mapping = guess_mapping(contacts(), org, ["Last Name", "VAT Number", "vat_number"])

    assert mapping["VAT Number"] == "custom.vat_number"
    assert mapping["vat_number"] == ""  # a field is filled from one column only


def test_a_given_mapping_overrides_the_guess_column_by_column(org):
    headers = ["First Name", "Last Name", "Email", "Notes"]

    mapping = merged_mapping(
        contacts(), org, headers, {"Notes": "email", "Last Name": "", "First Name": "last_name"}
    )

    assert mapping == {"First Name": "last_name", "Last Name": "", "Email": "", "Notes": "email"}


def test_a_mapping_without_a_name_or_with_unknown_fields_lists_its_problems(org):
    problems = check_mapping(
        contacts(),
        org,
        ["Email", "Other", "Mail"],
        {"Email": "email", "Other": "shoe_size", "Mail": "email", "Ghost": "phone"},
    )

    assert problems == [
        "“shoe_size” is not a field of this record type.",
        "“Email” is mapped from two columns: “Email” and “Mail”.",
        "The file has no column “Ghost”.",
        "Map a column to Last name or Full name.",
    ]
