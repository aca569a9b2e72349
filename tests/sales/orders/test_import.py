"""Importing orders: a file of order lines, grouped by order number, with the duplicate
policy on the order number, row errors, chunks and resumed runs."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from funia.core.models import AuditEntry
from funia.imports import engine, selectors
from funia.imports import services as imports
from funia.imports.models import ImportJob, ImportRowError
from funia.sales.models import Order, OrderLine, OrderStatusChange
from funia.sales.orders import services
from funia.sales.orders.imports import parse_date, parse_number, parse_status, status_names
from tests import factories
from tests.sales.orders.conftest import direct_order

# Semicolons, Bulgarian decimals, blank order cells on continuation rows, an order split by
# another, a row naming an account that does not exist, a product the catalog lacks.
MESSY = (
    "Order Number;Order Date;Customer;Contact Email;Status;Currency;SKU;Product;Qty;"
    "Unit Price;Discount %;VAT %\n"
    "1001;31.01.2025;Balkan Foods;Maria@Balkan-Foods.example;Delivered;EUR;SRV-1;;2;80,00;;20\n"
    "1002;2025-02-03;danube logistics;;paid;eur;OLD-7;Legacy pump;1;1 250,50;5%;\n"
    "1001;;;;;;CAR-1;;1;29 000,00;;\n"
    "1003;03/02/2025;Unknown Ltd;;;;SRV-1;;1;85,50;;\n"
    "1002;;;;;;SRV-1;Service hour, weekend;3;85.5;;20\n"
)


@pytest.fixture
def danube(admin):
    return factories.account(admin, name="Danube Logistics", domain="danube.example")


@pytest.fixture
def run(admin):
    """run(content, actor=admin, **options) -> the import of `content`, run to its end."""

    def start(content, actor=admin, name="orders.csv", **options):
        job = imports.import_create(
            by=actor,
            target="orders",
            uploaded=SimpleUploadedFile(name, content.encode("utf-8")),
            **options,
        )
        return engine.process_import(job)

    return start


def orders_of(actor) -> dict[str, Order]:
    return {o.external_ref: o for o in Order.objects.for_tenant(actor.tenant, with_deleted=True)}


def lines_of(order) -> list[tuple]:
    return [
        (line.sku, line.description, line.quantity, line.unit_price, line.product_id)
        for line in OrderLine.objects.for_tenant(order.tenant_id).filter(order=order)
    ]


def errors_of(job) -> list[tuple]:
    return list(
        ImportRowError.objects.for_tenant(job.tenant_id)
        .filter(job=job)
        .values_list("row", "column", "value", "message")
    )


def test_the_columns_of_an_order_file_are_recognised(admin, shop, buyer, danube):
    job = imports.import_create(
        by=admin,
        target="orders",
        uploaded=SimpleUploadedFile("orders.csv", MESSY.encode()),
        start=False,
    )
    assert job.mapping == {
        "Order Number": "order_number",
        "Order Date": "ordered_on",
        "Customer": "account",
        "Contact Email": "email",
        "Status": "status",
        "Currency": "currency",
        "SKU": "sku",
        "Product": "description",
        "Qty": "quantity",
        "Unit Price": "unit_price",
        "Discount %": "discount_percent",
        "VAT %": "tax_rate",
    }


def test_rows_with_the_same_number_form_one_order_with_lines_in_file_order(
    run, admin, shop, buyer, danube
):
    job = run(MESSY)
    assert (job.status, job.created, job.failed) == ("done", 4, 1)
    orders = orders_of(admin)
    assert set(orders) == {"1001", "1002"}
    assert lines_of(orders["1001"]) == [
        ("SRV-1", "Service hour", Decimal("2.000"), Decimal("80.00"), shop.hour.pk),
        ("CAR-1", "Roadster", Decimal("1.000"), Decimal("29000.00"), shop.car.product.pk),
    ]
    assert lines_of(orders["1002"]) == [
        ("OLD-7", "Legacy pump", Decimal("1.000"), Decimal("1250.50"), None),
        ("SRV-1", "Service hour, weekend", Decimal("3.000"), Decimal("85.50"), shop.hour.pk),
    ]


def test_an_imported_order_keeps_its_date_customer_status_and_currency(
    run, admin, shop, customer, buyer, danube
):
    run(MESSY)
    first, second = orders_of(admin)["1001"], orders_of(admin)["1002"]
    assert (first.ordered_on, first.account_id, first.contact_id) == (
        datetime.date(2025, 1, 31),
        customer.pk,
        buyer.pk,
    )
    assert (first.status, first.currency, first.owner_id) == ("delivered", "EUR", admin.user.pk)
    assert (second.ordered_on, second.account_id, second.status) == (
        datetime.date(2025, 2, 3),
        danube.pk,
        "paid",
    )


def test_an_imported_order_belongs_to_its_accounts_owner(run, admin, rep, shop):
    factories.account(admin, name="Rep's customer", owner_id=rep.user.pk)
    run("Order;Customer;SKU;Qty;Price\n7001;Rep's customer;SRV-1;1;80\n")
    assert orders_of(admin)["7001"].owner_id == rep.user.pk


def test_an_imported_order_for_a_contact_alone_belongs_to_the_contacts_owner(run, admin, rep, shop):
    factories.contact(admin, emails=["ana@solo.example"], owner_id=rep.user.pk)
    run("Order;Contact Email;SKU;Qty;Price\n7002;ana@solo.example;SRV-1;1;80\n")
    assert orders_of(admin)["7002"].owner_id == rep.user.pk


def test_an_imported_order_for_a_customer_without_owner_belongs_to_the_importer(run, admin, shop):
    factories.account(admin, name="Unassigned Ltd", owner_id=None)
    run("Order;Customer;SKU;Qty;Price\n7003;Unassigned Ltd;SRV-1;1;80\n")
    assert orders_of(admin)["7003"].owner_id == admin.user.pk


def test_an_imported_orders_totals_are_computed_from_its_lines(run, admin, shop, buyer, danube):
    run(MESSY)
    order = orders_of(admin)["1002"]
    # 1250.50 - 5 % (62.53) = 1187.97, no tax; 3 x 85.50 = 256.50 + 20 % tax 51.30
    assert (order.subtotal, order.discount_total, order.tax_total, order.total) == (
        Decimal("1507.00"),
        Decimal("62.53"),
        Decimal("51.30"),
        Decimal("1495.77"),
    )


def test_an_imported_order_has_one_history_row_saying_it_was_imported(
    run, admin, shop, buyer, danube
):
    run(MESSY)
    order = orders_of(admin)["1001"]
    rows = OrderStatusChange.objects.for_tenant(admin.tenant).filter(order=order)
    assert [(r.from_status, r.to_status, r.note) for r in rows] == [
        ("", "delivered", "Imported from orders.csv")
    ]


def test_a_row_naming_an_unknown_account_is_a_row_error_in_the_error_csv(
    run, admin, shop, buyer, danube
):
    job = run(MESSY)
    assert errors_of(job) == [
        (
            5,
            "Customer",
            "Unknown Ltd",
            "No account with this name or domain in this organisation: add the account "
            "first, or correct the cell.",
        )
    ]
    csv_text = "".join(selectors.errors_csv(job=job))
    assert "Unknown Ltd" in csv_text and "No account with this name" in csv_text
    assert "1003" not in orders_of(admin)


def test_importing_the_same_file_again_skips_the_orders_already_there(
    run, admin, shop, buyer, danube
):
    run(MESSY)
    before = {ref: (o.version, lines_of(o)) for ref, o in orders_of(admin).items()}
    audit = AuditEntry.objects.for_tenant(admin.tenant).count()
    again = run(MESSY)
    assert (again.created, again.updated, again.skipped, again.failed) == (0, 0, 4, 1)
    assert {ref: (o.version, lines_of(o)) for ref, o in orders_of(admin).items()} == before
    assert AuditEntry.objects.for_tenant(admin.tenant).count() == audit


def test_with_update_an_order_gets_the_files_lines_and_status(run, admin, shop, buyer, danube):
    run(MESSY)
    changed = "Order Number,Customer,Status,SKU,Qty,Unit Price\n1001,Balkan Foods,paid,SRV-1,5,82\n"
    job = run(changed, on_duplicate="update")
    assert (job.updated, job.created) == (1, 0)
    order = orders_of(admin)["1001"]
    assert lines_of(order) == [
        ("SRV-1", "Service hour", Decimal("5.000"), Decimal("82.00"), shop.hour.pk)
    ]
    assert (order.status, order.ordered_on, order.total) == (
        "paid",
        datetime.date(2025, 1, 31),
        Decimal("492.00"),
    )
    history = OrderStatusChange.objects.for_tenant(admin.tenant).filter(order=order)
    assert [(r.from_status, r.to_status) for r in history] == [
        ("", "delivered"),
        ("delivered", "paid"),
    ]


def test_with_create_an_existing_order_number_is_a_row_error(run, admin, shop, buyer, danube):
    run(MESSY)
    job = run(
        "Order Number,Customer,SKU,Unit Price\n1001,Balkan Foods,SRV-1,80\n", on_duplicate="create"
    )
    assert (job.created, job.failed) == (0, 1)
    ((row, column, value, message),) = errors_of(job)
    assert (row, column, value) == (2, "Order Number", "1001")
    assert "exists (O-00001)" in message
    assert len(lines_of(orders_of(admin)["1001"])) == 2


def test_an_order_split_across_chunks_is_one_order(run, admin, shop, customer, monkeypatch):
    monkeypatch.setattr(engine, "CHUNK_SIZE", 2)
    rows = "".join(f"77,Balkan Foods,SRV-1,{n},10\n" for n in range(1, 6))
    job = run("Order,Customer,SKU,Qty,Price\n" + rows)
    assert (job.created, job.failed) == (5, 0)
    (order,) = orders_of(admin).values()
    assert [line[2] for line in lines_of(order)] == [Decimal(n) for n in range(1, 6)]
    assert order.subtotal == Decimal("150.00")
    assert OrderStatusChange.objects.for_tenant(admin.tenant).filter(order=order).count() == 1


def test_a_resumed_import_finishes_its_orders_without_duplicates(
    admin, shop, customer, monkeypatch
):
    monkeypatch.setattr(engine, "CHUNK_SIZE", 2)
    content = "Order,Customer,SKU,Qty,Price\n" + "".join(
        f"{ref},Balkan Foods,SRV-1,{n},10\n" for ref, n in [(1, 1), (2, 2), (2, 3), (3, 4), (2, 5)]
    )
    job = imports.import_create(
        by=admin, target="orders", uploaded=SimpleUploadedFile("orders.csv", content.encode())
    )
    job = engine.process_import(job, max_chunks=1)
    assert (job.status, job.processed) == ("running", 2)
    job = engine.process_import(ImportJob.objects.for_tenant(admin.tenant).get(pk=job.pk))
    assert (job.status, job.created) == ("done", 5)
    orders = orders_of(admin)
    assert set(orders) == {"1", "2", "3"}
    assert [line[2] for line in lines_of(orders["2"])] == [Decimal(2), Decimal(3), Decimal(5)]
    assert Order.objects.for_tenant(admin.tenant).count() == 3


def test_a_dry_run_counts_the_rows_and_writes_nothing(run, admin, shop, buyer, danube):
    job = run(MESSY, dry_run=True)
    assert (job.status, job.created, job.failed) == ("done", 4, 1)
    assert orders_of(admin) == {}


def test_the_preview_says_what_each_row_would_do(admin, shop, buyer, danube):
    job = imports.import_create(
        by=admin,
        target="orders",
        uploaded=SimpleUploadedFile("orders.csv", MESSY.encode()),
        start=False,
    )
    outcomes = [(row.number, outcome.action, outcome.note) for row, outcome in engine.preview(job)]
    assert outcomes == [
        (2, "create", "a new order 1001"),
        (3, "create", "a new order 1002"),
        (4, "create", "a line of order 1001"),
        (5, "fail", ""),
        (6, "create", "a line of order 1002"),
    ]
    assert orders_of(admin) == {}


def test_a_later_row_giving_another_customer_is_a_row_error(run, admin, shop, customer, danube):
    content = "Order,Customer,SKU,Price\n9,Balkan Foods,SRV-1,10\n9,Danube Logistics,SRV-1,20\n"
    job = run(content)
    assert (job.created, job.failed) == (1, 1)
    assert errors_of(job)[0][:3] == (3, "Customer", "Danube Logistics")
    assert "another account" in errors_of(job)[0][3]


def test_an_account_is_found_by_its_domain(run, admin, shop, danube):
    job = run("Order,Website,SKU,Price\n5,https://www.danube.example/,SRV-1,10\n")
    assert job.created == 1
    assert orders_of(admin)["5"].account_id == danube.pk


def test_a_contact_email_alone_gives_the_order_its_contact_and_account(
    run, admin, shop, customer, buyer
):
    job = run("Order,Email,SKU,Price\n6,maria@balkan-foods.example,SRV-1,10\n")
    assert job.created == 1
    order = orders_of(admin)["6"]
    assert (order.contact_id, order.account_id) == (buyer.pk, customer.pk)


@pytest.mark.parametrize(
    ("cells", "column", "message"),
    [
        ("1,Balkan Foods,SRV-1,,2", "Price", "Give the unit price"),
        ("1,Balkan Foods,SRV-1,ten,2", "Price", "Enter a number"),
        ("1,Balkan Foods,SRV-1,10.005,2", "Price", "at most two decimals"),
        ("1,Balkan Foods,SRV-1,10,0", "Qty", "above zero"),
        ("1,Balkan Foods,,10,2", "SKU", "SKU or its name"),
        (",Balkan Foods,SRV-1,10,2", "Order", "Give the order number"),
        ("1,Balkan Foods,=SUM(A1),10,2", "SKU", "formula"),
    ],
)
def test_a_bad_cell_fails_its_row_naming_the_column(
    run, admin, shop, customer, cells, column, message
):
    job = run("Order,Customer,SKU,Price,Qty\n" + cells + "\n")
    assert (job.created, job.failed) == (0, 1)
    ((_row, got_column, _value, got_message),) = errors_of(job)
    assert got_column == column
    assert message in got_message


def test_a_rep_cannot_import_orders_for_accounts_they_do_not_see(run, rep, shop, customer):
    job = run("Order,Customer,SKU,Price\n1,Balkan Foods,SRV-1,10\n", actor=rep)
    assert (job.created, job.failed) == (0, 1)
    assert "No account with this name" in errors_of(job)[0][3]


def test_an_order_number_of_an_order_made_here_is_skipped_too(run, admin, shop, customer):
    made = direct_order(admin, shop, account=customer, external_ref="ERP-1")
    job = run("Order,Customer,SKU,Price\nERP-1,Balkan Foods,SRV-1,10\n")
    assert (job.skipped, job.created) == (1, 0)
    assert len(lines_of(Order.objects.for_tenant(admin.tenant).get(pk=made.pk))) == 1


def test_the_api_takes_a_file_of_orders(admin, api_as, shop, buyer, danube):
    client = api_as(admin)
    response = client.post(
        "/api/v1/imports",
        {"type": "orders", "file": SimpleUploadedFile("orders.csv", MESSY.encode())},
        headers=client._headers(None),
    )
    assert response.status_code == 201, response.content
    assert response.json()["mapping"]["Order Number"] == "order_number"
    engine.process_import(ImportJob.objects.for_tenant(admin.tenant).get(pk=response.json()["id"]))
    assert set(orders_of(admin)) == {"1001", "1002"}


def test_the_import_page_offers_orders(admin, web_as):
    html = web_as(admin).get("/imports/new/", {"type": "orders"}).content.decode()
    assert '<option value="orders" selected>' in html


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2025-03-31", datetime.date(2025, 3, 31)),
        ("2025-03-31T10:00:00", datetime.date(2025, 3, 31)),
        ("31.03.2025", datetime.date(2025, 3, 31)),
        ("31.03.2025 г.", datetime.date(2025, 3, 31)),
        ("03/31/2025", datetime.date(2025, 3, 31)),
        ("04/03/2025", datetime.date(2025, 3, 4)),
        ("2025/3/4", datetime.date(2025, 3, 4)),
    ],
)
def test_dates_are_read_as_people_write_them(text, day):
    assert parse_date(text) == day


@pytest.mark.parametrize("text", ["31.02.2025", "yesterday", "1.1.1800", "2025-13-01"])
def test_a_date_that_is_not_one_is_refused(text):
    with pytest.raises(ValueError):
        parse_date(text)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("1250.50", Decimal("1250.50")),
        ("1 250,50", Decimal("1250.50")),
        ("1.250,50", Decimal("1250.50")),
        ("1,250.50", Decimal("1250.50")),
        ("€ 12.50", Decimal("12.50")),
        ("12,50 лв.", Decimal("12.50")),
        ("5%", Decimal(5)),
        ("1,000,000", Decimal(1000000)),
    ],
)
def test_numbers_are_read_as_people_write_them(text, number):
    assert parse_number(text) == number


def test_services_see_imported_orders_like_any_other(run, admin, shop, buyer, danube):
    run(MESSY)
    order = orders_of(admin)["1001"]
    moved = services.order_set_status(by=admin, order=order, status="invoiced")
    assert moved.status == "invoiced"


@pytest.mark.parametrize(
    ("text", "status"),
    [("Paid", "paid"), (" delivered ", "delivered"), ("Canceled", "cancelled"), ("NEW", "new")],
)
def test_statuses_are_read_by_value_or_name(text, status):
    assert parse_status(text, status_names("bg")) == status


def test_an_unknown_status_fails_its_row_listing_the_statuses(run, admin, shop, customer):
    job = run("Order,Customer,Status,SKU,Price\n1,Balkan Foods,Lost,SRV-1,10\n")
    assert (job.created, job.failed) == (0, 1)
    ((_row, column, value, message),) = errors_of(job)
    assert (column, value) == ("Status", "Lost")
    assert "new, confirmed, shipped, delivered, invoiced, paid, cancelled" in message


def test_an_account_name_shared_by_two_accounts_asks_for_the_domain(run, admin, shop, customer):
    factories.account(admin, name="Balkan Foods", domain="other-balkan.example")
    job = run("Order,Customer,SKU,Price\n1,Balkan Foods,SRV-1,10\n")
    assert job.failed == 1
    assert "give the domain" in errors_of(job)[0][3]
    job = run("Order,Customer,Domain,SKU,Price\n1,Balkan Foods,balkan-foods.example,SRV-1,10\n")
    assert job.created == 1
    assert orders_of(admin)["1"].account_id == customer.pk


def test_a_row_with_a_bad_line_still_gives_its_order_the_customer(run, admin, shop, customer):
    content = "Order,Customer,SKU,Price\n8,Balkan Foods,SRV-1,lots\n8,,SRV-1,10\n"
    job = run(content)
    assert (job.created, job.failed) == (1, 1)
    assert errors_of(job)[0][:2] == (2, "Price")
    order = orders_of(admin)["8"]
    assert (order.account_id, len(lines_of(order))) == (customer.pk, 1)


@pytest.mark.parametrize("header", ["Order Number", "Order ID", "Order", "Номер на поръчка"])
def test_the_order_number_column_is_recognised_by_its_usual_names(admin, header):
    from funia.imports import registry
    from funia.imports.mapping import guess_mapping

    mapping = guess_mapping(registry.get("orders"), admin.tenant, [header, "Product", "Price"])
    assert mapping == {header: "order_number", "Product": "description", "Price": "unit_price"}
