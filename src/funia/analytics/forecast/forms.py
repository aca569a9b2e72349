"""Forms of the forecast pages: the inline adjustment of one number, and the adjustment
record's own form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from funia.analytics.forecast.adjustments import CATEGORIES, adjustable_user_ids
from funia.analytics.models import ForecastAdjustment
from funia.core.models import User
from funia.sales.models import PeriodKind

PERIOD_CHOICES = [(p.value, p.label) for p in (PeriodKind.MONTH, PeriodKind.QUARTER)]
CATEGORY_CHOICES = [(c.value, c.label) for c in CATEGORIES]


def adjustable_users(actor):
    """The members whose forecast the actor may adjust, by name."""
    users = User.objects.filter(memberships__tenant=actor.tenant)
    allowed = adjustable_user_ids(actor)
    if allowed is not None:
        users = users.filter(pk__in=allowed)
    return users.order_by("first_name", "last_name", "email")


class AdjustmentInlineForm(forms.Form):
    """One number of the forecast: the amount the manager expects (empty: no adjustment)."""

    user = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1)
    period = forms.ChoiceField(choices=PERIOD_CHOICES, widget=forms.HiddenInput)
    start = forms.DateField(widget=forms.HiddenInput)
    category = forms.ChoiceField(choices=CATEGORY_CHOICES, widget=forms.HiddenInput)
    back = forms.CharField(required=False, max_length=1000, widget=forms.HiddenInput)
    amount = forms.DecimalField(
        label=_("Adjusted amount"),
        required=False,
        min_value=0,
        max_digits=18,
        decimal_places=2,
        help_text=_("Leave empty to go back to the computed amount."),
    )
    note = forms.CharField(label=_("Why"), required=False, max_length=300)


class ForecastAdjustmentForm(forms.ModelForm):
    user = forms.ModelChoiceField(queryset=User.objects.none(), label=_("Rep"))
    period = forms.ChoiceField(choices=PERIOD_CHOICES, label=_("Period"))
    start = forms.DateField(
        label=_("Period start"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The first day of the month or quarter."),
    )
    category = forms.ChoiceField(choices=CATEGORY_CHOICES, label=_("Forecast category"))
    amount = forms.DecimalField(label=_("Amount"), min_value=0, max_digits=18, decimal_places=2)

    class Meta:
        model = ForecastAdjustment
        fields = ["user", "period", "start", "category", "amount", "note"]

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        users = adjustable_users(actor)
        if self.instance.pk:
            # The rep of the record stays choosable even if the choices are narrower now.
            users = users | User.objects.filter(pk=self.instance.user_id)
        self.fields["user"].queryset = users.distinct()

    def _post_clean(self):
        # The services validate and save; the model instance is not touched here.
        pass

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        user = data.pop("user")
        return {"user_id": user.pk if user else None, **data}
