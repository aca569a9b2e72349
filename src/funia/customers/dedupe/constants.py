"""The limits and thresholds shared by duplicate lookups and scans."""

LIMIT = 10  # candidates returned by a lookup
THRESHOLD = 60  # lowest score of a candidate, and of a link in a scan's cluster
LOOKUP_ROWS = 200  # rows a lookup reads through the name keys, at most
MAX_WORDS = 5  # words of a name compared
FUZZY_MIN = 0.90  # Jaro-Winkler similarity of each word for a "similar name"
COMMON = 5  # a name or value shared by more records is no evidence on its own in a scan
RARE = 2  # in a scan, one of two similar spellings must be this rare to be a typo
