"""Merging contacts and accounts, and undoing merges: the services in customers/merge/."""

import datetime

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils import timezone

from funia.core.models import AuditEntry
from funia.customers import services
from funia.customers.merge import (
    NOT_MOVED,
    account_merge,
    contact_merge,
    default_sources,
    merge_undo,
    related_links,
)
from funia.customers.models import (
    Account,
    AccountContact,
    ConsentEvent,
    Contact,
    ContactPoint,
    CustomField,
    Merge,
    MergeMove,
)
from tests import factories
from tests.conftest import tenant_snapshot


def fresh(record):
    model = type(record)
    return model.objects.for_tenant(record.tenant_id, with_deleted=True).get(pk=record.pk)


def emails(record) -> list[str]:
    return [p.value for p in fresh(record).points.filter(kind="email").order_by("position", "id")]


def phones(record) -> list[str]:
    return [p.value for p in fresh(record).points.filter(kind="phone").order_by("position", "id")]


def tags(record) -> list[str]:
    return sorted(link.tag.name for link in fresh(record).tag_links.all())


def touch(record, **fields):
    """Update a record through its service (so its updated_at moves on)."""
    update = services.contact_update if isinstance(record, Contact) else services.account_update
    key = "contact" if isinstance(record, Contact) else "account"
    by = factories.member(record.tenant, "admin")
    return update(by=by, fields=fields, on_duplicate="create", **{key: fresh(record)})


def related_rows(record) -> dict:
    """Every row of every model that refers to the record, by link: to compare states."""
    rows = {}
    for link in related_links(type(record)):
        qs = link.model._base_manager.filter(**{link.field.attname: record.pk})
        rows[link.label] = sorted(qs.values_list("pk", flat=True))
    return rows


@pytest.fixture
def ivan(admin):
    return factories.contact(
        admin,
        first_name="Ivan",
        last_name="Petrov",
        title="",
        emails=["ivan@work.example", "shared@example.com"],
        phones=["+359888123456"],
        tags=["vip", "sofia"],
        addresses=[{"street": "1 Vitosha Blvd", "city": "Sofia", "country": "BG"}],
        consent={"email": {"granted": True, "source": "web form"}},
    )


@pytest.fixture
def ivan_again(admin):
    return factories.contact(
        admin,
        first_name="Ivan",
        last_name="Petrov",
        title="Buyer",
        emails=["ivan@home.example", "Shared@example.com"],
        phones=["+359877000111"],
        tags=["vip", "plovdiv"],
        addresses=[{"street": "5 Main St", "city": "Plovdiv", "country": "BG"}],
        consent={"phone": {"granted": False, "source": "call"}},
    )


# -- merging contacts --------------------------------------------------------------------


def test_merging_two_contacts_keeps_every_email_phone_tag_address_and_consent_event(
    admin, ivan, ivan_again
):
    contact_merge(by=admin, survivor=ivan, merged=[ivan_again])

    assert emails(ivan) == ["ivan@work.example", "shared@example.com", "ivan@home.example"]
    assert phones(ivan) == ["+359888123456", "+359877000111"]
    assert tags(ivan) == ["plovdiv", "sofia", "vip"]
    assert sorted(a.city for a in fresh(ivan).addresses.all()) == ["Plovdiv", "Sofia"]
    channels = sorted(e.channel for e in fresh(ivan).consent_events.all())
    assert channels == ["email", "phone"]


def test_the_merged_contact_goes_to_the_trash_pointing_at_the_survivor(admin, ivan, ivan_again):
    contact_merge(by=admin, survivor=ivan, merged=[ivan_again])

    merged = fresh(ivan_again)
    assert merged.is_deleted
    assert merged.merged_into_id == ivan.pk
    assert related_rows(merged) == {label: [] for label in related_rows(merged)}


