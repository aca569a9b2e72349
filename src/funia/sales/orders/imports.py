"""The "orders" import target: a file of order lines, e.g. the sales history of an ERP.

Each row is one line; the rows with the same order number form one order, its lines in the
file's order. The order's date, customer, status and currency may be given on any of its
rows (blank cells are fine; a different value on a later row is a row error). The account
is found by its exact name or its domain (never created: an unknown account is a row error),
the contact by email, the product by SKU (an unknown SKU keeps the SKU and the description on
the line, without a product). Imported orders keep the prices they had: the unit price is
required; the amounts and totals are computed as for every order. A new order belongs to its
account's owner, else its contact's, else the user who imports (the file has no owner column).

The order number becomes the order's external number, which decides duplicates: with "skip"
(the default) an order already there is left as it is, with "update" its lines, date,
customer and status are replaced by the file's, and "create" refuses an order number that
exists. A row with an error is left out of its order and reported; the other rows and orders
are imported. Fix the file and import it again with "update" to complete such an order.

The engine hands the rows over in chunks: an order whose rows continue in a later chunk gets
those lines added. The orders written by the run are remembered in the job (`defer`), so a
resumed run continues them too and never writes a row twice.
"""

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower, Upper
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from funia.core import periods
from funia.core.visibility import can_change, visible_records
from funia.customers.models import Account, Contact, ContactPoint
from funia.customers.normalize import normalize_domain, normalize_email
from funia.imports.registry import ImportTarget, PreparedTuples, RowOutcome, TargetField, register
from funia.sales import pricing
from funia.sales.catalog.models import Product
from funia.sales.money import normalize_currency
from funia.sales.orders import services
from funia.sales.orders.models import Order, OrderLine, OrderStatus

FORMULA = "="
# Our own exports put an apostrophe before these; an import takes it off again.
NEUTRALISED = ("'=", "'+", "'-", "'@", "'\t", "'\r")
HEADER_KEYS = ("ordered_on", "status", "currency", "account", "domain", "email")
CUSTOMER_KEYS = ("account", "domain", "email")
# A header field of the order -> the column key its value came from.
HEADER_COLUMN = {
    "ordered_on": "ordered_on",
    "status": "status",
    "currency": "currency",
    "account": "account",
    "contact": "email",
}
STATUS_SYNONYMS = {"canceled": OrderStatus.CANCELLED, "cancel": OrderStatus.CANCELLED}


def _field(key: str, label, *aliases: str) -> TargetField:
    return TargetField(key, label, aliases)


FIELDS = (
    _field(
        "order_number",
        gettext_lazy("Order number"),
        "Order Number",
        "Order ID",
        "Order",
        "Order No",
        "Order #",
        "Номер на поръчка",
        "Поръчка",
        "Поръчка №",
    ),
    _field(
        "ordered_on",
        gettext_lazy("Order date"),
        "Order Date",
        "Date",
        "Ordered On",
        "Date Ordered",
        "Дата",
        "Дата на поръчка",
    ),
    _field(
        "account",
        gettext_lazy("Account (name)"),
        "Account Name",
        "Account",
        "Customer",
        "Customer Name",
        "Client",
        "Company",
        "Company Name",
        "Клиент",
        "Фирма",
        "Компания",
    ),
    _field(
        "domain",
        gettext_lazy("Account domain"),
        "Account Domain",
        "Domain",
        "Website",
        "Уебсайт",
        "Домейн",
    ),
    _field(
        "email",
        gettext_lazy("Contact email"),
        "Contact Email",
        "Email",
        "E-mail",
        "Customer Email",
        "Имейл",
        "Имейл на контакт",
    ),
    _field("status", gettext_lazy("Status"), "Order Status", "Статус"),
    _field("currency", gettext_lazy("Currency"), "Currency Code", "Валута"),
    _field(
        "sku",
        gettext_lazy("SKU"),
        "Product Code",
        "Item Code",
        "Part Number",
        "Article Number",
        "Код",
        "Артикул",
        "Код на продукт",
    ),
    _field(
        "description",
        gettext_lazy("Product name or description"),
        "Product",
        "Product Name",
        "Description",
        "Item",
        "Item Name",
        "Продукт",
        "Описание",
        "Наименование",
    ),
    _field("quantity", gettext_lazy("Quantity"), "Qty", "Количество", "Брой"),
    _field(
        "unit_price",
        gettext_lazy("Unit price"),
        "Unit Price",
        "Price",
        "Sales Price",
        "Единична цена",
        "Цена",
    ),
    _field(
        "discount_percent",
        gettext_lazy("Discount (%)"),
        "Discount",
        "Discount %",
        "Line Discount",
        "Отстъпка",
        "Отстъпка %",
    ),
    _field(
        "tax_rate",
        gettext_lazy("Tax rate (%)"),
        "Tax Rate",
        "Tax",
        "Tax %",
        "VAT",
        "VAT %",
        "ДДС",
        "ДДС %",
    ),
)
REQUIRED = (
    ("order_number",),
    CUSTOMER_KEYS,
    ("sku", "description"),
    ("unit_price",),
)


