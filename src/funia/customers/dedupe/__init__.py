"""Duplicate detection: candidates for a new or changed record, and scans of a whole tenant.

Names are compared in a canonical form: `fold()` (lower case, accents gone, Cyrillic
transliterated: Иван Петров -> ivan petrov), then `phonetic()` for the spellings
transliteration produces ("shch"~"sht", "kh"~"h", "ts"~"c", "zh"~"j", "y"~"i", doubled
letters single: Georgiy -> georgi, Mariya -> maria), then nicknames resolved to the full name
(`NICKNAMES`: Gosho -> georgi, Bill -> william). Each record keeps three blocking keys from
that form, indexed and kept by the services beside `name_key`:

- `phonetic_key`: the canonical words, sorted (swapped names, nicknames, variants share it);
- `fuzzy_key_a` / `fuzzy_key_b`: one name in full + the first two letters of the other
  ("ivan|pe", "petrov|iv"), so a typo in either name still shares the other key.

A lookup reads only rows sharing a key or an email/phone (index range scans, never the
tenant) and scores each candidate with a noisy-OR of the evidence, `100 * (1 - Π(1 - p))`:

| evidence | contacts | accounts |
| --- | --- | --- |
| same email / phone / domain | 0.90 / 0.80 / - | 0.85 / 0.75 / 0.85 |
| same name (any script, any order) | 0.70 | 0.75 |
| spelling variant / nickname | 0.68 / 0.66 | 0.72 |
| similar name (Jaro-Winkler >= 0.90 per word) | 0.60-0.68 | 0.60-0.68 |
| a one-word name matching | 0.45 | (as a name) |
| same account | 0.30 | - |

An email or phone shared by clearly different names (a shared inbox, the family phone)
counts x0.75; Petrov/Petrova and Ivan/Ivana (gender forms) are different people. Only
candidates scoring THRESHOLD (60) or more are returned: a same full name alone (70) or a close
typo (60+) is worth a look; a phone shared by different names is at the line (60); a
one-word name or a same account alone is not enough.

The scan (`find_clusters`) reads a tenant once in pk-ordered chunks, and its emails and
phones once sorted by value; it compares records only within blocks (equal canonical names,
similar names sharing a fuzzy key, equal emails, phones or domains) and joins the pairs
scoring >= THRESHOLD into clusters (union-find). It is stricter than the create check, whose
user sees the candidates and decides, because a cluster chains links transitively:

- a name (or an email, phone, domain) shared by more than COMMON (5) records is no evidence
  on its own: two of a hundred Ivan Petrovs are joined only with a second signal (the same
  account, email or phone), and info@ joins no one;
- a name match between records that both have emails (phones, domains) but share none
  counts x0.8 (x0.9): two people of one name, each with their own address;
- a similar spelling counts only when one of the two spellings is rare (RARE, 2 records):
  two established spellings (Petrov, Petkov) are two names, not a typo.

Blocks bigger than FULL_BLOCK are compared within a sliding WINDOW of sorted neighbours, so
no block costs quadratic time and the scan stays near-linear.
"""

from funia.core.errors import DuplicatesFound
from funia.customers.dedupe.constants import (
    COMMON,
    FUZZY_MIN,
    LIMIT,
    LOOKUP_ROWS,
    MAX_WORDS,
    RARE,
    THRESHOLD,
)
from funia.customers.dedupe.lookup import (
    Candidate,
    find_account_duplicates,
    find_contact_duplicates,
)
from funia.customers.dedupe.names import (
    NICKNAMES,
    account_keys,
    account_profile,
    contact_keys,
    contact_profile,
    phonetic,
)
from funia.customers.dedupe.scan import (
    FULL_BLOCK,
    SCAN_CHUNK,
    WINDOW,
    FoundCluster,
    _block_pairs,
    find_clusters,
)
from funia.customers.dedupe.scan_services import (
    KEEP_SCANS,
    SCAN_ABANDONED,
    SCAN_ROLES,
    can_scan,
    duplicate_cluster_list,
    duplicate_scan_get,
    duplicate_scan_latest,
    duplicate_scan_run,
    duplicate_scan_start,
)
from funia.customers.dedupe.scoring import (
    COMMON_FACTOR,
    CONFLICT_FACTORS,
    DIFFERENT_NAMES,
    DIFFERENT_NAMES_FACTOR,
    EXTRA_WORD_FACTOR,
    FUZZY_WEIGHTS,
    REASON_LABELS,
    REASONS,
    WEIGHTS,
    Features,
    name_similarity,
    reason_labels,
    score_pair,
    word_similarity,
)

__all__ = [
    "COMMON",
    "COMMON_FACTOR",
    "CONFLICT_FACTORS",
    "DIFFERENT_NAMES",
    "DIFFERENT_NAMES_FACTOR",
    "EXTRA_WORD_FACTOR",
    "FULL_BLOCK",
    "FUZZY_MIN",
    "FUZZY_WEIGHTS",
    "KEEP_SCANS",
    "LIMIT",
    "LOOKUP_ROWS",
    "MAX_WORDS",
    "NICKNAMES",
    "RARE",
    "REASONS",
    "REASON_LABELS",
    "SCAN_ABANDONED",
    "SCAN_CHUNK",
    "SCAN_ROLES",
    "THRESHOLD",
    "WEIGHTS",
    "WINDOW",
    "Candidate",
    "DuplicatesFound",
    "Features",
    "FoundCluster",
    "_block_pairs",
    "account_keys",
    "account_profile",
    "can_scan",
    "contact_keys",
    "contact_profile",
    "duplicate_cluster_list",
    "duplicate_scan_get",
    "duplicate_scan_latest",
    "duplicate_scan_run",
    "duplicate_scan_start",
    "find_account_duplicates",
    "find_clusters",
    "find_contact_duplicates",
    "name_similarity",
    "phonetic",
    "reason_labels",
    "score_pair",
    "word_similarity",
]
