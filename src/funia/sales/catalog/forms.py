"""HTML forms of products, their files and options, and price books with their prices.
The services validate and save; these forms only read what a person typed."""

from django import forms
from django.utils.translation import gettext_lazy as _

from funia.sales.catalog.models import (
    AdjustmentType,
    OptionGroupKind,
    PriceBook,
    Product,
    ProductFileKind,
)
from funia.sales.leads.forms import ServiceForm

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ProductForm(ServiceForm):
    class Meta:
        model = Product
        fields = ["sku", "name", "category", "unit", "tax_rate", "is_active", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 10})}
        help_texts = {
            "sku": _("Unique among the organisation's products."),
            "unit": _("What a quantity counts, e.g. pcs, hour or licence."),
            "tax_rate": _("Percent, from 0 to 100."),
            "description": _(
                "What reps read during a call. HTML is allowed: paragraphs, bold, italics, "
                "lists, h3/h4 headings, tables and links (http, https, mailto); anything "
                "else is removed."
            ),
        }

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        self.fields["unit"].initial = "pcs"
        self.fields["description"].required = False
        self.fields["category"].required = False


class ProductFileForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "Images: PNG, JPEG, WebP, GIF. Documents: PDF, DOCX, XLSX, PPTX, TXT, ODT. "
            "At most 10 MB."
        ),
    )
    title = forms.CharField(
        label=_("Title"), max_length=200, required=False, help_text=_("Default: the file's name.")
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("From the file's type")), *ProductFileKind.choices],
    )


class OptionGroupForm(forms.Form):
    name = forms.CharField(label=_("Group name"), max_length=120)
    kind = forms.ChoiceField(label=_("Choice"), choices=OptionGroupKind.choices)
    required = forms.BooleanField(label=_("A choice is required"), required=False)


class OptionForm(forms.Form):
    name = forms.CharField(label=_("Option name"), max_length=120)
    price_adjustment = forms.DecimalField(
        label=_("Price adjustment"), max_digits=14, decimal_places=2, initial=0
    )
    adjustment_type = forms.ChoiceField(label=_("Adjustment"), choices=AdjustmentType.choices)
    default = forms.BooleanField(label=_("Chosen by default"), required=False)
    requires = forms.TypedMultipleChoiceField(
        label=_("Requires"), coerce=int, required=False, choices=()
    )
    excludes = forms.TypedMultipleChoiceField(
        label=_("Excludes"), coerce=int, required=False, choices=()
    )

    def __init__(self, *args, other_options=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(o.pk, f"{o.name} ({o.group.name})") for o in other_options]
        for name in ("requires", "excludes"):
            self.fields[name].choices = choices
            self.fields[name].widget.attrs["size"] = min(max(len(choices), 2), 6)

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["requires"] = [{"id": pk} for pk in data["requires"]]
        data["excludes"] = [{"id": pk} for pk in data["excludes"]]
        return data


class PriceBookForm(ServiceForm):
    class Meta:
        model = PriceBook
        fields = ["name", "currency", "valid_from", "valid_until", "is_active", "is_default"]
        widgets = {"valid_from": DATE, "valid_until": DATE}
        help_texts = {
            "currency": _("ISO 4217 code, e.g. EUR."),
            "valid_from": _("Empty: from any day."),
            "valid_until": _("Empty: no end. The last day the prices apply."),
            "is_default": _(
                "New deals in this currency use it; the other books of the currency stop "
                "being the default."
            ),
        }

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        self.fields["currency"].initial = actor.tenant.currency


class PriceBookEntryForm(forms.Form):
    product = forms.TypedChoiceField(label=_("Product"), coerce=int, choices=())
    unit_price = forms.DecimalField(
        label=_("Unit price"), min_value=0, max_digits=14, decimal_places=2
    )

    def __init__(self, *args, products=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [("", "—")] + [(p.pk, str(p)) for p in products]
