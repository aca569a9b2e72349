"""Another organisation's records do not exist on any web page: 404, and never listed.

The pages are walked from Django's URL resolver, so a new page is covered as soon as it is
routed. A URL keyword this module does not know fails the walk: extend RECORD_OF_KWARG (and
the other_org_records fixture) rather than skipping it.
"""

import re

import pytest
from django.urls import URLResolver, get_resolver, reverse

from tests import factories

# URL keyword -> kind of Rival's record whose id is substituted; "pk" depends on the page.
RECORD_OF_KWARG = {
    "team_id": "team",
    "user_id": "user",
    "token_id": "token",
    "import_id": "import",
    # The hosted web-to-lead form is keyed by the form's secret key, public by design (no
    # login): Rival's form id in its place must be 404; that Rival's real key shows Rival's
    # form and creates leads only in Rival's organisation: tests/sales/leads/.
    "form_key": "lead_form",
    "notification_id": "notification",
    # The calendar feed's address is keyed by a secret token (a credential, not a record id):
    # Rival's feed id in its place must be 404; that Rival's real token serves only Rival's
    # data is tested in tests/activities/test_calendar_feed.py.
    "token": "calendar_feed",
    # Public quote and configurator pages are keyed by secret tokens too: Rival's record id in
    # their place must be 404; their own tests check that a real token shows only its record.
    "quote_token": "quote",
    "link_token": "configurator_link",
    "product_file_id": "product_file",
}
RECORD_OF_PK_PAGE = {  # by url-name prefix ("custom_field_detail" -> "custom_field")
    "account": "account",
    "contact": "contact",
    "custom_field": "custom_field",
    "lead": "lead",
    "lead_form": "lead_form",
    "assignment_rule": "assignment_rule",
    "saved_view": "saved_view",
    "opportunity": "opportunity",
    "pipeline": "pipeline",
    "exchange_rate": "exchange_rate",
    "activity": "activity",
    "activity_purpose": "activity_purpose",
    "territory": "territory",
    "quota": "quota",
    "forecast_adjustment": "forecast_adjustment",
    "product": "product",
    "price_book": "price_book",
    "configurator_link": "configurator_link",
    "quote": "quote",
    "order": "order",
}
TRASHABLE = {"account", "contact", "team", "custom_field"}
TRASHABLE |= {"activity"}
TRASHABLE |= {"activity_purpose"}
TRASHABLE |= {"opportunity", "exchange_rate"}
TRASHABLE |= {"lead", "lead_form", "assignment_rule"}
TRASHABLE |= {"territory", "quota", "forecast_adjustment"}
TRASHABLE |= {"product", "price_book", "quote", "order"}
NONEXISTENT_ID = 999_999_999


