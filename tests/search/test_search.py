"""The global search: names in any script, phones in any format, emails, companies; ranked."""

import pytest
from django.utils import timezone

from funia.customers import services
from funia.customers.models import Contact
from tests import factories


@pytest.fixture
def ivan(admin):
    return factories.contact(
        admin,
        first_name="Иван",
        last_name="Петров",
        emails=["ivan.petrov@example.com"],
        phones=["+359888123456"],
    )


# -- transliteration ---------------------------------------------------------------------


def test_a_latin_query_finds_a_cyrillic_name(admin, ivan, titles):
    assert titles(admin, "ivan petrov") == ["Иван Петров"]


def test_a_cyrillic_query_finds_a_latin_name(admin, titles):
    factories.contact(admin, first_name="Georgi", last_name="Petrov")
    assert titles(admin, "Петров") == ["Georgi Petrov"]


def test_a_cyrillic_query_finds_a_cyrillic_name(admin, ivan, titles):
    assert titles(admin, "Иван Петров") == ["Иван Петров"]


def test_the_order_of_the_names_does_not_matter(admin, ivan, titles):
    assert titles(admin, "petrov ivan") == ["Иван Петров"]


def test_a_part_of_a_name_finds_it(admin, ivan, titles):
    assert titles(admin, "petr") == ["Иван Петров"]
    assert titles(admin, "etro") == ["Иван Петров"]


@pytest.mark.parametrize(
    ("stored", "typed"),
    [
        (("Мария", "Иванова"), "maria ivanova"),
        (("Maria", "Ivanova"), "Мария Иванова"),
        (("Николай", "Колев"), "nikolai kolev"),
        (("Nikolai", "Kolev"), "Николай"),
        (("Цветан", "Живков"), "cvetan jivkov"),
        (("Юлия", "Стоянова"), "julia"),
    ],
)
def test_the_usual_latin_spellings_of_bulgarian_names_find_them(admin, titles, stored, typed):
    first, last = stored
    factories.contact(admin, first_name=first, last_name=last)
    assert titles(admin, typed) == [f"{first} {last}"]


def test_a_whole_name_in_another_spelling_is_an_exact_match(admin, titles):
    factories.contact(admin, first_name="Мариян", last_name="Иванова")  # prefix of "mariya"
    factories.contact(admin, first_name="Мария", last_name="Иванова")
    assert titles(admin, "maria ivanova")[0] == "Мария Иванова"


def test_capitals_and_accents_do_not_matter(admin, titles):
    factories.contact(admin, first_name="José", last_name="Müller")
    assert titles(admin, "JOSE MULLER") == ["José Müller"]


# -- phones and emails -------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["+359 88 812 3456", "0888123456", "888123456", "+359888123456", "0888 123 456"]
)
def test_a_phone_in_any_format_finds_the_contact(admin, ivan, titles, typed):
    assert titles(admin, typed) == ["Иван Петров"]


def test_a_part_of_a_phone_number_finds_the_contact(admin, ivan, titles):
    assert titles(admin, "812 34") == ["Иван Петров"]


def test_an_email_address_finds_the_contact(admin, ivan, titles):
    assert titles(admin, "Ivan.Petrov@example.com") == ["Иван Петров"]


def test_a_part_of_an_email_address_finds_the_contact(admin, ivan, titles):
    assert titles(admin, "petrov@exam") == ["Иван Петров"]


def test_another_number_finds_nothing(admin, ivan, titles):
    assert titles(admin, "0888 999 111") == []


# -- companies ---------------------------------------------------------------------------


def test_a_company_name_finds_the_account_and_its_contacts(admin, find):
    acme = factories.account(admin, name="Acme Trading Ltd")
    factories.contact(admin, first_name="Maria", last_name="Ivanova", account_id=acme.pk)
    factories.contact(admin, first_name="Nobody", last_name="Else")
    assert find(admin, "acme") == [("account", "Acme Trading Ltd"), ("contact", "Maria Ivanova")]


def test_a_record_matched_on_its_own_name_comes_before_one_matched_through_its_company(
    admin, titles
):
    acme = factories.account(admin, name="Acme")
    factories.contact(admin, first_name="Acmeson", last_name="Smith")
    factories.contact(admin, first_name="Maria", last_name="Ivanova", account_id=acme.pk)
    assert titles(admin, "acme", types=["contact"]) == ["Acmeson Smith", "Maria Ivanova"]


def test_a_company_name_in_cyrillic_finds_its_contacts(admin, titles):
    acme = factories.account(admin, name="Фуния ООД")
    factories.contact(admin, first_name="Maria", last_name="Ivanova", account_id=acme.pk)
    assert "Maria Ivanova" in titles(admin, "funiya")


def test_a_name_and_a_company_together_narrow_the_contacts(admin, titles):
    acme = factories.account(admin, name="Acme")
    factories.contact(admin, first_name="Maria", last_name="Ivanova", account_id=acme.pk)
    factories.contact(admin, first_name="Maria", last_name="Georgieva")
    assert titles(admin, "maria acme", types=["contact"]) == ["Maria Ivanova"]


def test_an_account_is_found_by_its_domain(admin, titles):
    factories.account(admin, name="Acme", domain="acme-widgets.example")
    assert titles(admin, "acme-widgets.example") == ["Acme"]


# -- ranking -----------------------------------------------------------------------------


