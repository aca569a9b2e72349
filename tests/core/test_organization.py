from zoneinfo import ZoneInfo

from django.utils import dateformat

from funia.core.models import AuditEntry
from funia.core.services import organization_update
from tests import factories


def test_an_admin_changes_the_organisation_time_zone_and_it_is_audited(admin, api_as):
    response = api_as(admin).call("patch", "/organization", {"time_zone": "Europe/Berlin"})

    assert response.status_code == 200, response.content
    assert response.json()["time_zone"] == "Europe/Berlin"
    entry = AuditEntry.objects.for_tenant(admin.tenant).get(object_type="core.organization")
    assert entry.changes == {"time_zone": ["Europe/Sofia", "Europe/Berlin"]}


def test_a_sales_rep_cannot_change_organisation_settings(rep, api_as):
    response = api_as(rep).call("patch", "/organization", {"reps_see_team_records": True})

    assert response.status_code == 403
    rep.tenant.refresh_from_db()
    assert rep.tenant.reps_see_team_records is False


def test_an_unknown_time_zone_is_refused_with_a_field_error(admin, api_as):
    response = api_as(admin).call("patch", "/organization", {"time_zone": "Mars/Olympus"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "time_zone"


def test_pages_show_times_in_the_organisation_time_zone(admin, web_as):
    organization_update(by=admin, fields={"time_zone": "Asia/Tokyo"})
    account = factories.account(admin)
    created_at = AuditEntry.objects.for_tenant(admin.tenant).get(object_type="customers.account").at
    tokyo = dateformat.format(created_at.astimezone(ZoneInfo("Asia/Tokyo")), "N j, Y, P")
    sofia = dateformat.format(created_at.astimezone(ZoneInfo("Europe/Sofia")), "N j, Y, P")

    html = web_as(admin).get(f"/accounts/{account.pk}/").content.decode()

    assert tokyo in html
    assert sofia not in html


def test_an_admin_sets_the_contact_registry_window(admin, api_as):
    client = api_as(admin)
    response = client.call("patch", "/organization", {"contact_window_days": 30})
    assert response.status_code == 200
    assert response.json()["contact_window_days"] == 30
    assert client.call("patch", "/organization", {"contact_window_days": 0}).status_code == 422
