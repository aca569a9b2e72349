"""The HTML form of a territory: rules typed one per line, the manager and the reps."""

from django import forms
from django.utils.translation import gettext_lazy as _

from funia.sales.leads.forms import LinesField, ServiceForm, _members
from funia.sales.models import Territory
from funia.sales.territories.services import current_rep_ids


class TerritoryForm(ServiceForm):
    countries = LinesField(
        label=_("Countries"),
        required=False,
        help_text=_("ISO codes or names, one per line, e.g. BG. Empty: any country."),
    )
    regions = LinesField(
        label=_("Regions"), required=False, help_text=_("One per line. Empty: any region.")
    )
    industries = LinesField(
        label=_("Industries"), required=False, help_text=_("One per line. Empty: any industry.")
    )
    reps = forms.ModelMultipleChoiceField(
        label=_("Reps"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("New leads can be assigned round-robin among them (assignment rules)."),
    )

    class Meta:
        model = Territory
        fields = [
            "name",
            "position",
            "is_active",
            "countries",
            "regions",
            "industries",
            "min_employees",
            "max_employees",
            "manager",
        ]
        help_texts = {
            "position": _(
                "An account belongs to the first active territory, by position, whose rules "
                "it matches."
            ),
            "min_employees": _("Empty: no lower bound."),
            "max_employees": _(
                "Empty: no upper bound. With a bound, accounts of unknown size do not match."
            ),
        }

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        members = _members(actor)
        self.fields["manager"].queryset = members
        self.fields["reps"].queryset = members
        self.fields["position"].required = False
        if self.instance.pk is not None:
            self.initial.setdefault("reps", current_rep_ids(self.instance))

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        reps = data.pop("reps", None)
        manager = data.pop("manager", None)
        fields = {**data, "manager_id": manager.pk if manager is not None else None}
        fields["rep_ids"] = [user.pk for user in reps or []]
        return fields
