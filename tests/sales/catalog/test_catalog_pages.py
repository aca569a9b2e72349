"""The catalog's pages: products (list, detail, form, files, option editor), price books
(list, detail, form, prices editor), who sees which buttons, and other organisations."""

import re
from decimal import Decimal

import pytest
from django.urls import NoReverseMatch, reverse

from funia.sales.catalog import services
from funia.sales.catalog.models import Option, PriceBook, PriceBookEntry, Product, ProductFile
from tests import factories
from tests.sales.catalog.helpers import PDF, PNG, upload


@pytest.fixture
def car(admin):
    return factories.configurable_car(admin)


def html(response) -> str:
    return response.content.decode()


def rule_lines(page: str) -> list[str]:
    block = re.search(r'<ul class="plain-list rules">(.*?)</ul>', page, re.S)
    return re.findall(r"<li>(.*?)</li>", block[1]) if block else []


# -- products ----------------------------------------------------------------------------


def test_an_admin_creates_a_product_through_the_form(admin, web_as):
    browser = web_as(admin)
    assert browser.get("/products/new/").status_code == 200

    response = browser.post(
        "/products/new/",
        {
            "sku": "SVC-1",
            "name": "Service hour",
            "category": "Services",
            "unit": "hour",
            "tax_rate": "20",
            "is_active": "on",
            "description": '<p>Expert help.</p><script>alert("x")</script>',
        },
    )

    assert response.status_code == 302, html(response)[:3000]
    product = Product.objects.for_tenant(admin.tenant).get()
    assert response["Location"] == f"/products/{product.pk}/"
    assert product.description == "<p>Expert help.</p>"
    detail = html(browser.get(response["Location"]))
    assert "<p>Expert help.</p>" in detail
    assert "alert(" not in detail
    assert "Service hour" in html(browser.get("/products/"))


def test_the_form_shows_the_services_refusal_on_the_sku(admin, web_as):
    factories.product(admin, sku="SVC-1", name="First")
    response = web_as(admin).post(
        "/products/new/", {"sku": "SVC-1", "name": "Second", "unit": "pcs", "tax_rate": "0"}
    )
    assert response.status_code == 200
    assert "The SKU SVC-1 is already used by the product “First”." in html(response)
    assert Product.objects.for_tenant(admin.tenant).count() == 1


def test_an_admin_edits_a_product(admin, web_as, car):
    browser = web_as(admin)
    product = car.product
    response = browser.post(
        f"/products/{product.pk}/edit/",
        {
            "sku": product.sku,
            "name": "Roadster S",
            "unit": "pcs",
            "tax_rate": "20",
            "etag": product.etag,
        },
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.name, product.is_active) == ("Roadster S", False)


def test_the_product_page_shows_description_files_options_rules_and_prices(admin, web_as, car):
    product = car.product
    services.product_update(
        by=admin,
        product=product,
        fields={"description": "<h3>Engine</h3><p>150 kW</p>"},
    )
    factories.price_book(admin, name="Retail", prices={product: "30000"}, is_default=True)
    factories.price_book(admin, name="Archive", prices={product: "1"}, is_active=False)
    image = services.product_file_add(by=admin, product=product, uploaded=upload("front.png", PNG))
    document = services.product_file_add(
        by=admin, product=product, uploaded=upload("brochure.pdf", PDF)
    )

    page = html(web_as(admin).get(f"/products/{product.pk}/"))

    assert "<h3>Engine</h3><p>150 kW</p>" in page
    assert f'<img src="/products/{product.pk}/files/{image.pk}/" alt="front"' in page
    assert f'href="/products/{product.pk}/files/{document.pk}/" download>brochure</a>' in page
    assert rule_lines(page) == ["Leather requires Premium", "Sport excludes Eco"]
    assert "Retail" in page and "30,000.00" in page
    assert "Archive" not in page
    for name in ("Colour", "Seats", "Packages", "White", "Red", "Eco"):
        assert name in page


