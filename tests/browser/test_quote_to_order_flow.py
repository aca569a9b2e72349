"""From a configured car to a paid-for order, in a real Chromium, as a new user would: a rep
configures a Roadster with leather seats (which need the premium package) and sees the rule
enforced and the price update, puts it on a quote with a second product, discounts and
taxes, sends it, gets a PDF whose totals match a hand calculation to the cent, the customer
accepts through the public link, and the order and the purchase history are on the
customer card."""

import io
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from funia.core.models import Role
from funia.sales.models import Opportunity, Order, Quote
from tests import factories
from tests.browser.conftest import DESKTOP, PHONE, sign_in
from tests.browser.test_pages import OVERFLOW_REPORT

pytestmark = pytest.mark.browser

REP_EMAIL = "rita@acme.example"

# The hand calculation (prices in EUR, rounding half up per line):
# Roadster: 30,000.00 + Red 500.00 + Leather 2,000.00 + Premium 10 % of 30,000.00 = 35,500.00
#   2 x 35,500.00 = 71,000.00; line discount 3 % = 2,130.00; line total 68,870.00
#   quote discount 5 % of 68,870.00 = 3,443.50; tax 20 % of 65,426.50 = 13,085.30
# Home charger: 1 x 1,490.45 = 1,490.45; no line discount; line total 1,490.45
#   quote discount 5 % of 1,490.45 = 74.5225 -> 74.52; tax 9 % of 1,415.93 = 127.4337 -> 127.43
# Subtotal 72,490.45; discounts 2,130.00 + 3,443.50 + 74.52 = 5,648.02; net 66,842.43
# Tax 13,085.30 + 127.43 = 13,212.73; total 66,842.43 + 13,212.73 = 80,055.16
SUBTOTAL, DISCOUNTS, NET, TAX, TOTAL = (
    "72,490.45",
    "5,648.02",
    "66,842.43",
    "13,212.73",
    "80,055.16",
)


@pytest.fixture
def shop(transactional_db):
    org = factories.OrganizationFactory(name="Acme Motors", slug="acme", currency="EUR")
    org.document_details = "Acme Motors Ltd · 1 Vitosha Blvd, Sofia · VAT BG123456789"
    org.save()
    admin = factories.member(org, Role.ADMIN)
    rep = factories.member(org, Role.SALES_REP, email=REP_EMAIL, first_name="Rita", last_name="Rep")
    factories.pipeline(admin, is_default=True)
    account = factories.account(admin, name="Balkan Foods", owner_id=rep.user.pk)
    contact = factories.contact(
        admin,
        first_name="Ivan",
        last_name="Petrov",
        emails=["ivan@balkanfoods.example"],
        account_id=account.pk,
        owner_id=rep.user.pk,
    )
    car = factories.configurable_car(admin)
    charger = factories.product(
        admin, sku="ACC-CHG", name="Home charger", tax_rate=Decimal(9), unit="pcs"
    )
    factories.price_book(
        admin,
        prices={car.product: Decimal("30000.00"), charger: Decimal("1490.45")},
        is_default=True,
    )
    deal = factories.opportunity(
        rep,
        name="Fleet for Balkan Foods",
        account_id=account.pk,
        contact_id=contact.pk,
        owner_id=rep.user.pk,
        amount=Decimal(60000),
        currency="EUR",
    )
    return rep, account, deal


def no_overflow(page) -> None:
    report = page.evaluate(OVERFLOW_REPORT)
    assert report is None, f"{page.url}: {report}"


def choose(page, name: str) -> None:
    """Tick an option and wait for the live price the change brings back."""
    with page.expect_response(lambda r: r.request.method == "POST" and "/configure/" in r.url):
        page.get_by_label(re.compile(f"^{name}")).check()


