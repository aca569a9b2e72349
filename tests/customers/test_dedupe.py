"""The duplicate check on create and update: who is found, with which score and reasons."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from funia.core.errors import DuplicatesFound
from funia.customers import dedupe, services
from funia.customers.models import Account, Contact
from tests import factories


def candidates_of_new_contact(by, **fields) -> list:
    """The candidates a new contact meets (none: it was created)."""
    try:
        services.contact_create(by=by, **fields)
    except DuplicatesFound as found:
        return found.candidates
    return []


def candidates_of_new_account(by, **fields) -> list:
    try:
        services.account_create(by=by, **fields)
    except DuplicatesFound as found:
        return found.candidates
    return []


def by_record(candidates) -> dict:
    return {c.record.pk: c for c in candidates}


# -- names -------------------------------------------------------------------------------


def test_ivan_petrov_in_cyrillic_is_found_as_a_duplicate_of_ivan_petrov_in_latin(admin):
    latin = factories.contact(admin, first_name="Ivan", last_name="Petrov")

    found = candidates_of_new_contact(admin, first_name="Иван", last_name="Петров")

    assert [c.record.pk for c in found] == [latin.pk]
    assert found[0].reasons == ["name"]
    assert found[0].score >= dedupe.THRESHOLD


def test_swapped_first_and_last_names_are_found(admin):
    original = factories.contact(admin, first_name="Ivan", last_name="Petrov")

    found = candidates_of_new_contact(admin, first_name="Petrov", last_name="Ivan")

    assert [c.record.pk for c in found] == [original.pk]
    assert "name" in found[0].reasons


def test_a_nickname_is_found_as_the_full_name(admin):
    georgi = factories.contact(admin, first_name="Georgi", last_name="Ivanov")

    found = candidates_of_new_contact(admin, first_name="Gosho", last_name="Ivanov")

    assert [c.record.pk for c in found] == [georgi.pk]
    assert found[0].reasons == ["nickname"]


@pytest.mark.parametrize(
    ("existing", "new"),
    [
        (("Bill", "Smith"), ("William", "Smith")),
        (("Kate", "Brown"), ("Katherine", "Brown")),
        (("Тошо", "Стоянов"), ("Todor", "Stoyanov")),
        (("Ваня", "Колева"), ("Ivana", "Koleva")),
    ],
)
def test_common_bulgarian_and_english_nicknames_are_found(admin, existing, new):
    record = factories.contact(admin, first_name=existing[0], last_name=existing[1])

    found = candidates_of_new_contact(admin, first_name=new[0], last_name=new[1])

    assert [c.record.pk for c in found] == [record.pk]
    assert "nickname" in found[0].reasons


@pytest.mark.parametrize(
    ("existing", "new"),
    [
        (("Георги", "Щерев"), ("Georgiy", "Shcherev")),  # -iy, shch / sht
        (("Мария", "Цветкова"), ("Maria", "Tzvetkova")),  # iya / ia, ts / tz
        (("Христо", "Жеков"), ("Khristo", "Zhekov")),  # kh / h
        (("Николай", "Илиев"), ("Nikolai", "Iliev")),  # y / i
    ],
)
def test_spelling_variants_of_transliteration_are_found(admin, existing, new):
    record = factories.contact(admin, first_name=existing[0], last_name=existing[1])

    found = candidates_of_new_contact(admin, first_name=new[0], last_name=new[1])

    assert [c.record.pk for c in found] == [record.pk]
    assert found[0].reasons in (["name"], ["name_variant"])


def test_a_typo_in_the_family_name_is_found_by_fuzzy_matching(admin):
    petrov = factories.contact(admin, first_name="Ivan", last_name="Petrov")

    found = candidates_of_new_contact(admin, first_name="Ivan", last_name="Petrof")

    assert [c.record.pk for c in found] == [petrov.pk]
    assert found[0].reasons == ["name_fuzzy"]
    assert dedupe.THRESHOLD <= found[0].score < 70


def test_a_typo_in_the_first_name_is_found_by_fuzzy_matching(admin):
    stoyanov = factories.contact(admin, first_name="Konstantin", last_name="Stoyanov")

    found = candidates_of_new_contact(admin, first_name="Konstnatin", last_name="Stoyanov")

    assert [c.record.pk for c in found] == [stoyanov.pk]
    assert found[0].reasons == ["name_fuzzy"]


def test_the_same_email_under_a_different_name_is_found(admin):
    record = factories.contact(
        admin, first_name="Maria", last_name="Dimitrova", emails=["m.dimitrova@example.com"]
    )

    found = candidates_of_new_contact(
        admin, first_name="Elena", last_name="Koleva", emails=["M.Dimitrova@example.com"]
    )

    assert [c.record.pk for c in found] == [record.pk]
    assert found[0].reasons == ["email"]
    assert found[0].score >= dedupe.THRESHOLD


def test_the_same_phone_in_another_format_is_found(admin):
    record = factories.contact(admin, first_name="Ivan", last_name="Petrov", phones=["0888123456"])

    found = candidates_of_new_contact(
        admin, first_name="I.", last_name="Petrov", phones=["+359 88 812 3456"]
    )

    assert [c.record.pk for c in found] == [record.pk]
    assert "phone" in found[0].reasons


@pytest.mark.parametrize(
    "new",
    [
        ("Maria", "Georgieva"),
        ("Ivana", "Petrova"),  # gender forms: another person, often the same family
        ("Ivan", "Ivanov"),
        ("Petar", "Petrov"),
        ("", "Petrov"),  # a family name alone is not enough
    ],
)
def test_unrelated_people_are_not_found(admin, new):
    factories.contact(admin, first_name="Ivan", last_name="Petrov", emails=["ivan@example.com"])

    assert candidates_of_new_contact(admin, first_name=new[0], last_name=new[1]) == []


def test_candidates_are_ordered_by_score(admin):
    fuzzy = factories.contact(admin, first_name="Ivan", last_name="Petrof")
    same_name = factories.contact(admin, first_name="Ivan", last_name="Petrov")
    same_name_and_email = factories.contact(
        admin, first_name="Иван", last_name="Петров", emails=["ivan.petrov@example.com"]
    )

    found = candidates_of_new_contact(
        admin, first_name="Ivan", last_name="Petrov", emails=["ivan.petrov@example.com"]
    )

    assert [c.record.pk for c in found] == [same_name_and_email.pk, same_name.pk, fuzzy.pk]
    scores = [c.score for c in found]
    assert scores == sorted(scores, reverse=True)
    assert len(set(scores)) == 3
    assert found[0].reasons == ["email", "name"]


def test_the_same_name_at_the_same_account_scores_higher_than_the_name_alone(admin):
    # Through the scorer: the create check does not know the new record's account.
    ivan = dedupe.contact_profile("Ivan", "Petrov")
    same_account = dedupe.Features(ivan[1], ivan[0], ivan[2], account=7)

    alone, _ = dedupe.score_pair("contact", same_account, same_account._replace(account=8))
    together, reasons = dedupe.score_pair("contact", same_account, same_account)

    assert together > alone
    assert reasons == ["name", "account"]


def test_merged_and_trashed_contacts_are_not_candidates(admin):
    merged = factories.contact(admin, first_name="Ivan", last_name="Petrov")
    survivor = factories.contact(admin, first_name="Stoyan", last_name="Kolev")
    Contact.objects.for_tenant(admin.tenant).filter(pk=merged.pk).update(merged_into=survivor)
    trashed = factories.contact(admin, first_name="Ivan", last_name="Petrov")
    services.contact_delete(by=admin, contact=trashed)

    assert candidates_of_new_contact(admin, first_name="Ivan", last_name="Petrov") == []


def test_another_organisations_contacts_are_never_candidates(admin, outsider):
    factories.contact(outsider, first_name="Ivan", last_name="Petrov", emails=["ivan@example.com"])

    found = candidates_of_new_contact(
        admin, first_name="Ivan", last_name="Petrov", emails=["ivan@example.com"]
    )

    assert found == []


def test_an_update_that_makes_a_contact_a_duplicate_is_refused(admin):
    original = factories.contact(admin, first_name="Ivan", last_name="Petrov")
    other = factories.contact(admin, first_name="Stoyan", last_name="Kolev")

    with pytest.raises(DuplicatesFound) as found:
        services.contact_update(
            by=admin, contact=other, fields={"first_name": "Ivan", "last_name": "Petrov"}
        )

    assert [c.record.pk for c in found.value.candidates] == [original.pk]
    other.refresh_from_db()
    assert other.first_name == "Stoyan"


def test_a_record_is_not_its_own_duplicate_on_update(admin):
    contact = factories.contact(admin, first_name="Ivan", last_name="Petrov")

    services.contact_update(
        by=admin, contact=contact, fields={"title": "CEO", "last_name": "Petrov"}
    )

    contact.refresh_from_db()
    assert contact.title == "CEO"


# -- accounts ----------------------------------------------------------------------------


def test_a_company_in_cyrillic_with_another_legal_form_is_found(admin):
    funia = factories.account(admin, name="Funiya Ltd.")

    found = candidates_of_new_account(admin, name="„Фуния“ ООД")

    assert [c.record.pk for c in found] == [funia.pk]
    assert found[0].reasons == ["name"]


def test_an_account_with_the_same_domain_is_found_whatever_its_name(admin):
    record = factories.account(admin, name="Balkan Foods", domain="balkanfoods.bg")

    found = candidates_of_new_account(admin, name="BF Group", domain="https://www.balkanfoods.bg/")

    assert [c.record.pk for c in found] == [record.pk]
    assert found[0].reasons == ["domain"]


def test_a_typo_in_a_company_name_is_found(admin):
    record = factories.account(admin, name="Balkan Foods Trading")

    found = candidates_of_new_account(admin, name="Balkan Fodos Trading")

    assert [c.record.pk for c in found] == [record.pk]
    assert found[0].reasons == ["name_fuzzy"]


def test_different_companies_are_not_found(admin):
    factories.account(admin, name="Balkan Foods", domain="balkanfoods.bg")

    assert candidates_of_new_account(admin, name="Sofia Logistics", domain="sofialog.bg") == []


# -- blocking keys -----------------------------------------------------------------------


def test_the_services_keep_the_blocking_keys_of_a_contact(admin):
    contact = factories.contact(admin, first_name="Гошо", last_name="Петров")
    assert (contact.phonetic_key, contact.fuzzy_key_a, contact.fuzzy_key_b) == (
        "georgi petrov",
        "georgi|pe",
        "petrov|ge",
    )

    contact = services.contact_update(by=admin, contact=contact, fields={"last_name": "Ivanov"})

    stored = Contact.objects.for_tenant(admin.tenant).get(pk=contact.pk)
    assert (stored.phonetic_key, stored.fuzzy_key_a) == ("georgi ivanov", "georgi|iv")


def test_the_services_keep_the_blocking_keys_of_an_account(admin):
    account = factories.account(admin, name="Фуния ООД")
    stored = Account.objects.for_tenant(admin.tenant).get(pk=account.pk)
    assert (stored.phonetic_key, stored.fuzzy_key_a, stored.fuzzy_key_b) == (
        "funia",
        "funia|",
        "fun*",
    )


def test_the_blocking_keys_are_not_in_the_audit_trail(admin):
    from funia.core.models import AuditEntry

    contact = factories.contact(admin, first_name="Ivan", last_name="Petrov")

    entry = AuditEntry.objects.for_tenant(admin.tenant).get(object_id=contact.pk)
    assert not {"phonetic_key", "fuzzy_key_a", "fuzzy_key_b"} & set(entry.changes)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("shchukin", "shtukin"),
        ("georgiy", "georgi"),
        ("mariya", "maria"),
        ("tsvetan", "cvetan"),
        ("khristo", "hristo"),
        ("zhivko", "jivko"),
        ("petrow", "petrov"),
        ("filippov", "filipov"),
        ("dimitur", "dimitar"),
    ],
)
def test_the_phonetic_form_removes_spelling_differences(one, other):
    assert dedupe.phonetic(one) == dedupe.phonetic(other)


def test_a_lookup_reads_only_the_rows_sharing_a_key(admin):
    for n in range(30):
        factories.contact(admin, first_name=f"Person{n}", last_name=f"Unrelated{n}")
    factories.contact(admin, first_name="Ivan", last_name="Petrov")

    with CaptureQueriesContext(connection) as queries:
        found = dedupe.find_contact_duplicates(
            tenant=admin.tenant, name_key="ivan petrov", emails=["x@example.com"], phones=[]
        )

    assert len(found) == 1
    assert len(queries) <= 3  # emails, name keys, the records
    lookup = next(q["sql"] for q in queries if "phonetic_key" in q["sql"])
    assert "fuzzy_key_a" in lookup and "fuzzy_key_b" in lookup
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {lookup}")
            plan = [row[-1] for row in cursor.fetchall()]
        reads = [step for step in plan if "customers_contact" in step]
        assert reads and all("phonetic_key=" in s or "fuzzy_key_" in s for s in reads), plan


def test_a_lookup_returns_at_most_ten_candidates(admin):
    for _ in range(12):
        factories.contact(admin, first_name="Ivan", last_name="Petrov")

    found = dedupe.find_contact_duplicates(
        tenant=admin.tenant, name_key="ivan petrov", emails=[], phones=[]
    )

    assert len(found) == dedupe.LIMIT
