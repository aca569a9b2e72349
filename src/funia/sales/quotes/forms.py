"""Forms of the quote pages: the draft's fields, a new line, a line's quantity and
discount, the approval note, the customer's decision, and the organisation's document
settings."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

PERCENT = {"min_value": Decimal(0), "max_value": Decimal(100), "decimal_places": 2}
QUANTITY = {"min_value": Decimal("0.001"), "max_digits": 12, "decimal_places": 3}


class QuoteForm(forms.Form):
    """The fields of a draft; choices come from the view (the deal's contacts, the price
    books in the deal's currency)."""

    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    contact = forms.TypedChoiceField(
        label=_("Recipient"), required=False, coerce=int, empty_value=None
    )
    price_book = forms.TypedChoiceField(
        label=_("Price book"),
        coerce=int,
        help_text=_("Changing the price book reprices every line."),
    )
    discount_percent = forms.DecimalField(label=_("Quote discount (%)"), **PERCENT)
    valid_until = forms.DateField(
        label=_("Valid until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Empty: 30 days from sending."),
    )
    notes = forms.CharField(
        label=_("Notes for the customer"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    update_opportunity_amount = forms.BooleanField(
        label=_("The deal's amount follows the accepted quote"), required=False
    )

    def __init__(self, *args, contacts=(), price_books=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].choices = [("", "—"), *[(c.pk, str(c)) for c in contacts]]
        self.fields["price_book"].choices = [(b.pk, str(b)) for b in price_books]

    @classmethod
    def initial_of(cls, quote) -> dict:
        return {
            "title": quote.title,
            "contact": quote.contact_id,
            "price_book": quote.price_book_id,
            "discount_percent": quote.discount_percent,
            "valid_until": quote.valid_until,
            "notes": quote.notes,
            "update_opportunity_amount": quote.update_opportunity_amount,
        }

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "contact_id": data["contact"],
            "price_book_id": data["price_book"],
            "discount_percent": data["discount_percent"],
            "valid_until": data["valid_until"],
            "notes": data["notes"],
            "update_opportunity_amount": data["update_opportunity_amount"],
        }


class LineAddForm(forms.Form):
    product = forms.TypedChoiceField(label=_("Product"), coerce=int)
    quantity = forms.DecimalField(label=_("Quantity"), initial=1, **QUANTITY)
    discount_percent = forms.DecimalField(
        label=_("Line discount (%)"), initial=0, required=False, **PERCENT
    )

    def __init__(self, *args, products=(), **kwargs):
        # Its own ids: the quote's fields on the same page have a discount_percent too.
        super().__init__(*args, auto_id="line-%s", **kwargs)
        self.fields["product"].choices = [("", "—"), *products]


class LineForm(forms.Form):
    line = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    quantity = forms.DecimalField(label=_("Quantity"), required=False, **QUANTITY)
    discount_percent = forms.DecimalField(label=_("Line discount (%)"), required=False, **PERCENT)


class ApprovalForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("request", "request"), ("approve", "approve"), ("refuse", "refuse")]
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class DecisionForm(forms.Form):
    """The customer's answer: accept with their full name (and a note), or decline with a
    reason (the name is then optional)."""

    decision = forms.ChoiceField(choices=[("accept", "accept"), ("reject", "reject")])
    name = forms.CharField(label=_("Full name"), max_length=200, required=False)
    note = forms.CharField(
        label=_("Note"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class QuoteCreateForm(forms.Form):
    price_book = forms.TypedChoiceField(
        label=_("Price book"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("Empty: the deal's price book, else the default one in its currency."),
    )

    def __init__(self, *args, price_books=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["price_book"].choices = [(b.pk, str(b)) for b in price_books]