def test_exact_matches_come_before_prefixes_and_prefixes_before_parts(admin, titles):
    factories.contact(admin, first_name="Ivan", last_name="Petrov")  # the whole name
    factories.contact(admin, first_name="Ivanka", last_name="Petrova")  # words start so
    factories.contact(admin, first_name="Sivan", last_name="Stepetrov")  # somewhere inside
    assert titles(admin, "ivan petrov") == ["Ivan Petrov", "Ivanka Petrova", "Sivan Stepetrov"]


def test_the_whole_name_comes_before_a_longer_one(admin, titles):
    factories.contact(admin, first_name="Ivan", last_name="Petrovski")
    factories.contact(admin, first_name="Ivan", last_name="Petrov")
    assert titles(admin, "ivan petrov") == ["Ivan Petrov", "Ivan Petrovski"]


def test_a_whole_word_comes_before_the_start_of_a_longer_one(admin, titles):
    factories.contact(admin, first_name="Иван", last_name="Стоянов")
    factories.contact(admin, first_name="Petar", last_name="Ivanov")
    assert titles(admin, "ivan") == ["Иван Стоянов", "Petar Ivanov"]


def test_within_a_rank_the_most_recently_changed_comes_first(admin, titles):
    older = factories.contact(admin, first_name="Maria", last_name="Ivanova")
    factories.contact(admin, first_name="Maria", last_name="Ivanovska")
    services.contact_update(by=admin, contact=older, fields={"title": "CEO"})
    assert titles(admin, "ivanov") == ["Maria Ivanova", "Maria Ivanovska"]


def test_results_are_limited(admin, titles):
    for n in range(5):
        factories.contact(admin, first_name="Maria", last_name=f"Ivanova{n}")
    assert len(titles(admin, "maria", limit=3)) == 3


def test_types_narrow_the_search(admin, find):
    acme = factories.account(admin, name="Acme")
    factories.contact(admin, last_name="Acme-Person", account_id=acme.pk)
    assert {t for t, _title in find(admin, "acme", types=["account"])} == {"account"}


# -- the index follows every write -------------------------------------------------------


def test_a_renamed_contact_is_found_by_the_new_name_only(admin, titles):
    ivan = factories.contact(admin, first_name="Иван", last_name="Петров")
    services.contact_update(by=admin, contact=ivan, fields={"last_name": "Стоянов"})
    assert titles(admin, "stoyanov") == ["Иван Стоянов"]
    assert titles(admin, "petrov") == []


def test_contacts_follow_a_renamed_account(admin, titles):
    acme = factories.account(admin, name="Acme")
    factories.contact(admin, first_name="Maria", last_name="Ivanova", account_id=acme.pk)
    services.account_update(by=admin, account=acme, fields={"name": "Zenith"})
    assert titles(admin, "zenith", types=["contact"]) == ["Maria Ivanova"]
    assert titles(admin, "acme", types=["contact"]) == []


def test_a_contact_moved_to_another_account_is_found_by_the_new_company(admin, titles):
    acme, zenith = factories.account(admin, name="Acme"), factories.account(admin, name="Zenith")
    maria = factories.contact(admin, first_name="Maria", last_name="Ivanova", account_id=acme.pk)
    services.contact_update(by=admin, contact=maria, fields={"account_id": zenith.pk})
    assert titles(admin, "zenith", types=["contact"]) == ["Maria Ivanova"]
    assert titles(admin, "acme", types=["contact"]) == []


def test_a_deleted_record_is_not_found_and_a_restored_one_is_again(admin, ivan, titles):
    services.contact_delete(by=admin, contact=ivan)
    assert titles(admin, "petrov") == []
    services.contact_restore(by=admin, contact=ivan)
    assert titles(admin, "petrov") == ["Иван Петров"]


def test_rows_written_in_bulk_are_found_without_the_services(admin, titles):
    Contact.objects.bulk_create(
        [
            Contact(tenant=admin.tenant, last_name="Bulkova", search_text="bulkova"),
            Contact(tenant=admin.tenant, last_name="Other", search_text="other"),
        ]
    )
    assert titles(admin, "bulkova") == ["Bulkova"]
    Contact.objects.for_tenant(admin.tenant).filter(last_name="Bulkova").update(
        search_text="renamed", updated_at=timezone.now()
    )
    assert titles(admin, "bulkova") == []
    assert titles(admin, "renamed") == ["Bulkova"]


def test_a_hard_deleted_row_leaves_the_index(admin, ivan, titles):
    Contact.objects.for_tenant(admin.tenant).filter(pk=ivan.pk).delete()
    assert titles(admin, "petrov") == []


# -- odd input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ['"', "'", '" OR "', "*", "NEAR(a b)", "%", "_", "\\", "a AND b", "^x", "ivan*"]
)
def test_search_syntax_characters_are_just_text(admin, ivan, titles, typed):
    titles(admin, typed)  # no error


def test_an_empty_query_finds_nothing(admin, ivan, titles):
    assert titles(admin, "  ") == []


# -- the index as a list filter ----------------------------------------------------------


def test_the_text_filter_narrows_a_list_through_the_index(admin):
    from funia.customers.models import Contact
    from funia.search.filters import text_filter

    acme = factories.account(admin, name="Acme")
    maria = factories.contact(admin, first_name="Мария", last_name="Иванова", account_id=acme.pk)
    factories.contact(admin, first_name="Other", last_name="Person")
    contacts = Contact.objects.for_tenant(admin.tenant)
    assert list(contacts.filter(text_filter("contact", "maria ivan"))) == [maria]
    assert list(contacts.filter(text_filter("contact", "acme"))) == [maria]
    assert contacts.filter(text_filter("contact", "")).count() == 2
    assert contacts.filter(text_filter("contact", "x")).count() == 0
