import pytest
from django.urls import reverse

from funia.customers.models import Contact
from funia.sales.leads import services, webform
from funia.sales.models import AssignmentRule, Lead, LeadForm
from tests import factories

pytestmark = pytest.mark.django_db


def test_list_detail_create_and_status(admin, web_as):
    browser = web_as(admin)
    response = browser.post(
        reverse("lead_create"),
        {
            "last_name": "Petrov",
            "company": "Acme",
            "email": "p@acme.example",
            "status": "new",
            "owner": admin.user.pk,
        },
    )
    lead = Lead.objects.for_tenant(admin.tenant).get()
    assert response.status_code == 302
    assert "Petrov" in browser.get(reverse("lead_list")).content.decode()
    detail = browser.get(reverse("lead_detail", args=[lead.pk])).content.decode()
    assert "Convert" in detail
    refused = browser.post(reverse("lead_status", args=[lead.pk]), {"status": "disqualified"})
    assert refused.status_code == 302
    lead.refresh_from_db()
    assert lead.status == "new"
    browser.post(
        reverse("lead_status", args=[lead.pk]), {"status": "disqualified", "reason": "No budget"}
    )
    lead.refresh_from_db()
    assert (lead.status, lead.disqualify_reason) == ("disqualified", "No budget")


def test_the_list_filters_by_status(admin, web_as):
    services.lead_create(by=admin, last_name="Working One", status="working")
    services.lead_create(by=admin, last_name="Fresh One")
    html = web_as(admin).get(reverse("lead_list"), {"status": "working"}).content.decode()
    assert "Working One" in html and "Fresh One" not in html


def test_the_convert_page_shows_duplicates_and_links_the_chosen_one(admin, web_as):
    existing = factories.contact(
        admin, first_name="Maria", last_name="Ivanova", emails=["maria@z.example"]
    )
    lead = services.lead_create(
        by=admin, first_name="Maria", last_name="Ivanova", email="maria@z.example", company="Zenith"
    )
    browser = web_as(admin)
    page = browser.get(reverse("lead_convert", args=[lead.pk])).content.decode()
    assert "Possible duplicates of the person" in page and f'value="{existing.pk}"' in page
    response = browser.post(
        reverse("lead_convert", args=[lead.pk]),
        {"account": "new", "contact": str(existing.pk), "etag": lead.etag},
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.is_converted and lead.converted_contact_id == existing.pk
    assert Contact.objects.for_tenant(admin.tenant).count() == 1
    detail = browser.get(reverse("lead_detail", args=[lead.pk])).content.decode()
    assert "read-only" in detail and reverse("contact_detail", args=[existing.pk]) in detail
    deleted = browser.post(reverse("lead_delete", args=[lead.pk]))
    assert deleted.status_code == 302
    assert Lead.objects.for_tenant(admin.tenant).filter(pk=lead.pk).exists()


def test_converting_with_a_deal_from_the_page(admin, web_as):
    pipeline = factories.pipeline(admin)
    stage = pipeline.stages.order_by("position").first()
    lead = services.lead_create(by=admin, last_name="Dealer", company="DealCo")
    response = web_as(admin).post(
        reverse("lead_convert", args=[lead.pk]),
        {
            "account": "new",
            "contact": "new",
            "create_opportunity": "on",
            "opportunity_name": "DealCo CRM",
            "stage": stage.pk,
            "amount": "100",
        },
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.converted_opportunity.name == "DealCo CRM"
    assert lead.converted_account.name == "DealCo"


def test_admin_pages_of_web_forms_and_rules(admin, rep, web_as):
    browser = web_as(admin)
    response = browser.post(
        reverse("lead_form_create"),
        {
            "name": "Site form",
            "is_active": "on",
            "fields": ["last_name", "email"],
            "required": ["email"],
            "allowed_origins": "https://www.example.com",
            "source": "web",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    form = LeadForm.objects.for_tenant(admin.tenant).get()
    detail = browser.get(reverse("lead_form_detail", args=[form.pk])).content.decode()
    assert f"/f/{form.key}/" in detail and "homepage" in detail
    response = browser.post(
        reverse("assignment_rule_create"),
        {"name": "BG", "is_active": "on", "countries": "BG, RO", "user": rep.user.pk},
    )
    assert response.status_code == 302
    assert AssignmentRule.objects.for_tenant(admin.tenant).get().countries == ["BG", "RO"]
    assert "BG" in browser.get(reverse("assignment_rule_list")).content.decode()


def test_a_rep_cannot_create_web_forms(rep, web_as):
    response = web_as(rep).post(reverse("lead_form_create"), {"name": "X", "fields": ["email"]})
    assert response.status_code == 403


def test_the_nav_and_the_dashboard_show_leads(admin, web_as):
    webform.lead_form_create(by=admin, name="F", fields=["email"])
    services.lead_create(by=admin, last_name="Mine")
    html = web_as(admin).get(reverse("home")).content.decode()
    assert reverse("lead_list") in html and reverse("lead_form_list") in html
    assert "New leads this week" in html


def test_lead_page_lists_its_activities(web_as, rep):
    from funia.activities import services as activity_services

    lead = services.lead_create(by=rep, first_name="Ivan", last_name="Petrov")
    activity_services.activity_create(
        by=rep, kind="task", subject="Call back Ivan", lead_id=lead.pk
    )

    html = web_as(rep).get(reverse("lead_detail", args=[lead.pk])).content.decode()

    assert "Call back Ivan" in html
    assert f"lead={lead.pk}" in html
