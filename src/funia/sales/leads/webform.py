"""Web-to-lead: the forms' services, the public submission and the embeddable snippet.

A form is found by its random key; submissions come from anybody (no login), so they are
rate limited per address and form, bots are caught by a hidden honeypot field, and a
browser may post from another site only when the form lists that site's origin.
"""

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from funia.core.actor import Actor
from funia.core.records import record_create, record_restore, record_soft_delete, record_update
from funia.core.services import check_owner
from funia.core.visibility import require_admin
from funia.sales.leads.services import lead_capture
from funia.sales.models import LeadForm

# Lead fields a public form may ask, with their labels (the hosted page and the snippet).
FORM_FIELDS = {
    "first_name": gettext_lazy("First name"),
    "last_name": gettext_lazy("Last name"),
    "company": gettext_lazy("Company"),
    "title": gettext_lazy("Job title"),
    "email": gettext_lazy("Email"),
    "phone": gettext_lazy("Phone"),
    "website": gettext_lazy("Website"),
    "country": gettext_lazy("Country (ISO code)"),
    "region": gettext_lazy("Region"),
    "city": gettext_lazy("City"),
    "industry": gettext_lazy("Industry"),
    "employees": gettext_lazy("Employees"),
    "message": gettext_lazy("Message"),
}
DEFAULT_FIELDS = ["first_name", "last_name", "company", "email", "phone", "message"]
INPUT_TYPES = {"email": "email", "phone": "tel", "website": "url", "employees": "number"}
# Hidden from people, tempting to bots: a filled value means the submission is dropped.
HONEYPOT = "homepage"
CONSENT = "consent"
MAX_ORIGINS = 20


def rate_limit() -> tuple[int, int]:
    """(submissions, seconds) allowed per address and form."""
    return getattr(settings, "WEB_TO_LEAD_RATE_LIMIT", (20, 600))


# Services of the forms -----------------------------------------------------------------


def normalize_origin(value: str) -> str:
    """'https://WWW.Example.com/' -> 'https://www.example.com'; ValueError otherwise."""
    text = str(value or "").strip().rstrip("/")
    parts = urlsplit(text)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path
        or parts.query
        or parts.fragment
        or parts.username
        or parts.password
    ):
        raise ValueError(
            _("“%(value)s” is not an origin such as https://www.example.com.") % {"value": value}
        )
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(_("“%(value)s” has an invalid port.") % {"value": value}) from exc
    origin = f"{parts.scheme}://{parts.hostname.lower()}"
    return f"{origin}:{port}" if port else origin


def _names(value, name: str, errors: dict) -> list[str]:
    if not isinstance(value, list | tuple):
        errors[name] = _("Give a list of field names.")
        return []
    unknown = [str(v) for v in value if v not in FORM_FIELDS]
    if unknown:
        errors[name] = _("Unknown fields: %(names)s. Use %(known)s.") % {
            "names": ", ".join(unknown[:10]),
            "known": ", ".join(FORM_FIELDS),
        }
    return list(dict.fromkeys(v for v in value if v in FORM_FIELDS))


def _prepare_form(by: Actor, data: dict, current: LeadForm | None) -> dict:
    data = dict(data)
    errors: dict = {}
    if "name" in data:
        data["name"] = " ".join(str(data["name"] or "").split())
        if not data["name"]:
            errors["name"] = _("Give the form a name.")
    if "fields" in data:
        data["fields"] = _names(data["fields"] or [], "fields", errors)
    if "required" in data:
        data["required"] = _names(data["required"] or [], "required", errors)
    fields = data.get("fields", current.fields if current else DEFAULT_FIELDS)
    required = data.get("required", current.required if current else [])
    if "fields" not in errors and "required" not in errors:
        if not fields:
            errors["fields"] = _("A form asks at least one field.")
        extra = [name for name in required if name not in fields]
        if extra:
            errors["required"] = _("Required fields must be on the form: %(names)s.") % {
                "names": ", ".join(extra)
            }
        elif not any(n in fields for n in ("last_name", "first_name", "company", "email", "phone")):
            errors["fields"] = _("Ask for a name, a company, an email or a phone.")
    if current is None:
        data.setdefault("fields", fields)
    if "allowed_origins" in data:
        origins = []
        raw = data["allowed_origins"] or []
        if not isinstance(raw, list | tuple):
            errors["allowed_origins"] = _("Give a list of origins.")
            raw = []
        if len(raw) > MAX_ORIGINS:
            errors["allowed_origins"] = _("At most %(n)d sites.") % {"n": MAX_ORIGINS}
        for index, value in enumerate(raw[:MAX_ORIGINS]):
            try:
                origin = normalize_origin(value)
            except ValueError as exc:
                errors[f"allowed_origins.{index}"] = str(exc)
                continue
            if origin not in origins:
                origins.append(origin)
        data["allowed_origins"] = origins
    if data.get("redirect_url"):
        scheme = urlsplit(str(data["redirect_url"])).scheme
        if scheme not in ("http", "https"):
            errors["redirect_url"] = _("Give an http or https address.")
    for name in ("source", "campaign", "consent_text", "thank_you", "redirect_url"):
        if name in data and data[name] is None:
            data[name] = ""
    check_owner(by.tenant, data.get("owner_id"), errors)
    if errors:
        raise ValidationError(errors)
    return data


def lead_form_create(*, by: Actor, **fields) -> LeadForm:
    """Create a web form (administrators); it gets a new random key."""
    require_admin(by)
    return record_create(model=LeadForm, by=by, **_prepare_form(by, fields, None))


