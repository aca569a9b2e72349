"""The customer master: accounts (companies) and contacts (people) with their emails,
phones, addresses, tags, consent and tenant-defined custom fields."""

import datetime

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from funia.core.tenancy import (
    TenantManager,
    TenantModel,
    TenantQuerySet,
    TenantScoped,
    tenant_led_by_indexes,
)


def merged_index(entity: str) -> models.Index:
    """The merged records of a survivor: only the few rows that have one are indexed."""
    return models.Index(
        fields=["merged_into"],
        condition=models.Q(merged_into__isnull=False),
        name=f"{entity}_merged_into",
    )


class CustomerRecord(TenantModel):
    """What accounts and contacts share."""

    source = models.CharField(
        _("source"),
        max_length=100,
        blank=True,
        help_text=_("Acquisition channel, e.g. web form, referral."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    # Values of the tenant's custom fields, validated by the services: {key: value}.
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    # Folded, transliterated name for duplicate blocking and search (kept by the services).
    name_key = models.CharField(max_length=200, blank=True, editable=False)
    search_text = models.TextField(blank=True, editable=False)
    # Blocking keys of the duplicate check (customers/dedupe/), kept by the services: the
    # phonetic name (nicknames and spelling variants resolved) and two typo-tolerant keys.
    phonetic_key = models.CharField(max_length=200, blank=True, editable=False)
    fuzzy_key_a = models.CharField(max_length=100, blank=True, editable=False)
    fuzzy_key_b = models.CharField(max_length=100, blank=True, editable=False)
    # Indexed only where set (see `merged_index`): nearly every record is unmerged.
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        db_index=False,
    )

    audit_exclude = (
        *TenantModel.audit_exclude,
        "name_key",
        "search_text",
        "phonetic_key",
        "fuzzy_key_a",
        "fuzzy_key_b",
    )

    class Meta:
        abstract = True

    # Read from prefetched rows (selectors prefetch them), so lists stay N+1 free.
    @property
    def email_points(self) -> list:
        return [p for p in self.points.all() if p.kind == ContactPoint.Kind.EMAIL]

    @property
    def phone_points(self) -> list:
        return [p for p in self.points.all() if p.kind == ContactPoint.Kind.PHONE]

    @property
    def primary_email(self) -> str:
        points = self.email_points
        return points[0].value if points else ""

    @property
    def primary_phone(self) -> str:
        points = self.phone_points
        return points[0].value if points else ""

    @property
    def tag_names(self) -> list[str]:
        return sorted(link.tag.name for link in self.tag_links.all())


class Account(CustomerRecord):
    name = models.CharField(_("name"), max_length=200)
    domain = models.CharField(_("domain"), max_length=200, blank=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent account"),
    )
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    segment = models.CharField(_("segment"), max_length=100, blank=True)
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    country = models.CharField(
        _("country"), max_length=2, blank=True, help_text=_("ISO 3166 code, e.g. BG")
    )
    region = models.CharField(_("region"), max_length=100, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        indexes = [
            models.Index(fields=["tenant", "name"]),
            models.Index(fields=["tenant", "owner"]),
            models.Index(fields=["tenant", "domain"]),
            models.Index(
                fields=["tenant", "owner"],
                condition=models.Q(deleted_at__isnull=True),
                name="account_live_owner",
            ),
            models.Index(fields=["tenant", "name_key"]),
            models.Index(fields=["tenant", "phonetic_key"]),
            models.Index(fields=["tenant", "fuzzy_key_a"]),
            models.Index(fields=["tenant", "fuzzy_key_b"]),
            merged_index("account"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def size(self) -> str:
        """Size band from the number of employees (territories and segments use it)."""
        if self.employees is None:
            return ""
        for limit, band in ((10, "1-10"), (50, "11-50"), (250, "51-250"), (1000, "251-1000")):
            if self.employees <= limit:
                return band
        return "1000+"


class Contact(CustomerRecord):
    tenant = tenant_led_by_indexes()
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100)
    title = models.CharField(_("title"), max_length=100, blank=True)
    account = models.ForeignKey(
        Account,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("account"),
    )
    # Current consent per channel (None: never asked); the history is in ConsentEvent.
    consent_email = models.BooleanField(_("email consent"), null=True, blank=True)
    consent_phone = models.BooleanField(_("phone consent"), null=True, blank=True)
    consent_marketing = models.BooleanField(_("marketing consent"), null=True, blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            models.Index(fields=["tenant", "last_name", "first_name"]),
            # A contact's account and owner: their own foreign-key indexes (and the live
            # owner index below) serve the lookups, so none is repeated after the tenant.
            # Live contacts by owner: list counts read this index alone.
            models.Index(
                fields=["tenant", "owner"],
                condition=models.Q(deleted_at__isnull=True),
                name="contact_live_owner",
            ),
            models.Index(fields=["tenant", "name_key"]),
            models.Index(fields=["tenant", "phonetic_key"]),
            models.Index(fields=["tenant", "fuzzy_key_a"]),
            models.Index(fields=["tenant", "fuzzy_key_b"]),
            merged_index("contact"),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def consent_summary(self) -> list[tuple[str, bool | None]]:
        return [
            (_("Email"), self.consent_email),
            (_("Phone"), self.consent_phone),
            (_("Marketing"), self.consent_marketing),
        ]


class AccountContact(TenantScoped):
    """A contact's further accounts (besides the primary `Contact.account`), with a role."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contact_links")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="account_links")
    role = models.CharField(_("role"), max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "contact"], name="account_contact_unique")
        ]


class ContactPoint(TenantScoped):
    """One email address or phone number of an account or a contact; position 0 is primary."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("Email")
        PHONE = "phone", _("Phone")

    tenant = tenant_led_by_indexes()
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, null=True, blank=True, related_name="points"
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="points"
    )
    kind = models.CharField(max_length=5, choices=Kind.choices)
    value = models.CharField(max_length=254)  # normalised: lower-case email, E.164 phone
    label = models.CharField(_("label"), max_length=40, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["tenant", "kind", "value"])]


class Address(TenantScoped):
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, null=True, blank=True, related_name="addresses"
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="addresses"
    )
    label = models.CharField(_("label"), max_length=40, blank=True)
    street = models.CharField(_("street"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]


class Tag(TenantScoped):
    name = models.CharField(_("name"), max_length=50)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="tag_unique")]

    def __str__(self) -> str:
        return self.name


