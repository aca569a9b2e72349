"""Forms of the configurator pages: a configured product onto a quote, and the customer's
name and email on the public page."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _


class AddToQuoteForm(forms.Form):
    quantity = forms.DecimalField(
        label=_("Quantity"),
        min_value=Decimal("0.001"),
        max_value=Decimal("999999999"),
        max_digits=12,
        decimal_places=3,
        initial=1,
    )
    discount_percent = forms.DecimalField(
        label=_("Line discount (%)"),
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
        initial=0,
    )

    def __init__(self, *args, prefix_id: str = "q", **kwargs):
        super().__init__(*args, auto_id=f"{prefix_id}-%s", **kwargs)
        for name in self.fields:
            self.fields[name].widget.attrs.setdefault("inputmode", "decimal")


class CustomerForm(forms.Form):
    customer_name = forms.CharField(
        label=_("Your name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    customer_email = forms.EmailField(
        label=_("Your email"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
