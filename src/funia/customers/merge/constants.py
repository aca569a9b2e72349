"""The limits and settings shared by merges and their undo."""

MAX_MERGED = 20
CUSTOM_PREFIX = "custom."
# Fields of a record that are not chosen one by one: the tenant never changes, custom field
# values are chosen per key ("custom.<key>").
NOT_CHOOSABLE = {"tenant", "custom"}
# The snapshot of a record for undo: every column except these.
BOOKKEEPING = {"id", "tenant_id", "created_at", "updated_at", "version", "deleted_at"}
CONSENT_CHANNELS = {
    "consent_email": "email",
    "consent_phone": "phone",
    "consent_marketing": "marketing",
}
# Rows that stay with the merged record: the merges themselves, and the members of duplicate
# clusters (what a scan found, as it found it). A later module opts out the same way by
# setting `moves_on_merge = False` on its model.
NOT_MOVED = {"customers.merge", "customers.mergemove", "customers.duplicateclustermember"}
# Columns that make a related row a duplicate of one the survivor has, besides the unique
# constraints. A later module can declare its own as `merge_duplicate_fields` on its model.
DUPLICATE_FIELDS = {
    "customers.contactpoint": ("kind", "value"),
    "customers.recordtag": ("tag_id",),
    "customers.address": ("street", "city", "postal_code", "region", "country"),
}
BATCH = 500
