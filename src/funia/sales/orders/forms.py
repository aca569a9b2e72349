"""HTML forms of orders: a new order with its lines (a small formset) and the edit of the
notes, date, contact and external number. The services validate and write."""

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from funia.core.visibility import visible_records
from funia.customers.models import Account, Contact
from funia.sales.catalog.models import PriceBook, Product
from funia.sales.models import Opportunity
from funia.sales.orders.models import Order

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# The accounts, contacts and deals a new order's selects offer: the most recently updated.
CHOICES = 200
# Empty rows a new order starts with; "Add a line" adds one, up to MAX_FORM_LINES.
START_LINES = 3
MAX_FORM_LINES = 50


class OrderCreateForm(forms.Form):
    account = forms.ModelChoiceField(
        label=_("Account"), queryset=Account.objects.none(), required=False
    )
    contact = forms.ModelChoiceField(
        label=_("Contact"),
        queryset=Contact.objects.none(),
        required=False,
        help_text=_("An order is for an account, a contact, or both."),
    )
    opportunity = forms.ModelChoiceField(
        label=_("Deal"), queryset=Opportunity.objects.none(), required=False
    )
    price_book = forms.ModelChoiceField(
        label=_("Price book"),
        queryset=PriceBook.objects.none(),
        required=False,
        empty_label=_("The deal's, else the default one"),
        help_text=_("Lines without a unit price are priced from it."),
    )
    ordered_on = forms.DateField(label=_("Order date"), widget=DATE, required=False)
    discount_percent = forms.DecimalField(
        label=_("Order discount (%)"),
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
        initial=0,
        required=False,
    )
    notes = forms.CharField(
        label=_("Notes"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=20_000,
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        for name, model, order in (
            ("account", Account, ("name", "id")),
            ("contact", Contact, ("last_name", "first_name", "id")),
            ("opportunity", Opportunity, ("name", "id")),
        ):
            self.fields[name].queryset = self._offered(name, visible_records(model, actor), order)
        self.fields["price_book"].queryset = PriceBook.objects.for_tenant(actor.tenant).filter(
            is_active=True
        )

    def _asked_for(self, name: str) -> list[int]:
        """The record the page was opened for (?account=…) or the one sent."""
        values = [self.initial.get(name)]
        if self.is_bound:
            values.append(self.data.get(name))
        return [
            int(value) for value in map(str, values) if value.isdecimal() and 0 < int(value) < 2**63
        ]

    def _offered(self, name: str, visible: QuerySet, order: tuple) -> QuerySet:
        """The `CHOICES` most recently updated of the `visible` records and the one asked
        for, in `order`: a select stays short in a large organisation, and any visible
        record sent is still accepted."""
        recent = visible.order_by("-updated_at", "-id").values("pk")[:CHOICES]
        return visible.filter(Q(pk__in=recent) | Q(pk__in=self._asked_for(name))).order_by(*order)

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        if data.get("discount_percent") is None:
            data["discount_percent"] = 0
        return data


class OrderLineForm(forms.Form):
    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.none(), required=False
    )
    quantity = forms.DecimalField(
        label=_("Quantity"),
        min_value=0,
        max_digits=12,
        decimal_places=3,
        initial=1,
        required=False,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    discount_percent = forms.DecimalField(
        label=_("Discount (%)"),
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
        initial=0,
        required=False,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    unit_price = forms.DecimalField(
        label=_("Unit price"),
        min_value=0,
        max_digits=14,
        decimal_places=2,
        required=False,
        widget=forms.NumberInput(
            attrs={"step": "any", "inputmode": "decimal", "placeholder": _("from the book")}
        ),
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.for_tenant(actor.tenant).filter(
            is_active=True
        )

    def line(self) -> dict | None:
        """The service's line, or None for a row left empty."""
        data = self.cleaned_data
        if not data.get("product"):
            return None
        line = {
            "product": data["product"],
            "quantity": data.get("quantity") if data.get("quantity") is not None else 1,
            "discount_percent": data.get("discount_percent") or 0,
        }
        if data.get("unit_price") is not None:
            line["unit_price"] = data["unit_price"]
        return line


class BaseLineFormSet(forms.BaseFormSet):
    def lines(self) -> list[dict]:
        return [line for form in self.forms if (line := form.line()) is not None]


LineFormSet = forms.formset_factory(
    OrderLineForm,
    formset=BaseLineFormSet,
    extra=START_LINES,
    max_num=MAX_FORM_LINES,
    absolute_max=MAX_FORM_LINES,
    validate_max=True,
)


class OrderEditForm(forms.ModelForm):
    """What changes on an order after it is made; its lines and amounts do not."""

    class Meta:
        model = Order
        fields = ["ordered_on", "contact", "external_ref", "notes"]
        widgets = {"ordered_on": DATE, "notes": forms.Textarea(attrs={"rows": 4})}
        help_texts = {"external_ref": _("The order's number in another system, e.g. the ERP.")}

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["contact"].queryset = visible_records(Contact, actor).order_by(
            "last_name", "first_name", "id"
        )

    def _post_clean(self):
        # The services validate and save; the model instance is not touched here.
        pass

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        contact = data.pop("contact", None)
        return {**data, "contact_id": contact.pk if contact is not None else None}