def test_merging_moves_the_account_links_and_drops_a_link_the_survivor_already_has(
    admin, ivan, ivan_again
):
    shared, own = factories.account(admin, name="Shared"), factories.account(admin, name="Own")
    touch(ivan, accounts=[{"account_id": shared.pk, "role": "buyer"}])
    touch(ivan_again, accounts=[{"account_id": shared.pk}, {"account_id": own.pk}])

    contact_merge(by=admin, survivor=ivan, merged=[ivan_again])

    links = AccountContact.objects.for_tenant(admin.tenant).filter(contact=ivan)
    assert sorted((link.account_id, link.role) for link in links) == [
        (shared.pk, "buyer"),
        (own.pk, ""),
    ]


def test_a_row_of_any_model_with_a_foreign_key_to_contact_moves_and_is_recorded(
    admin, ivan, ivan_again
):
    # Created directly, as another module would, not through the customer services.
    point = ContactPoint.objects.create(
        tenant=admin.tenant, contact=ivan_again, kind="email", value="direct@example.com"
    )

    merge = contact_merge(by=admin, survivor=ivan, merged=[ivan_again])

    point.refresh_from_db()
    assert point.contact_id == ivan.pk
    move = MergeMove.objects.for_tenant(admin.tenant).get(
        merge=merge, model="customers.contactpoint", row_pk=str(point.pk)
    )
    assert (move.field, move.from_id, move.dropped) == ("contact", ivan_again.pk, False)


def foreign_keys_to(target) -> set[str]:
    """Every foreign key to `target` in every installed model, except those a merge keeps."""
    found = set()
    for model in apps.get_models(include_auto_created=True):
        if model._meta.label_lower in NOT_MOVED or not getattr(model, "moves_on_merge", True):
            continue
        for field in model._meta.concrete_fields:
            to_target = isinstance(field, models.ForeignKey) and field.related_model is target
            if to_target and field.name != "merged_into":
                found.add(f"{model._meta.label_lower}.{field.name}")
    return found


def test_the_generic_walk_lists_every_model_with_a_foreign_key_to_contact():
    walked = {link.label for link in related_links(Contact)}

    assert walked == foreign_keys_to(Contact)

    assert {
        "customers.accountcontact.contact",
        "customers.address.contact",
        "customers.consentevent.contact",
        "customers.contactpoint.contact",
        "customers.recordtag.contact",
    } <= walked


def test_the_generic_walk_lists_every_model_with_a_foreign_key_to_account():
    walked = {link.label for link in related_links(Account)}

    assert walked == foreign_keys_to(Account)
    assert {
        "customers.account.parent",
        "customers.accountcontact.account",
        "customers.address.account",
        "customers.contact.account",
        "customers.contactpoint.account",
        "customers.recordtag.account",
    } <= walked
    assert not any(label.startswith("customers.merge") for label in walked)


def test_a_field_defaults_to_the_most_recently_updated_record_with_a_value(admin, ivan, ivan_again):
    touch(ivan, title="Owner")  # ivan is now the most recent, with a title
    touch(ivan_again, source="fair")  # then ivan_again, with a source but no change of title

    contact_merge(by=admin, survivor=ivan, merged=[ivan_again])

    survivor = fresh(ivan)
    assert survivor.source == "fair"  # only ivan_again has one
    assert survivor.title == "Buyer"  # ivan_again is the most recent with a non-empty title


def test_an_empty_value_never_wins_by_default(admin, ivan, ivan_again):
    touch(ivan, title="Owner")
    touch(ivan_again, title="")  # most recent, but empty

    contact_merge(by=admin, survivor=ivan, merged=[ivan_again])

    assert fresh(ivan).title == "Owner"


def test_a_chosen_field_is_taken_from_the_chosen_record(admin, ivan, ivan_again):
    touch(ivan_again, first_name="Ivo")

    contact_merge(
        by=admin,
        survivor=ivan,
        merged=[ivan_again],
        fields={"first_name": ivan.pk, "title": ivan.pk},
    )

    survivor = fresh(ivan)
    assert (survivor.first_name, survivor.title) == ("Ivan", "")


