"""Reads: a merge, and the records offered for merging."""

from funia.core.actor import Actor
from funia.core.visibility import visible_records
from funia.customers.models import Account, Contact, Merge

# -- reads -------------------------------------------------------------------------------


def merge_get(*, actor: Actor, pk: int) -> Merge:
    """A merge of the actor's organisation whose survivor the actor may see."""
    merge = (
        Merge.objects.for_tenant(actor.tenant)
        .select_related("tenant", "survivor_contact", "survivor_account")
        .get(pk=pk)
    )
    model = Contact if merge.type == Merge.Type.CONTACT else Account
    if not visible_records(model, actor, with_deleted=True).filter(pk=merge.survivor_id).exists():
        raise Merge.DoesNotExist
    return merge


def records_for_merge(*, actor: Actor, model, ids: list[int]) -> list:
    """The records with these ids the actor may see (trash included), in the order given;
    raises DoesNotExist when any is missing, so another organisation's id answers 404."""
    found = visible_records(model, actor, with_deleted=True).in_bulk(ids)
    if len(found) != len(set(ids)):
        raise model.DoesNotExist
    return [found[pk] for pk in ids]
