"""Quota writes: validation with field errors, who may set which quota, audit and trash."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from funia.core.models import AuditEntry, Membership
from funia.sales.models import Quota
from funia.sales.quotas import selectors, services
from tests import factories
from tests.conftest import tenant_snapshot

D = datetime.date
Q4 = D(2026, 10, 1)


@pytest.fixture
def org_chart(admin, manager):
    """A manager's team (the manager is a member too) and a team nobody manages."""
    rep = factories.member(admin.tenant, "sales_rep", email="rep@acme.example")
    stranger = factories.member(admin.tenant, "sales_rep", email="stranger@acme.example")
    mine = factories.team(admin, "Sofia", manager=manager, members=[manager, rep])
    theirs = factories.team(admin, "Plovdiv", members=[stranger])
    return rep, stranger, mine, theirs


def create(by, **fields):
    fields.setdefault("period", "quarter")
    fields.setdefault("start", Q4)
    fields.setdefault("amount", Decimal("50000"))
    return services.quota_create(by=by, **fields)


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


# -- validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "start", "message"),
    [
        ("quarter", D(2026, 11, 1), "for 2026-Q4 give 2026-10-01"),
        ("month", D(2026, 11, 15), "for 2026-11 give 2026-11-01"),
        ("year", D(2026, 4, 1), "for 2026 give 2026-01-01"),
    ],
)
def test_a_period_must_start_on_its_first_day(admin, org_chart, period, start, message):
    rep = org_chart[0]
    with pytest.raises(ValidationError) as excinfo:
        create(admin, user_id=rep.user.pk, period=period, start=start)
    assert message in errors_of(excinfo)["start"][0]


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (Decimal("-1"), "cannot be negative"),
        (Decimal("10.005"), "at most two decimals"),
        (Decimal("1e16"), "below 10^16"),
        ("abc", "Enter a number"),
        (None, "Give an amount"),
    ],
)
def test_an_amount_is_a_positive_sum_in_cents(admin, org_chart, amount, message):
    with pytest.raises(ValidationError) as excinfo:
        create(admin, user_id=org_chart[0].user.pk, amount=amount)
    assert message in errors_of(excinfo)["amount"][0]


def test_a_quota_of_zero_is_allowed(admin, org_chart):
    assert create(admin, user_id=org_chart[0].user.pk, amount=0).amount == 0


def test_a_quota_is_for_a_rep_or_a_team_never_both_nor_neither(admin, org_chart):
    rep, _stranger, team, _theirs = org_chart
    with pytest.raises(ValidationError) as both:
        create(admin, user_id=rep.user.pk, team_id=team.pk)
    with pytest.raises(ValidationError) as neither:
        create(admin)
    assert "not both" in errors_of(both)["team"][0]
    assert "Choose the rep" in errors_of(neither)["user"][0]


def test_the_rep_must_be_an_active_member_and_the_team_the_organisations(
    admin, org_chart, outsider
):
    rep = org_chart[0]
    Membership.objects.for_tenant(admin.tenant).filter(user=rep.user).update(is_active=False)
    rival_team = factories.team(outsider, "Rival team")
    for fields, field in [
        ({"user_id": rep.user.pk}, "user"),
        ({"user_id": outsider.user.pk}, "user"),
        ({"user_id": 2**40}, "user"),
        ({"team_id": rival_team.pk}, "team"),
    ]:
        with pytest.raises(ValidationError) as excinfo:
            create(admin, **fields)
        assert field in errors_of(excinfo), fields


def test_a_second_quota_for_the_same_rep_and_period_is_refused(admin, org_chart):
    rep = org_chart[0]
    first = create(admin, user_id=rep.user.pk)

    with pytest.raises(services.DuplicateQuota) as excinfo:
        create(admin, user_id=rep.user.pk, amount=1)

    assert excinfo.value.existing == first
    assert "already a quota for this rep and 2026-Q4" in errors_of(excinfo)["start"][0]
    # Another period, or the team, is another quota.
    create(admin, user_id=rep.user.pk, period="month", start=Q4)
    create(admin, team_id=org_chart[2].pk)


def test_a_trashed_quota_can_be_replaced_and_then_not_restored(admin, org_chart):
    rep = org_chart[0]
    old = create(admin, user_id=rep.user.pk)
    services.quota_delete(by=admin, quota=old)
    create(admin, user_id=rep.user.pk, amount=1)

    with pytest.raises(services.DuplicateQuota):
        services.quota_restore(by=admin, quota=old)


def test_an_update_changes_the_amount_and_the_note_only_and_is_audited(admin, org_chart):
    rep = org_chart[0]
    quota = create(admin, user_id=rep.user.pk)

    updated = services.quota_update(
        by=admin, quota=quota, fields={"amount": Decimal("61000.50"), "note": " stretch "}
    )

    assert (updated.amount, updated.note, updated.version) == (
        Decimal("61000.50"),
        "stretch",
        2,
    )
    entry = AuditEntry.objects.for_tenant(admin.tenant).filter(object_id=quota.pk).last()
    assert entry.action == "update"
    assert entry.changes["amount"] == ["50000.00", "61000.50"]
    with pytest.raises(ValidationError) as excinfo:
        services.quota_update(by=admin, quota=quota, fields={"start": D(2027, 1, 1)})
    assert "start" in errors_of(excinfo)


