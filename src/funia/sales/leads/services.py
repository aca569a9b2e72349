"""Writes of leads: normalised, assigned, audited, versioned; converted leads are read-only.

Fields come as keyword arguments named like the model's (`owner_id` for the owner).
Emails are checked with email-validator, phones become E.164 in the organisation's default
region, the country an ISO code; `search_text` (the name in Latin letters, the company, the
email and the phone's digits) is kept for the global search.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from funia.core.actor import Actor
from funia.core.records import record_create, record_restore, record_soft_delete, record_update
from funia.core.services import check_owner
from funia.core.visibility import require_change, require_writer
from funia.customers.normalize import fold, normalize_email, normalize_phone, phone_digits
from funia.sales.leads.assignment import assign_owner, notify_assignee
from funia.sales.models import Lead, LeadRating, LeadStatus

TEXT_FIELDS = {
    "first_name": 100,
    "last_name": 100,
    "company": 200,
    "title": 100,
    "email": 254,
    "phone": 32,
    "website": 200,
    "country": 2,
    "region": 100,
    "city": 100,
    "industry": 100,
    "message": 5000,
    "disqualify_reason": 300,
    "source": 100,
    "campaign": 200,
}
WRITABLE = {
    *TEXT_FIELDS,
    "employees",
    "status",
    "rating",
    "owner_id",
    "consent_email",
    "consent_phone",
    "consent_marketing",
}
# Statuses a user sets; `converted` comes only from the conversion.
SETTABLE_STATUSES = (
    LeadStatus.NEW,
    LeadStatus.WORKING,
    LeadStatus.QUALIFIED,
    LeadStatus.DISQUALIFIED,
)


def converted_refusal() -> ValidationError:
    return ValidationError(
        _(
            "This lead was converted and is read-only; change the account, contact or "
            "opportunity it became instead."
        )
    )


def _check_owner(tenant, owner_id, errors: dict) -> None:
    check_owner(tenant, owner_id, errors)


def prepare_lead(tenant, data: dict, current: Lead | None = None) -> dict:
    """Validate and normalise lead fields; one ValidationError naming every bad field.

    Shared by the services, the public form and the import, so every capture path keeps
    the same normalisation."""
    unknown = set(data) - WRITABLE
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    data = dict(data)
    errors: dict = {}
    for name, limit in TEXT_FIELDS.items():
        if name not in data:
            continue
        value = data[name]
        value = "" if value is None else str(value)
        # One line of text, except the message, whose lines are kept.
        value = value.strip() if name == "message" else " ".join(value.split())
        if len(value) > limit:
            errors[name] = _("At most %(n)d characters.") % {"n": limit}
        data[name] = value
    region = getattr(tenant, "default_region", "") or "BG"
    if data.get("email"):
        try:
            data["email"] = normalize_email(data["email"])
        except ValueError as exc:
            errors["email"] = str(exc)
    if data.get("phone"):
        try:
            data["phone"] = normalize_phone(data["phone"], region)
        except ValueError as exc:
            errors["phone"] = str(exc)
    if data.get("country"):
        country = data["country"].upper()
        if len(country) != 2 or not country.isalpha() or not country.isascii():
            errors["country"] = _("Give the two-letter ISO code, e.g. BG.")
        data["country"] = country
    if "employees" in data and data["employees"] is not None:
        try:
            employees = int(data["employees"])
        except (TypeError, ValueError):
            errors["employees"] = _("Enter a whole number.")
        else:
            if not 0 <= employees <= 2_147_483_647:
                errors["employees"] = _("Enter a whole number.")
            data["employees"] = employees
    if "rating" in data:
        data["rating"] = data["rating"] or ""
        if data["rating"] and data["rating"] not in LeadRating.values:
            errors["rating"] = _("Choose hot, warm or cold.")
    if "status" in data:
        if data["status"] == LeadStatus.CONVERTED:
            errors["status"] = _("A lead becomes converted through the conversion only.")
        elif data["status"] not in SETTABLE_STATUSES:
            errors["status"] = _("Choose new, working, qualified or disqualified.")
    for name in ("consent_email", "consent_phone", "consent_marketing"):
        if name in data and data[name] not in (None, True, False):
            errors[name] = _("Give true, false or null.")
    _check_owner(tenant, data.get("owner_id"), errors)

    def final(name: str):
        return data[name] if name in data else getattr(current, name, "")

    status = final("status") or LeadStatus.NEW
    if status == LeadStatus.DISQUALIFIED and not (final("disqualify_reason") or "").strip():
        errors["disqualify_reason"] = _("Say why the lead is disqualified.")
    elif status != LeadStatus.DISQUALIFIED and final("disqualify_reason"):
        data["disqualify_reason"] = ""
    if not any(final(n) for n in ("first_name", "last_name", "company", "email", "phone")):
        errors["last_name"] = _("Give at least a name, a company, an email or a phone.")
    if errors:
        raise ValidationError(errors)
    data["search_text"] = lead_search_text(
        first_name=final("first_name"),
        last_name=final("last_name"),
        company=final("company"),
        email=final("email"),
        phone=final("phone"),
    )
    return data


def lead_search_text(*, first_name, last_name, company, email, phone) -> str:
    """What the search index reads: Latin-letter name and company, email, phone digits."""
    parts = [fold(f"{first_name} {last_name}"), fold(company or ""), email or ""]
    if phone:
        parts.append(phone_digits(phone))
    return " ".join(p for p in parts if p)[:2000]


def lead_create(*, by: Actor, **fields) -> Lead:
    """Create a lead. Without an `owner_id` the assignment rules choose the owner (the
    creator when none matches, or when the rule's choice is someone whose leads the creator
    could not see)."""
    require_writer(by)
    data = prepare_lead(by.tenant, fields)
    with transaction.atomic():
        if "owner_id" not in data:
            owner_id, rule = assign_owner(tenant=by.tenant, lead=data, visible_to=by)
            data["owner_id"] = owner_id if rule is not None else by.user.pk
        lead = record_create(model=Lead, by=by, **data)
        if lead.owner_id and lead.owner_id != by.user.pk:
            notify_assignee(lead)
    return lead


def lead_capture(*, by: Actor, form=None, fallback_owner_id=None, **fields) -> Lead:
    """A lead from outside (a public web form, an import): the assignment rules choose the
    owner, else `fallback_owner_id` (the form's owner, the importing user), else nobody.
    The caller has checked its own permission (a public form has none to check)."""
    data = prepare_lead(by.tenant, fields)
    with transaction.atomic():
        if data.get("owner_id") is None:
            owner_id, rule = assign_owner(tenant=by.tenant, lead=data)
            data["owner_id"] = owner_id if rule is not None else fallback_owner_id
        lead = record_create(model=Lead, by=by, form=form, **data)
        if lead.owner_id and (by.user is None or lead.owner_id != by.user.pk):
            notify_assignee(lead)
    return lead


def _refuse_converted(lead: Lead) -> None:
    if lead.is_converted:
        raise converted_refusal()


def lead_update(*, by: Actor, lead: Lead, fields: dict, if_match: str | None = None) -> Lead:
    """Change fields of a lead that is not converted (If-Match honoured)."""
    require_change(by, lead)
    _refuse_converted(lead)
    data = prepare_lead(by.tenant, fields, current=lead)
    with transaction.atomic():
        before_owner = lead.owner_id
        lead = record_update(obj=lead, by=by, fields=data, if_match=if_match)
        if lead.owner_id and lead.owner_id != before_owner and lead.owner_id != by.user.pk:
            notify_assignee(lead)
    return lead


def lead_set_status(
    *, by: Actor, lead: Lead, status: str, reason: str = "", if_match: str | None = None
) -> Lead:
    """Move a lead to new / working / qualified, or disqualify it with a reason."""
    fields = {"status": status}
    if status == LeadStatus.DISQUALIFIED:
        fields["disqualify_reason"] = reason
    return lead_update(by=by, lead=lead, fields=fields, if_match=if_match)


def lead_delete(*, by: Actor, lead: Lead, if_match: str | None = None) -> Lead:
    require_change(by, lead)
    _refuse_converted(lead)
    return record_soft_delete(obj=lead, by=by, if_match=if_match)


def lead_restore(*, by: Actor, lead: Lead, if_match: str | None = None) -> Lead:
    require_change(by, lead)
    return record_restore(obj=lead, by=by, if_match=if_match)
