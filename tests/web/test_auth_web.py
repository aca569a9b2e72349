"""Signing in and out of the web interface: the real login form, lockout, CSRF, hashing."""

import pytest
from django.conf import settings
from django.test import Client

from funia.core import services as core_services
from tests import factories

LOGIN_URL = "/login/"
WRONG_PASSWORD = "not-the-password-1"


def sign_in(client: Client, email: str, password: str, **extra):
    return client.post(LOGIN_URL, {"username": email, "password": password, **extra})


def is_signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_signing_in_with_the_form_lands_on_the_home_page(admin):
    client = Client()

    response = sign_in(client, admin.user.email, factories.PASSWORD)

    assert response.status_code == 302
    assert response.url == "/"
    home = client.get(response.url)
    assert home.status_code == 200
    assert home.context["user"] == admin.user
    assert home.context["tenant"] == admin.tenant


def test_signing_in_returns_to_the_page_asked_for(admin):
    response = sign_in(Client(), admin.user.email, factories.PASSWORD, next="/accounts/")

    assert response.status_code == 302
    assert response.url == "/accounts/"


def test_signing_in_ignores_a_next_url_on_another_site(admin):
    response = sign_in(
        Client(), admin.user.email, factories.PASSWORD, next="https://evil.example/phish"
    )

    assert response.status_code == 302
    assert response.url == "/"


def test_the_email_address_is_not_case_sensitive_on_sign_in(admin):
    client = Client()

    sign_in(client, admin.user.email.upper(), factories.PASSWORD)

    assert is_signed_in(client)


def test_a_wrong_password_shows_an_error_and_does_not_sign_in(admin):
    client = Client()

    response = sign_in(client, admin.user.email, WRONG_PASSWORD)

    assert response.status_code == 200
    assert "The email address or password is not correct." in response.content.decode()
    assert not is_signed_in(client)


def test_after_too_many_failures_even_the_right_password_is_refused(admin):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, admin.user.email, WRONG_PASSWORD)

    response = sign_in(client, admin.user.email, factories.PASSWORD)

    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert not is_signed_in(client)


def test_failures_in_other_capitalisations_count_towards_the_same_lockout(admin):
    client = Client()
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        email = admin.user.email.upper() if attempt % 2 else admin.user.email.title()
        sign_in(client, email, WRONG_PASSWORD)

    response = sign_in(client, admin.user.email, factories.PASSWORD)

    assert response.status_code == 429
    assert not is_signed_in(client)


def test_failures_below_the_limit_do_not_lock_the_account(admin):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, admin.user.email, WRONG_PASSWORD).status_code == 200

    response = sign_in(client, admin.user.email, factories.PASSWORD)

    assert response.status_code == 302
    assert is_signed_in(client)


def test_signing_out_by_get_is_not_allowed(admin, web_as):
    client = web_as(admin)

    response = client.get("/logout/")

    assert response.status_code == 405
    assert is_signed_in(client)


def test_signing_out_by_post_ends_the_session(admin, web_as):
    client = web_as(admin)

    response = client.post("/logout/")

    assert response.status_code == 302
    assert response.url == LOGIN_URL
    assert not is_signed_in(client)
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    "url", ["/", "/accounts/", "/contacts/", "/teams/", "/profile/", "/settings/tokens/"]
)
def test_pages_send_anonymous_visitors_to_the_login_page(db, url):
    response = Client().get(url)

    assert response.status_code == 302
    assert response.url == f"{LOGIN_URL}?next={url}"


def test_the_login_form_refuses_a_post_without_a_csrf_token(admin):
    client = Client(enforce_csrf_checks=True)

    response = sign_in(client, admin.user.email, factories.PASSWORD)

    assert response.status_code == 403
    assert not is_signed_in(client)


def test_the_login_form_accepts_a_post_with_its_csrf_token(admin):
    client = Client(enforce_csrf_checks=True)
    token = client.get(LOGIN_URL).context["csrf_token"]

    response = sign_in(client, admin.user.email, factories.PASSWORD, csrfmiddlewaretoken=token)

    assert response.status_code == 302
    assert is_signed_in(client)


def test_passwords_are_stored_with_argon2(admin):
    membership = core_services.user_add_to_tenant(
        by=admin, tenant=admin.tenant, email="new@example.com", role="sales_rep",
        password="Long-enough-pass-42",
    )  # fmt: skip

    membership.user.refresh_from_db()
    assert membership.user.password.startswith("argon2$argon2id$")


def test_a_user_without_an_organisation_sees_the_not_a_member_page(db):
    user = factories.UserFactory()
    client = Client()
    sign_in(client, user.email, factories.PASSWORD)

    response = client.get("/")

    assert response.status_code == 403
    assert "You are not a member of any organisation" in response.content.decode()
