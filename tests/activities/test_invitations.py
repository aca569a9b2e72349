"""Meeting invitations: an email with a REQUEST .ics to the contact and given addresses."""

import email
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from funia.core.models import AuditEntry
from funia.core.records import record_update
from tests import factories
from tests.activities.calendar_helpers import activity

pytestmark = pytest.mark.django_db


def calendar_of(message) -> tuple[Calendar, object]:
    """The .ics attachment of a sent message, parsed, and its MIME part."""
    parsed = email.message_from_bytes(message.message().as_bytes())
    parts = [p for p in parsed.walk() if p.get_filename() == "invite.ics"]
    assert len(parts) == 1
    part = parts[0]
    return Calendar.from_ical(part.get_payload(decode=True)), part


@pytest.fixture
def meeting(rep):
    contact = factories.contact(
        rep, first_name="Ivan", last_name="Georgiev", emails=["ivan@client.example", "b@x.example"]
    )
    start = timezone.now().replace(microsecond=0) + timedelta(days=3)
    return activity(
        rep,
        subject="Offer review",
        due_at=start,
        duration_minutes=60,
        contact=contact,
        location="Client office",
    )


def test_the_invitation_goes_to_the_contact_and_the_given_addresses(rep, api_as, meeting):
    response = api_as(rep).call(
        "post",
        f"/activities/{meeting.pk}/invitation",
        {"emails": ["boss@client.example", "IVAN@client.example"]},
    )

    assert response.status_code == 200, response.content
    assert response.json() == {"sent_to": ["ivan@client.example", "boss@client.example"]}
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ivan@client.example", "boss@client.example"]
    assert "Offer review" in message.subject
    assert message.reply_to == [rep.user.email]
    cal, part = calendar_of(message)
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "REQUEST"
    assert str(cal["method"]) == "REQUEST"
    (event,) = cal.walk("VEVENT")
    assert str(event["uid"]) == f"activity-{meeting.pk}@localhost"
    assert int(event["sequence"]) == meeting.version
    assert event["dtstart"].dt == meeting.due_at
    assert event["dtend"].dt == meeting.due_at + timedelta(minutes=60)
    assert str(event["organizer"]) == f"mailto:{rep.user.email}"
    attendees = event["attendee"]
    assert sorted(str(a) for a in attendees) == [
        "mailto:boss@client.example",
        "mailto:ivan@client.example",
    ]
    assert all(a.params["RSVP"] == "TRUE" for a in attendees)
    assert str(event["location"]) == "Client office"


def test_sending_again_after_a_change_raises_the_sequence_with_the_same_uid(rep, api_as, meeting):
    client = api_as(rep)
    client.call("post", f"/activities/{meeting.pk}/invitation", {})
    record_update(obj=meeting, by=rep, fields={"due_at": meeting.due_at + timedelta(hours=2)})
    client.call("post", f"/activities/{meeting.pk}/invitation", {})

    first, _ = calendar_of(mail.outbox[0])
    second, _ = calendar_of(mail.outbox[1])
    (one,), (two,) = first.walk("VEVENT"), second.walk("VEVENT")
    assert str(one["uid"]) == str(two["uid"])
    assert int(two["sequence"]) > int(one["sequence"])
    assert two["dtstart"].dt == one["dtstart"].dt + timedelta(hours=2)


def test_each_invitation_is_in_the_activitys_audit_trail(rep, api_as, meeting):
    api_as(rep).call("post", f"/activities/{meeting.pk}/invitation", {})
    entry = (
        AuditEntry.objects.filter(
            tenant=rep.tenant, object_type="activities.activity", object_id=meeting.pk
        )
        .order_by("-at", "-id")
        .first()
    )
    assert entry.action == "update"
    assert entry.changes["invited"] == [None, ["ivan@client.example"]]
    assert entry.user == rep.user


@pytest.mark.parametrize("kind", ["call", "task", "note", "email"])
def test_only_meetings_and_visits_can_be_sent(rep, api_as, kind):
    contact = factories.contact(rep, last_name="X", emails=["x@client.example"])
    item = activity(rep, kind=kind, contact=contact)
    response = api_as(rep).call("post", f"/activities/{item.pk}/invitation", {})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "kind"
    assert mail.outbox == []


def test_a_visit_can_be_sent(rep, api_as):
    visit = activity(rep, kind="visit", subject="Plant tour")
    response = api_as(rep).call(
        "post", f"/activities/{visit.pk}/invitation", {"emails": ["a@client.example"]}
    )
    assert response.status_code == 200
    assert response.json()["sent_to"] == ["a@client.example"]


def test_nobody_to_invite_is_422(rep, api_as):
    contact = factories.contact(rep, last_name="Noemail")
    item = activity(rep, contact=contact)
    response = api_as(rep).call("post", f"/activities/{item.pk}/invitation", {})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "emails"
    assert mail.outbox == []


def test_a_bad_address_is_422_and_nothing_is_sent(rep, api_as, meeting):
    response = api_as(rep).call(
        "post", f"/activities/{meeting.pk}/invitation", {"emails": ["not an address"]}
    )
    assert response.status_code == 422
    assert "not an address" in response.json()["errors"][0]["message"]
    assert mail.outbox == []


def test_a_meeting_without_a_date_cannot_be_sent(rep, api_as):
    item = activity(rep, due_at=None)
    response = api_as(rep).call(
        "post", f"/activities/{item.pk}/invitation", {"emails": ["a@client.example"]}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "due_at"


def test_an_analyst_may_not_send_invitations(analyst, admin, api_as):
    item = activity(admin)
    response = api_as(analyst).call(
        "post", f"/activities/{item.pk}/invitation", {"emails": ["a@client.example"]}
    )
    assert response.status_code in {403, 404}
    assert mail.outbox == []


def test_the_invite_button_sends_and_comes_back(rep, web_as, meeting):
    browser = web_as(rep)
    response = browser.post(
        reverse("activity_invite", kwargs={"pk": meeting.pk}),
        {"emails": "extra@client.example", "next": "/somewhere/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/somewhere/"
    assert mail.outbox[0].to == ["ivan@client.example", "extra@client.example"]


def test_the_invite_button_shows_why_it_cannot_send(rep, web_as):
    item = activity(rep, kind="call")
    response = web_as(rep).post(reverse("activity_invite", kwargs={"pk": item.pk}), follow=False)
    assert response.status_code == 302
    assert mail.outbox == []
