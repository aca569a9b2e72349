"""Reads of orders: the list, one order with its lines and status history, the totals of a
list, and a customer's purchase history (its orders and the products bought over time).

Everything reads through the visibility policy: a sales rep sees the orders they own (and
their team's when the organisation allows it), so a customer's purchase history shows them
only those.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    Max,
    Min,
    Prefetch,
    QuerySet,
    Sum,
    Value,
    When,
)

from funia.core.actor import Actor
from funia.core.visibility import visible_owner_q, visible_records
from funia.customers.models import Account
from funia.sales.orders.models import Order, OrderLine, OrderStatus, OrderStatusChange
from funia.sales.orders.schemas import OrderFilter

SECTION_LIMIT = 20
ACCOUNT_CHOICES = 200


def _with_lines(qs: QuerySet, tenant) -> QuerySet:
    return qs.prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.for_tenant(tenant).order_by("position", "id")),
        Prefetch(
            "status_changes",
            queryset=OrderStatusChange.objects.for_tenant(tenant)
            .select_related("changed_by")
            .order_by("changed_at", "id"),
        ),
    )


def order_list(
    *, actor: Actor, filters: OrderFilter | None = None, details: bool = True
) -> QuerySet[Order]:
    """The orders the actor sees, newest first; `details` adds their lines and history."""
    qs = visible_records(Order, actor, with_deleted=True)
    qs = filters.filter(qs) if filters is not None else qs.filter(deleted_at__isnull=True)
    if filters is not None and filters.mine:
        qs = qs.filter(owner_id=actor.user.pk)
    qs = qs.select_related("account", "contact", "owner")
    if details:
        qs = _with_lines(qs, actor.tenant)
    return qs.order_by("-ordered_on", "-number")


def order_get(*, actor: Actor, pk: int, with_deleted: bool = False) -> Order:
    qs = visible_records(Order, actor, with_deleted=with_deleted).select_related(
        "account", "contact", "opportunity", "owner", "quote"
    )
    return _with_lines(qs, actor.tenant).get(pk=pk)


def list_totals(orders: QuerySet[Order]) -> list[dict]:
    """The total of the listed orders per currency, cancelled ones left out."""
    return list(
        orders.exclude(status=OrderStatus.CANCELLED)
        .order_by()
        .values("currency")
        .annotate(total=Sum("total"), count=Count("id"))
        .order_by("currency")
    )


def ordering_accounts(*, actor: Actor) -> QuerySet[Account]:
    """Accounts with orders the actor sees, by name: the choices of the list's filter."""
    ordering = visible_records(Order, actor, with_deleted=True).values("account_id")
    return (
        visible_records(Account, actor)
        .filter(pk__in=ordering)
        .order_by("name", "id")[:ACCOUNT_CHOICES]
    )


# -- a customer's purchase history ----------------------------------------------------------


def _link(record) -> str:
    name = record._meta.model_name
    if name not in ("account", "contact"):
        raise ValueError(f"No purchase history for {name}")
    return name


@dataclass
class ProductBought:
    """What a customer bought of one product (or of one unknown SKU) over time."""

    product_id: int | None
    sku: str
    description: str
    quantity: Decimal
    spent: dict[str, Decimal]  # net of discounts, before tax, per currency
    first_purchase: date
    last_purchase: date
    orders: int


@dataclass
class PurchaseHistory:
    orders: list[Order]
    more_orders: bool
    products: list[ProductBought] = field(default_factory=list)

    @property
    def spent(self) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = {}
        for product in self.products:
            for currency, amount in product.spent.items():
                totals[currency] = totals.get(currency, Decimal(0)) + amount
        return dict(sorted(totals.items()))


def customer_orders(
    *, actor: Actor, record, limit: int = SECTION_LIMIT
) -> tuple[list[Order], bool]:
    """The customer's orders the actor sees, newest first: up to `limit`, and whether there
    are more (one query)."""
    qs = (
        visible_records(Order, actor)
        .filter(**{_link(record): record})
        .order_by("-ordered_on", "-number")
    )
    rows = list(qs[: limit + 1])
    return rows[:limit], len(rows) > limit


