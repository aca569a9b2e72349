"""Converting a lead into an account, a contact and optionally an opportunity.

Existing records named by the caller are linked; missing ones are created through the
customer services, so the duplicate check runs (DuplicatesFound unless
`on_duplicate="create"`). Nothing of the lead is lost: its company data goes to the
account, the person and their consent (with its history) to the contact, source and campaign
to all of them, and every activity of the lead is linked to what it became.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from funia.core.actor import Actor
from funia.core.records import record_update
from funia.core.visibility import require_change, visible_records
from funia.customers import dedupe
from funia.customers import services as customers
from funia.customers.models import Account, Contact
from funia.customers.normalize import company_name_key, normalize_domain, person_name_key
from funia.sales.leads.services import converted_refusal
from funia.sales.models import Lead, LeadStatus
from funia.sales.opportunities import opportunity_create

OPPORTUNITY_FIELDS = (
    "name",
    "amount",
    "currency",
    "pipeline_id",
    "stage_id",
    "expected_close_date",
)


def _domain(website: str) -> str:
    try:
        return normalize_domain(website) if website else ""
    except ValueError:
        return ""


def contact_names(lead: Lead) -> tuple[str, str]:
    """(first, last) for the contact: a contact needs a last name."""
    first, last = lead.first_name, lead.last_name
    if not last:
        first, last = "", first or (lead.email.split("@")[0] if lead.email else "") or lead.company
    return first, last or str(lead)


@dataclass
class ConversionCandidates:
    """Possible duplicates of the account and the contact a conversion would create."""

    accounts: list
    contacts: list


def conversion_candidates(*, actor: Actor, lead: Lead) -> ConversionCandidates:
    """What the duplicate check would find for the lead's company and person."""
    accounts = []
    if lead.company:
        accounts = dedupe.find_account_duplicates(
            tenant=actor.tenant,
            name_key=company_name_key(lead.company),
            domain=_domain(lead.website),
            emails=[],
            phones=[],
        )
    first, last = contact_names(lead)
    contacts = dedupe.find_contact_duplicates(
        tenant=actor.tenant,
        name_key=person_name_key(first, last),
        emails=[lead.email] if lead.email else [],
        phones=[lead.phone] if lead.phone else [],
    )
    return ConversionCandidates(accounts, contacts)


def _consent(lead: Lead) -> dict:
    source = (
        _("web form “%(form)s”") % {"form": lead.form.name}
        if lead.form_id and lead.form
        else _("lead #%(id)d") % {"id": lead.pk}
    )[:100]
    consent = {}
    for channel in ("email", "phone", "marketing"):
        value = getattr(lead, f"consent_{channel}")
        if value is not None:
            consent[channel] = {"granted": value, "source": source}
    return consent


def _linked(by: Actor, model, pk: int, field: str):
    record = visible_records(model, by).filter(pk=pk).first()
    if record is None:
        message = _("No such %(model)s.") % {"model": model._meta.verbose_name}
        raise ValidationError({field: message})
    return record


def _account(by: Actor, lead: Lead, account_id, owner_id, on_duplicate: str, create: bool):
    if account_id is not None:
        return _linked(by, Account, account_id, "account")
    if not lead.company or not create:
        return None
    return customers.account_create(
        by=by,
        on_duplicate=on_duplicate,
        name=lead.company,
        domain=_domain(lead.website),
        country=lead.country,
        region=lead.region,
        city=lead.city,
        industry=lead.industry,
        employees=lead.employees,
        source=lead.source,
        owner_id=owner_id,
    )


def _contact(by: Actor, lead: Lead, contact_id, account, owner_id, on_duplicate: str):
    consent = _consent(lead)
    if contact_id is not None:
        contact = _linked(by, Contact, contact_id, "contact")
        fields = {}
        if account is not None and contact.account_id is None:
            fields["account_id"] = account.pk
        changed = {
            channel: choice
            for channel, choice in consent.items()
            if getattr(contact, f"consent_{channel}") != choice["granted"]
        }
        if changed:
            fields["consent"] = changed
        if fields:
            contact = customers.contact_update(
                by=by, contact=contact, fields=fields, on_duplicate="create"
            )
        return contact
    first, last = contact_names(lead)
    return customers.contact_create(
        by=by,
        on_duplicate=on_duplicate,
        first_name=first,
        last_name=last,
        title=lead.title,
        account_id=account.pk if account is not None else None,
        emails=[lead.email] if lead.email else [],
        phones=[lead.phone] if lead.phone else [],
        addresses=[{"city": lead.city, "region": lead.region, "country": lead.country}]
        if (lead.city or lead.region or lead.country)
        else [],
        source=lead.source,
        consent=consent,
        owner_id=owner_id,
    )


def _carry_activities(lead: Lead, account, contact, deal) -> None:
    """Link every activity of the lead to the records it became (where not yet linked)."""
    from funia.activities.models import Activity

    activities = Activity.objects.for_tenant(lead.tenant_id, with_deleted=True).filter(lead=lead)
    for field, record in (("account", account), ("contact", contact), ("opportunity", deal)):
        if record is not None:
            activities.filter(**{f"{field}__isnull": True}).update(
                **{field: record}, version=F("version") + 1, updated_at=timezone.now()
            )


def lead_convert(
    *,
    by: Actor,
    lead: Lead,
    account_id: int | None = None,
    contact_id: int | None = None,
    create_account: bool = True,
    create_opportunity: bool = False,
    opportunity: dict | None = None,
    on_duplicate: str = "error",
    if_match: str | None = None,
) -> Lead:
    """Convert the lead; it becomes `converted` (read-only) and links what it became.

    Raises DuplicatesFound when a record to create may exist already (name it in
    `account_id` / `contact_id`, or repeat with `on_duplicate="create"`)."""
    require_change(by, lead)
    if lead.is_converted:
        raise converted_refusal()
    if lead.status == LeadStatus.DISQUALIFIED:
        raise ValidationError(
            {"status": _("This lead is disqualified; set it back to working to convert it.")}
        )
    if on_duplicate not in customers.ON_DUPLICATE:
        raise ValidationError({"on_duplicate": _("Use 'error' or 'create'.")})
    owner_id = lead.owner_id or by.user.pk
    with transaction.atomic():
        account = _account(by, lead, account_id, owner_id, on_duplicate, create_account)
        contact = _contact(by, lead, contact_id, account, owner_id, on_duplicate)
        if account is None and contact.account_id is not None:
            account = contact.account
        deal = None
        if create_opportunity:
            given = {k: v for k, v in (opportunity or {}).items() if k in OPPORTUNITY_FIELDS}
            given = {k: v for k, v in given.items() if v not in (None, "")}
            given.setdefault("name", lead.company or str(lead))
            deal = opportunity_create(
                by=by,
                **given,
                account_id=account.pk if account is not None else None,
                contact_id=contact.pk,
                source=lead.source,
                campaign=lead.campaign,
                owner_id=owner_id,
                lead_id=lead.pk,
            )
        _carry_activities(lead, account, contact, deal)
        return record_update(
            obj=lead,
            by=by,
            if_match=if_match,
            fields={
                "status": LeadStatus.CONVERTED,
                "converted_at": timezone.now(),
                "converted_account_id": account.pk if account is not None else None,
                "converted_contact_id": contact.pk,
                "converted_opportunity_id": deal.pk if deal is not None else None,
            },
        )
