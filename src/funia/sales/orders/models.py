"""Orders: from an accepted quote or entered directly (or imported), with an append-only
status history; the customer's purchase history is read from them."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from funia.core.tenancy import TenantModel, TenantScoped

MONEY = {"max_digits": 18, "decimal_places": 2, "default": 0}


class OrderStatus(models.TextChoices):
    NEW = "new", _("New")
    CONFIRMED = "confirmed", _("Confirmed")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    INVOICED = "invoiced", _("Invoiced")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")


class Order(TenantModel):
    number = models.PositiveIntegerField(_("number"), editable=False)
    # The number in the system the order came from (imports): re-importing the same file
    # updates nothing twice.
    external_ref = models.CharField(_("external reference"), max_length=100, blank=True)
    account = models.ForeignKey(
        "customers.Account",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("account"),
    )
    contact = models.ForeignKey(
        "customers.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("contact"),
    )
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("opportunity"),
    )
    quote = models.OneToOneField(
        "sales.Quote",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="order",
        editable=False,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=OrderStatus, default=OrderStatus.NEW, editable=False
    )
    ordered_on = models.DateField(_("order date"), default=timezone.localdate)
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    discount_percent = models.DecimalField(
        _("order discount (%)"), max_digits=5, decimal_places=2, default=0
    )
    subtotal = models.DecimalField(_("subtotal"), **MONEY, editable=False)
    discount_total = models.DecimalField(_("discounts"), **MONEY, editable=False)
    tax_total = models.DecimalField(_("tax"), **MONEY, editable=False)
    total = models.DecimalField(_("total"), **MONEY, editable=False)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-ordered_on", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="order_number_unique"),
            models.UniqueConstraint(
                fields=["tenant", "external_ref"],
                condition=~models.Q(external_ref=""),
                name="order_external_ref_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "account", "ordered_on"]),
            models.Index(fields=["tenant", "contact", "ordered_on"]),
            models.Index(fields=["tenant", "status"]),
        ]

    def __str__(self) -> str:
        return self.reference

    def validate_unique(self, exclude=None):
        # Unique in the database; checking them here would query across organisations,
        # which the tenant manager refuses.
        super().validate_unique(exclude={*(exclude or ()), "quote"})

    @property
    def reference(self) -> str:
        return f"O-{self.number:05d}"


class OrderLine(TenantScoped):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    # Imported lines may name a product the catalog does not have: the description and SKU
    # keep what was bought.
    product = models.ForeignKey(
        "sales.Product",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("product"),
    )
    sku = models.CharField(_("SKU"), max_length=64, blank=True)
    description = models.CharField(_("description"), max_length=300)
    options = models.JSONField(default=list, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3, default=1)
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=2)
    discount_percent = models.DecimalField(
        _("line discount (%)"), max_digits=5, decimal_places=2, default=0
    )
    tax_rate = models.DecimalField(_("tax rate (%)"), max_digits=5, decimal_places=2, default=0)
    gross = models.DecimalField(**MONEY)
    line_discount = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    quote_discount = models.DecimalField(**MONEY)
    tax = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["tenant", "product"])]


class OrderStatusChange(TenantScoped):
    """Append-only: one change of an order's status, by whom and when."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=10, choices=OrderStatus, blank=True)
    to_status = models.CharField(max_length=10, choices=OrderStatus)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["changed_at", "id"]
