"""Pages: list, form (prefilled, live registry warning), detail, complete, my day, quick log,
the conflicts report, the purposes' settings, the record tag and the customer timeline."""

from datetime import timedelta

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from funia.activities import services
from funia.activities.models import Activity
from tests import factories
from tests.activities.helpers import days_ago, log, purpose


@pytest.fixture
def maria(org, admin):
    actor = factories.member(org, "service_agent", first_name="Maria", last_name="Ivanova")
    factories.team(admin, "Service desk", members=[actor])
    return actor


@pytest.fixture
def petar(rep):
    account = factories.account(rep, name="Balkan Foods")
    return factories.contact(rep, first_name="Petar", last_name="Dimov", account_id=account.pk)


def test_the_form_is_prefilled_from_the_query(web_as, rep, petar):
    html = (
        web_as(rep)
        .get(reverse("activity_create"), {"contact": petar.pk, "kind": "call"})
        .content.decode()
    )
    assert f'value="contact:{petar.pk}" selected' in html
    assert "Petar Dimov · Balkan Foods" in html
    assert '<option value="call" selected>' in html


def test_creating_through_the_form_shows_the_conflict_on_the_activity_page(
    web_as, rep, maria, petar, org
):
    collection = purpose(org, "Collection")
    log(maria, contact_id=petar.pk, purpose_obj=collection, when=days_ago(2))
    browser = web_as(rep)
    response = browser.post(
        reverse("activity_create"),
        {
            "kind": "call",
            "customer": f"contact:{petar.pk}",
            "purpose": collection.pk,
            "owner": rep.user.pk,
            "done": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    page = browser.get(response["Location"]).content.decode()
    assert "Maria Ivanova (Service desk) called this customer for Collection on" in page


def test_the_form_refuses_a_call_without_purpose(web_as, rep, petar):
    response = web_as(rep).post(
        reverse("activity_create"),
        {"kind": "call", "customer": f"contact:{petar.pk}", "owner": rep.user.pk},
    )
    assert response.status_code == 200
    assert "choose a purpose" in response.content.decode()
    assert not Activity.objects.for_tenant(rep.tenant).exists()


def test_the_live_check_warns_before_saving(web_as, rep, maria, petar, org):
    collection = purpose(org, "Collection")
    log(maria, kind="visit", contact_id=petar.pk, purpose_obj=collection)
    browser = web_as(rep)
    query = {"kind": "call", "customer": f"account:{petar.account_id}", "purpose": collection.pk}
    html = browser.get(reverse("activity_conflict_check"), query, headers={"HX-Request": "true"})
    assert (
        "Maria Ivanova (Service desk) visited this customer for Collection" in html.content.decode()
    )
    other = browser.get(
        reverse("activity_conflict_check"), query | {"purpose": purpose(org, "Offer").pk}
    )
    assert "Maria" not in other.content.decode()
    assert not Activity.objects.for_tenant(org).filter(owner=rep.user).exists()


def test_the_live_check_says_nothing_about_customers_you_cannot_see(web_as, rep, maria, org, admin):
    hidden = factories.contact(admin, first_name="Hidden", last_name="Person")
    collection = purpose(org, "Collection")
    log(maria, contact_id=hidden.pk, purpose_obj=collection)
    html = (
        web_as(rep)
        .get(
            reverse("activity_conflict_check"),
            {"kind": "call", "customer": f"contact:{hidden.pk}", "purpose": collection.pk},
        )
        .content.decode()
    )
    assert "Maria" not in html


def test_customer_search_offers_contacts_and_accounts(web_as, rep, petar):
    html = web_as(rep).get(reverse("activity_customer_options"), {"customer_q": "Balkan"}).content
    html = html.decode()
    assert f'value="account:{petar.account_id}"' in html


def test_my_day_lists_overdue_today_and_done_and_done_is_one_tap(web_as, rep, org):
    now = timezone.now()
    overdue = services.activity_create(
        by=rep, kind="task", subject="Overdue task", due_at=now - timedelta(days=2)
    )
    services.activity_create(
        by=rep, kind="task", subject="Later task", due_at=now + timedelta(days=3)
    )
    done = services.activity_create(by=rep, kind="note", subject="Logged note", done_at=now)
    browser = web_as(rep)
    html = browser.get(reverse("my_day")).content.decode()
    assert "Overdue task" in html and "Logged note" in html and "Later task" not in html

    response = browser.post(
        reverse("activity_done", args=[overdue.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "Overdue task" in response.content.decode()
    overdue.refresh_from_db()
    assert overdue.done_at is not None
    assert done.pk


def test_quick_log_from_my_day(web_as, rep, maria, petar, org):
    collection = purpose(org, "Collection")
    log(maria, contact_id=petar.pk, purpose_obj=collection, when=days_ago(1))
    browser = web_as(rep)
    response = browser.post(
        reverse("activity_quick_log"),
        {
            "kind": "visit",
            "customer": f"contact:{petar.pk}",
            "purpose": collection.pk,
            "outcome": "Paid half",
        },
        follow=True,
    )
    html = response.content.decode()
    assert "Logged: Visit: Petar Dimov" in html
    assert "Maria Ivanova (Service desk) called this customer for Collection" in html
    visit = Activity.objects.for_tenant(org).get(kind="visit")
    assert visit.done_at is not None and visit.outcome == "Paid half"


def test_complete_page_with_follow_up(web_as, rep, petar, org):
    call = services.activity_create(
        by=rep, kind="call", contact_id=petar.pk, purpose_id=purpose(org, "Offer").pk
    )
    response = web_as(rep).post(
        reverse("activity_complete", args=[call.pk]),
        {"outcome": "Call again", "follow_up": "on", "follow_up_kind": "call", "etag": call.etag},
    )
    assert response.status_code == 302
    follow_up = Activity.objects.for_tenant(org).get(follow_up_of=call)
    assert follow_up.contact_id == petar.pk and follow_up.done_at is None


def test_the_conflict_report_is_for_managers_and_admins(
    web_as, rep, manager, admin, maria, petar, org
):
    collection = purpose(org, "Collection")
    log(maria, contact_id=petar.pk, purpose_obj=collection, when=days_ago(1))
    log(rep, contact_id=petar.pk, purpose_obj=collection)
    assert web_as(rep).get(reverse("activity_conflict_report")).status_code == 403
    html = web_as(admin).get(reverse("activity_conflict_report")).content.decode()
    assert "Maria Ivanova (Service desk) called this customer" in html
    filtered = (
        web_as(admin)
        .get(reverse("activity_conflict_report"), {"purpose": purpose(org, "Offer").pk})
        .content.decode()
    )
    assert "Maria Ivanova (Service desk)" not in filtered


def test_the_list_page_filters_and_its_fragment(web_as, rep, petar, org):
    services.activity_create(by=rep, kind="task", subject="Plan the week")
    services.activity_create(
        by=rep, kind="call", contact_id=petar.pk, purpose_id=purpose(org, "Offer").pk
    )
    browser = web_as(rep)
    html = browser.get(reverse("activity_list"), {"kind": "task"}).content.decode()
    assert "Plan the week" in html and "Call: Petar Dimov" not in html
    fragment = browser.get(
        reverse("activity_list"), headers={"HX-Request": "true"}
    ).content.decode()
    assert "<html" not in fragment and "Call: Petar Dimov" in fragment


def test_purposes_page_is_for_admins_to_edit(web_as, rep, admin, org):
    assert (
        web_as(rep).post(reverse("activity_purpose_create"), {"name": "Upsell"}).status_code == 403
    )
    response = web_as(admin).post(
        reverse("activity_purpose_create"), {"name": "Upsell", "is_active": "on"}
    )
    assert response.status_code == 302
    assert "Upsell" in web_as(admin).get(reverse("activity_purpose_list")).content.decode()


def test_the_record_tag_lists_an_accounts_activities_open_first(rep, petar, org):
    offer = purpose(org, "Offer")
    services.activity_create(
        by=rep,
        kind="call",
        contact_id=petar.pk,
        purpose_id=offer.pk,
        subject="Old call",
        done_at=days_ago(2),
    )
    services.activity_create(
        by=rep,
        kind="meeting",
        contact_id=petar.pk,
        purpose_id=offer.pk,
        subject="Next meeting",
        due_at=timezone.now() + timedelta(days=1),
    )
    request = RequestFactory().get("/")
    request.actor = rep
    request.user = rep.user
    account = petar.account
    html = Template("{% load activities %}{% record_activities record %}").render(
        Context({"record": account, "request": request})
    )
    assert html.index("Next meeting") < html.index("Old call")
    assert f"?account={account.pk}&amp;kind=call" in html


def test_the_customer_card_timeline_shows_activities(web_as, rep, petar, org):
    services.activity_create(
        by=rep,
        kind="visit",
        contact_id=petar.pk,
        purpose_id=purpose(org, "Support").pk,
        subject="Installed the fridge",
        outcome="Works",
        done_at=days_ago(1),
    )
    html = web_as(rep).get(reverse("account_detail", args=[petar.account_id])).content.decode()
    assert "Installed the fridge" in html
    assert "Support · Works" in html
    assert "timeline-visit" in html


def test_the_dashboard_counts_todays_open_activities(web_as, rep):
    services.activity_create(by=rep, kind="task", subject="Today", due_at=timezone.now())
    html = web_as(rep).get(reverse("home")).content.decode()
    assert reverse("my_day") in html


def test_the_conflicts_report_is_in_the_menu_of_managers_not_of_reps(web_as, rep, manager):
    from django.urls import reverse as url

    report = url("activity_conflict_report")
    assert report not in web_as(rep).get(url("home")).content.decode()
    assert report in web_as(manager).get(url("home")).content.decode()
