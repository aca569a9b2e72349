"""Quotes of a deal: versioned, with lines, totals kept by the services, a discount approval
and a public link through which the customer accepts or rejects."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from funia.core.tenancy import TenantModel, TenantScoped

MONEY = {"max_digits": 18, "decimal_places": 2, "default": 0}


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Expired")


class ApprovalStatus(models.TextChoices):
    NOT_NEEDED = "not_needed", _("Not needed")
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class Quote(TenantModel):
    """One version of a quote. A revision is a new row with the same number and the next
    `revision`; the old one stays as it was, marked as superseded."""

    opportunity = models.ForeignKey(
        "sales.Opportunity", on_delete=models.PROTECT, related_name="quotes"
    )
    contact = models.ForeignKey(
        "customers.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recipient"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    number = models.PositiveIntegerField(_("number"), editable=False)
    # Which version of the quote this is (Q-00012 v2); `version` is the record's own
    # version (ETag, If-Match) like every record's.
    revision = models.PositiveIntegerField(_("version"), default=1, editable=False)
    superseded_by = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="revision_of",
        editable=False,
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    price_book = models.ForeignKey(
        "sales.PriceBook", on_delete=models.PROTECT, related_name="quotes"
    )
    currency = models.CharField(_("currency"), max_length=3, editable=False)
    discount_percent = models.DecimalField(
        _("quote discount (%)"), max_digits=5, decimal_places=2, default=0
    )
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=QuoteStatus, default=QuoteStatus.DRAFT
    )
    # Totals in the quote's currency, recomputed by the services from the lines.
    subtotal = models.DecimalField(_("subtotal"), **MONEY, editable=False)
    discount_total = models.DecimalField(_("discounts"), **MONEY, editable=False)
    tax_total = models.DecimalField(_("tax"), **MONEY, editable=False)
    total = models.DecimalField(_("total"), **MONEY, editable=False)
    # Discount approval: needed when a discount is above the organisation's limit.
    approval_status = models.CharField(
        _("approval"),
        max_length=12,
        choices=ApprovalStatus,
        default=ApprovalStatus.NOT_NEEDED,
        editable=False,
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    approval_note = models.CharField(max_length=300, blank=True, editable=False)
    # The customer's link and decision.
    public_token = models.CharField(max_length=64, unique=True, editable=False)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True, editable=False)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, editable=False)
    decided_by_name = models.CharField(max_length=200, blank=True, editable=False)
    decision_note = models.TextField(blank=True, editable=False)
    # Whether accepting the quote sets the deal's amount to the quote's net total.
    update_opportunity_amount = models.BooleanField(
        _("the deal's amount follows the accepted quote"), default=True
    )

    audit_exclude = (*TenantModel.audit_exclude, "public_token")

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ["-number", "-revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "number", "revision"], name="quote_number_revision_unique"
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "opportunity"]),
            models.Index(fields=["tenant", "status"]),
        ]

    def __str__(self) -> str:
        return self.reference

    def validate_unique(self, exclude=None):
        # Unique in the database; checking them here would query across organisations,
        # which the tenant manager refuses.
        super().validate_unique(exclude={*(exclude or ()), "public_token", "superseded_by"})

    @property
    def reference(self) -> str:
        """What people call the quote: Q-00012, or Q-00012 v2 for a revision."""
        base = f"Q-{self.number:05d}"
        return base if self.revision == 1 else f"{base} v{self.revision}"

    @property
    def is_current(self) -> bool:
        return self.superseded_by_id is None


class QuoteLine(TenantScoped):
    """A line: a product (with its chosen options when configured), the quantity and the
    amounts, each rounded to the cent as on the printed quote."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    product = models.ForeignKey(
        "sales.Product", on_delete=models.PROTECT, related_name="+", verbose_name=_("product")
    )
    description = models.CharField(_("description"), max_length=300)
    # The chosen options: ids, names and price adjustments as priced.
    options = models.JSONField(default=list, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3, default=1)
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=2)
    discount_percent = models.DecimalField(
        _("line discount (%)"), max_digits=5, decimal_places=2, default=0
    )
    tax_rate = models.DecimalField(_("tax rate (%)"), max_digits=5, decimal_places=2, default=0)
    gross = models.DecimalField(**MONEY)  # quantity x unit price
    line_discount = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)  # gross - line discount
    quote_discount = models.DecimalField(**MONEY)  # this line's share of the quote discount
    tax = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["position", "id"]