def lead_form_update(
    *, by: Actor, lead_form: LeadForm, fields: dict, if_match: str | None = None
) -> LeadForm:
    require_admin(by)
    data = _prepare_form(by, fields, lead_form)
    return record_update(obj=lead_form, by=by, fields=data, if_match=if_match)


def lead_form_delete(*, by: Actor, lead_form: LeadForm, if_match: str | None = None) -> LeadForm:
    require_admin(by)
    return record_soft_delete(obj=lead_form, by=by, if_match=if_match)


def lead_form_restore(*, by: Actor, lead_form: LeadForm, if_match: str | None = None) -> LeadForm:
    require_admin(by)
    return record_restore(obj=lead_form, by=by, if_match=if_match)


# The public side ------------------------------------------------------------------------


def public_form(key: str) -> LeadForm | None:
    """The live, active form with this key, in whichever organisation holds it.

    Public by design: the key is the form's address, so this is the one lookup that starts
    without a tenant (the key is unique across organisations and unguessable)."""
    if not key or len(key) > 40:
        return None
    return (
        LeadForm.objects.across_tenants()
        .filter(key=key, is_active=True, deleted_at__isnull=True)
        .select_related("tenant", "owner")
        .first()
    )


def submit_url(form: LeadForm) -> str:
    return reverse("api:web_to_lead_submit", kwargs={"form_key": form.key})


def hosted_url(form: LeadForm) -> str:
    return reverse("public_lead_form", kwargs={"form_key": form.key})


def origin_allowed(form: LeadForm, origin: str | None, own_origin: str) -> bool:
    """May a browser on `origin` post to the form? No Origin header (a server posting,
    an old browser) is allowed; our own hosted page is always allowed."""
    if not origin:
        return True
    try:
        origin = normalize_origin(origin)
    except ValueError:
        return False
    return origin == own_origin or origin in (form.allowed_origins or [])


@dataclass
class RateLimited(Exception):
    retry_after: int


def check_rate(form: LeadForm, address: str) -> None:
    """Count a submission of `address` to `form`; RateLimited once over the limit."""
    allowed, seconds = rate_limit()
    now = int(time.time())
    window = now // seconds
    key = f"web-to-lead:{form.pk}:{address}:{window}"
    cache.add(key, 0, timeout=seconds + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted meanwhile
        cache.set(key, 1, timeout=seconds + 5)
        count = 1
    if count > allowed:
        raise RateLimited(retry_after=max(1, (window + 1) * seconds - now))


def is_spam(data: dict) -> bool:
    return bool(str(data.get(HONEYPOT) or "").strip())


def _truthy(value) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in {"1", "true", "on", "yes"}


def submission_fields(form: LeadForm, data: dict) -> dict:
    """The lead fields of a submission: only those the form asks, required ones checked.

    Raises ValidationError naming every missing or bad field."""
    errors: dict = {}
    fields: dict = {}
    for name in form.fields or []:
        value = data.get(name)
        if isinstance(value, list):
            value = value[0] if value else ""
        value = "" if value is None else str(value).strip()
        if "\x00" in value:
            errors[name] = _("This value is not valid.")
            continue
        if not value:
            if name in (form.required or []):
                errors[name] = _("This field is required.")
            continue
        fields[name] = value
    if fields.get("employees"):
        try:
            fields["employees"] = int(fields["employees"])
        except ValueError:
            errors["employees"] = _("Enter a whole number.")
    if form.consent_text and _truthy(data.get(CONSENT)):
        fields["consent_marketing"] = True
        fields["consent_email"] = True
    if errors:
        raise ValidationError(errors)
    return fields


def public_actor(form: LeadForm) -> Actor:
    """Who a public submission is recorded as: nobody of the organisation (the audit
    entry has no user)."""
    return Actor(tenant=form.tenant, user=None, role="")


def lead_form_submit(*, form: LeadForm, data: dict):
    """Turn a public submission into a lead of the form's organisation (None for spam).

    The form's source and campaign are kept; the assignment rules choose the owner, else
    the form's owner, else nobody."""
    if is_spam(data):
        return None
    fields = submission_fields(form, data)
    fields["source"] = form.source
    fields["campaign"] = form.campaign
    return lead_capture(by=public_actor(form), form=form, fallback_owner_id=form.owner_id, **fields)


def html_snippet(form: LeadForm, absolute_submit_url: str) -> str:
    """A plain HTML form posting to the public URL, to paste into a site."""
    lines = [
        f'<form method="post" action="{escape(absolute_submit_url)}" '
        f'accept-charset="utf-8" class="funia-lead-form">'
    ]
    for name in form.fields or []:
        label = escape(str(FORM_FIELDS.get(name, name)))
        required = " required" if name in (form.required or []) else ""
        ident = f"funia-{escape(name)}"
        lines.append(f'  <p><label for="{ident}">{label}</label><br>')
        if name == "message":
            lines.append(
                f'  <textarea id="{ident}" name="{escape(name)}" rows="4"{required}></textarea></p>'
            )
        else:
            kind = INPUT_TYPES.get(name, "text")
            lines.append(
                f'  <input id="{ident}" type="{kind}" name="{escape(name)}"{required}></p>'
            )
    lines.append(
        f'  <p style="position:absolute;left:-10000px" aria-hidden="true">'
        f'<input type="text" name="{HONEYPOT}" tabindex="-1" autocomplete="off"></p>'
    )
    if form.consent_text:
        lines.append(
            f'  <p><label><input type="checkbox" name="{CONSENT}" value="yes"> '
            f"{escape(form.consent_text)}</label></p>"
        )
    lines.append(f'  <p><button type="submit">{escape(_("Send"))}</button></p>')
    lines.append("</form>")
    return "\n".join(lines)