class RecordTag(TenantScoped):
    tenant = tenant_led_by_indexes()
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, null=True, blank=True, related_name="tag_links"
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="tag_links"
    )

    class Meta:
        indexes = [models.Index(fields=["tenant", "tag"])]


class ConsentEvent(TenantScoped):
    """Append-only history of a contact's consent: who said yes or no, when, through what."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        PHONE = "phone", _("Phone")
        MARKETING = "marketing", _("Marketing")

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consent_events")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    granted = models.BooleanField()
    at = models.DateTimeField(default=timezone.now)
    source = models.CharField(_("source"), max_length=100, blank=True)

    class Meta:
        ordering = ["at", "id"]


class CustomField(TenantModel):
    """A field an admin adds to accounts or contacts; values live in the record's `custom`."""

    class Entity(models.TextChoices):
        ACCOUNT = "account", _("Account")
        CONTACT = "contact", _("Contact")

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        CHOICE = "choice", _("Choice")
        BOOLEAN = "boolean", _("Yes/no")

    entity = models.CharField(_("record type"), max_length=10, choices=Entity.choices)
    key = models.SlugField(_("key"), max_length=50)
    label = models.CharField(_("label"), max_length=100)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "entity", "key"], name="custom_field_unique")
        ]

    def __str__(self) -> str:
        return self.label


# -- merges (customers/merge/) ----------------------------------------------------------


class MergeQuerySet(TenantQuerySet):
    def pending(self):
        """Merges not undone yet (whether the undo window is still open: `can_undo`)."""
        return self.filter(undone_at__isnull=True).select_related("tenant").order_by("-id")


