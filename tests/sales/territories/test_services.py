"""Writes of territories: validated, audited (reps too), ordered, administrators only."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from funia.core.models import AuditEntry, Membership
from funia.sales.models import Territory
from funia.sales.territories import services
from tests import factories
from tests.conftest import tenant_snapshot
from tests.sales.territories.helpers import territory


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


def test_a_territory_is_created_with_its_rules_manager_and_reps(admin, rep, manager):
    created = services.territory_create(
        by=admin,
        name="  Sofia   &  West ",
        countries=["bg", "Romania", "BG"],
        regions=["Sofia City", "sofia city", ""],
        industries=["Software"],
        min_employees=10,
        max_employees=500,
        manager_id=manager.user.pk,
        rep_ids=[rep.user.pk],
    )

    assert created.name == "Sofia & West"
    assert created.countries == ["BG", "RO"]  # codes, once each; names become codes
    assert created.regions == ["Sofia City"]
    assert services.current_rep_ids(created) == [rep.user.pk]
    entry = AuditEntry.objects.for_tenant(admin.tenant).get(object_id=created.pk)
    assert entry.changes["reps"] == [[], [rep.user.pk]]


def test_new_territories_go_last_unless_given_a_position(admin):
    first = territory(admin, "First")
    second = territory(admin, "Second")
    placed = territory(admin, "Placed", position=1)

    assert first.position < second.position
    assert placed.position == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "   "}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"countries": ["Atlantis"]}, "countries"),
        ({"countries": ["XX"]}, "countries"),
        ({"countries": "BG"}, "countries"),
        ({"regions": ["x" * 101]}, "regions"),
        ({"industries": ["a"] * 101}, "industries"),
        ({"min_employees": -1}, "min_employees"),
        ({"min_employees": 500, "max_employees": 50}, "max_employees"),
        ({"manager_id": 2**40}, "manager"),
        ({"rep_ids": [2**40]}, "reps"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_fields_are_refused_with_the_field_named(admin, fields, field):
    fields = {"name": "T", **fields}
    with pytest.raises(ValidationError) as excinfo:
        services.territory_create(by=admin, **fields)
    assert field in errors_of(excinfo)
    assert not Territory.objects.for_tenant(admin.tenant).exists()


def test_reps_must_be_active_members_of_the_organisation(admin, rep, outsider):
    Membership.objects.for_tenant(admin.tenant).filter(user=rep.user).update(is_active=False)
    for rep_ids in ([rep.user.pk], [outsider.user.pk]):
        with pytest.raises(ValidationError) as excinfo:
            services.territory_create(by=admin, name="T", rep_ids=rep_ids)
        assert "reps" in errors_of(excinfo)


def test_the_manager_must_be_a_member(admin, outsider):
    with pytest.raises(ValidationError) as excinfo:
        services.territory_create(by=admin, name="T", manager_id=outsider.user.pk)
    assert "manager" in errors_of(excinfo)


def test_the_size_bounds_are_checked_against_the_stored_ones_on_update(admin):
    mid = territory(admin, "Mid", min_employees=50)
    with pytest.raises(ValidationError) as excinfo:
        services.territory_update(by=admin, territory=mid, fields={"max_employees": 10})
    assert "max_employees" in errors_of(excinfo)


def test_setting_reps_replaces_the_list_and_is_audited(admin, rep, manager):
    t = territory(admin, "T", rep_ids=[rep.user.pk])

    t = services.territory_set_reps(by=admin, territory=t, rep_ids=[manager.user.pk])

    assert services.current_rep_ids(t) == [manager.user.pk]
    assert t.version == 2
    entry = AuditEntry.objects.for_tenant(admin.tenant).filter(object_id=t.pk).last()
    assert entry.changes == {"reps": [[rep.user.pk], [manager.user.pk]]}


def test_an_update_that_changes_nothing_writes_nothing(admin, rep):
    t = territory(admin, "T", countries=["BG"], rep_ids=[rep.user.pk])
    same = services.territory_update(
        by=admin, territory=t, fields={"countries": ["bg"], "rep_ids": [rep.user.pk]}
    )
    assert same.version == 1


def test_reordering_puts_the_named_territories_first(admin):
    a, _b, c = (territory(admin, name) for name in "ABC")

    services.territory_reorder(by=admin, territory_ids=[c.pk, a.pk])

    order = list(
        Territory.objects.for_tenant(admin.tenant)
        .order_by("position", "id")
        .values_list("name", flat=True)
    )
    assert order == ["C", "A", "B"]


def test_moving_a_territory_up_swaps_it_with_the_one_before(admin):
    _a, b = territory(admin, "A"), territory(admin, "B")
    services.territory_move(by=admin, territory=b, direction="up")
    names = Territory.objects.for_tenant(admin.tenant).order_by("position", "id")
    assert [t.name for t in names] == ["B", "A"]


def test_reordering_refuses_unknown_territories(admin, other_org_records):
    with pytest.raises(ValidationError):
        services.territory_reorder(by=admin, territory_ids=[other_org_records.ids["territory"]])


def test_trash_and_restore(admin):
    t = territory(admin, "T")
    services.territory_delete(by=admin, territory=t)
    assert not Territory.objects.for_tenant(admin.tenant).exists()
    services.territory_restore(by=admin, territory=t)
    assert Territory.objects.for_tenant(admin.tenant).get().name == "T"


@pytest.mark.parametrize("role", ["sales_manager", "sales_rep", "analyst", "marketer"])
def test_only_administrators_write_territories(admin, role):
    t = territory(admin, "T")
    other = factories.member(admin.tenant, role)
    before = tenant_snapshot(admin.tenant)
    attempts = [
        lambda: services.territory_create(by=other, name="Mine"),
        lambda: services.territory_update(by=other, territory=t, fields={"name": "Mine"}),
        lambda: services.territory_set_reps(by=other, territory=t, rep_ids=[]),
        lambda: services.territory_reorder(by=other, territory_ids=[t.pk]),
        lambda: services.territory_delete(by=other, territory=t),
        lambda: services.territory_restore(by=other, territory=t),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    assert tenant_snapshot(admin.tenant) == before
