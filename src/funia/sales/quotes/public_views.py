"""The customer's side of a quote (no login): the quote at /q/<token>/ with Accept (their
typed full name) and Reject (a reason), and its PDF. The token names the quote and so its
organisation; a draft's token does not exist yet. CSRF protection stays on."""

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from funia.sales.quotes import pdf, selectors, services
from funia.sales.quotes.documents import document_context
from funia.sales.quotes.forms import DecisionForm
from funia.sales.quotes.models import QuoteStatus


def _public(token: str):
    quote = selectors.public_quote(token)
    if quote is None:
        raise Http404
    return quote


def _order_reference(quote) -> str:
    try:
        return quote.order.reference
    except ObjectDoesNotExist:  # no order (yet): nothing to show
        return ""


def _page(request, quote, *, form=None, status=200):
    shown = services.effective_status(quote)
    context = document_context(quote) | {
        "shown": shown,
        "replaced": not quote.is_current,
        "open": quote.is_current and shown == QuoteStatus.SENT,
        "form": form or DecisionForm(),
        "order_reference": _order_reference(quote) if quote.status == QuoteStatus.ACCEPTED else "",
    }
    response = render(request, "quotes/public.html", context, status=status)
    response["X-Robots-Tag"] = "noindex"
    # The link is the secret: never sent to other sites (same-origin keeps CSRF checks working).
    response["Referrer-Policy"] = "same-origin"
    return response


@never_cache
def public_quote(request, quote_token: str):
    """The quote as the customer sees it; POST accepts or declines it."""
    quote = _public(quote_token)
    if request.method != "POST":
        return _page(request, quote)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _page(request, quote, form=form, status=400)
    data = form.cleaned_data
    try:
        if data["decision"] == "accept":
            services.quote_accept(quote, name=data["name"], note=data["note"])
        else:
            services.quote_reject(quote, name=data["name"], reason=data["reason"])
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc.messages)
        return _page(request, _public(quote_token), form=form, status=400)
    except PermissionDenied:
        # Nobody of the organisation can take the answer (no active administrator left).
        form.add_error(
            None,
            _("Your answer cannot be recorded online right now: please contact us directly."),
        )
        return _page(request, _public(quote_token), form=form, status=409)
    return redirect("public_quote", quote_token=quote.public_token)


@never_cache
def public_quote_pdf(request, quote_token: str):
    response = pdf.pdf_response(_public(quote_token))
    response["X-Robots-Tag"] = "noindex"
    return response