class Merge(TenantScoped):
    """Records merged into a survivor, with what undo needs: field values before and after,
    and (in `moves`) every related row that changed hands."""

    class Type(models.TextChoices):
        CONTACT = "contact", _("Contact")
        ACCOUNT = "account", _("Account")

    type = models.CharField(_("record type"), max_length=10, choices=Type.choices)
    survivor_contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="merges"
    )
    survivor_account = models.ForeignKey(
        Account, on_delete=models.CASCADE, null=True, blank=True, related_name="merges"
    )
    merged_ids = models.JSONField(default=list)
    # {field: id of the record its value was taken from}, defaults included.
    fields = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    # Field values by attribute name: the survivor's before the merge, the values the merge
    # gave it, and each merged record's ({id: values}), so undo restores them exactly.
    survivor_before = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    survivor_after = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    merged_before = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = TenantManager.from_queryset(MergeQuerySet)()

    class Meta:
        verbose_name = _("merge")
        verbose_name_plural = _("merges")
        indexes = [models.Index(fields=["tenant", "created_at"])]

    def __str__(self) -> str:
        return f"{self.type} merge #{self.pk}"

    @property
    def survivor_id(self) -> int:
        return self.survivor_contact_id or self.survivor_account_id

    @property
    def survivor(self):
        return self.survivor_contact if self.type == self.Type.CONTACT else self.survivor_account

    @property
    def undo_until(self):
        return self.created_at + datetime.timedelta(days=self.tenant.merge_undo_days)

    @property
    def can_undo(self) -> bool:
        return self.undone_at is None and timezone.now() <= self.undo_until


class MergeMove(TenantScoped):
    """One related row a merge moved to the survivor, or dropped as a duplicate of one the
    survivor had; undo puts it back (or recreates it) on the record it came from."""

    merge = models.ForeignKey(Merge, on_delete=models.CASCADE, related_name="moves")
    model = models.CharField(max_length=100)  # label, e.g. "customers.contactpoint"
    row_pk = models.CharField(max_length=64)
    field = models.CharField(max_length=100)  # the foreign key that pointed at `from_id`
    from_id = models.BigIntegerField()
    # Other columns the move changed, {attname: old value} (e.g. a position in a list).
    old_values = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    # The whole row before the merge, for rows checked one by one for duplicates: a dropped
    # row is recreated from it, and a moved row that was rewritten since (lists are replaced
    # on update) is found again on the survivor by its duplicate key.
    row = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    dropped = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["tenant", "merge"])]


# -- duplicate scans (customers/dedupe/) -------------------------------------------------


class DuplicateScan(TenantScoped):
    """One scan of an organisation's contacts or accounts for duplicates, with its progress."""

    class Type(models.TextChoices):
        CONTACT = "contact", _("Contacts")
        ACCOUNT = "account", _("Accounts")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    type = models.CharField(_("record type"), max_length=10, choices=Type.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    # Records read so far of all to read (the progress bar); matching follows the reading.
    processed = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    cluster_count = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Touched by every progress step: a scan that stops being touched was abandoned.
    updated_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("duplicate scan")
        verbose_name_plural = _("duplicate scans")
        indexes = [models.Index(fields=["tenant", "type", "status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.type} scan #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in {self.Status.QUEUED, self.Status.RUNNING}

    @property
    def progress(self) -> int:
        """Percent of the records read (100 once done)."""
        if self.status == self.Status.DONE:
            return 100
        return min(100, self.processed * 100 // self.total) if self.total else 0


class DuplicateCluster(TenantScoped):
    """Records a scan found to be one customer: the confidence and the evidence."""

    scan = models.ForeignKey(DuplicateScan, on_delete=models.CASCADE, related_name="clusters")
    type = models.CharField(max_length=10, choices=DuplicateScan.Type.choices)
    # The weakest link of the strongest chain holding the records together (0-100).
    score = models.PositiveSmallIntegerField()
    reasons = models.JSONField(default=list)
    size = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["tenant", "scan", "score"])]


class DuplicateClusterMember(TenantScoped):
    cluster = models.ForeignKey(DuplicateCluster, on_delete=models.CASCADE, related_name="members")
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["tenant", "cluster"])]
