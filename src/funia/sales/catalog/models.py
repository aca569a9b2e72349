"""Products, their files, option groups with configuration rules, and price books."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from funia.core.tenancy import TenantModel, TenantScoped


class Product(TenantModel):
    """A product or service a rep sells; configurable when it has option groups."""

    sku = models.CharField(_("SKU"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    # Rich text, sanitised with nh3 by the services before it is stored.
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("category"), max_length=100, blank=True)
    unit = models.CharField(_("unit"), max_length=20, default="pcs")
    tax_rate = models.DecimalField(_("tax rate (%)"), max_digits=5, decimal_places=2, default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "sku"],
                condition=models.Q(deleted_at__isnull=True),
                name="product_live_sku_unique",
            )
        ]
        indexes = [models.Index(fields=["tenant", "name"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"


class ProductFileKind(models.TextChoices):
    IMAGE = "image", _("Image")
    DOCUMENT = "document", _("Document")


class ProductFile(TenantScoped):
    """An image or a document of a product: what a rep opens during a call."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(_("kind"), max_length=10, choices=ProductFileKind)
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to="products/%Y/%m/")
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("file")
        verbose_name_plural = _("files")
        ordering = ["kind", "title", "id"]

    def __str__(self) -> str:
        return self.title


class OptionGroupKind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")


class OptionGroup(TenantScoped):
    """One step of the configurator, e.g. colour, seats or packages."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="option_groups")
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(
        _("kind"), max_length=10, choices=OptionGroupKind, default=OptionGroupKind.SINGLE
    )
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("option group")
        verbose_name_plural = _("option groups")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "name"], name="option_group_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class AdjustmentType(models.TextChoices):
    FIXED = "fixed", _("Fixed amount")
    PERCENT = "percent", _("Percentage of the base price")


class Option(TenantScoped):
    """A choice within a group, with its price adjustment and its rules.

    A fixed adjustment is in the organisation's currency (converted for a price book in
    another currency); a percentage is of the product's base price in the price book."""

    group = models.ForeignKey(OptionGroup, on_delete=models.CASCADE, related_name="options")
    name = models.CharField(_("name"), max_length=120)
    price_adjustment = models.DecimalField(
        _("price adjustment"), max_digits=14, decimal_places=2, default=0
    )
    adjustment_type = models.CharField(
        _("adjustment type"), max_length=10, choices=AdjustmentType, default=AdjustmentType.FIXED
    )
    is_default = models.BooleanField(_("default choice"), default=False)
    position = models.PositiveIntegerField(_("position"), default=0)
    requires = models.ManyToManyField(
        "self", symmetrical=False, related_name="required_by", blank=True
    )
    excludes = models.ManyToManyField(
        "self", symmetrical=False, related_name="excluded_by", blank=True
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["group", "name"], name="option_name_unique")]

    def __str__(self) -> str:
        return self.name


class PriceBook(TenantModel):
    """Prices of products in one currency, valid between two dates (either may be open)."""

    name = models.CharField(_("name"), max_length=120)
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # The book a new deal in this currency starts with.
    is_default = models.BooleanField(_("default for its currency"), default=False)

    class Meta:
        verbose_name = _("price book")
        verbose_name_plural = _("price books")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.currency})"


class PriceBookEntry(TenantScoped):
    price_book = models.ForeignKey(PriceBook, on_delete=models.CASCADE, related_name="entries")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="prices")
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        ordering = ["product__name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["price_book", "product"], name="price_book_entry_unique"
            )
        ]


class ConfiguratorLink(TenantModel):
    """A public, shareable configurator for one product and price book: the customer
    configures, the rep sees the submitted configuration and turns it into a quote line."""

    token = models.CharField(max_length=64, unique=True, editable=False)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    price_book = models.ForeignKey(PriceBook, on_delete=models.CASCADE, related_name="+")
    opportunity = models.ForeignKey(
        "sales.Opportunity", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    # What the customer submitted: option ids, their name and email, and when.
    options = models.JSONField(default=list, blank=True)
    customer_name = models.CharField(_("customer name"), max_length=200, blank=True)
    customer_email = models.EmailField(_("customer email"), blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    audit_exclude = (*TenantModel.audit_exclude, "token")

    class Meta:
        verbose_name = _("configurator link")
        verbose_name_plural = _("configurator links")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.product.name} ({self.created_at:%Y-%m-%d})"

    def validate_unique(self, exclude=None):
        # The token is random and unique in the database; checking it here would query
        # across organisations, which the tenant manager refuses.
        super().validate_unique(exclude={*(exclude or ()), "token"})
