import pytest

from funia.search.selectors import global_search
from tests.browser.conftest import browser, open_page  # noqa: F401  (test_search_browser.py)


@pytest.fixture
def find():
    """find(actor, text, **options) -> [(type, title)] of the global search, best first."""

    def search(actor, text, **options):
        return [(hit.type, hit.title) for hit in global_search(actor=actor, text=text, **options)]

    return search


@pytest.fixture
def titles(find):
    """titles(actor, text) -> the titles found, best first."""

    def search(actor, text, **options):
        return [title for _type, title in find(actor, text, **options)]

    return search
