import pytest

from funia.activities.models import Activity
from funia.core.records import record_create
from funia.customers.models import Account, ConsentEvent, Contact
from funia.sales.models import Lead
from tests import factories

pytestmark = pytest.mark.django_db


def _lead(api, **fields):
    response = api.call("post", "/leads", {"last_name": "Petrov", **fields})
    assert response.status_code == 201, response.content
    return response.json()


def test_create_read_and_filter_leads(admin, api_as):
    api = api_as(admin)
    created = _lead(api, first_name="Ivan", email="IVAN@example.com", source="fair", rating="hot")
    assert created["email"] == "ivan@example.com"
    assert created["owner"] == admin.user.pk
    assert created["status"] == "new"
    _lead(api, last_name="Other", source="web")
    listed = api.call("get", "/leads", {"source": "fair", "rating": "hot"}).json()
    assert [item["id"] for item in listed["items"]] == [created["id"]]
    found = api.call("get", "/leads", {"q": "ivan"}).json()
    assert [item["id"] for item in found["items"]] == [created["id"]]


def test_invalid_phone_is_a_422_field_error(admin, api_as):
    response = api_as(admin).call("post", "/leads", {"last_name": "X", "phone": "abc"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "phone"


def test_disqualify_without_reason_is_refused(admin, api_as):
    api = api_as(admin)
    lead = _lead(api)
    response = api.call("patch", f"/leads/{lead['id']}", {"status": "disqualified"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "disqualify_reason"


def test_convert_creates_account_contact_and_deal_keeping_everything(admin, api_as):
    pipeline = factories.pipeline(admin)
    api = api_as(admin)
    lead = _lead(
        api,
        first_name="Maria",
        last_name="Ivanova",
        company="Zenith Ltd",
        website="https://www.zenith.example/about",
        title="CTO",
        email="maria@zenith.example",
        phone="+359 888 111 222",
        country="BG",
        industry="Software",
        source="web form",
        campaign="Spring 2025",
        consent_marketing=True,
    )
    lead_obj = Lead.objects.for_tenant(admin.tenant).get(pk=lead["id"])
    call = record_create(model=Activity, by=admin, kind="call", subject="First call", lead=lead_obj)
    response = api.call(
        "post",
        f"/leads/{lead['id']}/convert",
        {
            "create_opportunity": True,
            "opportunity": {"name": "Zenith CRM", "amount": "5000", "pipeline": pipeline.pk},
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "converted" and body["converted_at"]
    account = Account.objects.for_tenant(admin.tenant).get(pk=body["converted_account"])
    contact = Contact.objects.for_tenant(admin.tenant).get(pk=body["converted_contact"])
    assert (account.name, account.domain, account.country, account.industry) == (
        "Zenith Ltd",
        "zenith.example",
        "BG",
        "Software",
    )
    assert (contact.first_name, contact.last_name, contact.title) == ("Maria", "Ivanova", "CTO")
    assert contact.account_id == account.pk
    assert contact.primary_email == "maria@zenith.example"
    assert contact.consent_marketing is True
    assert (
        ConsentEvent.objects.for_tenant(admin.tenant)
        .filter(contact=contact, channel="marketing", granted=True)
        .exists()
    )
    deal = api.call("get", f"/opportunities/{body['converted_opportunity']}")
    if deal.status_code == 200:
        assert deal.json()["source"] == "web form"
    from funia.sales.models import Opportunity

    opportunity = Opportunity.objects.for_tenant(admin.tenant).get(pk=body["converted_opportunity"])
    assert (opportunity.campaign, opportunity.account_id, opportunity.lead_id) == (
        "Spring 2025",
        account.pk,
        lead["id"],
    )
    call.refresh_from_db()
    assert (call.contact_id, call.account_id, call.opportunity_id) == (
        contact.pk,
        account.pk,
        opportunity.pk,
    )


def test_a_converted_lead_is_read_only(admin, api_as):
    api = api_as(admin)
    lead = _lead(api, company="Solo")
    assert api.call("post", f"/leads/{lead['id']}/convert", {}).status_code == 200
    patch = api.call("patch", f"/leads/{lead['id']}", {"title": "CEO"})
    assert patch.status_code == 422
    assert "read-only" in patch.json()["errors"][0]["message"]
    assert api.call("delete", f"/leads/{lead['id']}").status_code == 422
    assert api.call("post", f"/leads/{lead['id']}/convert", {}).status_code == 422


def test_convert_answers_409_with_candidates_then_links_the_named_contact(admin, api_as):
    existing = factories.contact(
        admin, first_name="Maria", last_name="Ivanova", emails=["maria@zenith.example"]
    )
    api = api_as(admin)
    lead = _lead(api, first_name="Maria", last_name="Ivanova", email="maria@zenith.example")
    conflict = api.call("post", f"/leads/{lead['id']}/convert", {})
    assert conflict.status_code == 409
    assert conflict.json()["candidates"][0]["id"] == existing.pk
    assert Lead.objects.for_tenant(admin.tenant).get(pk=lead["id"]).status == "new"
    linked = api.call("post", f"/leads/{lead['id']}/convert", {"contact": existing.pk})
    assert linked.status_code == 200
    assert linked.json()["converted_contact"] == existing.pk
    assert Contact.objects.for_tenant(admin.tenant).count() == 1


def test_convert_with_on_duplicate_create_makes_a_new_contact(admin, api_as):
    factories.contact(admin, first_name="Maria", last_name="Ivanova", emails=["m@z.example"])
    api = api_as(admin)
    lead = _lead(api, first_name="Maria", last_name="Ivanova", email="m@z.example")
    response = api.call("post", f"/leads/{lead['id']}/convert", {"on_duplicate": "create"})
    assert response.status_code == 200
    assert Contact.objects.for_tenant(admin.tenant).count() == 2


def test_api_create_without_owner_applies_the_rules(admin, rep, api_as):
    api = api_as(admin)
    api.call("post", "/assignment-rules", {"name": "BG", "countries": ["BG"], "user": rep.user.pk})
    assert _lead(api, country="BG")["owner"] == rep.user.pk
    assert _lead(api, country="BG", owner=admin.user.pk)["owner"] == admin.user.pk


def test_assignment_rules_are_written_by_admins_only(rep, admin, api_as):
    response = api_as(rep).call("post", "/assignment-rules", {"name": "X", "user": rep.user.pk})
    assert response.status_code == 403
    bad = api_as(admin).call("post", "/assignment-rules", {"name": "X", "countries": ["BG"]})
    assert bad.status_code == 422


def test_lead_forms_give_the_snippet_and_validate_their_settings(admin, api_as):
    api = api_as(admin)
    bad = api.call(
        "post",
        "/lead-forms",
        {"name": "Contact us", "allowed_origins": ["ftp://x", "https://ok.example/path"]},
    )
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert fields == {"allowed_origins.0", "allowed_origins.1"}
    response = api.call(
        "post",
        "/lead-forms",
        {
            "name": 'Contact <us> "now"',
            "fields": ["last_name", "email"],
            "required": ["email"],
            "allowed_origins": ["https://WWW.Example.com/"],
            "consent_text": "I agree to <b>emails</b>",
        },
    )
    assert response.status_code == 201, response.content
    form = response.json()
    assert form["allowed_origins"] == ["https://www.example.com"]
    assert form["submit_url"].endswith(f"/api/v1/web-to-lead/{form['key']}")
    assert form["hosted_url"].endswith(f"/f/{form['key']}/")
    snippet = form["html_snippet"]
    assert f'action="{form["submit_url"]}"' in snippet
    assert 'name="homepage"' in snippet and 'name="consent"' in snippet
    assert "&lt;b&gt;emails&lt;/b&gt;" in snippet and "<b>" not in snippet
    required_not_on_form = api.call("patch", f"/lead-forms/{form['id']}", {"required": ["phone"]})
    assert required_not_on_form.status_code == 422
