"""HTML forms of deals, pipelines and exchange rates; choices limited to the organisation.

The forms only parse and present: the services validate and write (their field errors are
put back on the form by the pages).
"""

from django import forms
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from funia.core.selectors import membership_list, team_list
from funia.core.visibility import visible_records
from funia.customers.models import Account, Contact
from funia.sales.models import ExchangeRate, Opportunity, Pipeline, PriceBook, Stage, StageKind
from funia.sales.pipelines import GATE_FIELDS
from funia.sales.selectors import default_pipeline, pipeline_list, stages_of

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def member_users(actor):
    """Active users of the actor's organisation, by name (owner choices)."""
    members = membership_list(tenant=actor.tenant).filter(is_active=True)
    return (
        type(actor.user)
        .objects.filter(pk__in=members.values("user_id"))
        .order_by("first_name", "last_name", "email")
    )


def stage_choices(stages) -> list[tuple]:
    return [(s.pk, s.name) for s in stages]


class ServiceFieldsMixin:
    """`service_fields()`: cleaned data with references as `<name>_id`."""

    def _post_clean(self):
        # The services validate and save; the model instance is not touched here.
        pass

    def service_fields(self) -> dict:
        data = {}
        for name, value in self.cleaned_data.items():
            if isinstance(self.fields[name], forms.ModelChoiceField):
                data[f"{name}_id"] = value.pk if value is not None else None
            else:
                data[name] = value
        return data


class OpportunityForm(ServiceFieldsMixin, forms.ModelForm):
    stage = forms.TypedChoiceField(label=_("Stage"), coerce=int, required=False)

    class Meta:
        model = Opportunity
        fields = [
            "name",
            "account",
            "contact",
            "owner",
            "pipeline",
            "stage",
            "amount",
            "currency",
            "price_book",
            "expected_close_date",
            "source",
            "campaign",
            "forecast_category",
            "next_step",
            "lost_reason",
            "description",
        ]
        labels = {"account": _("Account"), "contact": _("Primary contact")}
        widgets = {
            "expected_close_date": DATE,
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        tenant = actor.tenant
        self.fields["account"].queryset = visible_records(Account, actor).order_by("name")
        self.fields["contact"].queryset = visible_records(Contact, actor).order_by(
            "last_name", "first_name"
        )
        self.fields["owner"].queryset = member_users(actor)
        pipelines = pipeline_list(actor=actor).filter(deleted_at__isnull=True)
        self.fields["pipeline"].queryset = pipelines
        self.fields["pipeline"].required = False
        self.fields["currency"].required = False
        self.fields["price_book"].queryset = PriceBook.objects.for_tenant(tenant).filter(
            is_active=True
        )
        self.fields["price_book"].help_text = _(
            "Where the deal's quotes take their prices; empty: the default book in the deal's "
            "currency."
        )
        record = self.instance
        if record.pk is None:
            self.initial.setdefault("owner", actor.user.pk)
            self.initial.setdefault("currency", tenant.currency)
        else:
            self.initial["stage"] = record.stage_id
        # The stages offered are those of the chosen pipeline (the posted one, else the
        # record's, else the prefilled or default one); the page reloads them on a change.
        pipeline_id = self.data.get("pipeline") or (
            record.pipeline_id if record.pk else self.initial.get("pipeline")
        )
        if not str(pipeline_id or "").isdecimal():
            default = default_pipeline(tenant=tenant)
            pipeline_id = default.pk if default else None
        self.initial.setdefault("pipeline", pipeline_id)
        stages = stages_of(tenant=tenant, pipeline_id=int(pipeline_id)) if pipeline_id else []
        self.fields["stage"].choices = [("", _("First open stage")), *stage_choices(stages)]
        # A change of pipeline reloads the stage choices (HTMX).
        self.fields["pipeline"].widget.attrs.update(
            {
                "hx-get": reverse("opportunity_stage_options"),
                "hx-target": "#id_stage",
                "hx-trigger": "change",
            }
        )

    def service_fields(self) -> dict:
        data = super().service_fields()
        if data.get("pipeline_id") is None:
            data.pop("pipeline_id", None)
        if data.get("stage") in (None, ""):
            data.pop("stage", None)
        else:
            data["stage_id"] = data.pop("stage")
        if not data.get("currency"):
            data.pop("currency", None)
        return data


class QuickEditForm(ServiceFieldsMixin, forms.ModelForm):
    """The board's inline edit of a card."""

    class Meta:
        model = Opportunity
        fields = ["amount", "expected_close_date", "next_step", "owner"]
        widgets = {"expected_close_date": DATE}

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = member_users(actor)


class MoveForm(forms.Form):
    """What a stage gate may ask for on a move (only the fields it asks for are shown)."""

    stage = forms.IntegerField(widget=forms.HiddenInput)
    account = forms.ModelChoiceField(label=_("Account"), queryset=Account.objects.none())
    contact = forms.ModelChoiceField(label=_("Primary contact"), queryset=Contact.objects.none())
    amount = forms.DecimalField(label=_("Amount"), max_digits=18, decimal_places=2, min_value=0)
    expected_close_date = forms.DateField(label=_("Expected close date"), widget=DATE)
    next_step = forms.CharField(label=_("Next step"), max_length=300)
    source = forms.CharField(label=_("Source"), max_length=100)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}))
    lost_reason = forms.CharField(label=_("Lost reason"), max_length=300)

    def __init__(self, *args, actor, asked=(), **kwargs):
        super().__init__(*args, **kwargs)
        for name in GATE_FIELDS:
            self.fields[name].required = False
            if name not in asked:
                self.fields[name].widget = forms.HiddenInput()
        if "account" in asked:
            self.fields["account"].queryset = visible_records(Account, actor).order_by("name")
        if "contact" in asked:
            self.fields["contact"].queryset = visible_records(Contact, actor).order_by(
                "last_name", "first_name"
            )

    def gate_fields(self) -> dict:
        """The gate fields given (empty ones are left as they are on the deal)."""
        data = {}
        for name in GATE_FIELDS:
            value = self.cleaned_data.get(name)
            if value in (None, ""):
                continue
            if name in ("account", "contact"):
                data[f"{name}_id"] = value.pk
            else:
                data[name] = value
        return data


