"""Lead assignment by territory: round-robin among the territory's active reps; a lead
without a territory, or a territory without reps, falls to the next rule."""

import pytest
from django.core.exceptions import ValidationError

from funia.core.models import Membership, Notification
from funia.sales.leads import assignment, services
from funia.sales.models import AssignmentRule, Territory
from tests import factories
from tests.sales.territories.helpers import territory


@pytest.fixture
def reps(admin):
    return [factories.member(admin.tenant, "sales_rep") for _ in range(3)]


def capture(admin, **fields):
    fields.setdefault("last_name", "Lead")
    return services.lead_capture(by=admin, **fields)


def test_leads_of_a_territory_go_round_robin_to_its_reps(
    admin, reps, django_capture_on_commit_callbacks
):
    first, second, _other = reps
    territory(admin, "Bulgaria", countries=["BG"], rep_ids=[second.user.pk, first.user.pk])
    assignment.assignment_rule_create(by=admin, name="By territory", by_territory=True)

    with django_capture_on_commit_callbacks(execute=True):
        owners = [capture(admin, country="BG").owner_id for _ in range(5)]

    ordered = sorted([first.user.pk, second.user.pk])
    assert owners == [ordered[0], ordered[1], ordered[0], ordered[1], ordered[0]]
    assert Territory.objects.for_tenant(admin.tenant).get().cursor == 1  # the next turn
    # Each assignee is told, as with any rule.
    assert Notification.objects.for_tenant(admin.tenant).filter(user_id=ordered[0]).count() == 3


def test_each_territory_keeps_its_own_turn(admin, reps):
    a, b, c = reps
    territory(admin, "Bulgaria", countries=["BG"], rep_ids=[a.user.pk, b.user.pk])
    territory(admin, "Romania", countries=["RO"], rep_ids=[c.user.pk])
    assignment.assignment_rule_create(by=admin, name="By territory", by_territory=True)

    owners = [capture(admin, country=country).owner_id for country in ("BG", "RO", "BG", "RO")]

    low, high = sorted([a.user.pk, b.user.pk])
    assert owners == [low, c.user.pk, high, c.user.pk]


def test_inactive_reps_are_skipped(admin, reps):
    first, second, _other = reps
    territory(admin, "Bulgaria", countries=["BG"], rep_ids=[first.user.pk, second.user.pk])
    Membership.objects.for_tenant(admin.tenant).filter(user=first.user).update(is_active=False)
    assignment.assignment_rule_create(by=admin, name="By territory", by_territory=True)

    assert {capture(admin, country="BG").owner_id for _ in range(3)} == {second.user.pk}


def test_a_lead_without_a_territory_falls_to_the_next_rule(admin, reps):
    first, _second, fallback = reps
    territory(admin, "Bulgaria", countries=["BG"], rep_ids=[first.user.pk])
    assignment.assignment_rule_create(by=admin, name="By territory", by_territory=True)
    assignment.assignment_rule_create(by=admin, name="Everyone else", user_id=fallback.user.pk)

    assert capture(admin, country="RO").owner_id == fallback.user.pk
    assert capture(admin, country="BG").owner_id == first.user.pk


def test_a_territory_without_reps_falls_to_the_next_rule(admin, reps):
    _first, _second, fallback = reps
    territory(admin, "Bulgaria", countries=["BG"])
    assignment.assignment_rule_create(by=admin, name="By territory", by_territory=True)
    assignment.assignment_rule_create(by=admin, name="Everyone else", user_id=fallback.user.pk)

    assert capture(admin, country="BG").owner_id == fallback.user.pk


def test_the_rules_criteria_still_apply_to_a_territory_rule(admin, reps):
    first, _second, fallback = reps
    territory(admin, "Everything", rep_ids=[first.user.pk])
    assignment.assignment_rule_create(
        by=admin, name="Web leads by territory", sources=["Web form"], by_territory=True
    )
    assignment.assignment_rule_create(by=admin, name="Everyone else", user_id=fallback.user.pk)

    assert capture(admin, source="web form").owner_id == first.user.pk
    assert capture(admin, source="Referral").owner_id == fallback.user.pk


def test_the_lead_size_region_and_industry_place_it_like_an_account(admin, reps):
    large, rest, _other = reps
    territory(admin, "Large", min_employees=500, rep_ids=[large.user.pk])
    territory(admin, "Rest", rep_ids=[rest.user.pk])
    assignment.assignment_rule_create(by=admin, name="By territory", by_territory=True)

    assert capture(admin, employees=900).owner_id == large.user.pk
    assert capture(admin, employees=12).owner_id == rest.user.pk
    assert capture(admin).owner_id == rest.user.pk


def test_a_creator_keeps_a_lead_whose_territory_rep_they_could_not_see(admin, reps):
    first, _second, _other = reps
    creator = factories.member(admin.tenant, "sales_rep")
    territory(admin, "Bulgaria", countries=["BG"], rep_ids=[first.user.pk])
    assignment.assignment_rule_create(by=admin, name="By territory", by_territory=True)

    lead = services.lead_create(by=creator, last_name="Mine", country="BG")

    assert lead.owner_id == creator.user.pk
    assert Territory.objects.for_tenant(admin.tenant).get().cursor == 0  # no turn used up


def test_a_territory_rule_names_no_user_or_team(admin, reps):
    with pytest.raises(ValidationError) as caught:
        assignment.assignment_rule_create(
            by=admin, name="Both", by_territory=True, user_id=reps[0].user.pk
        )
    assert "by_territory" in caught.value.message_dict
    rule = assignment.assignment_rule_create(by=admin, name="Territory", by_territory=True)
    with pytest.raises(ValidationError):
        assignment.assignment_rule_update(
            by=admin, assignment_rule=rule, fields={"team_id": factories.team(admin).pk}
        )
    switched = assignment.assignment_rule_update(
        by=admin,
        assignment_rule=rule,
        fields={"by_territory": False, "user_id": reps[0].user.pk},
    )
    assert (switched.by_territory, switched.user_id) == (False, reps[0].user.pk)


def test_the_rules_api_reads_and_writes_by_territory(admin, api_as):
    api = api_as(admin)
    created = api.call("post", "/assignment-rules", {"name": "T", "by_territory": True})
    assert created.status_code == 201, created.content
    assert created.json()["by_territory"] is True
    rule_id = created.json()["id"]
    both = api.call("patch", f"/assignment-rules/{rule_id}", {"user": admin.user.pk})
    assert both.status_code == 422
    assert {e["field"] for e in both.json()["errors"]} == {"by_territory"}
    unchanged = api.call("patch", f"/assignment-rules/{rule_id}", {"by_territory": None})
    assert unchanged.json()["by_territory"] is True
    assert AssignmentRule.objects.for_tenant(admin.tenant).get().by_territory


def test_the_rule_form_offers_assignment_by_territory(admin, web_as):
    browser = web_as(admin)
    form = browser.get("/settings/assignment-rules/new/")
    assert 'name="by_territory"' in form.content.decode()
    response = browser.post(
        "/settings/assignment-rules/new/", {"name": "By territory", "by_territory": "on"}
    )
    assert response.status_code == 302
    rule = AssignmentRule.objects.for_tenant(admin.tenant).get()
    assert rule.by_territory
    detail = browser.get(f"/settings/assignment-rules/{rule.pk}/").content.decode()
    assert "territory (round-robin)" in detail
