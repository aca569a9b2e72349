import datetime

import pytest
from django.test import Client

from tests import factories


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate-limit counters live in the cache; ids repeat across rolled-back tests."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def org(db):
    return factories.OrganizationFactory(name="Acme Sales", slug="acme")


@pytest.fixture
def other_org(db):
    return factories.OrganizationFactory(name="Rival Corp", slug="rival")


@pytest.fixture
def admin(org):
    return factories.member(org, "admin")


@pytest.fixture
def rep(org):
    return factories.member(org, "sales_rep")


@pytest.fixture
def outsider(other_org):
    """An administrator of another organisation."""
    return factories.member(other_org, "admin")


class ApiClient(Client):
    """A test client that speaks JSON to /api/v1 with a bearer token."""

    def __init__(self, token: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.token = token

    def _headers(self, headers):
        headers = dict(headers or {})
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        return headers

    def call(self, method: str, path: str, data=None, headers=None):
        url = path if path.startswith("/api/") else f"/api/v1{path}"
        kwargs = {"headers": self._headers(headers)}
        if data is not None and method in {"post", "put", "patch", "delete"}:
            kwargs |= {"data": data, "content_type": "application/json"}
        elif data is not None:
            kwargs["data"] = data
        return getattr(super(), method)(url, **kwargs)


@pytest.fixture
def api_as():
    """api_as(actor) -> an ApiClient authenticated with a fresh token of that actor."""

    def make(actor):
        return ApiClient(factories.token_for(actor))

    return make


@pytest.fixture
def web_as():
    """web_as(actor) -> a signed-in Django test client."""

    def make(actor):
        client = Client()
        client.force_login(actor.user)
        return client

    return make


@pytest.fixture
def manager(org):
    return factories.member(org, "sales_manager")


@pytest.fixture
def analyst(org):
    return factories.member(org, "analyst")


@pytest.fixture
def api_anonymous():
    """An ApiClient without credentials."""
    return ApiClient()


def tenant_snapshot(tenant) -> dict:
    """Every row of every tenant model of `tenant` (trash included) and its members' users.

    Compare two snapshots to prove that a refused request changed nothing in an organisation;
    a new tenant model is covered without touching the tests.
    """
    from django.apps import apps

    from funia.core.models import User
    from funia.core.tenancy import TenantScoped

    rows = {
        model._meta.label_lower: list(
            model.objects.for_tenant(tenant, with_deleted=True).order_by("pk").values()
        )
        for model in apps.get_models()
        if issubclass(model, TenantScoped)
    }
    rows["core.user"] = list(
        User.objects.filter(memberships__tenant=tenant).order_by("pk").values()
    )
    return rows


RIVAL_COMMERCE_MARKERS = [
    "Rival Secret Product",
    "RIVAL-SKU-1",
    "Rival Trashed Product",
    "Rival Secret Price Book",
    "Rival Trashed Price Book",
    "Rival Secret Quote",
    "Rival Trashed Quote",
    "Rival secret order note",
    "Rival trashed order note",
]


def _rival_commerce_records(outsider, account, contact, deal) -> dict[str, int]:
    """Rival's products (one configurable), price books, quotes, orders and a configurator
    link, made as rows so they exist whatever the services allow."""
    from decimal import Decimal

    from funia.core.records import record_create, record_soft_delete
    from funia.sales.models import (
        ConfiguratorLink,
        Option,
        OptionGroup,
        Order,
        OrderLine,
        PriceBook,
        PriceBookEntry,
        Product,
        ProductFile,
        Quote,
        QuoteLine,
    )

    tenant = outsider.tenant

    def made(model, deleted=False, **fields):
        record = record_create(model=model, by=outsider, **fields)
        if deleted:
            record_soft_delete(obj=record, by=outsider)
        return record

    product = made(Product, sku="RIVAL-SKU-1", name="Rival Secret Product", tax_rate=20)
    product_deleted = made(Product, deleted=True, sku="RIVAL-SKU-2", name="Rival Trashed Product")
    group = OptionGroup.objects.create(tenant=tenant, product=product, name="Rival Secret Group")
    option = Option.objects.create(tenant=tenant, group=group, name="Rival Secret Option")
    product_file = ProductFile.objects.create(
        tenant=tenant,
        product=product,
        kind="document",
        title="Rival secret brochure",
        file="products/rival.pdf",
    )
    book = made(PriceBook, name="Rival Secret Price Book", currency="EUR")
    book_deleted = made(PriceBook, deleted=True, name="Rival Trashed Price Book", currency="EUR")
    PriceBookEntry.objects.create(
        tenant=tenant, price_book=book, product=product, unit_price=Decimal(100)
    )

    def quote(number, title, deleted=False):
        made_quote = made(
            Quote,
            deleted=deleted,
            opportunity=deal,
            contact=contact,
            owner=outsider.user,
            number=number,
            title=title,
            price_book=book,
            currency="EUR",
            public_token=f"rival-secret-quote-token-{number}",
        )
        QuoteLine.objects.create(
            tenant=tenant,
            quote=made_quote,
            product=product,
            description="Rival Secret Product",
            unit_price=Decimal(100),
            gross=Decimal(100),
            total=Decimal(100),
        )
        return made_quote

    quote_live = quote(1, "Rival Secret Quote")
    quote_deleted = quote(2, "Rival Trashed Quote", deleted=True)

    def order(number, note, deleted=False):
        made_order = made(
            Order,
            deleted=deleted,
            number=number,
            account=account,
            contact=contact,
            owner=outsider.user,
            currency="EUR",
            notes=note,
        )
        OrderLine.objects.create(
            tenant=tenant,
            order=made_order,
            product=product,
            description="Rival Secret Product",
            unit_price=Decimal(100),
            gross=Decimal(100),
            total=Decimal(100),
        )
        return made_order

    order_live = order(1, "Rival secret order note")
    order_deleted = order(2, "Rival trashed order note", deleted=True)
    link = made(
        ConfiguratorLink,
        token="rival-secret-configurator-token",
        product=product,
        price_book=book,
        opportunity=deal,
        created_by=outsider.user,
    )
    return {
        "product": product.pk,
        "product_deleted": product_deleted.pk,
        "option_group": group.pk,
        "option": option.pk,
        "product_file": product_file.pk,
        "price_book": book.pk,
        "price_book_deleted": book_deleted.pk,
        "quote": quote_live.pk,
        "quote_deleted": quote_deleted.pk,
        "order": order_live.pk,
        "order_deleted": order_deleted.pk,
        "configurator_link": link.pk,
    }


RIVAL_SALES_MARKERS = [
    "Rival Secret Pipeline",
    "Rival Secret Deal",
    "Rival Trashed Deal",
    "Rivallead",
    "Rival Trashed Lead",
    "Rival Secret Form",
    "Rival Secret Rule",
    "Rival secret call",
    "Rival trashed call",
    "Rival Secret Purpose",
    "Rival Secret Territory",
    "Rival Trashed Territory",
    *RIVAL_COMMERCE_MARKERS,
]


def _rival_sales_records(outsider, rival_rep, account, contact, team) -> dict[str, int]:
    """Rival's pipeline, deals, leads, web form, assignment rule, purposes and activities."""
    from decimal import Decimal

    from funia.activities.models import Activity, ActivityPurpose
    from funia.core.records import record_create, record_soft_delete
    from funia.sales import opportunities, pipelines
    from funia.sales.models import AssignmentRule, Lead, LeadForm

    pipeline = factories.pipeline(outsider, name="Rival Secret Pipeline")
    deal = opportunities.opportunity_create(
        by=outsider, name="Rival Secret Deal", account_id=account.pk, amount=Decimal(7)
    )
    deal_deleted = opportunities.opportunity_create(by=outsider, name="Rival Trashed Deal")
    opportunities.opportunity_delete(by=outsider, opportunity=deal_deleted)
    rate = pipelines.exchange_rate_create(by=outsider, currency="GBP", rate=Decimal("1.17"))
    rate_deleted = pipelines.exchange_rate_create(
        by=outsider, currency="JPY", rate=Decimal("0.006")
    )
    pipelines.exchange_rate_delete(by=outsider, exchange_rate=rate_deleted)

    def made(model, deleted=False, **fields):
        record = record_create(model=model, by=outsider, **fields)
        if deleted:
            record_soft_delete(obj=record, by=outsider)
        return record

    lead = made(Lead, first_name="Rivallead", last_name="Hidden", email="lead@rival.example")
    lead_deleted = made(Lead, deleted=True, last_name="Rival Trashed Lead")
    form = made(LeadForm, name="Rival Secret Form")
    form_deleted = made(LeadForm, deleted=True, name="Rival Trashed Form")
    rule = made(AssignmentRule, name="Rival Secret Rule", user=rival_rep.user)
    rule_deleted = made(AssignmentRule, deleted=True, name="Rival Trashed Rule")
    purpose = made(ActivityPurpose, name="Rival Secret Purpose")
    purpose_deleted = made(ActivityPurpose, deleted=True, name="Rival Trashed Purpose")
    activity = made(
        Activity,
        kind="call",
        subject="Rival secret call",
        contact=contact,
        purpose=purpose,
        owner=outsider.user,
    )
    activity_deleted = made(Activity, deleted=True, kind="call", subject="Rival trashed call")
    # A conflict of the contact registry: Rival's rep called the same contact for the same purpose.
    from funia.activities.models import ActivityConflict

    again = made(
        Activity,
        kind="call",
        subject="Rival secret call again",
        contact=contact,
        purpose=purpose,
        owner=rival_rep.user,
    )
    conflict = ActivityConflict.objects.create(
        tenant=outsider.tenant, activity=again, earlier=activity
    )
    from funia.analytics.models import ForecastAdjustment
    from funia.sales.models import Quota, Territory, TerritoryRep

    territory = made(Territory, name="Rival Secret Territory", countries=["BG"])
    TerritoryRep.objects.create(tenant=outsider.tenant, territory=territory, user=rival_rep.user)
    territory_deleted = made(Territory, deleted=True, name="Rival Trashed Territory")
    month = datetime.date(2026, 1, 1)
    quota = made(Quota, user=rival_rep.user, period="month", start=month, amount=1000)
    quota_deleted = made(Quota, deleted=True, team=team, period="year", start=month, amount=9)
    adjustment = made(
        ForecastAdjustment,
        user=rival_rep.user,
        period="month",
        start=month,
        category="commit",
        amount=500,
        note="Rival secret adjustment",
    )
    adjustment_deleted = made(
        ForecastAdjustment,
        deleted=True,
        user=rival_rep.user,
        period="quarter",
        start=month,
        category="commit",
        amount=5,
    )
    stage = pipeline.stages.order_by("position").first()
    return {
        **_rival_commerce_records(outsider, account, contact, deal),
        "territory": territory.pk,
        "territory_deleted": territory_deleted.pk,
        "quota": quota.pk,
        "quota_deleted": quota_deleted.pk,
        "forecast_adjustment": adjustment.pk,
        "forecast_adjustment_deleted": adjustment_deleted.pk,
        "pipeline": pipeline.pk,
        "stage": stage.pk,
        "opportunity": deal.pk,
        "opportunity_deleted": deal_deleted.pk,
        "exchange_rate": rate.pk,
        "exchange_rate_deleted": rate_deleted.pk,
        "lead": lead.pk,
        "lead_deleted": lead_deleted.pk,
        "lead_form": form.pk,
        "lead_form_deleted": form_deleted.pk,
        "assignment_rule": rule.pk,
        "assignment_rule_deleted": rule_deleted.pk,
        "activity_purpose": purpose.pk,
        "activity_purpose_deleted": purpose_deleted.pk,
        "activity": activity.pk,
        "activity_deleted": activity_deleted.pk,
        "activity_conflict": conflict.pk,
    }


class OtherOrgRecords:
    """Records of the other organisation (Rival Corp), live and in the trash.

    `ids` maps a kind ("account", "account_deleted", "contact", "team", "user", "token", ...)
    to a primary key; `markers` are strings that only Rival's records contain, so a page or a
    response that shows any of them leaks Rival's data.
    """

    def __init__(self, tenant, ids: dict[str, int], markers: list[str]):
        self.tenant = tenant
        self.ids = ids
        self.markers = markers

    def snapshot(self) -> dict:
        return tenant_snapshot(self.tenant)

    def leaked_markers(self, text: str) -> list[str]:
        return [marker for marker in self.markers if marker in text]


@pytest.fixture
def other_org_records(outsider):
    """Rival Corp's accounts, contacts, teams, a rep and a token (see OtherOrgRecords)."""
    from funia.core import services as core_services
    from funia.customers import custom_fields
    from funia.customers import services as customer_services

    rival_rep = factories.member(
        outsider.tenant,
        "sales_rep",
        email="rival.rep@rival.example",
        first_name="Rivalina",
        last_name="Secretova",
    )
    account = factories.account(
        outsider, name="Rival Secret Account", domain="rival-secret.example"
    )
    account_deleted = factories.account(outsider, name="Rival Trashed Account")
    customer_services.account_delete(by=outsider, account=account_deleted)
    contact = factories.contact(
        outsider,
        first_name="Rivalcontact",
        last_name="Hiddenov",
        emails=["hidden.contact@rival.example"],
        account_id=account.pk,
    )
    contact_deleted = factories.contact(outsider, first_name="Rivaltrash", last_name="Binova")
    customer_services.contact_delete(by=outsider, contact=contact_deleted)
    team = factories.team(
        outsider, "Rival Secret Team", manager=outsider, members=[outsider, rival_rep]
    )
    team_deleted = factories.team(outsider, "Rival Trashed Team")
    core_services.team_delete(by=outsider, team=team_deleted)
    token, _secret = core_services.token_create(
        tenant=outsider.tenant, user=outsider.user, name="Rival secret token"
    )
    custom_field = custom_fields.custom_field_create(
        by=outsider,
        entity="contact",
        key="rival_secret_field",
        label="Rival Secret Field",
        kind="text",
    )
    custom_field_deleted = custom_fields.custom_field_create(
        by=outsider,
        entity="account",
        key="rival_trashed_field",
        label="Rival Trashed Field",
        kind="text",
    )
    custom_fields.custom_field_delete(by=outsider, custom_field=custom_field_deleted)
    saved_view = core_services.saved_view_create(
        by=outsider, list_key="contact_list", name="Rival secret view", query="q=x", shared=True
    )
    from funia.activities.models import CalendarFeed
    from funia.core.notifications import notify

    notification = notify(
        tenant=outsider.tenant, user=outsider.user, kind="reminder", title="Rival secret notice"
    )
    calendar_feed = CalendarFeed.objects.create(tenant=outsider.tenant, user=outsider.user)
    sales = _rival_sales_records(outsider, rival_rep, account, contact, team)
    ids = {
        **sales,
        "account": account.pk,
        "account_deleted": account_deleted.pk,
        "contact": contact.pk,
        "contact_deleted": contact_deleted.pk,
        "team": team.pk,
        "team_deleted": team_deleted.pk,
        "user": rival_rep.user.pk,
        "admin_user": outsider.user.pk,
        "token": token.pk,
        "custom_field": custom_field.pk,
        "custom_field_deleted": custom_field_deleted.pk,
        "saved_view": saved_view.pk,
        "notification": notification.pk,
        # A feed's address holds its secret token, never its id (tests/activities).
        "calendar_feed": calendar_feed.pk,
    }
    markers = [
        outsider.tenant.name,
        "Rival Secret Account",
        "rival-secret.example",
        "Rival Trashed Account",
        "Rivalcontact",
        "hidden.contact@rival.example",
        "Rivaltrash",
        "Rival Secret Team",
        "Rival Trashed Team",
        "rival.rep@rival.example",
        "Rivalina",
        "Secretova",
        outsider.user.email,
        "Rival secret token",
        token.key_prefix,
        "Rival Secret Field",
        "rival_trashed_field",
        "Rival secret view",
        "Rival secret notice",
        calendar_feed.token,
        *RIVAL_SALES_MARKERS,
    ]
    return OtherOrgRecords(outsider.tenant, ids, markers)
