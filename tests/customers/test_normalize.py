import pytest

from funia.customers.normalize import (
    company_name_key,
    fold,
    normalize_domain,
    normalize_email,
    normalize_phone,
    person_name_key,
)


def test_cyrillic_names_fold_to_the_latin_spelling_bulgarians_use():
    assert fold("Иван Петров") == "ivan petrov"
    assert fold("Щерев Жечев") == "shterev zhechev"
    assert fold("Zoë  Ångström-Ко") == "zoe angstrom ko"


def test_a_persons_name_key_ignores_order_and_script():
    assert person_name_key("Иван", "Петров") == person_name_key("Petrov", "Ivan")


def test_a_company_key_drops_the_legal_form():
    assert company_name_key("„Фуния“ ООД") == company_name_key("Funiya Ltd.") == "funiya"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("0888 123 456", "+359888123456"),
        ("+359 88 812 3456", "+359888123456"),
        ("00359888123456", "+359888123456"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_phones_are_stored_in_e164(typed, stored):
    assert normalize_phone(typed, "BG") == stored


@pytest.mark.parametrize("bad", ["12", "call me", "+359 1"])
def test_an_invalid_phone_is_an_error_not_a_silent_drop(bad):
    with pytest.raises(ValueError, match="phone"):
        normalize_phone(bad, "BG")


def test_emails_are_validated_and_lower_cased():
    assert normalize_email(" Ivan.Petrov@Example.BG ") == "ivan.petrov@example.bg"
    with pytest.raises(ValueError, match="not a valid email"):
        normalize_email("ivan@")


def test_domains_are_stripped_to_the_host():
    assert normalize_domain("https://www.Example.com/about?x=1") == "example.com"
    assert normalize_domain("пример.бг") == "xn--e1afmkfd.xn--90ae"
    with pytest.raises(ValueError):
        normalize_domain("not a domain")
