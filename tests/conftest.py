import pytest
from django.test import Client

from tests import factories


@pytest.fixture
def org(db):
    return factories.OrganizationFactory(name="Acme Sales", slug="acme")


@pytest.fixture
def other_org(db):
    return factories.OrganizationFactory(name="Rival Corp", slug="rival")


@pytest.fixture
def admin(org):
    return factories.member(org, "admin")


@pytest.fixture
def rep(org):
    return factories.member(org, "sales_rep")


@pytest.fixture
def outsider(other_org):
    """An administrator of another organisation."""
    return factories.member(other_org, "admin")


class ApiClient(Client):
    """A test client that speaks JSON to /api/v1 with a bearer token."""

    def __init__(self, token: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.token = token

    def _headers(self, headers):
        headers = dict(headers or {})
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        return headers

    def call(self, method: str, path: str, data=None, headers=None):
        url = path if path.startswith("/api/") else f"/api/v1{path}"
        kwargs = {"headers": self._headers(headers)}
        if data is not None and method in {"post", "put", "patch", "delete"}:
            kwargs |= {"data": data, "content_type": "application/json"}
        elif data is not None:
            kwargs["data"] = data
        return getattr(super(), method)(url, **kwargs)


@pytest.fixture
def api_as():
    """api_as(actor) -> an ApiClient authenticated with a fresh token of that actor."""

    def make(actor):
        return ApiClient(factories.token_for(actor))

    return make


@pytest.fixture
def web_as():
    """web_as(actor) -> a signed-in Django test client."""

    def make(actor):
        client = Client()
        client.force_login(actor.user)
        return client

    return make