def test_the_chosen_values_are_recorded_with_the_merge(admin, ivan, ivan_again):
    merge = contact_merge(by=admin, survivor=ivan, merged=[ivan_again], fields={"title": ivan.pk})

    assert merge.fields["title"] == ivan.pk
    assert merge.fields["last_name"] in {ivan.pk, ivan_again.pk}


def test_an_unknown_field_name_is_refused_and_changes_nothing(admin, ivan, ivan_again):
    before = tenant_snapshot(admin.tenant)

    with pytest.raises(ValidationError) as refused:
        contact_merge(by=admin, survivor=ivan, merged=[ivan_again], fields={"colour": ivan.pk})

    assert "fields.colour" in refused.value.message_dict
    assert tenant_snapshot(admin.tenant) == before


def test_a_field_taken_from_a_record_outside_the_merge_is_refused(admin, ivan, ivan_again):
    stranger = factories.contact(admin, last_name="Stranger")
    with pytest.raises(ValidationError) as refused:
        contact_merge(by=admin, survivor=ivan, merged=[ivan_again], fields={"title": stranger.pk})
    assert "fields.title" in refused.value.message_dict


def test_custom_field_values_are_chosen_key_by_key(admin):
    for key in ("size", "colour"):
        CustomField.objects.create(
            tenant=admin.tenant, entity="contact", key=key, label=key, kind="text"
        )
    first = factories.contact(admin, custom={"size": "L", "colour": "red"})
    second = factories.contact(admin, custom={"size": "M"})

    contact_merge(by=admin, survivor=first, merged=[second], fields={"custom.colour": second.pk})

    assert fresh(first).custom == {"size": "M"}


def test_consent_defaults_to_the_latest_recorded_consent_not_the_latest_update(admin):
    withdrew = factories.contact(admin, consent={"marketing": {"granted": False}})
    ConsentEvent.objects.for_tenant(admin.tenant).filter(contact=withdrew).update(
        at=timezone.now() + datetime.timedelta(minutes=1)
    )
    older_yes = factories.contact(admin, consent={"marketing": {"granted": True}})
    touch(older_yes, title="Updated last")

    sources = default_sources([fresh(older_yes), fresh(withdrew)], fresh(older_yes))

    assert sources["consent_marketing"] == withdrew.pk
    contact_merge(by=admin, survivor=older_yes, merged=[withdrew])
    assert fresh(older_yes).consent_marketing is False


def test_the_survivor_is_found_by_its_merged_emails_afterwards(admin, ivan, ivan_again):
    contact_merge(by=admin, survivor=ivan, merged=[ivan_again])

    assert "ivan@home.example" in fresh(ivan).search_text


def test_three_contacts_merge_at_once(admin, ivan, ivan_again):
    third = factories.contact(admin, emails=["third@example.com"])

    merge = contact_merge(by=admin, survivor=ivan, merged=[ivan_again, third])

    assert merge.merged_ids == [ivan_again.pk, third.pk]
    assert "third@example.com" in emails(ivan)
    assert fresh(third).merged_into_id == ivan.pk


# -- the audit trail ---------------------------------------------------------------------


def entries(record):
    return list(
        AuditEntry.objects.for_tenant(record.tenant_id)
        .filter(object_type=record.object_type(), object_id=record.pk)
        .order_by("id")
    )


def test_the_merge_is_in_the_survivors_audit_trail_with_the_merged_ids_and_changed_fields(
    admin, ivan, ivan_again
):
    merge = contact_merge(by=admin, survivor=ivan, merged=[ivan_again])

    entry = entries(ivan)[-1]
    assert entry.action == "update"
    assert entry.user == admin.user
    assert entry.changes["merged"] == [None, [ivan_again.pk]]
    assert entry.changes["merge"] == [None, merge.pk]
    assert entry.changes["title"] == ["", "Buyer"]
    assert "ivan@home.example" in entry.changes["emails"][1]