def test_a_rep_sees_the_product_but_no_edit_buttons(admin, rep, web_as, car):
    product = car.product
    services.product_file_add(by=admin, product=product, uploaded=upload("front.png", PNG))
    browser = web_as(rep)
    response = browser.get(f"/products/{product.pk}/")
    assert response.status_code == 200
    page = html(response)
    for url in (
        f"/products/{product.pk}/edit/",
        f"/products/{product.pk}/options/",
        f'/products/{product.pk}/files/"',
        f"/products/{product.pk}/delete/",
    ):
        assert url not in page
    assert 'type="file"' not in page
    assert 'method="post"' not in page.split('id="main"')[1].split("</main>")[0]
    assert "New product" not in html(browser.get("/products/"))


def test_a_rep_is_refused_every_write_page(admin, rep, web_as, car):
    product = car.product
    file = services.product_file_add(by=admin, product=product, uploaded=upload("a.png", PNG))
    browser = web_as(rep)
    for method, url in [
        ("get", "/products/new/"),
        ("post", "/products/new/"),
        ("get", f"/products/{product.pk}/edit/"),
        ("post", f"/products/{product.pk}/delete/"),
        ("get", f"/products/{product.pk}/options/"),
        ("post", f"/products/{product.pk}/options/"),
        ("post", f"/products/{product.pk}/files/"),
        ("post", f"/products/{product.pk}/files/{file.pk}/"),
    ]:
        response = getattr(browser, method)(url, {"sku": "X", "name": "Mine"})
        assert response.status_code == 403, (method, url)
    assert browser.get(f"/products/{product.pk}/files/{file.pk}/").status_code == 200
    assert Product.objects.for_tenant(admin.tenant).get().name == "Roadster"
    assert ProductFile.objects.for_tenant(admin.tenant).count() == 1


def test_the_product_list_searches_and_filters(admin, web_as):
    factories.product(admin, sku="CAR-1", name="Roadster", category="Cars")
    factories.product(admin, sku="SVC-1", name="Service hour", category="Services")
    factories.product(admin, sku="OLD-1", name="Old model", category="Cars", is_active=False)
    browser = web_as(admin)

    def names(query):
        page = html(browser.get("/products/", query))
        return re.findall(r'<a href="/products/\d+/">([^<]+)</a>', page)

    assert names({"q": "svc"}) == ["Service hour"]
    assert names({"category": "cars"}) == ["Old model", "Roadster"]
    assert names({"category": "Cars", "is_active": "true"}) == ["Roadster"]
    assert names({}) == ["Old model", "Roadster", "Service hour"]
    assert '<option value="Services">' in html(browser.get("/products/"))


def test_the_product_list_answers_htmx_with_its_rows(admin, web_as):
    factories.product(admin, name="Roadster")
    response = web_as(admin).get("/products/", {"q": "Road"}, headers={"HX-Request": "true"})
    assert "<html" not in html(response)
    assert "Roadster" in html(response)


