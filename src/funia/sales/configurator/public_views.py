"""The public configurator (no sign-in): a customer opens the address a rep shared,
configures the product step by step with the live price, and sends the configuration with
their name and email to the rep.

The random token in the address is the credential; an unknown, revoked or expired one is
404. The page shows the organisation's name, the product and the rep's name, nothing else of
the organisation (no deal, no email addresses). Django's CSRF protection stays on.
"""

import time

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from funia.core.http import client_address
from funia.sales.catalog.configurator import option_groups
from funia.sales.configurator import selectors, services
from funia.sales.configurator.forms import CustomerForm
from funia.sales.configurator.views import configurator_context, money, posted_option_ids
from funia.web.htmx import wants_fragment

# Submissions per address and link in a window of seconds.
SUBMISSIONS_ALLOWED, SUBMISSION_WINDOW = 10, 600


def _link_or_404(token: str):
    link = selectors.public_link(token)
    if link is None:
        raise Http404
    # The book and product belong to the link's organisation: no query for it again.
    link.price_book.tenant = link.tenant
    link.product.tenant = link.tenant
    return link


def _private(response):
    response["X-Robots-Tag"] = "noindex, nofollow"
    # The address is the credential: never sent on to another site (a same-origin referrer
    # keeps the browser's Origin header, which the CSRF check of the form reads).
    response["Referrer-Policy"] = "same-origin"
    return response


def _over_limit(link, request) -> bool:
    window = int(time.time()) // SUBMISSION_WINDOW
    key = f"configurator-submit:{link.pk}:{client_address(request)}:{window}"
    cache.add(key, 0, timeout=SUBMISSION_WINDOW + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted meanwhile
        cache.set(key, 1, timeout=SUBMISSION_WINDOW + 5)
        count = 1
    return count > SUBMISSIONS_ALLOWED


def rep_name(link) -> str:
    """The rep who shared the link, by name only (never their email address)."""
    return link.created_by.get_full_name() if link.created_by is not None else ""


@never_cache
def public_configurator(request, link_token: str):
    """An unknown, revoked or expired token is 404 whatever the method."""
    link = _link_or_404(link_token)
    if request.method not in {"GET", "HEAD", "POST"}:
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    product = link.product
    if not services.link_prices_valid(link):
        # No configurator and no price: the book's prices are no longer (or not yet) valid.
        context = {
            "link": link,
            "product": product,
            "organization": link.tenant,
            "rep_name": rep_name(link),
            "errors": [services.stale_prices_message(link)],
            "unpriced": True,
        }
        return _private(render(request, "configurator/public.html", context))
    groups = option_groups(product)
    option_ids = posted_option_ids(request, groups)
    if option_ids is None and link.submitted_at is not None:
        # Back to change a sent configuration: it starts from what was sent.
        option_ids = selectors.submitted_option_ids(link)
    context = {
        "public": True,
        "link": link,
        "organization": link.tenant,
        "rep_name": rep_name(link),
        "form_action": request.path,
        "customer_form": CustomerForm(),
        "errors": [],
        **configurator_context(
            request,
            product=product,
            price_book=link.price_book,
            groups=groups,
            option_ids=option_ids,
        ),
    }
    if not product.is_active:
        context["errors"] = [_("This product is no longer available.")]
    action = request.POST.get("action") if request.method == "POST" else None
    status = 200
    if action == "submit" and product.is_active:
        context["current_step"] = len(context["steps"])
        form = CustomerForm(request.POST)
        context["customer_form"] = form
        configuration = context["configuration"]
        if _over_limit(link, request):
            context["errors"] = [_("Too many submissions; try again in a few minutes.")]
            status = 429
        elif not configuration.valid:
            context["errors"] = [violation.message for violation in configuration.violations]
        elif form.is_valid():
            try:
                services.configurator_link_submit(
                    link=link,
                    option_ids=configuration.option_ids,
                    customer_name=form.cleaned_data["customer_name"],
                    customer_email=form.cleaned_data["customer_email"],
                )
            except ValidationError as exc:
                context["errors"] = exc.messages
            else:
                return redirect("public_configurator_thanks", link_token=link.token)
    context["has_primary"] = product.is_active
    context["primary_enabled"] = context["configuration"].valid and product.is_active
    if wants_fragment(request) and not action:
        return _private(render(request, "configurator/_summary.html", context | {"oob": True}))
    return _private(render(request, "configurator/public.html", context, status=status))


@never_cache
def public_configurator_thanks(request, link_token: str):
    link = _link_or_404(link_token)
    if request.method not in {"GET", "HEAD"}:
        return HttpResponseNotAllowed(["GET", "HEAD"])
    if link.submitted_at is None:
        return redirect("public_configurator", link_token=link.token)
    configuration = selectors.link_configuration(link)
    context = {
        "link": link,
        "product": link.product,
        "organization": link.tenant,
        "rep_name": rep_name(link),
        "configuration": configuration,
        "unit_text": money(configuration.unit_price, configuration.currency)
        if services.link_prices_valid(link)
        else "",
    }
    return _private(render(request, "configurator/public_thanks.html", context))
