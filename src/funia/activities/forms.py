"""HTML forms of activities, completing one, the quick log and purposes.

The customer is one field, "contact:<id>" or "account:<id>", chosen from a search (HTMX)
so the form stays small with a million contacts; a lead or a deal comes from the page the
form was opened on (?lead=, ?opportunity=) and is kept as a hidden field.
"""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from funia.activities import selectors
from funia.activities.models import ActivityKind
from funia.core.selectors import membership_list
from funia.core.visibility import visible_records

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
CUSTOMER_ERRORS = {"contact": "customer", "account": "customer"}
QUICK_KINDS = [
    (ActivityKind.CALL, _("Call")),
    (ActivityKind.VISIT, _("Visit")),
    (ActivityKind.MEETING, _("Meeting")),
    (ActivityKind.EMAIL, _("Email")),
]


def datetime_field(label, **kwargs) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=False,
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
        **kwargs,
    )


def parse_customer(value: str) -> tuple[str, int] | None:
    kind, _sep, pk = (value or "").partition(":")
    if kind in ("contact", "account") and pk.isdecimal() and 0 < int(pk) <= 2**63 - 1:
        return kind, int(pk)
    return None


def customer_fields(value: str) -> dict:
    """The service fields of a customer choice; empty clears both links."""
    parsed = parse_customer(value)
    if parsed is None:
        return {"contact_id": None, "account_id": None}
    kind, pk = parsed
    if kind == "contact":
        return {"contact_id": pk}
    return {"account_id": pk, "contact_id": None}


class CustomerSelect(forms.Select):
    """A select whose options come from the customer search next to it."""

    template_name = "activities/_customer_select.html"

    def __init__(self, *args, options_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.options_url = options_url

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["options_url"] = self.options_url
        return context


def _customer_field() -> forms.CharField:
    return forms.CharField(
        label=_("Customer"),
        required=False,
        widget=CustomerSelect(),
        help_text=_("Type a name, email or phone to find the contact or account."),
    )


def _user_queryset(actor):
    members = membership_list(tenant=actor.tenant).filter(is_active=True)
    return (
        type(actor.user)
        .objects.filter(pk__in=members.values("user_id"))
        .order_by("first_name", "last_name", "email")
    )


def _set_customer_choice(form, actor, value: str) -> None:
    label = selectors.customer_label(actor=actor, value=value) if value else ""
    choices = [("", "—")]
    if label:
        choices.append((value, label))
    else:
        value = ""
    form.fields["customer"].widget.choices = choices
    form.initial["customer"] = value


def _customer_option_from_post(form, actor) -> None:
    """Keep the posted customer as an option, so an invalid form shows it again."""
    if form.is_bound:
        value = form.data.get("customer", "")
        label = selectors.customer_label(actor=actor, value=value)
        if label:
            form.fields["customer"].widget.choices = [("", "—"), (value, label)]


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ActivityKind.choices)
    customer = _customer_field()
    purpose = forms.ModelChoiceField(label=_("Purpose"), queryset=None, required=False)
    subject = forms.CharField(
        label=_("Subject"),
        max_length=200,
        required=False,
        help_text=_("Empty: the kind and the customer's name."),
    )
    due_at = datetime_field(_("Due"))
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), required=False, min_value=0, max_value=10080
    )
    owner = forms.ModelChoiceField(label=_("Assigned to"), queryset=None, required=False)
    location = forms.CharField(label=_("Location"), max_length=200, required=False)
    remind_at = datetime_field(_("Remind me at"))
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    done = forms.BooleanField(label=_("Already done"), required=False)
    outcome = forms.CharField(label=_("Outcome"), max_length=300, required=False)
    lead = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    opportunity = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, data=None, *, instance=None, actor, initial=None, **kwargs):
        initial = dict(initial or {})
        self.instance = instance
        self.actor = actor
        if instance is not None:
            initial |= {
                "kind": instance.kind,
                "subject": instance.subject,
                "purpose": instance.purpose_id,
                "due_at": _local(instance.due_at),
                "duration_minutes": instance.duration_minutes,
                "owner": instance.owner_id,
                "location": instance.location,
                "remind_at": _local(instance.remind_at),
                "description": instance.description,
                "outcome": instance.outcome,
                "lead": instance.lead_id,
                "opportunity": instance.opportunity_id,
                "customer": f"contact:{instance.contact_id}"
                if instance.contact_id
                else (f"account:{instance.account_id}" if instance.account_id else ""),
            }
        else:
            initial.setdefault("owner", actor.user.pk)
            if initial.get("contact"):
                initial["customer"] = f"contact:{initial['contact']}"
            elif initial.get("account"):
                initial["customer"] = f"account:{initial['account']}"
            if initial.get("kind") not in ActivityKind.values:
                initial.pop("kind", None)
        super().__init__(data, initial=initial, **kwargs)
        self.fields["purpose"].queryset = selectors.purpose_choices(
            tenant=actor.tenant, keep_id=instance.purpose_id if instance else None
        )
        self.fields["owner"].queryset = _user_queryset(actor)
        self.fields["owner"].empty_label = None
        _set_customer_choice(self, actor, str(self.initial.get("customer") or ""))
        _customer_option_from_post(self, actor)
        if instance is not None:
            del self.fields["done"]
        self.links = self._links()

    def _links(self) -> list[tuple[str, object]]:
        """The lead and deal the activity is linked to, for the page to name them."""
        from funia.sales.models import Lead, Opportunity

        links = []
        for name, model, label in (
            ("lead", Lead, _("Lead")),
            ("opportunity", Opportunity, _("Deal")),
        ):
            pk = self.initial.get(name)
            record = None
            if pk and str(pk).isdecimal() and int(pk) <= 2**63 - 1:
                record = visible_records(model, self.actor).filter(pk=int(pk)).first()
            if record is None:
                self.initial[name] = None
            else:
                links.append((label, record))
        return links

    def clean(self):
        data = super().clean()
        if data.get("customer") and parse_customer(data["customer"]) is None:
            self.add_error("customer", _("Choose a customer from the list."))
        return data

    def add_error(self, field, error):
        # The services name the contact or account; the form has one customer field.
        if isinstance(error, dict):
            error = {CUSTOMER_ERRORS.get(k, k): v for k, v in error.items()}
        return super().add_error(CUSTOMER_ERRORS.get(field, field), error)

    def service_fields(self) -> dict:
        data = self.cleaned_data
        fields = {
            "kind": data["kind"],
            "subject": data.get("subject") or "",
            "purpose_id": data["purpose"].pk if data.get("purpose") else None,
            "due_at": data.get("due_at"),
            "duration_minutes": data.get("duration_minutes"),
            "owner_id": data["owner"].pk if data.get("owner") else None,
            "location": data.get("location") or "",
            "remind_at": data.get("remind_at"),
            "description": data.get("description") or "",
            "outcome": data.get("outcome") or "",
            "lead_id": data.get("lead"),
            "opportunity_id": data.get("opportunity"),
            **customer_fields(data.get("customer") or ""),
        }
        if self.instance is None and data.get("done"):
            fields["done_at"] = timezone.now()
        return fields


