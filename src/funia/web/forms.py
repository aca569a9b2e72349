"""Forms of the platform pages and shared form helpers."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from funia.core.models import Organization, Role


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form fields it names (or on the form)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class UserCreateForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text=_(
            "Leave empty for a user who will sign in later with a password set by an admin."
        ),
    )


class MembershipForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    is_active = forms.BooleanField(label=_("Active"), required=False)


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    manager = forms.TypedChoiceField(
        label=_("Manager"), required=False, coerce=int, empty_value=None
    )
    members = forms.TypedMultipleChoiceField(
        label=_("Members"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, users=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(u.pk, str(u)) for u in users]
        self.fields["manager"].choices = [("", "—"), *choices]
        self.fields["members"].choices = choices


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100, initial="API")


class ProfileForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), required=False)

    def __init__(self, *args, **kwargs):
        from django.conf import settings

        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("Browser's language")), *settings.LANGUAGES]


class OrganizationForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = [
            "name",
            "currency",
            "time_zone",
            "language",
            "default_region",
            "merge_undo_days",
            "reps_see_team_records",
            "contact_window_days",
            "quote_discount_limit",
            "document_details",
            "logo",
        ]
        widgets = {
            "document_details": forms.Textarea(attrs={"rows": 4}),
            # A plain file input: the current logo is shown by the page (it is served to
            # members only, never from a media URL).
            "logo": forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
        }
        help_texts = {"logo": _("PNG, JPEG or WebP, at most 2 MB; printed on quotes.")}

    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # As stored when the page opened (validating the form sets the instance's fields).
        self.has_logo = bool(self.instance.logo)
        if not self.has_logo:
            del self.fields["remove_logo"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.pop("remove_logo", False):
            if self.files.get(self.add_prefix("logo")):
                self.add_error("logo", _("Upload a new logo or remove the logo, not both."))
            else:
                # False tells the settings' service to clear the logo.
                cleaned["logo"] = False
        return cleaned
