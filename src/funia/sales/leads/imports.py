"""The "leads" import target: a file of leads, captured like any other lead.

Each row is normalised by the lead services and assigned by the assignment rules (the
importing user when none matches, unless the row names an owner). A row whose email
belongs to a lead already there follows the job's `on_duplicate`: skip it, update that lead,
or create another one.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from funia.core.models import Membership
from funia.imports.countries import country_code
from funia.imports.customers import targets as customer_fields
from funia.imports.customers.rows import parse_count
from funia.imports.registry import ImportTarget, PreparedTuples, RowOutcome, TargetField, register
from funia.sales.leads.services import lead_capture, lead_update, prepare_lead
from funia.sales.models import Lead

FORMULA = ("=", "+", "-", "@")


def _field(key: str, label, *aliases: str) -> TargetField:
    return TargetField(key, label, aliases)


FIELDS = (
    customer_fields.FIRST_NAME,
    customer_fields.LAST_NAME,
    customer_fields.FULL_NAME,
    _field(
        "company",
        gettext_lazy("Company"),
        "Company Name",
        "Account Name",
        "Organization",
        "Organisation",
        "Фирма",
        "Компания",
    ),
    customer_fields.TITLE,
    customer_fields.EMAIL,
    customer_fields.PHONE,
    _field("website", gettext_lazy("Website"), "Website URL", "Web Site", "URL", "Уебсайт", "Сайт"),
    customer_fields.COUNTRY,
    customer_fields.REGION,
    customer_fields.CITY,
    customer_fields.INDUSTRY,
    customer_fields.EMPLOYEES,
    _field("message", gettext_lazy("Message"), "Description", "Notes", "Comment", "Съобщение"),
    _field("status", gettext_lazy("Status"), "Lead Status", "Статус"),
    customer_fields.SOURCE,
    _field("campaign", gettext_lazy("Campaign"), "Campaign Name", "Кампания"),
    _field("rating", gettext_lazy("Rating"), "Lead Rating", "Рейтинг"),
    customer_fields.OWNER,
)
SCALARS = (
    "first_name",
    "last_name",
    "company",
    "title",
    "email",
    "phone",
    "website",
    "region",
    "city",
    "industry",
    "message",
    "source",
    "campaign",
)


class LeadProcessor(PreparedTuples):
    """Rows of a file -> leads, a chunk at a time (see `imports.registry.Processor`)."""

    def __init__(self, run):
        self.run = run
        self.by = run.actor
        self.tenant = run.actor.tenant
        self.columns = run.columns  # [(index, header, field key)]
        self.header_of = {key: header for _i, header, key in self.columns}
        self.members = {
            email.lower(): user_id
            for email, user_id in Membership.objects.for_tenant(self.tenant)
            .filter(is_active=True)
            .values_list("user__email", "user_id")
        }
        self.seen_emails: set[str] = set()

    def column(self, key: str) -> str:
        return self.header_of.get(key, key)

    def _fail(self, number: int, raw: dict, errors: list[tuple[str, str]]) -> RowOutcome:
        return RowOutcome(number, "fail", [(self.column(k), raw.get(k, ""), m) for k, m in errors])

    def _read(self, row) -> tuple[dict, list[tuple[str, str]]]:
        raw, errors = {}, []
        for index, _header, key in self.columns:
            value = (row.cells[index] if index < len(row.cells) else "").strip()
            if value.startswith("'"):
                value = value[1:]
            elif value.startswith(FORMULA) and key not in ("phone",) and len(value) > 1:
                errors.append(
                    (key, _("The cell holds a spreadsheet formula, not a value; type the value."))
                )
            raw[key] = value
        return raw, errors

    def prepare_rows(self, rows: list) -> list:
        """Cells -> lead fields, checked on their own (no database)."""
        items = []
        for row in rows:
            if row.problem:
                items.append(RowOutcome(row.number, "fail", [("", "", row.problem)]))
                continue
            raw, errors = self._read(row)
            data = {name: raw[name] for name in SCALARS if raw.get(name)}
            if raw.get("full_name") and not (raw.get("first_name") or raw.get("last_name")):
                first, _sep, last = raw["full_name"].rpartition(" ")
                data["first_name"], data["last_name"] = first, last
            if raw.get("country"):
                try:
                    data["country"] = country_code(raw["country"])
                except ValueError:
                    errors.append(("country", _("Unknown country.")))
            if raw.get("employees"):
                try:
                    data["employees"] = parse_count(raw["employees"])
                except ValueError:
                    errors.append(("employees", _("Enter a whole number.")))
            for name in ("status", "rating"):
                if raw.get(name):
                    data[name] = raw[name].strip().lower()
            if raw.get("owner"):
                data["owner"] = raw["owner"].strip().lower()
            items.append(("row", row.number, raw, data, errors))
        return items

    def process_prepared(self, items: list) -> list[RowOutcome]:
        return [i if isinstance(i, RowOutcome) else self._write(*i[1:]) for i in items]

    def _existing(self, email: str) -> Lead | None:
        return (
            Lead.objects.for_tenant(self.tenant)
            .filter(email=email, converted_at__isnull=True)
            .order_by("pk")
            .first()
        )

    def _write(self, number: int, raw: dict, data: dict, errors: list) -> RowOutcome:
        data = dict(data)
        errors = list(errors)
        owner = data.pop("owner", None)
        if owner:
            if owner in self.members:
                data["owner_id"] = self.members[owner]
            else:
                errors.append(("owner", _("No active user with this email.")))
        if errors:
            return self._fail(number, raw, errors)
        try:
            fields = prepare_lead(self.tenant, data)
        except ValidationError as exc:
            return self._fail(
                number,
                raw,
                [(k, " ".join(m)) for k, m in exc.message_dict.items()],
            )
        email = fields.get("email", "")
        existing = self._existing(email) if email else None
        duplicate = existing is not None or (email and email in self.seen_emails)
        if email:
            self.seen_emails.add(email)
        action = "create"
        if duplicate and self.run.on_duplicate == "skip":
            note = _("a lead with this email exists") if existing else _("repeats a row above")
            return RowOutcome(number, "skip", note=note)
        if existing is not None and self.run.on_duplicate == "update":
            action = "update"
        if self.run.dry_run:
            return RowOutcome(number, action)
        try:
            with transaction.atomic():
                if action == "update":
                    lead = lead_update(by=self.by, lead=existing, fields=data)
                else:
                    lead = lead_capture(by=self.by, fallback_owner_id=self.by.user.pk, **data)
        except ValidationError as exc:
            messages = getattr(exc, "message_dict", {"": exc.messages})
            return self._fail(number, raw, [(k, " ".join(m)) for k, m in messages.items()])
        except PermissionDenied as exc:
            return self._fail(number, raw, [("", str(exc))])
        return RowOutcome(number, action, record_id=lead.pk)

    def finish(self, deferred: list[dict]) -> list[RowOutcome]:
        return []


def register_import_target() -> None:
    register(
        ImportTarget(
            key="leads",
            label=gettext_lazy("Leads"),
            base_fields=FIELDS,
            required=(("last_name", "full_name", "company", "email", "phone"),),
            processor=LeadProcessor,
        )
    )
