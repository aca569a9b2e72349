"""In-app notifications: the API, the page and the bell, always the user's own."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from funia.core.models import Notification
from funia.core.notifications import notify

pytestmark = pytest.mark.django_db


def note(actor, title="Reminder: call Ivan", **fields):
    return notify(tenant=actor.tenant, user=actor.user, kind="reminder", title=title, **fields)


def test_the_api_lists_the_users_notifications_newest_first(rep, admin, api_as):
    first = note(rep, "First")
    second = note(rep, "Second", body="Details", url="/activities/1/")
    note(admin, "Admin's")

    response = api_as(rep).call("get", "/notifications")

    assert response.status_code == 200
    body = response.json()
    assert [n["title"] for n in body["items"]] == ["Second", "First"]
    assert body["count"] == 2
    assert body["items"][0] | {"created_at": None} == {
        "id": second.pk,
        "kind": "reminder",
        "title": "Second",
        "body": "Details",
        "url": "/activities/1/",
        "created_at": None,
        "read_at": None,
    }
    assert first.pk in {n["id"] for n in body["items"]}


def test_reading_one_and_filtering_unread(rep, api_as):
    one, two = note(rep, "One"), note(rep, "Two")
    client = api_as(rep)

    response = client.call("post", f"/notifications/{one.pk}/read")
    assert response.status_code == 200
    assert response.json()["read_at"] is not None
    again = client.call("post", f"/notifications/{one.pk}/read")
    assert again.json()["read_at"] == response.json()["read_at"]  # idempotent

    unread = client.call("get", "/notifications", {"unread": "true"}).json()["items"]
    assert [n["id"] for n in unread] == [two.pk]


def test_read_all_marks_only_the_users_own(rep, admin, api_as):
    note(rep), note(rep)
    theirs = note(admin)

    response = api_as(rep).call("post", "/notifications/read-all")

    assert response.json() == {"marked_read": 2}
    assert not Notification.objects.filter(
        tenant=rep.tenant, user=rep.user, read_at__isnull=True
    ).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_a_colleagues_notification_is_404(rep, admin, api_as):
    theirs = note(admin)
    response = api_as(rep).call("post", f"/notifications/{theirs.pk}/read")
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_notifications_of_another_organisation_of_the_same_user_stay_there(rep, other_org, api_as):
    from funia.core.actor import Actor
    from funia.core.models import Membership

    elsewhere = Actor.from_membership(
        Membership.objects.create(tenant=other_org, user=rep.user, role="sales_rep")
    )
    note(elsewhere, "Elsewhere")
    note(rep, "Here")
    items = api_as(rep).call("get", "/notifications").json()["items"]
    assert [n["title"] for n in items] == ["Here"]


# -- pages ---------------------------------------------------------------------------------


def test_the_bell_shows_the_unread_count_and_links_to_the_page(rep, web_as):
    note(rep), note(rep), note(rep)
    html = web_as(rep).get(reverse("notification_list")).content.decode()
    assert 'id="notification-bell"' in html
    assert 'data-unread="3"' in html
    assert reverse("notification_list") in html


def test_the_bell_costs_one_query(rep, web_as):
    browser = web_as(rep)
    note(rep)
    browser.get(reverse("notification_bell"))
    with CaptureQueriesContext(connection) as few:
        browser.get(reverse("notification_bell"))
    for _ in range(20):
        note(rep)
    with CaptureQueriesContext(connection) as many:
        html = browser.get(reverse("notification_bell")).content.decode()
    assert len(many) == len(few)
    assert 'data-unread="21"' in html
    assert 'hx-trigger="every 60s"' in html


def test_the_page_lists_them_and_marks_read(rep, web_as):
    browser = web_as(rep)
    item = note(rep, "Reminder: demo at 10:00", url="/activities/5/")
    note(rep, "Another")

    html = browser.get(reverse("notification_list")).content.decode()
    assert "Reminder: demo at 10:00" in html and "Another" in html

    response = browser.post(reverse("notification_read", args=[item.pk]), {"open": "1"})
    assert response.status_code == 302
    assert response["Location"] == "/activities/5/"
    item.refresh_from_db()
    assert item.read_at is not None

    unread = browser.get(reverse("notification_list"), {"unread": "true"}).content.decode()
    assert "Another" in unread and "Reminder: demo at 10:00" not in unread

    browser.post(reverse("notification_read_all"))
    assert 'data-unread="' not in browser.get(reverse("notification_list")).content.decode()


def test_an_outside_url_is_never_followed(rep, web_as):
    item = note(rep, url="//evil.example/")
    response = web_as(rep).post(reverse("notification_read", args=[item.pk]), {"open": "1"})
    assert response["Location"] == reverse("notification_list")


def test_a_colleagues_notification_page_action_is_404(rep, admin, web_as):
    theirs = note(admin)
    response = web_as(rep).post(reverse("notification_read", args=[theirs.pk]))
    assert response.status_code == 404
