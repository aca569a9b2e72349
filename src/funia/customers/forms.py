"""HTML forms of accounts and contacts; choices limited to the user's organisation."""

from django import forms
from django.utils.translation import gettext_lazy as _

from funia.core.selectors import membership_list
from funia.core.visibility import visible_records
from funia.customers.models import Account, Contact


class RecordForm(forms.ModelForm):
    """A model form whose reference choices come from the actor's organisation."""

    reference_fields: tuple[str, ...] = ()

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        if "owner" in self.fields:
            members = membership_list(tenant=actor.tenant).filter(is_active=True)
            self.fields["owner"].queryset = (
                type(actor.user)
                .objects.filter(pk__in=members.values("user_id"))
                .order_by("first_name", "last_name")
            )
            if self.instance.pk is None:
                self.initial.setdefault("owner", actor.user.pk)

    def service_fields(self) -> dict:
        """Cleaned data as service fields: references by id."""
        data = {}
        for name, value in self.cleaned_data.items():
            if isinstance(self.fields[name], forms.ModelChoiceField):
                data[f"{name}_id"] = value.pk if value is not None else None
            else:
                data[name] = value
        return data


class AccountForm(RecordForm):
    class Meta:
        model = Account
        fields = [
            "name",
            "domain",
            "parent",
            "industry",
            "country",
            "city",
            "employees",
            "email",
            "phone",
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
    class Meta:
        model = Contact
        fields = [
            "first_name",
            "last_name",
            "title",
            "account",
            "email",
            "phone",
            "source",
            "owner",
        ]
        labels = {"account": _("Account")}

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        self.fields["account"].queryset = visible_records(Account, actor).order_by("name")