def test_the_merged_record_has_an_audit_entry_naming_the_survivor(admin, ivan, ivan_again):
    contact_merge(by=admin, survivor=ivan, merged=[ivan_again])

    entry = entries(ivan_again)[-1]
    assert entry.action == "delete"
    assert entry.changes["merged_into"] == [None, ivan.pk]


# -- refusals ----------------------------------------------------------------------------


def test_an_analyst_cannot_merge(admin, analyst, ivan, ivan_again):
    before = tenant_snapshot(admin.tenant)
    with pytest.raises(PermissionDenied):
        contact_merge(by=analyst, survivor=ivan, merged=[ivan_again])
    assert tenant_snapshot(admin.tenant) == before


def test_a_rep_cannot_merge_a_record_they_cannot_see(rep, ivan):
    mine = factories.contact(rep, last_name="Mine")
    with pytest.raises(Contact.DoesNotExist):
        contact_merge(by=rep, survivor=mine, merged=[ivan])


def test_a_rep_merges_their_own_records(rep):
    first, second = factories.contact(rep), factories.contact(rep)
    contact_merge(by=rep, survivor=first, merged=[second])
    assert fresh(second).merged_into_id == first.pk


def test_a_record_of_another_organisation_cannot_be_merged(admin, ivan, outsider):
    theirs = factories.contact(outsider)
    before = tenant_snapshot(outsider.tenant)
    with pytest.raises(Contact.DoesNotExist):
        contact_merge(by=admin, survivor=ivan, merged=[theirs])
    with pytest.raises(Contact.DoesNotExist):
        contact_merge(by=admin, survivor=theirs, merged=[ivan])
    assert tenant_snapshot(outsider.tenant) == before


def test_the_survivor_cannot_also_be_merged(admin, ivan, ivan_again):
    with pytest.raises(ValidationError) as refused:
        contact_merge(by=admin, survivor=ivan, merged=[ivan_again, ivan])
    assert "merged" in refused.value.message_dict


def test_an_already_merged_record_cannot_be_merged_again(admin, ivan, ivan_again):
    contact_merge(by=admin, survivor=ivan, merged=[ivan_again])
    third = factories.contact(admin)
    with pytest.raises(ValidationError, match="already merged"):
        contact_merge(by=admin, survivor=third, merged=[fresh(ivan_again)])
    with pytest.raises(ValidationError, match="already merged"):
        contact_merge(by=admin, survivor=fresh(ivan_again), merged=[third])


def test_a_record_in_the_trash_cannot_be_merged(admin, ivan, ivan_again):
    services.contact_delete(by=admin, contact=ivan_again)
    with pytest.raises(ValidationError, match="trash"):
        contact_merge(by=admin, survivor=ivan, merged=[fresh(ivan_again)])


# -- undo --------------------------------------------------------------------------------


def state(*records) -> list:
    """Field values, lists and related rows of records: equal before a merge and after undo."""
    result = []
    for record in records:
        record = fresh(record)
        values = {
            f.attname: getattr(record, f.attname)
            for f in record._meta.concrete_fields
            if f.name not in {"version", "updated_at"}
        }
        result.append((values, related_rows(record), emails(record), phones(record), tags(record)))
    return result


def test_undo_restores_field_values_lists_and_related_rows_exactly(admin, ivan, ivan_again):
    shared, own = factories.account(admin, name="Shared"), factories.account(admin, name="Own")
    touch(ivan, accounts=[{"account_id": shared.pk, "role": "buyer"}])
    touch(
        ivan_again, accounts=[{"account_id": shared.pk}, {"account_id": own.pk}], first_name="Ivo"
    )
    before = state(ivan, ivan_again)
    merge = contact_merge(by=admin, survivor=ivan, merged=[ivan_again])

    undone = merge_undo(by=admin, merge=merge)

    assert undone.undone_at is not None
    assert state(ivan, ivan_again) == before


