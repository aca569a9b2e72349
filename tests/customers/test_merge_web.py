"""The merge pages: pick records, compare and choose, merge, undo from the survivor's page."""

import re

import pytest
from django.urls import reverse

from funia.customers.models import Contact, Merge
from tests import factories


@pytest.fixture
def browser(admin, web_as):
    return web_as(admin)


@pytest.fixture
def pair(admin):
    first = factories.contact(admin, first_name="Elena", last_name="Georgieva", title="")
    second = factories.contact(
        admin,
        first_name="Elena",
        last_name="Georgieva",
        title="Head of sales",
        emails=["elena@example.com"],
        tags=["vip"],
    )
    return first, second


def fresh(record):
    return type(record).objects.for_tenant(record.tenant_id, with_deleted=True).get(pk=record.pk)


def merge_url(kind: str, *records) -> str:
    return f"{reverse('merge_create')}?type={kind}&ids={','.join(str(r.pk) for r in records)}"


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def checked(html: str, name: str) -> str | None:
    """The value of the checked radio button called `name`."""
    for tag in re.findall(r"<input[^>]*>", html):
        if f'name="{name}"' in tag and "checked" in tag:
            return re.search(r'value="([^"]*)"', tag).group(1)
    return None


def test_the_merge_page_is_at_the_path_the_duplicate_review_links_to(pair):
    assert merge_url("contact", *pair).startswith("/merge/new/?type=contact&ids=")


def test_the_merge_page_shows_the_records_side_by_side_with_the_default_choices(browser, pair):
    first, second = pair
    html = html_of(browser.get(merge_url("contact", first, second)))

    assert "Head of sales" in html and "elena@example.com" in html
    assert checked(html, "survivor") == str(first.pk)
    assert checked(html, "field-title") == str(second.pk)  # the only non-empty title
    assert checked(html, "field-last_name") is None  # the same in both: nothing to choose