def test_delete_and_restore_are_audited(admin, org_chart):
    quota = create(admin, user_id=org_chart[0].user.pk)
    services.quota_delete(by=admin, quota=quota)
    services.quota_restore(by=admin, quota=quota)
    actions = list(
        AuditEntry.objects.for_tenant(admin.tenant)
        .filter(object_type="sales.quota", object_id=quota.pk)
        .values_list("action", flat=True)
    )
    assert actions == ["create", "delete", "restore"]


# -- permissions -------------------------------------------------------------------------


def test_a_manager_sets_the_quotas_of_their_team_and_its_members(manager, org_chart):
    rep, _stranger, mine, _theirs = org_chart
    assert create(manager, user_id=rep.user.pk).user_id == rep.user.pk
    assert create(manager, team_id=mine.pk).team_id == mine.pk


@pytest.mark.parametrize("target", ["own", "stranger", "their_team"])
def test_a_manager_may_not_set_other_quotas_nor_their_own(admin, manager, org_chart, target):
    _rep, stranger, _mine, theirs = org_chart
    fields = {
        "own": {"user_id": manager.user.pk},
        "stranger": {"user_id": stranger.user.pk},
        "their_team": {"team_id": theirs.pk},
    }[target]
    before = tenant_snapshot(admin.tenant)
    with pytest.raises(PermissionDenied):
        create(manager, **fields)
    assert tenant_snapshot(admin.tenant) == before


@pytest.mark.parametrize("role", ["sales_rep", "analyst", "marketer", "service_agent"])
def test_other_roles_only_read_quotas(admin, org_chart, role):
    rep, _stranger, team, _theirs = org_chart
    quota = create(admin, user_id=rep.user.pk)
    someone = rep if role == "sales_rep" else factories.member(admin.tenant, role)
    before = tenant_snapshot(admin.tenant)
    for write in (
        lambda: create(someone, team_id=team.pk),
        lambda: services.quota_update(by=someone, quota=quota, fields={"amount": 1}),
        lambda: services.quota_delete(by=someone, quota=quota),
        lambda: services.quota_bulk_set(by=someone, rows=[]),
    ):
        with pytest.raises(PermissionDenied):
            write()
    assert tenant_snapshot(admin.tenant) == before


def test_who_reads_which_quotas(admin, manager, analyst, org_chart):
    rep, stranger, mine, theirs = org_chart
    quotas = {
        "rep": create(admin, user_id=rep.user.pk),
        "manager": create(admin, user_id=manager.user.pk),
        "stranger": create(admin, user_id=stranger.user.pk),
        "mine": create(admin, team_id=mine.pk),
        "theirs": create(admin, team_id=theirs.pk),
    }

    def seen(actor):
        ids = set(selectors.quota_list(actor=actor).values_list("pk", flat=True))
        return {name for name, quota in quotas.items() if quota.pk in ids}

    assert seen(admin) == set(quotas)
    assert seen(analyst) == set(quotas)
    assert seen(manager) == {"rep", "manager", "mine"}
    assert seen(rep) == {"rep"}
    assert seen(stranger) == {"stranger"}
    # A team's quota (with every member's wins) when reps see their team's records.
    admin.tenant.reps_see_team_records = True
    admin.tenant.save()
    rep.tenant.reps_see_team_records = stranger.tenant.reps_see_team_records = True
    assert seen(rep) == {"rep", "mine"}
    assert seen(stranger) == {"stranger", "theirs"}


# -- set and bulk ------------------------------------------------------------------------


def test_set_creates_updates_leaves_and_removes(admin, org_chart):
    rep = org_chart[0]
    who = {"user_id": rep.user.pk, "period": "month", "start": Q4}

    quota, created = services.quota_set(by=admin, amount="100", **who)
    _same, updated = services.quota_set(by=admin, amount="150.5", **who)
    _same, unchanged = services.quota_set(by=admin, amount=Decimal("150.50"), **who)
    _gone, deleted = services.quota_set(by=admin, amount=None, **who)
    _none, absent = services.quota_set(by=admin, amount="", **who)

    assert [created, updated, unchanged, deleted, absent] == [
        "created",
        "updated",
        "unchanged",
        "deleted",
        "absent",
    ]
    assert Quota.objects.for_tenant(admin.tenant, with_deleted=True).get(pk=quota.pk).is_deleted


def test_bulk_does_each_row_on_its_own(manager, org_chart):
    rep, stranger, mine, _theirs = org_chart
    results = services.quota_bulk_set(
        by=manager,
        rows=[
            {"user_id": rep.user.pk, "period": "month", "start": Q4, "amount": "10"},
            {"user_id": stranger.user.pk, "period": "month", "start": Q4, "amount": "10"},
            {"team_id": mine.pk, "period": "quarter", "start": D(2026, 11, 1), "amount": "5"},
            {"team_id": mine.pk, "period": "quarter", "start": Q4, "amount": "30"},
        ],
    )
    assert [r["status"] for r in results] == ["created", "error", "error", "created"]
    assert results[1]["errors"][0]["field"] == "__all__"
    assert results[2]["errors"][0]["field"] == "start"
    assert Quota.objects.for_tenant(manager.tenant).count() == 2
