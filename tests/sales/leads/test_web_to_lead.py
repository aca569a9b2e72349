import pytest
from django.test import Client

from funia.sales.leads import webform
from funia.sales.models import Lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead_form(admin):
    return webform.lead_form_create(
        by=admin,
        name="Contact us",
        fields=["first_name", "last_name", "company", "email", "phone", "message"],
        required=["email"],
        allowed_origins=["https://www.example.com"],
        source="website",
        campaign="Spring",
        consent_text="Send me news",
        thank_you="Thanks, we will call you.",
    )


def url(form):
    return f"/api/v1/web-to-lead/{form.key}"


def leads(tenant):
    return Lead.objects.for_tenant(tenant)


def test_a_json_submission_creates_a_lead_with_the_forms_source(lead_form, admin):
    response = Client().post(
        url(lead_form),
        {"last_name": "Petrov", "email": "p@example.org", "consent": True},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json() == {"message": "Thanks, we will call you."}
    lead = leads(admin.tenant).get()
    assert (lead.source, lead.campaign, lead.form_id) == ("website", "Spring", lead_form.pk)
    assert lead.consent_marketing is True and lead.consent_email is True
    assert lead.owner_id is None  # no rule, no form owner: unassigned


def test_a_browser_form_post_is_redirected_to_the_thank_you_page(lead_form, admin):
    response = Client().post(
        url(lead_form),
        {"last_name": "Petrov", "email": "p@example.org"},
        HTTP_ACCEPT="text/html,application/xhtml+xml",
    )
    assert response.status_code == 303
    assert response["Location"] == f"/f/{lead_form.key}/thanks/"
    assert leads(admin.tenant).get().consent_marketing is None
    thanks = Client().get(response["Location"])
    assert "Thanks, we will call you." in thanks.content.decode()


def test_the_redirect_url_is_used_when_set(lead_form, admin):
    webform.lead_form_update(
        by=admin, lead_form=lead_form, fields={"redirect_url": "https://www.example.com/ok"}
    )
    response = Client().post(url(lead_form), {"email": "p@example.org"}, HTTP_ACCEPT="text/html")
    assert (response.status_code, response["Location"]) == (303, "https://www.example.com/ok")


def test_multipart_form_data_from_a_script_gets_json(lead_form, admin):
    response = Client().post(url(lead_form), {"email": "p@example.org"}, HTTP_ACCEPT="*/*")
    assert response.status_code == 201
    assert leads(admin.tenant).count() == 1


def test_validation_errors_are_422_problem_json_with_field_errors(lead_form, admin):
    response = Client().post(
        url(lead_form), {"phone": "12", "last_name": "X"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert {e["field"] for e in response.json()["errors"]} == {"email"}
    bad_phone = Client().post(
        url(lead_form), {"phone": "12", "email": "a@b.example"}, content_type="application/json"
    )
    assert {e["field"] for e in bad_phone.json()["errors"]} == {"phone"}
    assert not leads(admin.tenant).exists()


def test_a_browser_sees_its_errors_as_a_page_with_a_way_back(lead_form):
    response = Client().post(url(lead_form), {"last_name": "X"}, HTTP_ACCEPT="text/html")
    assert response.status_code == 422
    html = response.content.decode()
    assert "Email" in html and "This field is required." in html
    assert f"/f/{lead_form.key}/" in html


def test_a_filled_honeypot_looks_like_success_but_stores_nothing(lead_form, admin):
    response = Client().post(
        url(lead_form),
        {"email": "bot@spam.example", "homepage": "http://spam.example"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert not leads(admin.tenant).exists()


def test_unknown_or_inactive_keys_are_404(lead_form, admin):
    assert (
        Client().post("/api/v1/web-to-lead/nope", {}, content_type="application/json").status_code
        == 404
    )
    webform.lead_form_update(by=admin, lead_form=lead_form, fields={"is_active": False})
    response = Client().post(
        url(lead_form), {"email": "a@b.example"}, content_type="application/json"
    )
    assert response.status_code == 404


def test_cors_only_for_allowed_origins(lead_form, admin):
    client = Client()
    preflight = client.options(
        url(lead_form),
        HTTP_ORIGIN="https://www.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "https://www.example.com"
    assert "POST" in preflight["Access-Control-Allow-Methods"]
    refused = client.options(url(lead_form), HTTP_ORIGIN="https://evil.example")
    assert refused.status_code == 403
    assert "Access-Control-Allow-Origin" not in refused
    allowed = client.post(
        url(lead_form),
        {"email": "a@b.example"},
        content_type="application/json",
        HTTP_ORIGIN="https://www.example.com",
    )
    assert allowed.status_code == 201
    assert allowed["Access-Control-Allow-Origin"] == "https://www.example.com"
    other = client.post(
        url(lead_form),
        {"email": "c@d.example"},
        content_type="application/json",
        HTTP_ORIGIN="https://evil.example",
    )
    assert other.status_code == 403
    assert leads(admin.tenant).count() == 1


def test_submissions_are_rate_limited_per_address_and_form(lead_form, settings):
    settings.WEB_TO_LEAD_RATE_LIMIT = (2, 600)
    client = Client()
    for _ in range(2):
        ok = client.post(url(lead_form), {"email": "a@b.example"}, content_type="application/json")
        assert ok.status_code == 201
    limited = client.post(url(lead_form), {"email": "a@b.example"}, content_type="application/json")
    assert limited.status_code == 429
    assert limited["Content-Type"] == "application/problem+json"
    assert 1 <= int(limited["Retry-After"]) <= 600
    other_address = client.post(
        url(lead_form),
        {"email": "a@b.example"},
        content_type="application/json",
        REMOTE_ADDR="10.0.0.9",
    )
    assert other_address.status_code == 201


def test_the_form_owner_or_the_rules_get_the_lead(lead_form, admin, rep):
    from funia.sales.leads import assignment

    webform.lead_form_update(by=admin, lead_form=lead_form, fields={"owner_id": admin.user.pk})
    Client().post(url(lead_form), {"email": "a@b.example"}, content_type="application/json")
    assert leads(admin.tenant).get().owner_id == admin.user.pk
    assignment.assignment_rule_create(
        by=admin, name="Web", sources=["website"], user_id=rep.user.pk
    )
    Client().post(url(lead_form), {"email": "c@d.example"}, content_type="application/json")
    assert leads(admin.tenant).get(email="c@d.example").owner_id == rep.user.pk


def test_a_rival_form_key_creates_a_lead_only_in_rivals_organisation(outsider, admin):
    rival_form = webform.lead_form_create(by=outsider, name="Rival form", fields=["email"])
    response = Client().post(
        url(rival_form), {"email": "x@y.example"}, content_type="application/json"
    )
    assert response.status_code == 201
    assert leads(outsider.tenant).get().email == "x@y.example"
    assert not leads(admin.tenant).exists()
    assert "id" not in response.json()


def test_the_hosted_page_shows_the_form_without_login(lead_form):
    response = Client().get(f"/f/{lead_form.key}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="email"' in html and "required" in html
    assert "Send me news" in html
    assert f'action="/api/v1/web-to-lead/{lead_form.key}"' in html
    assert Client().get("/f/unknown-key/").status_code == 404


def test_the_hosted_page_posts_from_our_own_origin(lead_form, admin):
    response = Client().post(
        url(lead_form),
        {"email": "own@example.org"},
        HTTP_ORIGIN="http://testserver",
        HTTP_ACCEPT="text/html",
    )
    assert response.status_code == 303
    assert leads(admin.tenant).filter(email="own@example.org").exists()


def test_behind_a_proxy_the_limit_counts_the_forwarded_address(lead_form, settings):
    settings.WEB_TO_LEAD_RATE_LIMIT = (1, 600)
    settings.CLIENT_IP_HEADER = "X-Forwarded-For"
    client = Client()

    def post(forwarded):
        return client.post(
            url(lead_form),
            {"email": "a@b.example"},
            content_type="application/json",
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=forwarded,
        )

    assert post("203.0.113.5").status_code == 201
    # A client cannot dodge the limit by prefixing a made-up address: the proxy's is last.
    assert post("198.51.100.7, 203.0.113.5").status_code == 429
    assert post("203.0.113.6").status_code == 201
