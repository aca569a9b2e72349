"""Country names as people type them ("United States", "България", "UK") -> ISO 3166 codes.

Names come from the region names `phonenumbers` ships (English and Bulgarian), a few common
short forms, and a close spelling match for typos ("Philipines" -> PH).
"""

import functools

import phonenumbers
from phonenumbers import geocoder
from rapidfuzz import fuzz, process

from funia.customers.normalize import fold

SHORT_FORMS = {
    "usa": "US",
    "us": "US",
    "united states of america": "US",
    "america": "US",
    "uk": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "britain": "GB",
    "holland": "NL",
    "the netherlands": "NL",
    "czech republic": "CZ",
    "south korea": "KR",
    "korea": "KR",
    "russia": "RU",
    "uae": "AE",
    "sasht": "US",  # САЩ
    "velikobritaniya": "GB",  # Великобритания
    "anglia": "GB",  # Англия
}
CLOSE_ENOUGH = 90


@functools.cache
def _names() -> dict[str, str]:
    names = dict(SHORT_FORMS)
    for region in phonenumbers.SUPPORTED_REGIONS:
        for language in ("en", "bg"):
            name = geocoder._region_display_name(region, language)
            if name:
                names.setdefault(fold(name), region)
    return names


def country_code(value: str) -> str:
    """The ISO code of a country name or code; ValueError when none is close enough."""
    text = (value or "").strip()
    folded = fold(text)
    names = _names()
    if folded in names:
        return names[folded]
    if text.upper() in phonenumbers.SUPPORTED_REGIONS:
        return text.upper()
    if len(folded) < 4:
        raise ValueError(text)
    best = process.extractOne(folded, names.keys(), scorer=fuzz.ratio, score_cutoff=CLOSE_ENOUGH)
    if best is None:
        raise ValueError(text)
    return names[best[0]]
