"""Reading what the user typed: folded words, emails, phones in any format."""

import pytest

from funia.search.query import parse_query, spellings


def test_names_are_folded_to_latin_lower_case():
    assert parse_query("Иван  ПЕТРОВ").terms == ("ivan", "petrov")


def test_accents_are_dropped():
    assert parse_query("José Müller").terms == ("jose", "muller")


@pytest.mark.parametrize("typed", ["+359 88 812 3456", "0888123456", "888123456", "088-812-34-56"])
def test_a_phone_in_any_format_reads_as_its_e164_number(typed):
    query = parse_query(typed, region="BG")
    assert query.phones == ("+359888123456",)
    assert query.terms == ("888123456",)


def test_a_part_of_a_phone_number_is_searched_without_its_trunk_zero():
    query = parse_query("0888 12")
    assert query.phones == ()
    assert query.terms == ("88812",)


def test_a_complete_email_is_an_exact_address():
    query = parse_query("Ivan.Petrov@Example.com")
    assert query.emails == ("ivan.petrov@example.com",)
    assert query.terms == ("ivan.petrov@example.com",)


def test_a_part_of_an_email_is_kept_whole_for_a_substring_match():
    query = parse_query("ivan.pet@")
    assert query.emails == ()
    assert query.terms == ("ivan.pet@",)


@pytest.mark.parametrize("typed", ["", "   ", "a", "- -", None, "\x00"])
def test_nothing_to_search_for_gives_no_query(typed):
    assert parse_query(typed) is None


def test_a_single_letter_next_to_a_word_is_kept():
    assert parse_query("ivan p").terms == ("ivan", "p")


def test_short_terms_must_start_a_word_and_long_ones_may_be_anywhere():
    query = parse_query("iv etrov")
    assert [(t.text, t.word_start) for t in query.contained_terms()] == [
        ("iv", True),
        ("etrov", False),
    ]
    assert all(t.word_start for t in query.word_start_terms())


def test_nul_characters_are_ignored():
    assert parse_query("iv\x00an").terms == ("iv", "an")


@pytest.mark.parametrize(
    ("word", "also"),
    [
        ("maria", "mariya"),
        ("mariya", "maria"),
        ("nikolai", "nikolay"),
        ("nikolay", "nikolai"),
        ("jivko", "zhivko"),
        ("cvetan", "tsvetan"),
        ("tzvetan", "tsvetan"),
        ("julia", "yuliya"),
        ("khristo", "hristo"),
    ],
)
def test_a_name_is_also_searched_in_its_other_latin_spellings(word, also):
    assert also in spellings(word)


def test_emails_numbers_and_short_words_have_no_other_spellings():
    assert spellings("ab") == ()
    assert spellings("88812") == ()
    assert parse_query("maria@example.com").contained_terms()[0].spellings == ()