def test_the_product_list_costs_the_same_queries_for_more_products(
    admin, web_as, django_assert_max_num_queries
):
    browser = web_as(admin)
    factories.configurable_car(admin, sku="CAR-0")
    browser.get("/products/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        browser.get("/products/")
    for n in range(1, 6):
        car = factories.configurable_car(admin, sku=f"CAR-{n}", name=f"Roadster {n}")
        services.product_file_add(by=admin, product=car.product, uploaded=upload("a.png", PNG))
    with CaptureQueriesContext(connection) as many:
        browser.get("/products/")
    assert len(many) == len(few)
    with django_assert_max_num_queries(20):
        browser.get("/products/")


def test_an_admin_uploads_a_file_on_the_product_page(admin, web_as, car):
    browser = web_as(admin)
    product = car.product
    response = browser.post(
        f"/products/{product.pk}/files/",
        {"file": upload("front view.png", PNG), "title": "", "kind": ""},
    )
    assert response.status_code == 302
    record = ProductFile.objects.for_tenant(admin.tenant).get()
    assert (record.kind, record.title) == ("image", "front view")
    served = browser.get(f"/products/{product.pk}/files/{record.pk}/")
    assert served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == PNG


def test_a_refused_upload_shows_its_error_on_the_product_page(admin, web_as, car):
    response = web_as(admin).post(
        f"/products/{car.product.pk}/files/", {"file": upload("fake.png", b"not an image")}
    )
    assert response.status_code == 200
    assert "The file is not a valid PNG file." in html(response)
    assert not ProductFile.objects.for_tenant(admin.tenant).exists()


def test_an_admin_removes_a_file(admin, web_as, car):
    record = services.product_file_add(by=admin, product=car.product, uploaded=upload("a.png", PNG))
    response = web_as(admin).post(f"/products/{car.product.pk}/files/{record.pk}/")
    assert response.status_code == 302
    assert not ProductFile.objects.for_tenant(admin.tenant).exists()


def test_a_product_without_options_offers_no_configure_link(admin, web_as):
    product = factories.product(admin)
    page = html(web_as(admin).get(f"/products/{product.pk}/"))
    assert "/configure" not in page
    assert ">Configure<" not in page


def test_a_configurable_product_links_to_its_configurator_when_there_is_one(admin, web_as, car):
    page = html(web_as(admin).get(f"/products/{car.product.pk}/"))
    try:
        url = reverse("product_configure", args=[car.product.pk])
    except NoReverseMatch:
        assert ">Configure<" not in page
    else:
        assert f'href="{url}"' in page


# -- the option editor -------------------------------------------------------------------


def option_form(option, **values):
    """The POST of an option's row in the editor, with `values` changed."""
    data = {
        "name": option.name,
        "price_adjustment": str(option.price_adjustment),
        "adjustment_type": option.adjustment_type,
        "requires": [str(o.pk) for o in option.requires.all()],
        "excludes": [str(o.pk) for o in option.excludes.all()],
    }
    if option.is_default:
        data["default"] = "on"
    data |= values
    prefix = f"option-{option.pk}"
    return {"action": "option_update", "option": str(option.pk)} | {
        f"{prefix}-{k}": v for k, v in data.items() if v is not None
    }


def test_the_option_editor_adds_a_requires_rule(admin, web_as, car):
    browser = web_as(admin)
    url = f"/products/{car.product.pk}/options/"
    editor = html(browser.get(url))
    red = car.options["Red"]
    assert f'name="option-{red.pk}-requires"' in editor

    response = browser.post(url, option_form(red, requires=[str(car.options["Premium"].pk)]))

    assert response.status_code == 302
    assert [o.name for o in red.requires.all()] == ["Premium"]
    detail = html(browser.get(f"/products/{car.product.pk}/"))
    assert "Red requires Premium" in rule_lines(detail)


def test_the_option_editor_answers_htmx_with_the_editor(admin, web_as, car):
    response = web_as(admin).post(
        f"/products/{car.product.pk}/options/",
        option_form(car.options["Sport"], excludes=[]),
        headers={"HX-Request": "true"},
    )
    page = html(response)
    assert response.status_code == 200
    assert page.startswith('<div id="option-editor">')
    assert "Options saved." in page
    assert list(car.options["Sport"].excludes.all()) == []


def test_the_option_editor_adds_and_renames_a_group_and_adds_an_option(admin, web_as, car):
    browser = web_as(admin)
    url = f"/products/{car.product.pk}/options/"
    browser.post(
        url, {"action": "group_add", "new-group-name": "Wheels", "new-group-kind": "multiple"}
    )
    wheels = car.product.option_groups.get(name="Wheels")
    browser.post(
        url,
        {
            "action": "group_update",
            "group": str(wheels.pk),
            f"group-{wheels.pk}-name": "Rims",
            f"group-{wheels.pk}-kind": "single",
            f"group-{wheels.pk}-required": "on",
        },
    )
    browser.post(
        url,
        {
            "action": "option_add",
            "group": str(wheels.pk),
            f"new-option-{wheels.pk}-name": "Alloy 19",
            f"new-option-{wheels.pk}-price_adjustment": "1200",
            f"new-option-{wheels.pk}-adjustment_type": "fixed",
            f"new-option-{wheels.pk}-excludes": [str(car.options["Eco"].pk)],
        },
    )
    wheels.refresh_from_db()
    assert (wheels.name, wheels.kind, wheels.required) == ("Rims", "single", True)
    alloy = Option.objects.for_tenant(admin.tenant).get(group=wheels)
    assert (alloy.name, alloy.price_adjustment) == ("Alloy 19", Decimal("1200.00"))
    assert [o.name for o in alloy.excludes.all()] == ["Eco"]


def test_the_option_editor_removes_an_option_and_a_group(admin, web_as, car):
    browser = web_as(admin)
    url = f"/products/{car.product.pk}/options/"
    browser.post(url, {"action": "option_delete", "option": str(car.options["Premium"].pk)})
    browser.post(url, {"action": "group_delete", "group": str(car.groups["Colour"].pk)})
    names = set(Option.objects.for_tenant(admin.tenant).values_list("name", flat=True))
    assert names == {"Fabric", "Leather", "Sport", "Eco"}


def test_the_option_editor_shows_why_a_change_is_refused(admin, web_as, car):
    response = web_as(admin).post(
        f"/products/{car.product.pk}/options/", option_form(car.options["Red"], default="on")
    )
    assert response.status_code == 200
    assert "“Colour” is a single choice: only one of its options can be the default." in html(
        response
    )
    assert not Option.objects.for_tenant(admin.tenant).get(name="Red").is_default


@pytest.mark.parametrize(
    "data",
    [
        {"action": "option_update", "option": "²"},
        {"action": "explode"},
        {"action": "option_delete", "option": "99999999999999999999"},
        {"action": "group_update", "group": "1", "group-1-name": ""},
    ],
)
def test_the_option_editor_survives_odd_requests(admin, web_as, car, data):
    response = web_as(admin).post(f"/products/{car.product.pk}/options/", data)
    assert response.status_code == 200
    assert "Not saved:" in html(response)


# -- price books -------------------------------------------------------------------------


def test_an_admin_creates_a_price_book_and_edits_its_prices(admin, web_as):
    hour = factories.product(admin, sku="H-1", name="Service hour")
    day = factories.product(admin, sku="D-1", name="Workshop day")
    browser = web_as(admin)
    response = browser.post(
        "/settings/price-books/new/",
        {"name": "Retail", "currency": "eur", "valid_from": "2026-01-01", "is_active": "on"},
    )
    assert response.status_code == 302, html(response)[:2000]
    book = PriceBook.objects.for_tenant(admin.tenant).get()
    assert book.currency == "EUR"
    url = f"/settings/price-books/{book.pk}/entries/"

    browser.post(url, {"action": "add", "new-product": str(hour.pk), "new-unit_price": "80"})
    browser.post(url, {"action": "add", "new-product": str(day.pk), "new-unit_price": "600"})
    browser.post(url, {"action": "set", "product": str(hour.pk), "unit_price": "85,50"})
    browser.post(url, {"action": "remove", "product": str(day.pk)})

    entries = PriceBookEntry.objects.for_tenant(admin.tenant).filter(price_book=book)
    assert [(e.product.sku, e.unit_price) for e in entries] == [("H-1", Decimal("85.50"))]
    detail = html(browser.get(f"/settings/price-books/{book.pk}/"))
    assert "Service hour" in detail and "85.50 EUR" in detail


def test_the_prices_editor_shows_a_refused_price(admin, web_as):
    hour = factories.product(admin, name="Service hour")
    book = factories.price_book(admin, prices={hour: "80"})
    response = web_as(admin).post(
        f"/settings/price-books/{book.pk}/entries/",
        {"action": "set", "product": str(hour.pk), "unit_price": "-5"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "A unit price is an amount from 0, below a trillion." in html(response)
    assert PriceBookEntry.objects.for_tenant(admin.tenant).get().unit_price == 80


def test_the_price_book_form_refuses_an_end_before_the_start(admin, web_as):
    response = web_as(admin).post(
        "/settings/price-books/new/",
        {
            "name": "Retail",
            "currency": "EUR",
            "valid_from": "2026-02-01",
            "valid_until": "2026-01-01",
        },
    )
    assert response.status_code == 200
    assert "The price book cannot end before it starts." in html(response)


def test_a_rep_reads_price_books_but_gets_no_edit_buttons(admin, rep, web_as):
    hour = factories.product(admin, name="Service hour")
    book = factories.price_book(admin, name="Retail", prices={hour: "80"})
    browser = web_as(rep)
    page = html(browser.get(f"/settings/price-books/{book.pk}/"))
    assert "Service hour" in page
    assert f"/settings/price-books/{book.pk}/entries/" not in page
    assert f"/settings/price-books/{book.pk}/edit/" not in page
    assert browser.get(f"/settings/price-books/{book.pk}/entries/").status_code == 403
    assert browser.post("/settings/price-books/new/", {"name": "Mine"}).status_code == 403


def test_products_are_in_everyones_menu_and_price_books_in_the_administrators(admin, rep, web_as):
    admin_menu = html(web_as(admin).get("/products/"))
    rep_menu = html(web_as(rep).get("/products/"))
    assert 'href="/products/"' in rep_menu
    assert 'href="/settings/price-books/"' in admin_menu
    assert 'href="/settings/price-books/"' not in rep_menu


# -- other organisations -----------------------------------------------------------------


def rival_pages(ids: dict) -> list[str]:
    product, book = ids["product"], ids["price_book"]
    return [
        f"/products/{product}/",
        f"/products/{ids['product_deleted']}/",
        f"/products/{product}/edit/",
        f"/products/{product}/delete/",
        f"/products/{product}/restore/",
        f"/products/{product}/options/",
        f"/products/{product}/files/",
        f"/products/{product}/files/{ids['product_file']}/",
        f"/settings/price-books/{book}/",
        f"/settings/price-books/{ids['price_book_deleted']}/",
        f"/settings/price-books/{book}/edit/",
        f"/settings/price-books/{book}/delete/",
        f"/settings/price-books/{book}/restore/",
        f"/settings/price-books/{book}/entries/",
    ]


def test_every_catalog_page_answers_404_for_another_organisations_records(
    admin, web_as, other_org_records
):
    browser = web_as(admin)
    before = other_org_records.snapshot()
    for url in rival_pages(other_org_records.ids):
        for method in ("get", "post"):
            response = getattr(browser, method)(url, {"name": "Hijacked", "action": "remove"})
            if response.status_code == 405:
                continue
            assert response.status_code == 404, (method, url)
            assert not other_org_records.leaked_markers(html(response))
    assert other_org_records.snapshot() == before


def test_a_file_of_another_organisation_is_404_under_an_own_product(
    admin, web_as, other_org_records
):
    own = factories.product(admin)
    url = f"/products/{own.pk}/files/{other_org_records.ids['product_file']}/"
    assert web_as(admin).get(url).status_code == 404


def test_the_catalog_lists_never_show_another_organisations_records(
    admin, web_as, other_org_records
):
    browser = web_as(admin)
    for url in ("/products/", "/products/?deleted=true", "/settings/price-books/"):
        assert not other_org_records.leaked_markers(html(browser.get(url)))
    rival = other_org_records.ids["product"]
    book = factories.price_book(admin)
    response = browser.post(
        f"/settings/price-books/{book.pk}/entries/",
        {"action": "add", "new-product": str(rival), "new-unit_price": "1"},
    )
    assert not other_org_records.leaked_markers(html(response))
    assert not PriceBookEntry.objects.for_tenant(admin.tenant).exists()