class BoardFilterForm(forms.Form):
    """The board's filters (parsed by the list's filter schema; this only renders them)."""

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.owners = membership_list(tenant=actor.tenant).filter(is_active=True)
        self.teams = team_list(tenant=actor.tenant)


class PipelineForm(ServiceFieldsMixin, forms.ModelForm):
    """A pipeline with its ordered stages (a formset of stage rows)."""

    class Meta:
        model = Pipeline
        fields = ["name", "position", "is_default"]

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        initial = None
        if self.instance.pk:
            initial = [
                {
                    "id": s.pk,
                    "name": s.name,
                    "probability": s.probability,
                    "kind": s.kind,
                    "required_fields": list(s.required_fields),
                    "ORDER": index + 1,
                }
                for index, s in enumerate(
                    stages_of(tenant=actor.tenant, pipeline_id=self.instance.pk)
                )
            ]
        elif not self.is_bound:
            initial = [
                {"name": "", "probability": 10, "kind": StageKind.OPEN, "ORDER": 1},
                {"name": _("Won"), "probability": 100, "kind": StageKind.WON, "ORDER": 2},
                {"name": _("Lost"), "probability": 0, "kind": StageKind.LOST, "ORDER": 3},
            ]
        self.stages = StageFormSet(
            self.data if self.is_bound else None, initial=initial, prefix="stages"
        )

    def is_valid(self) -> bool:
        # Both, so every error shows at once.
        valid = super().is_valid()
        return self.stages.is_valid() and valid

    def service_fields(self) -> dict:
        data = super().service_fields()
        rows = []
        for form in self.stages.ordered_forms:
            if not form.has_changed() and not form.cleaned_data.get("id"):
                continue
            if form.cleaned_data.get("DELETE"):
                continue
            cleaned = form.cleaned_data
            rows.append(
                {
                    "id": cleaned.get("id"),
                    "name": cleaned.get("name") or "",
                    "probability": cleaned.get("probability"),
                    "kind": cleaned.get("kind") or StageKind.OPEN,
                    "required_fields": list(cleaned.get("required_fields") or []),
                }
            )
        data["stages"] = rows
        return data


def _gate_choices():
    return [
        (name, capfirst(Opportunity._meta.get_field(name).verbose_name)) for name in GATE_FIELDS
    ]


class StageRowForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("Name"), max_length=120, required=False)
    probability = forms.IntegerField(
        label=_("Win probability (%)"), min_value=0, max_value=100, required=False
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=StageKind.choices, initial=StageKind.OPEN)
    required_fields = forms.MultipleChoiceField(
        label=_("Required before entering"),
        choices=_gate_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class _StageFormSet(forms.BaseFormSet):
    ordering_widget = forms.NumberInput(attrs={"min": 1, "class": "input-narrow"})

    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields["ORDER"].label = _("Position")
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove")


StageFormSet = forms.formset_factory(
    StageRowForm, formset=_StageFormSet, extra=0, can_order=True, can_delete=True
)


class ExchangeRateForm(ServiceFieldsMixin, forms.ModelForm):
    class Meta:
        model = ExchangeRate
        fields = ["currency", "rate"]
        help_texts = {
            "currency": _("Three-letter ISO 4217 code, e.g. USD."),
            "rate": _("What one unit of this currency is worth in the organisation's currency."),
        }

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["currency"].disabled = True

    def service_fields(self) -> dict:
        data = super().service_fields()
        if self.instance.pk:
            data.pop("currency", None)
        return data


def stage_options(actor, pipeline_id) -> list[Stage]:
    """Stages of a pipeline of the actor's organisation (none for an unknown one)."""
    return stages_of(tenant=actor.tenant, pipeline_id=pipeline_id) if pipeline_id else []
