"""Errors that services raise for the API and pages to present (not programming errors)."""


class DuplicatesFound(Exception):
    """The write would duplicate existing records; `candidates` say which and why.

    Each candidate has `record`, `score` (0-100) and `reasons` (the fields that matched).
    The API answers 409 with them; pages show them and offer to save anyway.
    """

    def __init__(self, candidates: list):
        super().__init__(f"{len(candidates)} possible duplicate(s)")
        self.candidates = candidates