# -- reading cells ----------------------------------------------------------------------------

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$")
_YMD = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")
_DMY = re.compile(r"^(\d{1,2})([./-])(\d{1,2})\2(\d{4})(?:\s*г\.?)?(?:[T ].*)?$")


def parse_date(text: str) -> datetime.date:
    """2024-03-31, 2024/03/31, 31.03.2024 (г.), 31-03-2024 or 31/03/2024; with slashes the
    month comes first only when the second number cannot be a month (03/31/2024)."""
    text = text.strip()
    if match := _ISO.match(text) or _YMD.match(text):
        year, month, day = (int(n) for n in match.groups())
    elif match := _DMY.match(text):
        day, separator, month, year = match.groups()
        day, month, year = int(day), int(month), int(year)
        if separator == "/" and month > 12 >= day:
            day, month = month, day
    else:
        raise ValueError(text)
    value = datetime.date(year, month, day)  # ValueError for 31.02.
    if not datetime.date(1900, 1, 1) <= value <= datetime.date(9998, 12, 31):
        raise ValueError(text)
    return value


def parse_number(text: str) -> Decimal:
    """A number as people and spreadsheets write it: 1234.5, 1 234,50, 1,234.50, 1.234,50,
    with a currency symbol or a % sign around it."""
    cleaned = re.sub(r"[\s\u00a0\u202f']", "", text)
    cleaned = re.sub(r"^[^\d+\-.,]+|\D+$", "", cleaned)
    if "," in cleaned and "." in cleaned:
        if cleaned.rfind(",") > cleaned.rfind("."):
            cleaned = cleaned.replace(".", "").replace(",", ".")
        else:
            cleaned = cleaned.replace(",", "")
    elif cleaned.count(",") > 1:
        cleaned = cleaned.replace(",", "")
    elif "," in cleaned:
        cleaned = cleaned.replace(",", ".")
    elif cleaned.count(".") > 1:
        cleaned = cleaned.replace(".", "")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", cleaned):
        raise ValueError(text)
    try:
        return Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValueError(text) from exc


def status_names(language: str | None = None) -> dict[str, str]:
    """Status values, and their names in English, the current and the given language."""
    names = dict(STATUS_SYNONYMS)
    for status in OrderStatus:
        names[status.value] = status.value
        names[str(status.label).casefold()] = status.value
        for code in {"en", language or "en"}:
            with translation.override(code):
                names[str(status.label).casefold()] = status.value
    return names


def parse_status(text: str, names: dict[str, str] | None = None) -> str:
    """A status by its value or its name (`names`: from `status_names`)."""
    found = (names or status_names()).get(" ".join(text.split()).casefold())
    if found is None:
        raise ValueError(text)
    return found


