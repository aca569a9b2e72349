"""Merging duplicate contacts or accounts into a survivor, and undoing a merge.

A merge takes each field from the record the user chose (by default from the most recently
updated record that has a value), moves every related row of the merged records to the
survivor, and soft-deletes the merged records with `merged_into` set. Related rows are found
through `_meta.related_objects` of Contact or Account, so the rows of any module with a
foreign key to them (activities, opportunities, tickets, ...) move without this module
knowing them.

Every moved row is written to `MergeMove` (model, primary key, foreign key, the record it came
from and any other column the move changed). A row that would duplicate one the survivor
already has (the same email or phone, tag, address, or a unique constraint such as one
account link per account) is deleted instead and kept whole in its `MergeMove`. Undo, within
the organisation's `merge_undo_days`, moves exactly those rows back, recreates the dropped
ones, restores the merged records from their snapshot and the survivor's fields that the merge
changed (unless someone changed them again since): rows added to the survivor after the merge
stay where they are.
"""

from funia.customers.merge.constants import (
    BATCH,
    BOOKKEEPING,
    CONSENT_CHANNELS,
    CUSTOM_PREFIX,
    DUPLICATE_FIELDS,
    MAX_MERGED,
    NOT_CHOOSABLE,
    NOT_MOVED,
)
from funia.customers.merge.fields import (
    choosable_fields,
    custom_keys,
    default_sources,
)
from funia.customers.merge.relations import (
    Link,
    related_counts,
    related_links,
)
from funia.customers.merge.selectors import (
    merge_get,
    records_for_merge,
)
from funia.customers.merge.services import (
    account_merge,
    contact_merge,
    merge_undo,
)

__all__ = [
    "BATCH",
    "BOOKKEEPING",
    "CONSENT_CHANNELS",
    "CUSTOM_PREFIX",
    "DUPLICATE_FIELDS",
    "MAX_MERGED",
    "NOT_CHOOSABLE",
    "NOT_MOVED",
    "Link",
    "account_merge",
    "choosable_fields",
    "contact_merge",
    "custom_keys",
    "default_sources",
    "merge_get",
    "merge_undo",
    "records_for_merge",
    "related_counts",
    "related_links",
]