def test_undo_puts_a_dropped_duplicate_back_on_its_record(admin, ivan, ivan_again):
    before = state(ivan, ivan_again)
    merge = contact_merge(by=admin, survivor=ivan, merged=[ivan_again])
    dropped = MergeMove.objects.for_tenant(admin.tenant).filter(merge=merge, dropped=True)
    assert {m.model for m in dropped} == {"customers.contactpoint", "customers.recordtag"}

    merge_undo(by=admin, merge=merge)

    assert state(ivan, ivan_again) == before


def test_an_email_added_to_the_survivor_after_the_merge_stays_on_it_after_undo(
    admin, ivan, ivan_again
):
    merge = contact_merge(by=admin, survivor=ivan, merged=[ivan_again])
    # The service rewrites the whole list (new rows): undo must still find the moved ones.
    touch(ivan, emails=[*emails(ivan), "new@example.com"])

    merge_undo(by=admin, merge=merge)

    assert emails(ivan) == ["ivan@work.example", "shared@example.com", "new@example.com"]
    assert emails(ivan_again) == ["ivan@home.example", "shared@example.com"]


def test_a_row_added_directly_to_the_survivor_after_the_merge_stays_on_it(admin, ivan, ivan_again):
    merge = contact_merge(by=admin, survivor=ivan, merged=[ivan_again])
    event = ConsentEvent.objects.create(
        tenant=admin.tenant, contact=ivan, channel="marketing", granted=True
    )

    merge_undo(by=admin, merge=merge)

    event.refresh_from_db()
    assert event.contact_id == ivan.pk
    assert sorted(e.channel for e in fresh(ivan_again).consent_events.all()) == ["phone"]


def test_undo_brings_the_merged_contact_back_out_of_the_trash(admin, ivan, ivan_again):
    merge = contact_merge(by=admin, survivor=ivan, merged=[ivan_again])
    merge_undo(by=admin, merge=merge)

    restored = fresh(ivan_again)
    assert (restored.is_deleted, restored.merged_into_id) == (False, None)
    assert entries(ivan_again)[-1].action == "restore"
    assert entries(ivan)[-1].changes["merged"] == [[ivan_again.pk], None]


def test_undo_keeps_a_field_changed_on_the_survivor_since_the_merge(admin, ivan, ivan_again):
    merge = contact_merge(by=admin, survivor=ivan, merged=[ivan_again])
    assert fresh(ivan).title == "Buyer"
    touch(ivan, title="Director")

    merge_undo(by=admin, merge=merge)

    assert fresh(ivan).title == "Director"


def test_undo_after_the_window_is_refused(admin, ivan, ivan_again):
    merge = contact_merge(by=admin, survivor=ivan, merged=[ivan_again])
    Merge.objects.for_tenant(admin.tenant).filter(pk=merge.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=31)
    )
    before = tenant_snapshot(admin.tenant)

    with pytest.raises(ValidationError, match="can no longer be undone"):
        merge_undo(by=admin, merge=Merge.objects.for_tenant(admin.tenant).get(pk=merge.pk))

    assert tenant_snapshot(admin.tenant) == before


