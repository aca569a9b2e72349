"""Forms of the command center: the grid's parameters and one quota cell."""

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from funia.core import periods
from funia.sales.quotas.command_center import GRANULARITIES

GRANULARITY_CHOICES = [
    (periods.MONTH, _("Months")),
    (periods.QUARTER, _("Quarters")),
    (periods.YEAR, _("Year")),
]


class GridForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=1900, max_value=2999, required=False)
    granularity = forms.ChoiceField(label=_("Columns"), choices=GRANULARITY_CHOICES, required=False)

    def params(self, today: datetime.date) -> tuple[int, str]:
        """(year, granularity); what is missing or not valid falls back to this year's
        quarters."""
        data = self.cleaned_data if self.is_valid() else {}
        year = data.get("year") or today.year
        granularity = data.get("granularity") or periods.QUARTER
        if granularity not in GRANULARITIES:
            granularity = periods.QUARTER
        return year, granularity


class CellForm(forms.Form):
    """One quota as the grid posts it: whose (`user-5`, `team-3`), which period, how much
    (empty: remove the quota)."""

    who = forms.RegexField(regex=r"^(user|team)-[1-9][0-9]{0,17}$")
    period = forms.ChoiceField(choices=[(k, k) for k in periods.KINDS])
    start = forms.DateField()
    amount = forms.CharField(required=False, max_length=40, strip=True)

    def subject(self) -> tuple[str, int]:
        kind, pk = self.cleaned_data["who"].split("-")
        return kind, int(pk)
