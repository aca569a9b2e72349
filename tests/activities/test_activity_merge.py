"""Merging two contacts moves their activities to the survivor; undo moves them back."""

from funia.activities import services
from funia.activities.models import Activity
from funia.customers.merge import contact_merge, merge_undo
from tests import factories
from tests.activities.helpers import log, purpose


def test_merge_moves_activities_and_undo_moves_them_back(admin, org):
    account = factories.account(admin, name="Balkan Foods")
    kept = factories.contact(admin, first_name="Petar", last_name="Dimov", account_id=account.pk)
    gone = factories.contact(admin, first_name="Petyr", last_name="Dimov")
    call = log(admin, contact_id=gone.pk, purpose_obj=purpose(org, "Offer"))
    task = services.activity_create(
        by=admin, kind="task", subject="Send prices", contact_id=gone.pk
    )
    own = services.activity_create(by=admin, kind="note", subject="Kept's note", contact_id=kept.pk)

    merge = contact_merge(by=admin, survivor=kept, merged=[gone])

    moved = Activity.objects.for_tenant(org).filter(contact=kept)
    assert set(moved.values_list("pk", flat=True)) == {call.pk, task.pk, own.pk}
    call.refresh_from_db()
    assert call.version == 2

    merge_undo(by=admin, merge=merge)

    assert set(
        Activity.objects.for_tenant(org).filter(contact=gone).values_list("pk", flat=True)
    ) == {call.pk, task.pk}
    assert list(
        Activity.objects.for_tenant(org).filter(contact=kept).values_list("pk", flat=True)
    ) == [own.pk]
