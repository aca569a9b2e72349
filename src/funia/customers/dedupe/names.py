"""Canonical names: folding, phonetic forms, nicknames and the blocking keys."""

import functools
import re

from funia.customers.dedupe.constants import MAX_WORDS
from funia.customers.normalize import company_name_key, fold

# -- canonical names ---------------------------------------------------------------------

_PHONETIC_RULES = (
    ("shch", "sht"),  # щ: Russian-style and Bulgarian transliteration
    ("sch", "sh"),
    ("tch", "ch"),
    ("dzh", "j"),  # дж
    ("dj", "j"),
    ("zh", "j"),  # ж: Zhivko / Jivko
    ("kh", "h"),  # х: Khristo / Hristo
    ("tz", "c"),  # ц: Tsvetan / Cvetan / Tzvetan
    ("ts", "c"),
    ("cz", "c"),
    ("ph", "f"),
    ("ck", "k"),
    ("q", "k"),
    ("w", "v"),  # Petrow / Petrov
    ("x", "ks"),
    ("y", "i"),  # й, ь, ы: Nikolay / Nikolai, Georgiy / Georgi, Yana / Iana
)
_DOUBLED = re.compile(r"(.)\1+")


@functools.lru_cache(maxsize=65536)
def phonetic(word: str) -> str:
    """A folded word with the spelling differences of transliteration removed."""
    for old, new in _PHONETIC_RULES:
        if old in word:
            word = word.replace(old, new)
    word = _DOUBLED.sub(r"\1", word)
    if len(word) > 4 and word.endswith("ur"):  # -ър: Petur / Petar, Dimitur / Dimitar
        word = word[:-2] + "ar"
    return word


# Full name -> its nicknames and foreign forms (folded); Bulgarian first, then English.
NICKNAMES = {
    "georgi": ("gosho", "goshko", "zhoro", "george", "georgios", "jorge"),
    "todor": ("tosho", "toshko", "teodor", "theodore"),
    "ivan": ("vancho", "vanko", "ivancho", "vanyo"),
    "ivana": ("vanya", "vanche", "ivanka"),
    "dimitar": ("mitko", "mityo", "mitaka", "dimitri", "dimitrios", "dimitry", "dmitry"),
    "petar": ("pesho", "petyo", "pepi", "peter", "pete", "pierre", "pedro"),
    "nikolay": ("kolyo", "koko", "niki", "nikola", "nicholas", "nick", "nicky", "nicolas"),
    "aleksandar": ("sasho", "sashko", "sasha", "alex", "aleks", "alexander", "alexandr"),
    "aleksandra": ("sashka", "alexandra", "sandra"),
    "stoyan": ("stoyo", "stoycho"),
    "hristo": ("itso", "icho", "christo", "christos"),
    "hristina": ("hrisi", "christina", "kristina", "tina"),
    "krasimir": ("krasi", "kras"),
    "krasimira": ("krasimirka",),
    "vasil": ("vasko", "vaseto", "vasilis", "basil"),
    "atanas": ("nasko", "naso", "tanas"),
    "yordan": ("dancho", "jordan", "yordancho"),
    "konstantin": ("kosta", "koce", "kocho", "constantine", "kostadin"),
    "lyubomir": ("lyubo", "lubo", "lyubcho"),
    "lyudmila": ("lyuda", "mila"),
    "kiril": ("kiro", "kircho", "cyril"),
    "mihail": ("misho", "michael", "mike", "mikey", "mikhail", "michel", "miguel"),
    "veselin": ("vesko", "veso"),
    "valentin": ("valyo", "vale"),
    "tsvetan": ("tsetso", "tseko", "ceco"),
    "tsvetelina": ("tsveti", "cveti"),
    "angel": ("acho", "ancho"),
    "martin": ("marto",),
    "daniel": ("dani", "danny", "dan", "danail"),
    "emil": ("emo",),
    "plamen": ("plamcho",),
    "radoslav": ("rado", "radi"),
    "borislav": ("bobi", "boby"),
    "svetoslav": ("svetlio", "sveto"),
    "maria": ("mimi", "mima", "mary", "marie", "mariyka", "maya"),
    "elena": ("eli", "lena", "helen", "helena", "ellen"),
    "ekaterina": (
        *("katya", "katerina", "kati", "kate", "katie", "kathy", "kat"),
        *("katherine", "catherine", "cathy", "kathryn", "katharine"),
    ),
    "gergana": ("geri", "gery"),
    "nadezhda": ("nadya", "nadia", "nadine"),
    "teodora": ("tedi", "dora", "theodora"),
    "desislava": ("desi", "desa"),
    "anna": ("ani", "anya", "ann", "anne", "annie"),
    "zornitsa": ("zori",),
    "silviya": ("silvi", "sylvia"),
    "margarita": ("magi", "rita", "margaret", "maggie", "peggy", "meg"),
    "viktoria": ("viki", "vicky", "tori", "victoria"),
    "elisaveta": ("elizabeth", "liz", "lizzy", "beth", "betty", "eliza", "elsa"),
    "robert": ("bob", "bobby", "rob", "robbie", "bert"),
    "william": ("bill", "billy", "will", "willy", "liam"),
    "james": ("jim", "jimmy", "jamie"),
    "richard": ("dick", "rick", "ricky", "rich", "richie"),
    "thomas": ("tom", "tommy"),
    "anthony": ("tony", "antony", "anton"),
    "timothy": ("tim", "timmy"),
    "david": ("dave", "davy"),
    "steven": ("steve", "stephen", "stevie", "stefan"),
    "christopher": ("chris", "kit"),
    "joseph": ("joe", "joey", "josef", "yosif"),
    "john": ("jack", "johnny", "jon"),
    "edward": ("ed", "eddie", "ted", "teddy", "ned"),
    "andrew": ("andy", "drew", "andrey", "andrei"),
    "gregory": ("greg", "grigor"),
    "matthew": ("matt", "matey"),
    "charles": ("charlie", "chuck"),
    "frederick": ("fred", "freddie"),
    "henry": ("harry", "hank"),
    "lawrence": ("larry",),
    "gerald": ("jerry", "gerry"),
    "benjamin": ("ben", "benny"),
    "samuel": ("sam", "sammy"),
    "jennifer": ("jenny", "jen"),
    "susan": ("sue", "susie"),
    "patricia": ("pat", "patty", "trish"),
    "rebecca": ("becky",),
    "deborah": ("debbie", "deb"),
    "abigail": ("abby",),
    "jessica": ("jess", "jessie"),
}


