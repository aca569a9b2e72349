import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from funia.imports import engine
from funia.imports import services as imports
from funia.sales.leads import assignment, services
from funia.sales.models import Lead
from funia.search.selectors import global_search

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _found(actor, text):
    return [h.url for h in global_search(actor=actor, text=text, types=["lead"])]


def test_a_lead_is_found_by_name_in_another_script_email_and_phone(admin):
    lead = services.lead_create(
        by=admin,
        first_name="Иван",
        last_name="Петров",
        email="ivan@lead.example",
        phone="+359 888 765 432",
    )
    url = f"/leads/{lead.pk}/"
    assert url in _found(admin, "Ivan Petrov")
    assert url in _found(admin, "ivan@lead.example")
    assert url in _found(admin, "0888 765 432")


def test_importing_a_csv_of_leads(admin, rep):
    assignment.assignment_rule_create(by=admin, name="BG", countries=["BG"], user_id=rep.user.pk)
    content = (
        b"First Name,Last Name,Company,Email,Phone,Country,Lead Source\n"
        b"Ivan,Petrov,Zenith,ivan@zenith.example,0888123456,Bulgaria,fair\n"
        b"Anna,Schmidt,Berlin AG,anna@berlin.example,,Germany,fair\n"
        b"Bad,Row,,not-an-email,,,\n"
    )
    job = imports.import_create(
        by=admin, target="leads", uploaded=SimpleUploadedFile("leads.csv", content)
    )
    job = engine.process_import(job)
    assert (job.created, job.failed) == (2, 1)
    leads = {lead.email: lead for lead in Lead.objects.for_tenant(admin.tenant)}
    assert leads["ivan@zenith.example"].owner_id == rep.user.pk  # the rule
    assert leads["ivan@zenith.example"].phone == "+359888123456"
    assert leads["anna@berlin.example"].owner_id == admin.user.pk  # the importing user
    assert leads["anna@berlin.example"].country == "DE"
    assert leads["anna@berlin.example"].source == "fair"
    from funia.imports.models import ImportRowError

    error = ImportRowError.objects.for_tenant(admin.tenant).get(job=job)
    assert (error.row, error.column, error.value) == (4, "Email", "not-an-email")