def next_step(page, number: int) -> None:
    page.locator(f"#config-step-{number - 1}").get_by_role("button", name="Next").click()
    expect(page.locator(f"#config-step-{number}")).to_be_visible()


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_a_configured_car_goes_from_quote_to_order_and_purchase_history(open_page, shop):
    rep, account, deal = shop
    page, errors = open_page(DESKTOP)
    sign_in(page, REP_EMAIL, factories.PASSWORD)

    # 1. The deal's page: configure a product for it.
    page.goto(f"/opportunities/{deal.pk}/")
    page.get_by_text("Configure a product").click()
    page.get_by_role("link", name="Roadster").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Configure Roadster")
    summary = page.locator("#config-summary")
    unit_price = summary.locator("[data-unit-price]")
    expect(unit_price).to_have_text("30,000.00 EUR")

    # 2. Red, then leather seats: the rule is enforced and the price follows.
    choose(page, "Red")
    expect(unit_price).to_have_text("30,500.00 EUR")
    next_step(page, 2)
    choose(page, "Leather")
    expect(summary.get_by_role("alert")).to_contain_text(
        "Leather (Seats) requires Premium (Packages)."
    )
    expect(unit_price).to_have_text("32,500.00 EUR")
    next_step(page, 3)
    next_step(page, 4)
    expect(page.locator("#config-primary")).to_be_disabled()
    page.locator("#config-step-4").get_by_role("button", name="Back").click()
    choose(page, "Premium")
    expect(summary.get_by_role("alert")).to_have_count(0)
    expect(unit_price).to_have_text("35,500.00 EUR")
    next_step(page, 4)

    # 3. Onto the deal's quote: two cars, 3 % off the line.
    page.get_by_label("Quantity").fill("2")
    page.get_by_label("Line discount (%)").fill("3")
    expect(page.locator("#config-primary")).to_be_enabled()
    page.locator("#config-primary").click()
    expect(page).to_have_url(re.compile(r"/quotes/\d+/$"))
    lines = page.locator("table.quote-lines tbody tr")
    expect(lines).to_have_count(1)
    expect(lines.first).to_contain_text("Roadster (Colour: Red, Seats: Leather, Packages: Premium)")
    expect(lines.first).to_contain_text("35,500.00 EUR")
    expect(lines.first).to_contain_text("68,870.00 EUR")

    # 4. A second product, and 5 % off the whole quote.
    page.get_by_label("Add product").select_option(label="Home charger (ACC-CHG) · 1,490.45 EUR")
    page.locator("form.quote-add").get_by_role("button", name="Add").click()
    expect(lines).to_have_count(2)
    page.get_by_label("Quote discount (%)").fill("5")
    page.locator("#fields-title + form").get_by_role("button", name="Save").click()
    totals = page.locator("dl.quote-totals")
    for amount in (SUBTOTAL, DISCOUNTS, NET, TAX, TOTAL):
        expect(totals).to_contain_text(f"{amount} EUR")
    no_overflow(page)

    # 5. Send it; the PDF carries the same cents.
    page.get_by_role("button", name="Send").click()
    public_url = page.locator("#public-link").input_value()
    assert "/q/" in public_url
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    text = pdf_text(download.value.path().read_bytes())
    for amount in (SUBTOTAL, DISCOUNTS, TAX, TOTAL, "35,500.00", "68,870.00", "1,490.45"):
        assert amount in text, f"{amount} missing from the PDF:\n{text}"
    assert "Acme Motors" in text and "VAT BG123456789" in text
    assert "Leather" in text and "Premium" in text

    # 6. The customer, on a phone and not signed in, accepts through the link.
    customer, customer_errors = open_page(PHONE)
    customer.goto(public_url)
    expect(customer.locator("body")).to_contain_text(f"{TOTAL} EUR")
    no_overflow(customer)
    customer.get_by_label("Your full name").fill("Ivan Petrov")
    customer.get_by_role("button", name="Accept").click()
    expect(customer.get_by_role("status")).to_contain_text("Your order reference is O-00001.")
    assert customer_errors.take() == []

    quote = Quote.objects.for_tenant(rep.tenant).get()
    order = Order.objects.for_tenant(rep.tenant).get()
    assert quote.status == "accepted" and order.quote_id == quote.pk
    assert order.total == Decimal(TOTAL.replace(",", ""))
    deal = Opportunity.objects.for_tenant(rep.tenant).get(pk=deal.pk)
    assert deal.amount == Decimal(NET.replace(",", ""))

    # 7. The rep sees the order on the quote, and the purchase history on the customer card.
    page.reload()
    page.get_by_role("link", name="O-00001").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("O-00001")
    expect(page.locator("body")).to_contain_text(f"{TOTAL} EUR")
    page.goto(f"/accounts/{account.pk}/")
    history = page.locator("section", has=page.get_by_role("heading", name="Purchase history"))
    expect(history).to_contain_text("O-00001")
    expect(history).to_contain_text(TOTAL)
    bought = page.locator("section", has=page.get_by_role("heading", name="Products bought"))
    expect(bought).to_contain_text("Roadster")
    expect(bought).to_contain_text("Home charger")
    assert errors.take() == []
