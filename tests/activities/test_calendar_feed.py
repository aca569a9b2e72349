"""The private iCalendar feed: its address through the API, the feed itself, rotation."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from funia.activities import calendar
from funia.activities.models import CalendarFeed
from funia.core.records import record_soft_delete, record_update
from tests import factories
from tests.activities.calendar_helpers import activity

pytestmark = pytest.mark.django_db


def feed_url(api_as, actor) -> str:
    response = api_as(actor).call("get", "/me/calendar-feed")
    assert response.status_code == 200, response.content
    return response.json()["url"]


def read_feed(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def events(cal) -> dict[str, object]:
    return {str(e["summary"]): e for e in cal.walk("VEVENT")}


def test_the_feed_address_is_made_on_first_use_and_stays_the_same(rep, api_as):
    first = feed_url(api_as, rep)
    assert first.startswith("http://testserver/calendar/")
    assert first.endswith(".ics")
    assert feed_url(api_as, rep) == first
    assert CalendarFeed.objects.filter(tenant=rep.tenant, user=rep.user).count() == 1


def test_the_feed_is_a_valid_calendar_of_the_users_activities(rep, api_as, client):
    contact = factories.contact(rep, first_name="Maria", last_name="Petrova")
    start = timezone.now().replace(microsecond=0) + timedelta(days=2)
    meeting = activity(
        rep,
        subject="Demo at Petrova Ltd",
        due_at=start,
        duration_minutes=90,
        location="Sofia, Vitosha 1",
        contact=contact,
        description="Bring the price list",
    )
    call = activity(rep, kind="call", subject="Call back Maria", due_at=start)
    task = activity(rep, kind="task", subject="Send the offer", due_at=start)
    activity(rep, kind="note", subject="A note is not in a calendar")
    activity(rep, kind="email", subject="An email is not in a calendar")

    cal = read_feed(client, feed_url(api_as, rep))

    assert str(cal["version"]) == "2.0"
    assert "Funia" in str(cal["prodid"])
    assert str(cal["x-wr-calname"])
    found = events(cal)
    assert set(found) == {"Demo at Petrova Ltd", "Call back Maria", "Send the offer"}
    demo = found["Demo at Petrova Ltd"]
    assert demo["dtstart"].dt == start
    assert demo["dtend"].dt == start + timedelta(minutes=90)
    assert str(demo["uid"]) == f"activity-{meeting.pk}@localhost"
    assert int(demo["sequence"]) == meeting.version
    assert "dtstamp" in demo
    assert str(demo["location"]) == "Sofia, Vitosha 1"
    assert "Maria Petrova" in str(demo["description"])
    assert "Bring the price list" in str(demo["description"])
    assert str(demo["status"]) == "CONFIRMED"
    assert str(demo["url"]) == f"http://testserver/activities/{meeting.pk}/"
    # Without a duration an item lasts 30 minutes.
    assert found["Call back Maria"]["dtend"].dt - found["Call back Maria"]["dtstart"].dt == (
        timedelta(minutes=30)
    )
    assert str(found["Call back Maria"]["uid"]) == f"activity-{call.pk}@localhost"
    # A task is an all-day event on its due date (in the organisation's time zone).
    todo = found["Send the offer"]
    due_day = timezone.localtime(start, calendar.ZoneInfo(rep.tenant.time_zone)).date()
    assert todo["dtstart"].dt == due_day
    assert todo["dtend"].dt == due_day + timedelta(days=1)
    assert str(todo["uid"]) == f"activity-{task.pk}@localhost"


def test_a_change_raises_the_sequence_and_a_deleted_activity_leaves(rep, api_as, client):
    meeting = activity(rep, subject="Review")
    gone = activity(rep, subject="Cancelled visit", kind="visit")
    url = feed_url(api_as, rep)
    record_update(obj=meeting, by=rep, fields={"location": "Plovdiv"})
    record_soft_delete(obj=gone, by=rep)

    found = events(read_feed(client, url))

    assert set(found) == {"Review"}
    assert int(found["Review"]["sequence"]) == 2
    assert str(found["Review"]["location"]) == "Plovdiv"


def test_a_done_task_is_marked_and_items_outside_the_window_are_left_out(rep, api_as, client):
    now = timezone.now()
    activity(rep, kind="task", subject="Sent", due_at=now, done_at=now)
    activity(rep, subject="Long ago", due_at=now - timedelta(days=400))
    activity(rep, subject="Far ahead", due_at=now + timedelta(days=800))

    found = events(read_feed(client, feed_url(api_as, rep)))

    assert set(found) == {"✓ Sent"}


def test_only_the_users_own_activities_are_in_their_feed(rep, admin, api_as, client):
    activity(rep, subject="Rep's meeting")
    activity(admin, subject="Admin's meeting")

    assert set(events(read_feed(client, feed_url(api_as, rep)))) == {"Rep's meeting"}
    assert set(events(read_feed(client, feed_url(api_as, admin)))) == {"Admin's meeting"}


def test_the_feed_needs_no_login_and_reads_in_one_query_of_activities(
    rep, api_as, client, django_assert_max_num_queries
):
    for n in range(5):
        activity(rep, subject=f"Meeting {n}", contact=factories.contact(rep, last_name=f"C{n}"))
    url = feed_url(api_as, rep)
    with django_assert_max_num_queries(3):  # the feed, the membership, the activities
        cal = read_feed(client, url)
    assert len(events(cal)) == 5


def test_rotating_the_address_stops_the_old_one(rep, api_as, client):
    old = feed_url(api_as, rep)
    response = api_as(rep).call("post", "/me/calendar-feed/rotate")
    assert response.status_code == 200
    new = response.json()["url"]

    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    assert feed_url(api_as, rep) == new


def test_revoking_the_address_stops_it_and_a_new_one_can_be_made(rep, api_as, client):
    old = feed_url(api_as, rep)
    response = api_as(rep).call("delete", "/me/calendar-feed")
    assert response.status_code == 204
    assert client.get(old).status_code == 404
    again = feed_url(api_as, rep)
    assert again != old
    assert client.get(again).status_code == 200


@pytest.mark.parametrize("token", ["nope", "x" * 32, "a" * 100])
def test_an_unknown_token_is_404(client, token):
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_a_member_who_left_the_organisation_has_no_feed(rep, api_as, client):
    url = feed_url(api_as, rep)
    rep.user.memberships.filter(tenant=rep.tenant).update(is_active=False)
    assert client.get(url).status_code == 404


def test_a_rival_feed_shows_only_rival_data_and_ours_shows_none_of_theirs(
    rep, api_as, client, other_org_records, outsider
):
    activity(rep, subject="Acme board meeting")
    activity(outsider, subject="Rival dated meeting")
    ours = events(read_feed(client, feed_url(api_as, rep)))
    rival_cal = read_feed(client, feed_url(api_as, outsider))
    theirs = events(rival_cal)

    assert set(ours) == {"Acme board meeting"}
    assert "Acme board meeting" not in theirs
    assert set(theirs) == {"Rival dated meeting"}  # their undated call is left out
    assert not other_org_records.leaked_markers(str(ours))
    assert "Acme" not in rival_cal.to_ical().decode()


def test_the_same_user_has_one_feed_per_organisation(rep, api_as, client, other_org):
    from funia.core.actor import Actor
    from funia.core.models import Membership

    membership = Membership.objects.create(tenant=other_org, user=rep.user, role="sales_rep")
    elsewhere = Actor.from_membership(membership)
    activity(rep, subject="Acme meeting")
    activity(elsewhere, subject="Rival meeting")

    acme_url, rival_url = feed_url(api_as, rep), feed_url(api_as, elsewhere)

    assert acme_url != rival_url
    assert set(events(read_feed(client, acme_url))) == {"Acme meeting"}
    assert set(events(read_feed(client, rival_url))) == {"Rival meeting"}


# -- the page ------------------------------------------------------------------------------


def test_the_calendar_page_turns_the_feed_on_shows_it_and_rotates_it(rep, web_as, client):
    browser = web_as(rep)
    page = browser.get(reverse("calendar_feed"))
    assert page.status_code == 200
    assert ".ics" not in page.content.decode()

    browser.post(reverse("calendar_feed"))
    html = browser.get(reverse("calendar_feed")).content.decode()
    feed = CalendarFeed.objects.filter(tenant=rep.tenant, user=rep.user).get()
    assert f"/calendar/{feed.token}.ics" in html
    assert "Google Calendar" in html and "Outlook" in html and "Apple Calendar" in html

    old_token = feed.token
    browser.post(reverse("calendar_feed_rotate"))
    feed.refresh_from_db()
    assert feed.token != old_token
    assert client.get(f"/calendar/{old_token}.ics").status_code == 404

    browser.post(reverse("calendar_feed_revoke"))
    assert not CalendarFeed.objects.filter(tenant=rep.tenant, user=rep.user).exists()
    assert client.get(f"/calendar/{feed.token}.ics").status_code == 404


def test_the_calendar_page_is_linked_from_the_menu(rep, web_as):
    html = web_as(rep).get(reverse("home")).content.decode()
    assert reverse("calendar_feed") in html