def products_bought(*, actor: Actor, record) -> list[ProductBought]:
    """Per product, what the customer bought in the orders the actor sees (cancelled orders
    and the trash left out), most recently bought first (one query).

    Lines of a product in the catalog count together whatever their options; lines without
    one (imported from another system) by their SKU, else by their description."""
    lines = OrderLine.objects.for_tenant(actor.tenant).filter(
        **{f"order__{_link(record)}": record},
        order__deleted_at__isnull=True,
    )
    lines = lines.exclude(order__status=OrderStatus.CANCELLED)
    owner_q = visible_owner_q(actor, "order__owner")
    if owner_q is not None:
        lines = lines.filter(owner_q)
    free_sku = Case(
        When(product__isnull=True, then=F("sku")), default=Value(""), output_field=CharField()
    )
    free_description = Case(
        When(product__isnull=True, sku="", then=F("description")),
        default=Value(""),
        output_field=CharField(),
    )
    rows = (
        lines.annotate(free_sku=free_sku, free_description=free_description)
        .values(
            "product_id",
            "product__name",
            "product__sku",
            "free_sku",
            "free_description",
            "order__currency",
        )
        .annotate(
            quantity=Sum("quantity"),
            total=Sum("total"),
            share=Sum("quote_discount"),
            first=Min("order__ordered_on"),
            last=Max("order__ordered_on"),
            orders=Count("order_id", distinct=True),
            label=Min("description"),
        )
        .order_by()
    )
    products: dict[tuple, ProductBought] = {}
    for row in rows:
        key = (row["product_id"], row["free_sku"], row["free_description"])
        net = (row["total"] or Decimal(0)) - (row["share"] or Decimal(0))
        bought = products.get(key)
        if bought is None:
            products[key] = ProductBought(
                product_id=row["product_id"],
                sku=row["product__sku"] or row["free_sku"],
                description=row["product__name"] or row["free_description"] or row["label"],
                quantity=row["quantity"] or Decimal(0),
                spent={row["order__currency"]: net},
                first_purchase=row["first"],
                last_purchase=row["last"],
                orders=row["orders"],
            )
            continue
        # The same product bought in another currency: an order has one currency, so the
        # orders of the rows add up.
        bought.quantity += row["quantity"] or Decimal(0)
        bought.spent[row["order__currency"]] = net
        bought.first_purchase = min(bought.first_purchase, row["first"])
        bought.last_purchase = max(bought.last_purchase, row["last"])
        bought.orders += row["orders"]
    for bought in products.values():
        bought.spent = dict(sorted(bought.spent.items()))
    return sorted(
        products.values(),
        key=lambda p: (-p.last_purchase.toordinal(), p.description.casefold(), p.sku),
    )


def purchase_history(*, actor: Actor, record, limit: int = SECTION_LIMIT) -> PurchaseHistory:
    """The account's or contact's orders (newest first, up to `limit`) and the products
    bought: two queries whatever the number of orders."""
    orders, more = customer_orders(actor=actor, record=record, limit=limit)
    return PurchaseHistory(
        orders=orders, more_orders=more, products=products_bought(actor=actor, record=record)
    )


def status_changes_of(
    *, actor: Actor, record, before: datetime | None = None, limit: int = 20
) -> list[OrderStatusChange]:
    """The status changes of the customer's orders the actor sees, newest first (the
    timeline of the customer card; one query)."""
    changes = OrderStatusChange.objects.for_tenant(actor.tenant).filter(
        **{f"order__{_link(record)}": record}, order__deleted_at__isnull=True
    )
    owner_q = visible_owner_q(actor, "order__owner")
    if owner_q is not None:
        changes = changes.filter(owner_q)
    if before is not None:
        changes = changes.filter(changed_at__lt=before)
    return list(
        changes.select_related("order", "changed_by").order_by("-changed_at", "-id")[:limit]
    )