def test_the_undo_window_follows_the_organisations_setting(admin, ivan, ivan_again):
    admin.tenant.merge_undo_days = 0
    admin.tenant.save()
    merge = contact_merge(by=admin, survivor=ivan, merged=[ivan_again])
    Merge.objects.for_tenant(admin.tenant).filter(pk=merge.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    with pytest.raises(ValidationError, match="can no longer be undone"):
        merge_undo(by=admin, merge=Merge.objects.for_tenant(admin.tenant).get(pk=merge.pk))


def test_undoing_twice_is_refused(admin, ivan, ivan_again):
    merge = contact_merge(by=admin, survivor=ivan, merged=[ivan_again])
    merge_undo(by=admin, merge=merge)
    with pytest.raises(ValidationError, match="already undone"):
        merge_undo(by=admin, merge=Merge.objects.for_tenant(admin.tenant).get(pk=merge.pk))


def test_an_analyst_cannot_undo_a_merge(admin, analyst, ivan, ivan_again):
    merge = contact_merge(by=admin, survivor=ivan, merged=[ivan_again])
    with pytest.raises(PermissionDenied):
        merge_undo(by=analyst, merge=merge)


def test_a_merge_whose_survivor_was_merged_again_cannot_be_undone_first(admin, ivan, ivan_again):
    first = contact_merge(by=admin, survivor=ivan, merged=[ivan_again])
    third = factories.contact(admin)
    contact_merge(by=admin, survivor=third, merged=[fresh(ivan)])
    with pytest.raises(ValidationError, match="undo that merge first"):
        merge_undo(by=admin, merge=first)


# -- merging accounts --------------------------------------------------------------------


@pytest.fixture
def acme(admin):
    return factories.account(admin, name="Acme", domain="acme.example", emails=["a@acme.example"])


@pytest.fixture
def acme_ltd(admin):
    return factories.account(
        admin, name="Acme Ltd", industry="Retail", emails=["info@acme.example"], tags=["key"]
    )


def test_merging_accounts_moves_their_contacts_and_child_accounts(admin, acme, acme_ltd):
    contact = factories.contact(admin, account_id=acme_ltd.pk)
    linked = factories.contact(admin, accounts=[{"account_id": acme_ltd.pk, "role": "cfo"}])
    child = factories.account(admin, name="Acme Shop", parent_id=acme_ltd.pk)

    account_merge(by=admin, survivor=acme, merged=[acme_ltd])

    assert fresh(contact).account_id == acme.pk
    assert fresh(child).parent_id == acme.pk
    assert AccountContact.objects.for_tenant(admin.tenant).get(contact=linked).account_id == acme.pk
    assert sorted(p.value for p in fresh(acme).points.all()) == [
        "a@acme.example",
        "info@acme.example",
    ]
    survivor = fresh(acme)
    assert (survivor.name, survivor.industry, survivor.domain) == (
        "Acme Ltd",
        "Retail",
        "acme.example",
    )
    assert fresh(acme_ltd).merged_into_id == acme.pk


def test_a_moved_contact_gets_a_new_version(admin, acme, acme_ltd):
    contact = factories.contact(admin, account_id=acme_ltd.pk)
    account_merge(by=admin, survivor=acme, merged=[acme_ltd])
    assert fresh(contact).version == contact.version + 1


def test_a_survivor_below_a_merged_account_takes_that_accounts_parent(admin, acme, acme_ltd):
    group = factories.account(admin, name="Group")
    touch(acme_ltd, parent_id=group.pk)
    touch(acme, parent_id=acme_ltd.pk)

    account_merge(by=admin, survivor=acme, merged=[acme_ltd])

    assert fresh(acme).parent_id == group.pk


def test_a_parent_that_would_make_a_cycle_is_refused_and_changes_nothing(admin, acme, acme_ltd):
    child = factories.account(admin, name="Child", parent_id=acme_ltd.pk)
    touch(acme, parent_id=child.pk)  # after the merge, Child is below Acme
    before = tenant_snapshot(admin.tenant)

    with pytest.raises(ValidationError) as refused:
        account_merge(by=admin, survivor=acme, merged=[acme_ltd], fields={"parent": acme.pk})

    assert "fields.parent" in refused.value.message_dict
    assert tenant_snapshot(admin.tenant) == before


def test_undoing_an_account_merge_moves_contacts_and_children_back(admin, acme, acme_ltd):
    contact = factories.contact(admin, account_id=acme_ltd.pk)
    factories.contact(admin, accounts=[{"account_id": acme_ltd.pk, "role": "cfo"}])
    factories.account(admin, name="Acme Shop", parent_id=acme_ltd.pk)
    mine = factories.contact(admin, account_id=acme.pk)
    before = state(acme, acme_ltd)
    merge = account_merge(by=admin, survivor=acme, merged=[acme_ltd])

    merge_undo(by=admin, merge=merge)

    assert state(acme, acme_ltd) == before
    assert fresh(contact).account_id == acme_ltd.pk
    assert fresh(mine).account_id == acme.pk
