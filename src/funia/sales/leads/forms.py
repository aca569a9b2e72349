"""HTML forms of leads, web-to-lead forms, assignment rules and the conversion."""

from django import forms
from django.utils.translation import gettext_lazy as _

from funia.core.models import Team
from funia.core.selectors import membership_list
from funia.sales.leads.webform import FORM_FIELDS
from funia.sales.models import AssignmentRule, Lead, LeadForm, LeadStatus, Pipeline, Stage


def _members(actor):
    members = membership_list(tenant=actor.tenant).filter(is_active=True)
    return (
        type(actor.user)
        .objects.filter(pk__in=members.values("user_id"))
        .order_by("first_name", "last_name", "email")
    )


class ServiceForm(forms.ModelForm):
    """A model form whose reference choices come from the actor's organisation; the
    services validate and save (the instance is not touched here)."""

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor

    def _post_clean(self):
        pass

    def service_fields(self) -> dict:
        data = {}
        for name, value in self.cleaned_data.items():
            if isinstance(self.fields[name], forms.ModelChoiceField):
                data[f"{name}_id"] = value.pk if value is not None else None
            else:
                data[name] = value
        return data


class LeadEditForm(ServiceForm):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[(s.value, s.label) for s in LeadStatus if s != LeadStatus.CONVERTED],
        initial=LeadStatus.NEW,
    )
    consent_email = forms.NullBooleanField(label=_("Email consent"), required=False)
    consent_phone = forms.NullBooleanField(label=_("Phone consent"), required=False)
    consent_marketing = forms.NullBooleanField(label=_("Marketing consent"), required=False)

    class Meta:
        model = Lead
        fields = [
            "first_name",
            "last_name",
            "company",
            "title",
            "email",
            "phone",
            "website",
            "country",
            "region",
            "city",
            "industry",
            "employees",
            "status",
            "disqualify_reason",
            "source",
            "campaign",
            "rating",
            "owner",
            "consent_email",
            "consent_phone",
            "consent_marketing",
            "message",
        ]
        widgets = {"message": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"country": _("ISO code, e.g. BG")}

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        self.fields["owner"].queryset = _members(actor)
        if self.instance.pk is None:
            self.initial.setdefault("owner", actor.user.pk)
        self.fields["email"].widget = forms.EmailInput()
        self.fields["phone"].widget = forms.TextInput(attrs={"type": "tel"})


class LeadStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[(s.value, s.label) for s in LeadStatus if s != LeadStatus.CONVERTED],
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
    etag = forms.CharField(required=False, widget=forms.HiddenInput)


class LinesField(forms.CharField):
    """A list typed one per line (or comma-separated)."""

    widget = forms.Textarea(attrs={"rows": 2})

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(str(v) for v in value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [p.strip() for line in text.splitlines() for p in line.split(",") if p.strip()]


class WebFormForm(ServiceForm):
    fields = forms.MultipleChoiceField(
        label=_("Fields on the form"),
        choices=list(FORM_FIELDS.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    required = forms.MultipleChoiceField(
        label=_("Required fields"),
        choices=list(FORM_FIELDS.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    redirect_url = forms.URLField(
        label=_("Redirect after submission"), required=False, assume_scheme="https"
    )
    allowed_origins = LinesField(
        label=_("Allowed sites"),
        required=False,
        help_text=_("One origin per line, e.g. https://www.example.com"),
    )

    class Meta:
        model = LeadForm
        fields = [
            "name",
            "is_active",
            "fields",
            "required",
            "allowed_origins",
            "source",
            "campaign",
            "owner",
            "consent_text",
            "thank_you",
            "redirect_url",
        ]

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        self.fields["owner"].queryset = _members(actor)
        if self.instance.pk is None:
            self.initial.setdefault(
                "fields", ["first_name", "last_name", "company", "email", "phone", "message"]
            )
            self.initial.setdefault("required", ["email"])


class AssignmentRuleForm(ServiceForm):
    countries = LinesField(label=_("Countries"), required=False, help_text=_("ISO codes, e.g. BG"))
    regions = LinesField(label=_("Regions"), required=False)
    industries = LinesField(label=_("Industries"), required=False)
    sources = LinesField(label=_("Sources"), required=False)

    class Meta:
        model = AssignmentRule
        fields = [
            "name",
            "position",
            "is_active",
            "countries",
            "regions",
            "industries",
            "sources",
            "user",
            "team",
            "by_territory",
        ]
        help_texts = {
            "position": _("Rules are tried from the lowest position up."),
            "by_territory": _(
                "Round-robin among the reps of the lead's territory, instead of a user or a "
                "team. Leads without a territory, or whose territory has no reps, go to the "
                "next rule."
            ),
        }

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        self.fields["user"].queryset = _members(actor)
        self.fields["team"].queryset = Team.objects.for_tenant(actor.tenant).order_by("name")
        self.fields["position"].required = False


class ConvertForm(forms.Form):
    """The conversion page: link an existing account/contact or create new ones."""

    account = forms.CharField(required=False)  # "new", "none" or an account id
    contact = forms.CharField(required=False)  # "new" or a contact id
    create_opportunity = forms.BooleanField(label=_("Create a deal"), required=False)
    opportunity_name = forms.CharField(label=_("Deal name"), max_length=200, required=False)
    pipeline = forms.ModelChoiceField(label=_("Pipeline"), queryset=None, required=False)
    stage = forms.ModelChoiceField(label=_("Stage"), queryset=None, required=False)
    amount = forms.DecimalField(
        label=_("Amount"), max_digits=18, decimal_places=2, min_value=0, required=False
    )
    currency = forms.CharField(label=_("Currency"), max_length=3, required=False)
    expected_close_date = forms.DateField(
        label=_("Expected close date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    etag = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pipeline"].queryset = Pipeline.objects.for_tenant(actor.tenant).order_by(
            "position", "id"
        )
        self.fields["stage"].queryset = (
            Stage.objects.for_tenant(actor.tenant)
            .select_related("pipeline")
            .order_by("pipeline__position", "pipeline_id", "position", "id")
        )
        self.fields["stage"].label_from_instance = lambda s: f"{s.pipeline.name}: {s.name}"

    def clean_account(self):
        return self._choice("account", allow_none=True)

    def clean_contact(self):
        return self._choice("contact", allow_none=False)

    def _choice(self, name: str, *, allow_none: bool):
        value = (self.cleaned_data.get(name) or "new").strip()
        if value == "new" or (allow_none and value == "none"):
            return value
        if value.isdecimal() and 0 < int(value) < 2**63:
            return int(value)
        raise forms.ValidationError(_("Choose one of the options."))