def _local(value):
    return timezone.localtime(value) if value else None


class CompleteForm(forms.Form):
    outcome = forms.CharField(label=_("Outcome"), max_length=300, required=False)
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), required=False, min_value=0, max_value=10080
    )
    follow_up = forms.BooleanField(label=_("Plan a follow-up"), required=False)
    follow_up_kind = forms.ChoiceField(
        label=_("Follow-up kind"), choices=ActivityKind.choices, required=False
    )
    follow_up_subject = forms.CharField(
        label=_("Follow-up subject"), max_length=200, required=False
    )
    follow_up_due_at = datetime_field(_("Follow-up due"))

    def __init__(self, *args, activity, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("outcome", activity.outcome)
        self.initial.setdefault("duration_minutes", activity.duration_minutes)
        self.initial.setdefault("follow_up_kind", activity.kind)

    def follow_up_fields(self) -> dict | None:
        data = self.cleaned_data
        if not data.get("follow_up"):
            return None
        return {
            "kind": data.get("follow_up_kind") or None,
            "subject": data.get("follow_up_subject") or None,
            "due_at": data.get("follow_up_due_at"),
        }


class QuickLogForm(forms.Form):
    """Log a call or visit that just happened: kind, customer, purpose, outcome."""

    kind = forms.ChoiceField(
        label=_("What"), choices=QUICK_KINDS, initial=ActivityKind.CALL, widget=forms.RadioSelect
    )
    customer = _customer_field()
    purpose = forms.ModelChoiceField(label=_("Purpose"), queryset=None, required=False)
    outcome = forms.CharField(label=_("Outcome"), max_length=300, required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["purpose"].queryset = selectors.purpose_choices(tenant=actor.tenant)
        self.fields["customer"].required = True
        _set_customer_choice(self, actor, str(self.initial.get("customer") or ""))
        _customer_option_from_post(self, actor)

    def clean(self):
        data = super().clean()
        if data.get("customer") and parse_customer(data["customer"]) is None:
            self.add_error("customer", _("Choose a customer from the list."))
        return data

    add_error = ActivityForm.add_error

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "purpose_id": data["purpose"].pk if data.get("purpose") else None,
            "outcome": data.get("outcome") or "",
            "done_at": timezone.now(),
            **customer_fields(data["customer"]),
        }


class ActivityPurposeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    position = forms.IntegerField(label=_("Position"), required=False, min_value=0)
    is_active = forms.BooleanField(
        label=_("In use"),
        required=False,
        initial=True,
        help_text=_("A purpose no longer in use stays on the activities that have it."),
    )

    def __init__(self, data=None, *, instance=None, actor, initial=None, **kwargs):
        initial = {}
        if instance is not None:
            initial = {
                "name": instance.name,
                "position": instance.position,
                "is_active": instance.is_active,
            }
        super().__init__(data, initial=initial, **kwargs)
        self.instance = instance
        self.actor = actor

    def service_fields(self) -> dict:
        return dict(self.cleaned_data)
