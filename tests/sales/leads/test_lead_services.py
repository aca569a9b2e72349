import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from funia.core.models import Notification
from funia.sales.leads import assignment, services
from funia.sales.models import Lead
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_lead_is_normalised_and_searchable_in_latin_letters(admin):
    lead = services.lead_create(
        by=admin,
        first_name="Иван",
        last_name="Петров",
        company="Фуния ООД",
        email=" Ivan.Petrov@Example.COM ",
        phone="0888 123 456",
        country="bg",
    )
    assert lead.email == "ivan.petrov@example.com"
    assert lead.phone == "+359888123456"
    assert lead.country == "BG"
    assert "ivan petrov" in lead.search_text
    assert "359888123456" in lead.search_text
    assert lead.owner_id == admin.user.pk  # no rule: the creator


def test_invalid_email_and_phone_are_field_errors(admin):
    with pytest.raises(ValidationError) as caught:
        services.lead_create(by=admin, last_name="X", email="not-an-email", phone="12")
    assert set(caught.value.message_dict) == {"email", "phone"}
    assert not Lead.objects.for_tenant(admin.tenant).exists()


def test_disqualifying_needs_a_reason(admin):
    lead = services.lead_create(by=admin, last_name="Smith")
    with pytest.raises(ValidationError) as caught:
        services.lead_set_status(by=admin, lead=lead, status="disqualified")
    assert "disqualify_reason" in caught.value.message_dict
    lead = services.lead_set_status(by=admin, lead=lead, status="disqualified", reason="No budget")
    assert (lead.status, lead.disqualify_reason) == ("disqualified", "No budget")
    lead = services.lead_set_status(by=admin, lead=lead, status="working")
    assert lead.disqualify_reason == ""


def test_converted_status_cannot_be_set_by_hand(admin):
    lead = services.lead_create(by=admin, last_name="Smith")
    with pytest.raises(ValidationError) as caught:
        services.lead_update(by=admin, lead=lead, fields={"status": "converted"})
    assert "status" in caught.value.message_dict


def test_an_analyst_cannot_create_leads(analyst):
    with pytest.raises(PermissionDenied):
        services.lead_create(by=analyst, last_name="Smith")


def test_a_rep_cannot_change_a_colleagues_lead(admin, rep):
    lead = services.lead_create(by=admin, last_name="Smith")
    with pytest.raises(PermissionDenied):
        services.lead_update(by=rep, lead=lead, fields={"title": "CEO"})


def test_territory_rule_assigns_matching_leads_only(admin, rep):
    assignment.assignment_rule_create(
        by=admin, name="Bulgaria IT", countries=["bg"], industries=["IT"], user_id=rep.user.pk
    )
    matching = services.lead_capture(
        by=admin, last_name="A", country="BG", industry="it", fallback_owner_id=None
    )
    other = services.lead_capture(
        by=admin, last_name="B", country="DE", industry="IT", fallback_owner_id=None
    )
    assert matching.owner_id == rep.user.pk
    assert other.owner_id is None


def test_round_robin_takes_turns_among_active_team_members(admin, org):
    reps = [factories.member(org, "sales_rep") for _ in range(3)]
    team = factories.team(admin, "Inside sales", members=reps)
    assignment.assignment_rule_create(by=admin, name="Everyone", team_id=team.pk)
    owners = [
        services.lead_capture(by=admin, last_name=f"L{i}", fallback_owner_id=None).owner_id
        for i in range(6)
    ]
    ids = sorted(r.user.pk for r in reps)
    assert owners == ids + ids


def test_the_first_matching_rule_by_position_wins(admin, rep, manager):
    assignment.assignment_rule_create(by=admin, name="Late", position=20, user_id=manager.user.pk)
    assignment.assignment_rule_create(
        by=admin, name="Early", position=10, sources=["Web form"], user_id=rep.user.pk
    )
    web = services.lead_capture(by=admin, last_name="W", source="web form")
    fair = services.lead_capture(by=admin, last_name="F", source="fair")
    assert web.owner_id == rep.user.pk
    assert fair.owner_id == manager.user.pk


def test_the_assignee_is_notified(admin, rep):
    from django.test import TestCase

    assignment.assignment_rule_create(by=admin, name="All", user_id=rep.user.pk)
    with TestCase.captureOnCommitCallbacks(execute=True):
        lead = services.lead_create(by=admin, last_name="Notify")
    assert lead.owner_id == rep.user.pk
    note = Notification.objects.for_tenant(admin.tenant).get(user=rep.user)
    assert "Notify" in note.title


def test_a_rule_choice_the_creator_could_not_see_leaves_the_lead_with_them(admin, rep, org):
    other = factories.member(org, "sales_rep")
    assignment.assignment_rule_create(by=admin, name="All", user_id=other.user.pk)
    lead = services.lead_create(by=rep, last_name="Mine")
    assert lead.owner_id == rep.user.pk


def test_a_rule_needs_a_user_or_a_team(admin):
    with pytest.raises(ValidationError) as caught:
        assignment.assignment_rule_create(by=admin, name="Nobody", countries=["Bulgaria"])
    assert {"user", "countries"} <= set(caught.value.message_dict)


def test_only_admins_write_rules(rep):
    with pytest.raises(PermissionDenied):
        assignment.assignment_rule_create(by=rep, name="Mine", user_id=rep.user.pk)
