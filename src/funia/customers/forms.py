"""HTML forms of accounts and contacts; choices limited to the user's organisation.

Emails and phones are typed one per line, optionally with a label ("work: +359 88 ...");
tags comma-separated; custom fields become form fields of their type.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from funia.core.selectors import membership_list
from funia.core.visibility import visible_records
from funia.customers.custom_fields import definitions
from funia.customers.models import Account, Contact, CustomField

LINES_HELP = _("One per line; a label may come first, e.g. “work: …”.")


def _lines_to_points(text: str) -> list[dict]:
    points = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        label, sep, value = line.partition(": ")
        points.append(
            {"label": label.strip(), "value": value.strip()}
            if sep
            else {"label": "", "value": line}
        )
    return points


def _points_to_lines(record, kind: str) -> str:
    return "\n".join(
        f"{p.label}: {p.value}" if p.label else p.value
        for p in record.points.all()
        if p.kind == kind
    )


def _custom_form_field(field: CustomField) -> forms.Field:
    common = {"label": field.label, "required": field.required}
    if field.kind == CustomField.Kind.NUMBER:
        return forms.DecimalField(**common)
    if field.kind == CustomField.Kind.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if field.kind == CustomField.Kind.CHOICE:
        return forms.ChoiceField(choices=[("", "—"), *[(c, c) for c in field.choices]], **common)
    if field.kind == CustomField.Kind.BOOLEAN:
        return forms.NullBooleanField(**common)
    return forms.CharField(max_length=1000, **common)


class RecordForm(forms.ModelForm):
    """A model form whose reference choices come from the actor's organisation."""

    entity = ""

    emails = forms.CharField(
        label=_("Emails"),
        required=False,
        help_text=LINES_HELP,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    phones = forms.CharField(
        label=_("Phones"),
        required=False,
        help_text=LINES_HELP,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    tags = forms.CharField(label=_("Tags"), required=False, help_text=_("Comma-separated."))
    address_street = forms.CharField(label=_("Street"), max_length=200, required=False)
    address_city = forms.CharField(label=_("City"), max_length=100, required=False)
    address_postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    address_country = forms.CharField(
        label=_("Country"), max_length=2, required=False, help_text=_("ISO code, e.g. BG")
    )

    ADDRESS_PARTS = ("street", "city", "postal_code", "country")

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        members = membership_list(tenant=actor.tenant).filter(is_active=True)
        self.fields["owner"].queryset = (
            type(actor.user)
            .objects.filter(pk__in=members.values("user_id"))
            .order_by("first_name", "last_name")
        )
        record = self.instance
        if record.pk is None:
            self.initial.setdefault("owner", actor.user.pk)
        else:
            self.initial["emails"] = _points_to_lines(record, "email")
            self.initial["phones"] = _points_to_lines(record, "phone")
            self.initial["tags"] = ", ".join(sorted(t.tag.name for t in record.tag_links.all()))
            first = record.addresses.first()
            for part in self.ADDRESS_PARTS:
                self.initial[f"address_{part}"] = getattr(first, part, "") if first else ""
        self.custom_fields = definitions(tenant=actor.tenant, entity=self.entity)
        for field in self.custom_fields:
            name = f"custom_{field.key}"
            self.fields[name] = _custom_form_field(field)
            if record.pk is not None:
                self.initial[name] = record.custom.get(field.key)

    def _post_clean(self):
        # The services validate and save; the model instance is not touched here.
        pass

    def service_fields(self) -> dict:
        """Cleaned data as service fields: references by id, lists, custom values."""
        data = {}
        for name, value in self.cleaned_data.items():
            if name.startswith("custom_"):
                continue
            if isinstance(self.fields[name], forms.ModelChoiceField):
                data[f"{name}_id"] = value.pk if value is not None else None
            else:
                data[name] = value
        data["emails"] = _lines_to_points(data.pop("emails", ""))
        data["phones"] = _lines_to_points(data.pop("phones", ""))
        data["tags"] = [t.strip() for t in (data.pop("tags", "") or "").split(",") if t.strip()]
        # The form edits the first address; further ones (from the API or an import) stay.
        first = {part: data.pop(f"address_{part}", "") or "" for part in self.ADDRESS_PARTS}
        others = []
        existing = self.instance.addresses.first() if self.instance.pk else None
        if existing is not None:
            first |= {"label": existing.label, "region": existing.region}
        if self.instance.pk:
            others = [
                {
                    "label": a.label,
                    "street": a.street,
                    "city": a.city,
                    "postal_code": a.postal_code,
                    "region": a.region,
                    "country": a.country,
                }
                for a in list(self.instance.addresses.all())[1:]
            ]
        data["addresses"] = [first, *others] if any(first.values()) else others
        data["custom"] = {
            f.key: self.cleaned_data.get(f"custom_{f.key}") for f in self.custom_fields
        }
        return data


class AccountForm(RecordForm):
    entity = "account"

    class Meta:
        model = Account
        fields = [
            "name",
            "domain",
            "parent",
            "industry",
            "segment",
            "employees",
            "country",
            "region",
            "city",
            "source",
            "owner",
        ]

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        parents = visible_records(Account, actor).order_by("name")
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents


class ContactForm(RecordForm):
    entity = "contact"

    consent_email = forms.NullBooleanField(label=_("Email consent"), required=False)
    consent_phone = forms.NullBooleanField(label=_("Phone consent"), required=False)
    consent_marketing = forms.NullBooleanField(label=_("Marketing consent"), required=False)

    class Meta:
        model = Contact
        fields = ["first_name", "last_name", "title", "account", "source", "owner"]
        labels = {"account": _("Account")}

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        self.fields["account"].queryset = visible_records(Account, actor).order_by("name")
        if self.instance.pk:
            for channel in ("email", "phone", "marketing"):
                self.initial[f"consent_{channel}"] = getattr(self.instance, f"consent_{channel}")

    def service_fields(self) -> dict:
        data = super().service_fields()
        data["consent"] = {
            channel: {
                "granted": data.pop(f"consent_{channel}"),
                "source": f"form: {self.actor.user.email}",
            }
            for channel in ("email", "phone", "marketing")
        }
        return data


class CustomFieldForm(forms.ModelForm):
    choices_text = forms.CharField(
        label=_("Choices"), required=False, help_text=_("For a choice field: comma-separated.")
    )

    class Meta:
        model = CustomField
        fields = ["entity", "key", "label", "kind", "required", "position"]

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        if self.instance.pk:
            # The key and type are fixed once values may exist.
            for name in ("entity", "key", "kind"):
                self.fields[name].disabled = True
            self.initial["choices_text"] = ", ".join(self.instance.choices)

    def _post_clean(self):
        pass  # the services validate and save

    def service_fields(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k != "choices_text"}
        if self.instance.pk:
            for name in ("entity", "key", "kind"):
                data.pop(name, None)
        text = self.cleaned_data.get("choices_text") or ""
        data["choices"] = [c.strip() for c in text.split(",") if c.strip()]
        return data