def web_patterns(patterns=None, namespace=None):
    """(name, keyword names) of every page outside the API (walked by tests/api)."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if (pattern.namespace or namespace) == "api":
                continue
            yield from web_patterns(pattern.url_patterns, pattern.namespace or namespace)
        else:
            yield pattern.name, sorted(pattern.pattern.regex.groupindex)


PATTERNS = sorted(web_patterns(), key=lambda p: str(p[0]))


def kind_of(url_name: str, kwarg: str) -> str | None:
    if kwarg == "pk":
        return RECORD_OF_PK_PAGE.get((url_name or "").rsplit("_", 1)[0])
    return RECORD_OF_KWARG.get(kwarg)


def record_pages():
    for name, kwargs in PATTERNS:
        if not kwargs:
            continue
        kinds = [kind_of(name, k) for k in kwargs]
        for method in ("get", "post"):
            yield pytest.param(name, method, "live", id=f"{method.upper()} {name}")
            if all(kind in TRASHABLE for kind in kinds):
                yield pytest.param(name, method, "trashed", id=f"{method.upper()} {name} trashed")


def list_pages():
    for name, kwargs in PATTERNS:
        if not kwargs:
            yield pytest.param(name, id=name)


def url_for(name: str, records, state: str) -> str:
    kwargs = {}
    for kwarg in dict(PATTERNS)[name]:
        kind = kind_of(name, kwarg)
        if kind is None:
            pytest.fail(
                f"Page {name!r}: unknown URL keyword {kwarg!r}. Map it to a record of the "
                "other organisation in RECORD_OF_KWARG or RECORD_OF_PK_PAGE."
            )
        suffix = "_deleted" if state == "trashed" else ""
        kwargs[kwarg] = records.ids[kind + suffix] if records else NONEXISTENT_ID
    return reverse(name, kwargs=kwargs)


@pytest.fixture
def other_org_records(other_org_records, outsider, tmp_path):
    """The shared fixture's records, plus a finished import of Rival's ("import")."""
    from tests.imports.helpers import finished_import

    other_org_records.ids["import"] = finished_import(
        outsider, tmp_path, name="rival-secret-import.csv"
    ).pk
    other_org_records.markers += ["rival-secret-import", "rival.import@example.com"]
    return other_org_records


@pytest.fixture
def acme_admin_browser(admin, web_as):
    return web_as(admin)


# -- every record page -------------------------------------------------------------------


def test_the_walk_reaches_every_record_page():
    walked = {name for name, kwargs in PATTERNS if kwargs}
    assert {"account_detail", "contact_edit", "team_detail", "user_edit", "token_revoke"} <= walked


@pytest.mark.parametrize(("name", "method", "state"), list(record_pages()))
def test_every_page_answers_404_for_a_record_of_another_organisation(
    acme_admin_browser, other_org_records, name, method, state
):
    url = url_for(name, other_org_records, state)
    before = other_org_records.snapshot()

    response = getattr(acme_admin_browser, method)(url, {"name": "Hijacked", "last_name": "X"})

    if response.status_code == 405:
        # A page that refuses the method refuses it for any id: that reveals nothing.
        assert method == "get", f"POST {url} answered 405"
        missing = getattr(acme_admin_browser, method)(url_for(name, None, state))
        assert missing.status_code == 405
    else:
        assert response.status_code == 404, (url, response.status_code)
    assert not other_org_records.leaked_markers(response.content.decode())
    assert other_org_records.snapshot() == before


@pytest.mark.parametrize(("name", "method", "state"), list(record_pages()))
def test_a_rep_is_answered_the_same_for_a_rival_record_as_for_a_missing_one(
    rep, web_as, other_org_records, name, method, state
):
    browser = web_as(rep)
    theirs = getattr(browser, method)(url_for(name, other_org_records, state))
    missing = getattr(browser, method)(url_for(name, None, state))
    assert theirs.status_code == missing.status_code
    assert theirs.status_code not in {200, 201, 204, 302}


# -- every page without a record in its URL ----------------------------------------------


@pytest.mark.parametrize("name", list(list_pages()))
@pytest.mark.parametrize(
    "variant",
    [
        pytest.param({}, id="plain"),
        pytest.param({"query": {"deleted": "true"}}, id="trash"),
        pytest.param({"query": {"deleted": "1"}}, id="trash-1"),
        pytest.param({"headers": {"HX-Request": "true"}}, id="htmx"),
    ],
)
def test_no_page_shows_records_of_another_organisation(
    acme_admin_browser, other_org_records, name, variant
):
    response = acme_admin_browser.get(
        reverse(name), variant.get("query", {}), headers=variant.get("headers")
    )
    assert response.status_code < 500
    assert not other_org_records.leaked_markers(text_of(response))


def text_of(response) -> str:
    """The body of a page, also of a streamed download (exports)."""
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8", errors="replace")
    return response.content.decode()


def test_the_list_pages_show_acmes_own_records(acme_admin_browser, admin, other_org_records):
    factories.account(admin, name="Acme Own Account")
    html = acme_admin_browser.get(reverse("account_list")).content.decode()
    assert "Acme Own Account" in html
    assert not other_org_records.leaked_markers(html)


def test_searching_for_a_rival_records_name_finds_nothing(acme_admin_browser, other_org_records):
    response = acme_admin_browser.get(reverse("account_list"), {"q": "Rival"})
    assert response.status_code == 200
    assert not other_org_records.leaked_markers(response.content.decode())


def test_prefilling_a_new_contact_with_a_rival_account_does_not_show_it(
    acme_admin_browser, other_org_records
):
    url = reverse("contact_create")
    response = acme_admin_browser.get(url, {"account": other_org_records.ids["account"]})
    assert response.status_code == 200
    assert not other_org_records.leaked_markers(response.content.decode())


def test_a_contact_cannot_be_attached_to_a_rival_account_through_the_form(
    acme_admin_browser, admin, other_org_records
):
    from funia.customers.models import Contact

    response = acme_admin_browser.post(
        reverse("contact_create"),
        {"last_name": "Ours", "account": other_org_records.ids["account"]},
    )
    assert response.status_code == 200  # the form again, with an error
    assert not Contact.objects.for_tenant(admin.tenant).filter(last_name="Ours").exists()


def test_a_team_cannot_get_a_rival_member_through_the_form(
    acme_admin_browser, admin, other_org_records
):
    from funia.core.models import Team

    response = acme_admin_browser.post(
        reverse("team_create"),
        {"name": "Poachers", "members": [other_org_records.ids["user"]]},
    )
    assert response.status_code == 200
    assert not Team.objects.for_tenant(admin.tenant).filter(name="Poachers").exists()
    assert not other_org_records.leaked_markers(response.content.decode())


def test_switching_to_an_organisation_you_do_not_belong_to_is_ignored(
    acme_admin_browser, admin, other_org_records
):
    acme_admin_browser.post(
        reverse("switch_organization"), {"organization": other_org_records.tenant.pk}
    )
    html = html_of_home(acme_admin_browser)
    assert admin.tenant.name in html
    assert not other_org_records.leaked_markers(html)


def html_of_home(browser) -> str:
    response = browser.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


# -- reports narrowed by another organisation's team or owner -------------------------------

RIVAL_AMOUNTS = ("987654.32", "987,654.32", "123456.78", "123,456.78")


def _deals_with_history(by, owner, *, name: str, won="987654.32", still_open="123456.78"):
    """In a new pipeline of `by`'s organisation: a deal won ten days ago and an open one in
    Qualification since twenty days, owned by `owner` (a user)."""
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    from funia.sales import opportunities

    pipeline = factories.pipeline(by, name=f"{name} pipeline", is_default=True)
    now = timezone.now()
    for suffix, amount, history in (
        ("won", won, [("Qualification", 40), ("Won", 10)]),
        ("open", still_open, [("Qualification", 20)]),
    ):
        opportunities.opportunity_create(
            by=by,
            name=f"{name} {suffix}",
            pipeline_id=pipeline.pk,
            owner_id=owner.pk,
            amount=Decimal(amount),
            stage_history=[
                {"stage": stage, "at": now - datetime.timedelta(days=days)}
                for stage, days in history
            ],
        )
    return pipeline


def _shows_rival_numbers(text: str) -> bool:
    return any(amount in text for amount in RIVAL_AMOUNTS)


@pytest.mark.parametrize("role", ["admin", "sales_manager"])
def test_the_dashboard_of_another_organisations_team_shows_your_own_view_instead(
    web_as, admin, outsider, other_org_records, role
):
    from funia.analytics.dashboard.views import ELEMENTS, EXPORTS
    from funia.core.models import User

    acme_rep = factories.member(admin.tenant, "sales_rep")
    manager = factories.member(admin.tenant, "sales_manager")
    factories.team(admin, "Acme team", manager=manager, members=[acme_rep])
    _deals_with_history(admin, acme_rep.user, name="Acme", won="4321.00", still_open="1234.00")
    # The numbers of Rival's team: deals of its members in Rival's default pipeline.
    rival_rep = User.objects.get(pk=other_org_records.ids["user"])
    _deals_with_history(outsider, rival_rep, name="Rival Secret Deal team")
    browser = web_as(admin if role == "admin" else manager)
    rival_team = other_org_records.ids["team"]
    theirs = {"scope": "team", "team": rival_team}
    url = reverse("sales_dashboard")
    before = other_org_records.snapshot()

    page = browser.get(url, theirs)

    assert page.status_code == 200
    html = page.content.decode()
    assert "You may not choose that view; showing your default one." in html
    # No link or fragment keeps the refused scope (the language form only echoes the request).
    links = re.findall(r'(?:href|hx-get)="([^"]*)"', html.replace("&amp;", "&"))
    assert any("element=" in link for link in links)
    assert not [link for link in links if re.search(rf"[?&]team={rival_team}(&|$)", link)]
    assert not other_org_records.leaked_markers(html)
    assert not _shows_rival_numbers(html)
    for element in ELEMENTS:
        fragment = browser.get(url, {**theirs, "element": element})
        assert fragment.status_code == 200, element
        text = fragment.content.decode()
        assert not other_org_records.leaked_markers(text), element
        assert not _shows_rival_numbers(text), element
    for export in EXPORTS:
        table = browser.get(url, {**theirs, "export": export})
        assert table.status_code in (200, 404), export
        assert not _shows_rival_numbers(table.content.decode()), export
    # Instead: the reader's default view, with Acme's deals (the company, or the manager's
    # team).
    funnel = browser.get(url, {**theirs, "export": "funnel"}).content.decode()
    assert "1234.00" in funnel
    assert other_org_records.snapshot() == before


@pytest.mark.parametrize("narrowed_by", ["owner", "team"])
def test_the_funnel_history_page_of_another_organisations_owner_or_team_is_empty(
    acme_admin_browser, admin, outsider, other_org_records, narrowed_by
):
    import csv
    import io

    from funia.core.models import User

    acme = _deals_with_history(admin, admin.user, name="Acme", won="4321.00", still_open="1234.00")
    rival_rep = User.objects.get(pk=other_org_records.ids["user"])
    _deals_with_history(outsider, rival_rep, name="Rival Secret Deal history")
    rival = {"owner": rival_rep.pk, "team": other_org_records.ids["team"]}
    query = {"pipeline": acme.pk, narrowed_by: rival[narrowed_by]}
    stage = acme.stages.get(name="Qualification").pk
    before = other_org_records.snapshot()

    def entered(values: dict) -> list[str]:
        response = acme_admin_browser.get(
            reverse("funnel_report"), {**values, "format": "csv", "table": "history"}
        )
        assert response.status_code == 200
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        return [row[2] for row in rows[1:]]

    page = acme_admin_browser.get(reverse("funnel_report"), query)
    deals = acme_admin_browser.get(
        reverse("funnel_drilldown"),
        {**query, "report": "history", "stage": stage, "format": "csv"},
    )

    assert entered({"pipeline": acme.pk})[0] == "2"  # Acme's deals are there
    assert set(entered(query)) == {"0"}
    assert page.status_code == 200
    assert deals.status_code == 200
    assert len(list(csv.reader(io.StringIO(deals.content.decode())))) == 1  # the header only
    for response in (page, deals):
        text = response.content.decode()
        assert not other_org_records.leaked_markers(text)
        assert not _shows_rival_numbers(text)
    assert other_org_records.snapshot() == before