def _nickname_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for full, variants in NICKNAMES.items():
        canonical = phonetic(fold(full))
        index.setdefault(canonical, canonical)
        for variant in variants:
            index.setdefault(phonetic(fold(variant)), canonical)
    return index


_NICKNAME_OF = _nickname_index()


def _is_nickname(word: str) -> bool:
    """Is this folded word a nickname or foreign form of another name?"""
    form = phonetic(word)
    return _NICKNAME_OF.get(form, form) != form


@functools.lru_cache(maxsize=65536)
def _canonical(word: str, nicknames: bool) -> str:
    form = phonetic(word)
    return _NICKNAME_OF.get(form, form) if nicknames else form


@functools.lru_cache(maxsize=65536)
def _words(text: str) -> list[str]:
    return fold(text).split()


@functools.lru_cache(maxsize=65536)
def contact_profile(first_name: str, last_name: str) -> tuple[tuple, tuple, str, str]:
    """(folded words sorted, canonical words sorted, canonical given name, family name)."""
    first, last = _words(first_name), _words(last_name)
    folded = tuple(sorted(first + last)[:MAX_WORDS])
    canonical = tuple(sorted(_canonical(w, True) for w in folded))
    given = _canonical(first[0], True) if first else ""
    family = _canonical(last[-1], True) if last else ""
    return folded, canonical, given, family


@functools.lru_cache(maxsize=65536)
def account_profile(name: str) -> tuple[tuple, tuple, str, str]:
    """As contact_profile, for a company name without its legal form; no nicknames."""
    words = company_name_key(name).split()[:MAX_WORDS]
    canonical = tuple(sorted(_canonical(w, False) for w in words))
    first = _canonical(words[0], False) if words else ""
    last = _canonical(words[-1], False) if len(words) > 1 else ""
    return tuple(sorted(words)), canonical, first, last


def _pair_keys(one: str, other: str) -> tuple[str, str]:
    """The two typo-tolerant keys of a name: each word in full + two letters of the other."""
    if not one or not other:
        word = one or other
        return (f"{word}|"[:100], f"{word[:3]}*") if word else ("", "")
    one, other = sorted((one, other))
    return f"{one}|{other[:2]}"[:100], f"{other}|{one[:2]}"[:100]


def _keys(profile) -> dict:
    _folded, canonical, one, other = profile
    key_a, key_b = _pair_keys(one, other)
    return {"phonetic_key": " ".join(canonical)[:200], "fuzzy_key_a": key_a, "fuzzy_key_b": key_b}


def contact_keys(first_name: str, last_name: str) -> dict:
    """The blocking key columns of a contact (`phonetic_key`, `fuzzy_key_a`, `fuzzy_key_b`)."""
    return _keys(contact_profile(first_name or "", last_name or ""))


def account_keys(name: str) -> dict:
    """The blocking key columns of an account."""
    return _keys(account_profile(name or ""))