def test_confirming_merges_and_the_survivors_page_offers_undo(browser, pair):
    first, second = pair
    response = browser.post(
        merge_url("contact", first, second),
        {"survivor": second.pk, "field-title": first.pk},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("contact_detail", args=[second.pk])
    survivor, merged = fresh(second), fresh(first)
    assert survivor.title == ""  # chosen from the first record
    assert merged.merged_into_id == second.pk
    page = html_of(browser.get(response["Location"]))
    assert "Undo merge" in page
    assert reverse("merge_undo") in page
    merged_page = html_of(browser.get(reverse("contact_detail", args=[first.pk])))
    assert "merged into" in merged_page


def test_the_undo_button_restores_the_merged_record(browser, pair, admin):
    first, second = pair
    browser.post(merge_url("contact", first, second))
    merge = Merge.objects.for_tenant(admin.tenant).get()

    response = browser.post(reverse("merge_undo"), {"merge": merge.pk})

    assert response.status_code == 302
    assert fresh(second).merged_into_id is None and not fresh(second).is_deleted
    page = html_of(browser.get(response["Location"]))
    assert "Undo merge" not in page
    assert "undone" in page


def test_undo_after_the_window_shows_why_and_no_button(browser, pair, admin):
    first, second = pair
    browser.post(merge_url("contact", first, second))
    merge = Merge.objects.for_tenant(admin.tenant).get()
    admin.tenant.merge_undo_days = 0
    admin.tenant.save()

    page = html_of(browser.get(reverse("contact_detail", args=[first.pk])))
    assert "Undo merge" not in page
    response = browser.post(reverse("merge_undo"), {"merge": merge.pk}, follow=True)
    assert "can no longer be undone" in response.content.decode()
    assert fresh(second).merged_into_id == first.pk


def test_merging_accounts_through_the_page_moves_their_contacts(browser, admin):
    kept = factories.account(admin, name="Rila Water")
    gone = factories.account(admin, name="Rila Water AD")
    contact = factories.contact(admin, account_id=gone.pk)

    response = browser.post(merge_url("account", kept, gone))

    assert response.status_code == 302
    assert fresh(contact).account_id == kept.pk
    assert "Undo merge" in html_of(browser.get(reverse("account_detail", args=[kept.pk])))


def test_a_single_record_leads_to_the_picker(browser, pair):
    response = browser.get(merge_url("contact", pair[0]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("merge_pick"))


def test_the_detail_pages_link_to_the_picker(browser, pair, admin):
    account = factories.account(admin)
    contact_page = html_of(browser.get(reverse("contact_detail", args=[pair[0].pk])))
    account_page = html_of(browser.get(reverse("account_detail", args=[account.pk])))
    assert f"{reverse('merge_pick')}?type=contact&amp;id={pair[0].pk}" in contact_page
    assert f"{reverse('merge_pick')}?type=account&amp;id={account.pk}" in account_page
    assert "Merge with…" in contact_page


def test_the_picker_suggests_records_with_the_same_name(browser, pair, admin):
    factories.contact(admin, first_name="Other", last_name="Person")
    html = html_of(browser.get(reverse("merge_pick"), {"type": "contact", "id": pair[0].pk}))
    assert f'name="ids" value="{pair[1].pk}"' in html
    assert "Other Person" not in html


def test_the_picker_searches_by_name_and_answers_htmx_with_the_results_only(browser, pair, admin):
    other = factories.contact(admin, first_name="Petar", last_name="Dimitrov")

    response = browser.get(
        reverse("merge_pick"),
        {"type": "contact", "id": pair[0].pk, "q": "dimitrov"},
        headers={"HX-Request": "true"},
    )

    html = html_of(response)
    assert "<html" not in html
    assert f'name="ids" value="{other.pk}"' in html
    assert f'name="ids" value="{pair[1].pk}"' not in html
    assert reverse("merge_create") in html


def test_a_refused_merge_shows_the_reason_on_the_page(browser, pair, admin):
    first, second = pair
    browser.post(merge_url("contact", first, second))
    third = factories.contact(admin)

    html = html_of(browser.get(merge_url("contact", third, second)))

    assert "already merged" in html
    assert "disabled" in html


def test_an_analyst_cannot_open_the_merge_page(analyst, web_as, pair):
    assert web_as(analyst).get(merge_url("contact", *pair)).status_code == 403
    assert web_as(analyst).post(merge_url("contact", *pair)).status_code == 403
    assert not fresh(pair[1]).is_deleted


def test_a_rep_gets_404_for_records_they_cannot_see(rep, web_as, pair):
    mine = factories.contact(rep)
    assert web_as(rep).get(merge_url("contact", mine, pair[0])).status_code == 404
    assert web_as(rep).post(merge_url("contact", mine, pair[0])).status_code == 404
    assert not fresh(pair[0]).is_deleted


def test_records_of_another_organisation_are_404_on_every_merge_page(
    browser, pair, other_org_records
):
    theirs = Contact(pk=other_org_records.ids["contact"])
    before = other_org_records.snapshot()
    assert browser.get(merge_url("contact", pair[0], theirs)).status_code == 404
    assert browser.post(merge_url("contact", pair[0], theirs)).status_code == 404
    pick = browser.get(reverse("merge_pick"), {"type": "contact", "id": theirs.pk})
    assert pick.status_code == 404
    search = browser.get(reverse("merge_pick"), {"type": "contact", "id": pair[0].pk, "q": "Riv"})
    assert not other_org_records.leaked_markers(search.content.decode())
    assert other_org_records.snapshot() == before


def test_undoing_a_merge_of_another_organisation_is_404(browser, outsider):
    from funia.customers.merge import contact_merge

    theirs = contact_merge(
        by=outsider, survivor=factories.contact(outsider), merged=[factories.contact(outsider)]
    )
    assert browser.post(reverse("merge_undo"), {"merge": theirs.pk}).status_code == 404
    assert fresh(theirs).undone_at is None


@pytest.mark.parametrize(
    "query",
    [{}, {"type": "contact"}, {"type": "lead", "ids": "1,2"}, {"type": "contact", "ids": "x,2"}],
)
def test_a_malformed_merge_address_is_404(browser, query):
    assert browser.get(reverse("merge_create"), query).status_code == 404
