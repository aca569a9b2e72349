"""The rep's configurator: a product configured step by step (one step per option group)
with the price and every broken rule updated live, then added to the deal's draft quote or
shared with the customer as a public link; the pages of those links.

The page works without JavaScript (every button posts the form and the page comes back);
with it, steps switch in place and a change posts the form through HTMX, which answers the
summary fragment alone.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from funia.core import periods
from funia.core.visibility import READ_ONLY, can_change, visible_records
from funia.sales.catalog.configurator import (
    Configuration,
    configure,
    option_effects,
    option_groups,
)
from funia.sales.catalog.selectors import is_usable
from funia.sales.configurator import selectors, services
from funia.sales.configurator.forms import AddToQuoteForm
from funia.sales.models import AdjustmentType, Opportunity, OptionGroupKind, PriceBook
from funia.web.decorators import member_required
from funia.web.htmx import wants_fragment

PAGE_SIZE = 50
MAX_ID = 2**63 - 1
MAX_DEALS = 200


# -- shared by the rep's page and the public page ----------------------------------------


def money(amount: Decimal | None, currency: str) -> str:
    if amount is None:
        return "—"
    return f"{number_format(amount, 2, force_grouping=True)} {currency}"


def signed_money(amount: Decimal | None, currency: str) -> str:
    if amount is None:
        return "—"
    return f"+{money(amount, currency)}" if amount > 0 else money(amount, currency)


def percent_text(value: Decimal) -> str:
    places = 0 if value == value.to_integral_value() else 2
    text = f"{number_format(value, places)} %"
    return f"+{text}" if value > 0 else text


def effect_text(option, amount: Decimal | None, currency: str) -> str:
    """What choosing the option does to the price: "+2,000.00 EUR", "+10 % (+3,000.00 EUR)"."""
    if option.adjustment_type == AdjustmentType.PERCENT:
        if option.price_adjustment == 0:
            return _("included")
        text = percent_text(option.price_adjustment)
        return f"{text} ({signed_money(amount, currency)})" if amount is not None else text
    if amount is not None and amount == 0:
        return _("included")
    return signed_money(amount, currency)


def parse_id(value) -> int | None:
    text = str(value or "").strip()
    if not text.isdecimal() or not text.isascii():
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def posted_option_ids(request, groups) -> list[int] | None:
    """The options the form chose (None on the first visit: the product's defaults)."""
    if request.method != "POST" or "configured" not in request.POST:
        return None
    chosen = []
    for group in groups:
        for value in request.POST.getlist(f"group-{group.pk}"):
            pk = parse_id(value)
            if pk is not None:
                chosen.append(pk)
    return chosen


@dataclass
class Step:
    number: int
    name: str
    group_id: int | None = None
    single: bool = True
    required: bool = False
    options: list[dict] = field(default_factory=list)

    @property
    def input_type(self) -> str:
        return "radio" if self.single else "checkbox"

    @property
    def any_checked(self) -> bool:
        return any(option["checked"] for option in self.options)

    @property
    def offers_none(self) -> bool:
        """A single choice that may be left empty needs a way back to nothing."""
        return self.single and not self.required


def build_steps(groups, configuration: Configuration, effects: dict) -> list[Step]:
    chosen = set(configuration.option_ids)
    currency = configuration.currency
    steps = []
    for number, group in enumerate(groups, start=1):
        step = Step(
            number,
            group.name,
            group.pk,
            single=group.kind == OptionGroupKind.SINGLE,
            required=group.required,
        )
        for option in group.options.all():
            step.options.append(
                {
                    "id": option.pk,
                    "name": option.name,
                    "checked": option.pk in chosen,
                    "effect": effect_text(option, effects.get(option.pk), currency),
                }
            )
        steps.append(step)
    steps.append(Step(len(groups) + 1, _("Summary")))
    return steps


def current_step(request, steps: list[Step]) -> int:
    """The step to show: the button's target (Next / Back / a step), else the step the form
    was on, else the first."""
    data = request.POST if request.method == "POST" else request.GET
    shown = parse_id(data.get("step")) or 1
    go = data.get("go", "")
    if go == "next":
        shown += 1
    elif parse_id(go):
        shown = parse_id(go)
    return max(1, min(shown, len(steps)))


def summary_context(configuration: Configuration) -> dict:
    currency = configuration.currency
    return {
        "configuration": configuration,
        "currency": currency,
        "base_text": money(configuration.base_price, currency),
        "unit_text": money(configuration.unit_price, currency),
        "option_lines": [
            {
                "group": option.group,
                "name": option.name,
                "amount": signed_money(option.price_adjustment, currency),
            }
            for option in configuration.options
        ],
    }


def configurator_context(request, *, product, price_book, groups, option_ids) -> dict:
    """Everything the steps and the summary show, for either page."""
    base = services.base_price(product, price_book)
    configuration = configure(
        product=product, price_book=price_book, option_ids=option_ids, groups=groups, base=base
    )
    effects = option_effects(price_book=price_book, groups=groups, base=base)
    steps = build_steps(groups, configuration, effects)
    return {
        "product": product,
        "price_book": price_book,
        "steps": steps,
        "group_steps": steps[:-1],
        "final_step": steps[-1],
        "current_step": current_step(request, steps),
        **summary_context(configuration),
    }


def refusal_messages(exc: ValidationError | PermissionDenied) -> list[str]:
    """What to tell the rep when adding to a quote or sharing is refused."""
    if isinstance(exc, PermissionDenied):
        return [str(exc) or _("Your role may not change this record.")]
    return exc.messages


def quote_url(quote) -> str:
    return reverse("quote_detail", args=[quote.pk])


# -- the rep's configurator ----------------------------------------------------------------


def _get_or_404(getter, **kwargs):
    try:
        return getter(**kwargs)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc


def _param(request, name: str) -> tuple[bool, int | None]:
    """(given, id) of a query or form parameter; a given but malformed id is (True, None)."""
    value = request.POST.get(name) if request.method == "POST" else None
    if value is None:
        value = request.GET.get(name)
    if value in (None, ""):
        return False, None
    return True, parse_id(value)


def _deal_and_book(request, actor):
    """The page's deal and price book from ?opportunity= and ?price_book= (404 when they
    name nothing the actor sees); the book defaults to the deal's, else the organisation's."""
    given, deal_id = _param(request, "opportunity")
    deal = None
    if given:
        if deal_id is None:
            raise Http404
        deal = _get_or_404(selectors.deal_get, actor=actor, pk=deal_id)
    given, book_id = _param(request, "price_book")
    if given:
        if book_id is None:
            raise Http404
        book = _get_or_404(selectors.price_book_get, actor=actor, pk=book_id)
    elif deal is not None:
        book = selectors.deal_price_book(deal, actor)
    else:
        book = selectors.organization_price_book(actor.tenant)
    return deal, book


def _page_query(deal, book) -> str:
    parts = []
    if deal is not None:
        parts.append(f"opportunity={deal.pk}")
    if book is not None:
        parts.append(f"price_book={book.pk}")
    return f"?{'&'.join(parts)}" if parts else ""


def _problems(product, book, deal) -> list[str]:
    """Why nothing can be priced or added here, if anything."""
    if book is None:
        return [services.no_price_book_message(product.tenant, deal)]
    try:
        services.check_sold(product)
        services.check_price_book(book, product, deal)
    except ValidationError as exc:
        return exc.messages
    return []


@member_required
def product_configure(request, pk: int):
    """Configure a product step by step; for a deal (?opportunity=) the result goes onto the
    deal's draft quote; without one, onto a chosen open deal's, or to the customer as a link."""
    actor = request.actor
    product = _get_or_404(selectors.product_get, actor=actor, pk=pk)
    deal, book = _deal_and_book(request, actor)
    problems = _problems(product, book, deal)
    writer = actor.role not in READ_ONLY
    context = {
        "product": product,
        "deal": deal,
        "price_book": book,
        "problems": problems,
        "writer": writer,
        "form_action": f"{request.path}{_page_query(deal, book)}",
        "quote_form": AddToQuoteForm(),
        "errors": [],
    }
    if book is not None:
        groups = option_groups(product)
        context |= configurator_context(
            request,
            product=product,
            price_book=book,
            groups=groups,
            option_ids=posted_option_ids(request, groups),
        )
    action = request.POST.get("action") if request.method == "POST" else None
    if action and "configuration" in context and not problems:
        response = _act(request, action, context)
        if response is not None:
            return response
    context["deal_choices"] = (
        list(selectors.open_deals(actor=actor)[:MAX_DEALS]) if deal is None and writer else []
    )
    context["has_primary"] = (
        writer and not problems and (deal is not None or bool(context["deal_choices"]))
    )
    context["primary_enabled"] = bool(
        context.get("configuration") and context["configuration"].valid and not problems
    )
    if "configuration" in context and wants_fragment(request) and not action:
        return render(request, "configurator/_summary.html", context | {"oob": True})
    context["books"] = _book_choices(actor, deal)
    return render(request, "configurator/configure.html", context)


def _book_choices(actor, deal) -> list[PriceBook]:
    """The books a configuration may be priced in today (in the deal's currency)."""
    books = PriceBook.objects.for_tenant(actor.tenant).filter(is_active=True)
    if deal is not None:
        books = books.filter(currency=deal.currency)
    today = periods.today(actor.tenant)
    return [book for book in books.order_by("name", "id")[:100] if is_usable(book, today)]


def _act(request, action: str, context: dict):
    """Add to quote or share; a redirect when done, else None with the errors in context."""
    actor = request.actor
    configuration: Configuration = context["configuration"]
    if action == "share":
        try:
            link = services.configurator_link_create(
                by=actor,
                product_id=context["product"].pk,
                price_book_id=context["price_book"].pk,
                opportunity_id=context["deal"].pk if context["deal"] else None,
            )
        except (ValidationError, PermissionDenied) as exc:
            context["errors"] = refusal_messages(exc)
            context["current_step"] = len(context["steps"])
            return None
        messages.success(request, _("The link is ready: give it to your customer."))
        return redirect("configurator_link_detail", pk=link.pk)
    if action != "add":
        return None
    context["current_step"] = len(context["steps"])
    form = AddToQuoteForm(request.POST)
    context["quote_form"] = form
    deal = context["deal"]
    if deal is None:
        chosen = parse_id(request.POST.get("deal"))
        deal = selectors.open_deals(actor=actor).filter(pk=chosen).first() if chosen else None
        if deal is None:
            context["errors"] = [_("Choose the deal whose quote gets this product.")]
            return None
        context["chosen_deal"] = deal.pk
    if not configuration.valid:
        context["errors"] = [violation.message for violation in configuration.violations]
        return None
    if not form.is_valid():
        return None
    try:
        line = services.configuration_add_to_quote(
            by=actor,
            opportunity=deal,
            product=context["product"],
            price_book=context["price_book"],
            option_ids=configuration.option_ids,
            quantity=form.cleaned_data["quantity"],
            discount_percent=form.cleaned_data["discount_percent"],
        )
    except (ValidationError, PermissionDenied) as exc:
        context["errors"] = refusal_messages(exc)
        return None
    messages.success(
        request,
        _("%(description)s was added to %(quote)s.")
        % {"description": line.description, "quote": line.quote.reference},
    )
    return redirect(quote_url(line.quote))


# -- the rep's pages of configurator links ---------------------------------------------------


@member_required
def configurator_link_list(request):
    """The links the actor sees: who submitted what, and which are still open."""
    revoked = request.GET.get("revoked") == "true"
    qs = selectors.configurator_link_list(actor=request.actor, filters=_LinkFilter(revoked))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    links = selectors.attach_configurations(list(page.object_list))
    deal_ids = {link.opportunity_id for link in links if link.opportunity_id}
    visible_deals = set(
        visible_records(Opportunity, request.actor)
        .filter(pk__in=deal_ids)
        .values_list("pk", flat=True)
        if deal_ids
        else ()
    )
    rows = [
        {
            "link": link,
            "deal_visible": link.opportunity_id in visible_deals,
            "expired": selectors.is_expired(link),
            "price": money(link.configuration.unit_price, link.configuration.currency)
            if link.configuration is not None
            else "",
        }
        for link in links
    ]
    context = {
        "page": page,
        "rows": rows,
        "revoked": revoked,
        "base_query": "revoked=true" if revoked else "",
    }
    return render(request, "configurator/link_list.html", context)


class _LinkFilter:
    """The list page's one filter: live links, or the revoked ones."""

    def __init__(self, revoked: bool):
        self.revoked = revoked

    def filter(self, qs):
        return qs.filter(deleted_at__isnull=not self.revoked)


def _link(request, pk: int, *, with_deleted: bool = True):
    return _get_or_404(
        selectors.configurator_link_get, actor=request.actor, pk=pk, with_deleted=with_deleted
    )


def _link_context(request, link, form=None, errors=()) -> dict:
    actor = request.actor
    configuration = link.configuration
    writer = actor.role not in READ_ONLY
    deal = link.opportunity
    deal_visible = (
        deal is not None
        and not deal.is_deleted
        and visible_records(Opportunity, actor).filter(pk=deal.pk).exists()
    )
    context = {
        "link": link,
        "public_url": request.build_absolute_uri(
            reverse("public_configurator", kwargs={"link_token": link.token})
        ),
        "expired": selectors.is_expired(link),
        "quote_form": form or AddToQuoteForm(),
        "errors": list(errors),
        "can_revoke": writer
        and not link.is_deleted
        and (
            actor.is_admin
            or link.created_by_id == actor.user.pk
            or (link.opportunity is not None and can_change(actor, link.opportunity))
        ),
        "deal_visible": deal_visible,
        "can_add": writer
        and configuration is not None
        and configuration.valid
        and deal_visible
        and can_change(actor, deal),
    }
    if configuration is not None:
        context |= summary_context(configuration)
    return context


@member_required
def configurator_link_detail(request, pk: int):
    link = _link(request, pk)
    return render(request, "configurator/link_detail.html", _link_context(request, link))


@require_POST
@member_required
def configurator_link_quote(request, pk: int):
    """The customer's submitted configuration onto the deal's draft quote."""
    link = _link(request, pk)
    form = AddToQuoteForm(request.POST)
    errors = []
    if link.configuration is None:
        errors = [_("The customer has not submitted a configuration yet.")]
    elif link.opportunity is None:
        errors = [_("This link is not for a deal: open the configurator from the deal instead.")]
    elif form.is_valid():
        try:
            line = services.configuration_add_to_quote(
                by=request.actor,
                opportunity=link.opportunity,
                product=link.product,
                price_book=link.price_book,
                option_ids=selectors.submitted_option_ids(link),
                quantity=form.cleaned_data["quantity"],
                discount_percent=form.cleaned_data["discount_percent"],
            )
        except (ValidationError, PermissionDenied) as exc:
            errors = refusal_messages(exc)
        else:
            messages.success(
                request,
                _("%(description)s was added to %(quote)s.")
                % {"description": line.description, "quote": line.quote.reference},
            )
            return redirect(quote_url(line.quote))
    context = _link_context(request, link, form=form, errors=errors)
    return render(request, "configurator/link_detail.html", context)


@require_POST
@member_required
def configurator_link_revoke(request, pk: int):
    link = _link(request, pk, with_deleted=False)
    services.configurator_link_revoke(by=request.actor, configurator_link=link)
    messages.success(request, _("The link was revoked: its address no longer works."))
    return redirect("configurator_link_list")