def _text(value: str) -> str:
    return " ".join(value.split())


class OrderProcessor(PreparedTuples):
    """Rows of a file -> orders, a chunk at a time (see `imports.registry.Processor`)."""

    def __init__(self, run):
        self.run = run
        self.by = run.actor
        self.tenant = run.actor.tenant
        self.columns = run.columns  # [(index, header, field key)]
        self.header_of = {key: header for _i, header, key in self.columns}
        # The orders this run wrote (or, in a dry run, would write), by order number.
        self.touched = {
            item["order_ref"]: item
            for item in run.deferred
            if isinstance(item, dict) and "order_ref" in item
        }
        self.note = _("Imported from %(file)s") % {"file": run.job.file_name}
        self.statuses = status_names(self.tenant.language)
        self.owners: dict[tuple, int | None] = {}  # (model, id) -> its owner's id

    def column(self, key: str) -> str:
        return self.header_of.get(key, key)

    def _header_column(self, name: str) -> str:
        """The column key an order field came from (an account: its name, else domain)."""
        if name == "account" and "account" not in self.header_of:
            return "domain"
        return HEADER_COLUMN[name]

    def _customer_column(self) -> str:
        return next((k for k in CUSTOMER_KEYS if k in self.header_of), "account")

    # -- reading rows (no database) ---------------------------------------------------------

    def _read(self, row) -> tuple[dict, list[tuple[str, str]]]:
        raw, errors = {}, []
        for index, _header, key in self.columns:
            value = (row.cells[index] if index < len(row.cells) else "").strip()
            if value.startswith(NEUTRALISED):
                value = value[1:]
            elif value.startswith(FORMULA) and len(value) > 1:
                errors.append(
                    (key, _("The cell holds a spreadsheet formula, not a value; type the value."))
                )
            raw[key] = value
        return raw, errors

    def _number(self, raw: dict, key: str, errors: list, message: str):
        try:
            return parse_number(raw[key])
        except ValueError:
            errors.append((key, message))
            return None

    def _parse(self, raw: dict, errors: list) -> dict:
        parsed: dict = {}
        checks: dict = {}
        ref = _text(raw.get("order_number", ""))
        if not ref:
            errors.append(
                (
                    "order_number",
                    _("Give the order number: rows with the same number form one order."),
                )
            )
        elif len(ref) > services.EXTERNAL_REF_LENGTH:
            errors.append(
                (
                    "order_number",
                    _("At most %(n)d characters.") % {"n": services.EXTERNAL_REF_LENGTH},
                )
            )
        parsed["ref"] = ref
        if raw.get("ordered_on"):
            try:
                parsed["ordered_on"] = parse_date(raw["ordered_on"])
            except ValueError:
                errors.append(("ordered_on", _("Give a date like 2024-03-31 or 31.03.2024.")))
        if raw.get("status"):
            try:
                parsed["status"] = parse_status(raw["status"], self.statuses)
            except ValueError:
                errors.append(
                    (
                        "status",
                        _("Use one of: %(statuses)s.")
                        % {"statuses": ", ".join(OrderStatus.values)},
                    )
                )
        if raw.get("currency"):
            try:
                parsed["currency"] = normalize_currency(raw["currency"])
            except ValidationError:
                errors.append(("currency", _("Use a three-letter ISO 4217 code, e.g. EUR.")))
        if raw.get("account"):
            parsed["account"] = _text(raw["account"])
        for key, normalize in (("domain", normalize_domain), ("email", normalize_email)):
            if raw.get(key):
                try:
                    parsed[key] = normalize(raw[key])
                except ValueError as exc:
                    errors.append((key, str(exc)))
        parsed["sku"] = _text(raw.get("sku", ""))
        if len(parsed["sku"]) > 64:
            errors.append(("sku", _("At most %(n)d characters.") % {"n": 64}))
        parsed["description"] = _text(raw.get("description", ""))
        if len(parsed["description"]) > services.DESCRIPTION_LENGTH:
            errors.append(
                ("description", _("At most %(n)d characters.") % {"n": services.DESCRIPTION_LENGTH})
            )
        if not parsed["sku"] and not parsed["description"]:
            key = "description" if "description" in self.header_of else "sku"
            errors.append((key, _("Give the product's SKU or its name.")))
        number_message = _("Enter a number, e.g. 1250.50.")
        if raw.get("quantity"):
            value = self._number(raw, "quantity", errors, number_message)
            if value is not None:
                parsed["quantity"] = services.checked(
                    pricing.check_quantity, value, "quantity", checks, Decimal(1)
                )
        else:
            parsed["quantity"] = Decimal(1)
        if raw.get("unit_price"):
            value = self._number(raw, "unit_price", errors, number_message)
            if value is not None:
                parsed["unit_price"] = services.checked(
                    pricing.check_price, value, "unit_price", checks
                )
        else:
            errors.append(
                ("unit_price", _("Give the unit price: imported orders keep the prices they had."))
            )
        for key in ("discount_percent", "tax_rate"):
            if raw.get(key):
                value = self._number(raw, key, errors, number_message)
                if value is not None:
                    parsed[key] = services.checked(
                        pricing.check_percent, value, key, checks, Decimal(0)
                    )
        errors.extend(checks.items())
        return parsed

    def prepare_rows(self, rows: list) -> list:
        """Cells -> order and line values, checked on their own (no database)."""
        items = []
        for row in rows:
            if row.problem:
                items.append(RowOutcome(row.number, "fail", [("", "", row.problem)]))
                continue
            raw, errors = self._read(row)
            parsed = self._parse(raw, errors)
            if not parsed["ref"]:
                items.append(self._fail(row.number, raw, errors))
                continue
            items.append(("row", row.number, raw, parsed, errors))
        return items

    def finish(self, deferred: list[dict]) -> list[RowOutcome]:
        return []

    # -- writing orders ---------------------------------------------------------------------

    def _fail(self, number: int, raw: dict, errors) -> RowOutcome:
        return RowOutcome(
            number,
            "fail",
            [(self.column(key), raw.get(key, ""), message) for key, message in errors],
        )

    def process_prepared(self, items: list) -> list[RowOutcome]:
        rows = [item for item in items if not isinstance(item, RowOutcome)]
        self._look_up(rows)
        groups: dict[str, list] = {}
        for item in rows:
            groups.setdefault(item[3]["ref"], []).append(item)
        outcomes: dict[int, RowOutcome] = {}
        for ref, members in groups.items():
            outcomes |= self._order(ref, members)
        return [item if isinstance(item, RowOutcome) else outcomes[item[1]] for item in items]

    def _look_up(self, rows: list) -> None:
        """The chunk's accounts, contacts, products and existing orders (a query each)."""
        values = {key: set() for key in ("account", "domain", "email", "sku", "ref")}
        for _tag, _number, _raw, parsed, _errors in rows:
            for key in values:
                if parsed.get(key):
                    values[key].add(parsed[key])
        accounts = visible_records(Account, self.by)
        self.by_name: dict[str, list] = {}
        self.by_folded_name: dict[str, list] = {}
        if values["account"]:
            lowered = {name.lower() for name in values["account"]}
            found = accounts.annotate(lowered=Lower("name")).filter(
                Q(name__in=values["account"]) | Q(lowered__in=lowered)
            )
            for account in found.only("pk", "name").order_by("pk"):
                self.by_name.setdefault(account.name, []).append(account.pk)
                self.by_folded_name.setdefault(account.name.casefold(), []).append(account.pk)
        self.by_domain: dict[str, list] = {}
        if values["domain"]:
            for pk, domain in accounts.filter(domain__in=values["domain"]).values_list(
                "pk", "domain"
            ):
                self.by_domain.setdefault(domain, []).append(pk)
        self.by_email: dict[str, dict] = {}
        if values["email"]:
            found = (
                visible_records(Contact, self.by)
                .filter(points__kind=ContactPoint.Kind.EMAIL, points__value__in=values["email"])
                .values_list("pk", "points__value", "account_id")
                .distinct()
            )
            for pk, email, account_id in found:
                self.by_email.setdefault(email, {})[pk] = account_id
        self.by_sku: dict[str, Product] = {}
        self.by_upper_sku: dict[str, list] = {}
        if values["sku"]:
            upper = {sku.upper() for sku in values["sku"]}
            found = (
                Product.objects.for_tenant(self.tenant)
                .annotate(upper_sku=Upper("sku"))
                .filter(Q(sku__in=values["sku"]) | Q(upper_sku__in=upper))
            )
            for product in found:
                self.by_sku[product.sku] = product
                self.by_upper_sku.setdefault(product.sku.upper(), []).append(product)
        self.existing: dict[str, Order] = {}
        if values["ref"]:
            found = Order.objects.for_tenant(self.tenant, with_deleted=True).filter(
                external_ref__in=values["ref"]
            )
            self.existing = {order.external_ref: order for order in found}

    def _product(self, sku: str) -> Product | None:
        if not sku:
            return None
        if sku in self.by_sku:
            return self.by_sku[sku]
        found = self.by_upper_sku.get(sku.upper(), [])
        return found[0] if len(found) == 1 else None

    def _header(self, parsed: dict, errors: list) -> dict:
        """The order's fields this row gives (date, status, currency, account, contact)."""
        header = {
            name: parsed[name] for name in ("ordered_on", "status", "currency") if name in parsed
        }
        account = None
        if parsed.get("domain"):
            found = self.by_domain.get(parsed["domain"], [])
            if len(found) > 1:
                errors.append(("domain", _("Several accounts have this domain.")))
            elif found:
                account = found[0]
        if account is None and parsed.get("account") and not errors_of(errors, "domain"):
            name = parsed["account"]
            found = self.by_name.get(name) or self.by_folded_name.get(name.casefold(), [])
            if len(found) > 1:
                errors.append(
                    (
                        "account",
                        _("Several accounts are named “%(name)s”; give the domain to choose.")
                        % {"name": name},
                    )
                )
            elif found:
                account = found[0]
        named = parsed.get("account") or parsed.get("domain")
        if account is None and named and not errors_of(errors, "account", "domain"):
            key = "account" if parsed.get("account") else "domain"
            errors.append(
                (
                    key,
                    _(
                        "No account with this name or domain in this organisation: add "
                        "the account first, or correct the cell."
                    ),
                )
            )
        if account is not None:
            header["account"] = account
        if parsed.get("email"):
            found = self.by_email.get(parsed["email"], {})
            if len(found) > 1:
                errors.append(("email", _("Several contacts have this email.")))
            elif found:
                ((contact, contact_account),) = found.items()
                header["contact"] = contact
                header["contact_account"] = contact_account
            else:
                errors.append(("email", _("No contact with this email in this organisation.")))
        return header

    def _order(self, ref: str, members: list) -> dict[int, RowOutcome]:
        """The rows of one order number in this chunk -> their outcomes."""
        state = self.touched.get(ref)
        existing = self.existing.get(ref) if state is None else None
        if existing is not None:
            refusal = self._refusal(ref, existing)
            if refusal is not None:
                return {number: refusal(number, raw) for _t, number, raw, _p, _e in members}
        mode = "append" if state else ("replace" if existing is not None else "create")
        order = None
        header: dict = {}
        if mode == "append":
            if state.get("order_id"):
                order = Order.objects.for_tenant(self.tenant, with_deleted=True).get(
                    pk=state["order_id"]
                )
                header = {
                    "ordered_on": order.ordered_on,
                    "status": order.status,
                    "currency": order.currency,
                    "account": order.account_id,
                    "contact": order.contact_id,
                }
            else:  # a dry run: what the earlier chunk would have written
                header = dict(state.get("header", {}))
                if header.get("ordered_on"):
                    header["ordered_on"] = datetime.date.fromisoformat(header["ordered_on"])
        outcomes: dict[int, RowOutcome] = {}
        valid = []
        for _tag, number, raw, parsed, errors in members:
            errors = list(errors)
            given = self._header(parsed, errors)
            contact_account = given.pop("contact_account", None)
            if not errors_of(errors, *HEADER_KEYS):
                for name, value in given.items():
                    if header.get(name) is None:
                        header[name] = value
                    elif header[name] != value:
                        errors.append((self._header_column(name), self._conflict(ref, name)))
                if header.get("account") is None and contact_account is not None:
                    header["account"] = contact_account
            if errors:
                outcomes[number] = self._fail(number, raw, errors)
            else:
                valid.append((number, raw, parsed))
        if not valid:
            return outcomes
        if mode == "create" and header.get("account") is None and header.get("contact") is None:
            message = _(
                "Order %(ref)s needs an account (its name or domain) or a contact's email."
            ) % {"ref": ref}
            column = self._customer_column()
            for number, raw, _parsed in valid:
                outcomes[number] = RowOutcome(
                    number, "fail", [(self.column(column), raw.get(column, ""), message)]
                )
            return outcomes
        action = (
            "update" if mode == "replace" or (state and state["action"] == "update") else "create"
        )
        lines = [self._line(parsed) for _n, _r, parsed in valid]
        written = None
        if not self.run.dry_run:
            try:
                written = self._write(mode, ref, header, lines, existing=existing, order=order)
            except (ValidationError, PermissionDenied, IntegrityError) as exc:
                message = " ".join(getattr(exc, "messages", None) or [str(exc)])
                if isinstance(exc, IntegrityError):
                    message = _("The order changed meanwhile; import the file again.")
                for number, _raw, _parsed in valid:
                    outcomes[number] = RowOutcome(
                        number, "fail", [(self.column("order_number"), ref, message)]
                    )
                return outcomes
        for position, (number, _raw, _parsed) in enumerate(valid):
            outcomes[number] = RowOutcome(
                number,
                action,
                record_id=written.pk if written else None,
                note=self._note(mode, ref, existing, first=position == 0),
            )
        if state is None:
            self._remember(ref, written, action, header)
        return outcomes

    def _refusal(self, ref: str, existing: Order):
        """How the rows of an order number that exists fare, or None to update it."""
        policy = self.run.on_duplicate
        if policy == "skip":
            note = _("order %(ref)s exists (%(reference)s)") % {
                "ref": ref,
                "reference": existing.reference,
            }
            return lambda number, raw: RowOutcome(number, "skip", note=note)
        if existing.is_deleted:
            message = _(
                "An order with this number is in the trash (%(reference)s): restore it or "
                "change the number."
            ) % {"reference": existing.reference}
        elif policy == "create":
            message = _(
                "An order with this number exists (%(reference)s): import with “skip” or “update”."
            ) % {"reference": existing.reference}
        elif not can_change(self.by, existing):
            message = _("You may not change the order %(reference)s.") % {
                "reference": existing.reference
            }
        else:
            return None
        column = self.column("order_number")
        return lambda number, raw: RowOutcome(number, "fail", [(column, ref, message)])

    def _conflict(self, ref: str, name: str) -> str:
        labels = {
            "ordered_on": _("date"),
            "status": _("status"),
            "currency": _("currency"),
            "account": _("account"),
            "contact": _("contact"),
        }
        return _("Order %(ref)s has another %(field)s on an earlier row.") % {
            "ref": ref,
            "field": labels[name],
        }

    def _line(self, parsed: dict) -> OrderLine:
        product = self._product(parsed["sku"])
        description = parsed["description"] or (product.name if product else parsed["sku"])
        tax_rate = parsed.get("tax_rate")
        if tax_rate is None:
            tax_rate = product.tax_rate if product else Decimal(0)
        return OrderLine(
            product=product,
            sku=product.sku if product else parsed["sku"],
            description=description[: services.DESCRIPTION_LENGTH],
            options=[],
            quantity=parsed["quantity"],
            unit_price=parsed["unit_price"],
            discount_percent=parsed.get("discount_percent", Decimal(0)),
            tax_rate=tax_rate,
        )

    def _write(self, mode: str, ref: str, header: dict, lines, *, existing, order) -> Order:
        """Create, replace or continue the order; what the file leaves blank is the order's
        own (an update) or the default: today, the organisation's currency, new."""
        base = existing if mode == "replace" else None
        fields = {
            "ordered_on": header.get("ordered_on")
            or (base.ordered_on if base else periods.today(self.tenant)),
            "currency": header.get("currency") or (base.currency if base else self.tenant.currency),
            "account_id": header.get("account") or (base.account_id if base else None),
            "contact_id": header.get("contact") or (base.contact_id if base else None),
        }
        status = header.get("status") or (base.status if base else OrderStatus.NEW)
        with transaction.atomic():
            if mode == "create":
                return services.write_new_order(
                    by=self.by,
                    lines=lines,
                    status=status,
                    note=self.note,
                    external_ref=ref,
                    owner_id=self._owner_of(fields["account_id"], fields["contact_id"]),
                    **fields,
                )
            if mode == "replace":
                return services.write_replaced_lines(
                    by=self.by, order=existing, lines=lines, status=status, note=self.note, **fields
                )
            return services.write_added_lines(by=self.by, order=order, lines=lines)

    def _owner_of(self, account_id: int | None, contact_id: int | None) -> int:
        """A new order's owner (the file has no owner column): the account's owner, else
        the contact's, else the user who imports, so the customer's owner sees it."""
        for model, pk in ((Account, account_id), (Contact, contact_id)):
            if pk is None:
                continue
            key = (model, pk)
            if key not in self.owners:
                self.owners[key] = (
                    model.objects.for_tenant(self.tenant)
                    .filter(pk=pk)
                    .values_list("owner_id", flat=True)
                    .first()
                )
            if self.owners[key]:
                return self.owners[key]
        return self.by.user.pk

    def _note(self, mode: str, ref: str, existing: Order | None, *, first: bool) -> str:
        if mode == "replace" and first:
            return _("replaces the lines of %(reference)s") % {"reference": existing.reference}
        if mode == "create" and first:
            return _("a new order %(ref)s") % {"ref": ref}
        return _("a line of order %(ref)s") % {"ref": ref}

    def _remember(self, ref: str, order: Order | None, action: str, header: dict) -> None:
        """Keep the order for the rest of the run (saved with the chunk: a resumed run adds
        the order's later rows to it too)."""
        item = {"order_ref": ref, "order_id": order.pk if order else None, "action": action}
        if order is None:  # a dry run keeps what the order would be
            item["header"] = {
                name: value.isoformat() if isinstance(value, datetime.date) else value
                for name, value in header.items()
            }
        self.touched[ref] = item
        self.run.defer(item)


def errors_of(errors: list, *keys: str) -> bool:
    return any(key in keys for key, _message in errors)


def register_import_target() -> None:
    register(
        ImportTarget(
            key="orders",
            label=gettext_lazy("Orders (one row per order line)"),
            base_fields=FIELDS,
            required=REQUIRED,
            processor=OrderProcessor,
            duplicate_help=gettext_lazy(
                "An order is a duplicate when its order number is already in Funia: skip it, "
                "or update it (its lines and status are replaced)."
            ),
        )
    )
