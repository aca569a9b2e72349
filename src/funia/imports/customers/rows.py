"""Reading rows into accounts and contacts to be: each row validated on its own.

A bad cell fails its row with an error naming the column; the other rows go on. This part
reads nothing from the database, so the engine may run it in a helper process, one chunk
ahead of the writing (`writing.py`); `pack`/`unpack` carry its results across.
"""

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from funia.customers import services
from funia.customers.custom_fields import clean_custom
from funia.customers.models import Address
from funia.customers.normalize import company_name_key
from funia.imports.bulk import PreparedRecord, instance_from_values
from funia.imports.countries import country_code
from funia.imports.registry import RowOutcome

FORMULA = "="
# Our own exports put an apostrophe before these; an import takes it off again.
NEUTRALISED = ("'=", "'+", "'-", "'@", "'\t", "'\r")
ADDRESS_PARTS = ("street", "city", "postal_code", "region", "country")
POINT_FIELDS = {"email": ("email", "email_2"), "phone": ("phone", "mobile")}
POINT_LABELS = {"mobile": "mobile"}


def _address_limit(name: str) -> int:
    return Address._meta.get_field(name).max_length


@dataclass
class Candidate:
    """A valid row on its way to the database."""

    number: int
    raw: dict  # field key -> cell text
    data: dict  # service fields
    custom: dict
    record: PreparedRecord
    point_keys: dict  # "emails"/"phones" -> [field key per list position]
    keys: set = field(default_factory=set)
    reference: str = ""  # account (contacts) or parent (accounts) name
    reference_key: str = ""  # the name folded as accounts' name_key
    action: str = "create"
    match_id: int | None = None
    note: str = ""
    merged: list = field(default_factory=list)  # later rows merged into this one
    missing: list = field(default_factory=list)  # [(field key, message)] needed to create


class RowProblem(Exception):
    def __init__(self, errors: list[tuple[str, str]], raw: dict | None = None):
        super().__init__(errors)
        self.errors = errors  # [(field key, message)]
        self.raw = raw


class RowReading:
    """Cells -> validated records (the attributes are CustomerProcessor's)."""

    # -- reading a row ------------------------------------------------------------------

    def column(self, key: str) -> str:
        if key in self.header_of:
            return self.header_of[key]
        if key in {"first_name", "last_name"} and "full_name" in self.header_of:
            return self.header_of["full_name"]
        if key == "__all__":
            return ""
        return self.header_of.get(key, "")

    def read(self, row) -> dict:
        raw, problems = {}, []
        for index, _header, key in self.columns:
            value = row.cells[index] if index < len(row.cells) else ""
            if value.startswith(NEUTRALISED):
                value = value[1:]
            if value.startswith(FORMULA) and len(value) > 1:
                problems.append(
                    (key, _("The cell holds a spreadsheet formula, not a value; type the value."))
                )
            raw[key] = value
        if problems:
            raise RowProblem(problems, raw)
        return raw

    def build(self, raw: dict) -> tuple[dict, dict, dict]:
        """Cells -> (service fields, cleaned custom values, field key per email/phone)."""
        errors: list[tuple[str, str]] = []
        data: dict = {}
        for name in self.scalars:
            if raw.get(name):
                data[name] = raw[name]
        point_keys = {}
        for kind, keys in POINT_FIELDS.items():
            items, used = [], []
            for key in keys:
                if raw.get(key):
                    items.append({"value": raw[key], "label": POINT_LABELS.get(key, "")})
                    used.append(key)
            data[f"{kind}s"] = items
            point_keys[f"{kind}s"] = used
        address = {part: raw.get(part, "") for part in ADDRESS_PARTS}
        if address["country"]:
            try:
                address["country"] = country_code(address["country"])
            except ValueError:
                errors.append(
                    ("country", _("Unknown country; use a name or a two-letter code like BG."))
                )
        for part in ADDRESS_PARTS:
            if len(address[part]) > _address_limit(part):
                errors.append((part, _("At most %(n)d characters.") % {"n": _address_limit(part)}))
        if any(address.values()):
            data["addresses"] = [{"label": "", **address}]
        if raw.get("tags"):
            data["tags"] = [t.strip() for t in re.split(r"[,;]", raw["tags"]) if t.strip()]
        if raw.get("owner"):
            owner_id = self.members.get(raw["owner"].strip().lower())
            if owner_id is None:
                errors.append(("owner", _("No user with this email in the organisation.")))
            data["owner_id"] = owner_id
        custom_values = {
            key.removeprefix("custom."): value
            for key, value in raw.items()
            if key.startswith("custom.") and value
        }
        custom = {}
        try:
            custom = clean_custom(
                tenant=self.tenant,
                entity=self.entity,
                values=custom_values,
                fields=self.custom_fields,
            )
        except ValidationError as exc:
            errors.extend((key, " ".join(msgs)) for key, msgs in exc.message_dict.items())
        self.build_entity(raw, data, errors)
        if errors:
            raise RowProblem(errors)
        return data, custom, point_keys

    def build_entity(self, raw: dict, data: dict, errors: list) -> None:
        """Fields of this record type (names, employees, ...)."""

    def service_error_key(self, key: str, point_keys: dict) -> str:
        match = re.fullmatch(r"(emails|phones)\.(\d+)\.value", key)
        if match:
            used = point_keys.get(match.group(1), [])
            index = int(match.group(2))
            return used[index] if index < len(used) else ""
        return {"addresses": "street", "account": "account", "parent": "parent"}.get(key, key)

    def missing(self, data: dict) -> list[tuple[str, str]]:
        """What a row lacks to create a record (it may still update one)."""
        return []

    def unchecked(self, missing: list) -> tuple[str, ...]:
        """Fields the model's validation must leave alone: the missing required one."""
        return (self.required,) if missing else ()

    def prepare(self, number: int, raw: dict) -> Candidate:
        data, custom, point_keys = self.build(raw)
        missing = self.missing(data)
        try:
            record = self.preparer.prepare(data, custom, unchecked=self.unchecked(missing))
        except ValidationError as exc:
            raise RowProblem(
                [
                    (self.service_error_key(key, point_keys), " ".join(messages))
                    for key, messages in exc.message_dict.items()
                ]
            ) from exc
        candidate = Candidate(number, raw, data, custom, record, point_keys, missing=missing)
        candidate.keys = self.keys(record)
        candidate.reference = raw.get(self.reference_field, "") if self.reference_field else ""
        candidate.reference_key = company_name_key(candidate.reference)
        return candidate

    def keys(self, record: PreparedRecord) -> set[str]:
        prepared = record.prepared
        return {f"email:{p['value']}" for p in prepared.emails or []} | {
            f"phone:{p['value']}" for p in prepared.phones or []
        }

    def fail(self, number: int, raw: dict, errors) -> RowOutcome:
        return RowOutcome(
            number,
            "fail",
            [(self.column(key), raw.get(key, ""), message) for key, message in errors],
        )

    def prepare_rows(self, rows: list) -> list:
        """Validate each row on its own: a Candidate, or a failed RowOutcome.

        Reads nothing from the database (the engine may run it in a helper process).
        """
        items = []
        for row in rows:
            if row.problem:
                items.append(RowOutcome(row.number, "fail", [("", "", row.problem)]))
                continue
            raw = {}
            try:
                raw = self.read(row)
                items.append(self.prepare(row.number, raw))
            except RowProblem as problem:
                items.append(self.fail(row.number, problem.raw or raw, problem.errors))
        return items

    def pack(self, items: list) -> list[tuple]:
        """Prepared rows as plain values, cheap to send from a helper process."""
        attnames = [field.attname for field in self.model._meta.concrete_fields]
        packed = []
        for item in items:
            if isinstance(item, RowOutcome):
                packed.append(("outcome", item.number, item.action, item.errors, item.note))
                continue
            p = item.record.prepared
            instance = item.record.instance
            packed.append(
                (
                    "candidate",
                    item.number,
                    item.raw,
                    item.data,
                    item.custom,
                    tuple(p.fields),  # the values are the instance's
                    tuple(getattr(instance, name) for name in attnames),
                    p.emails,
                    p.phones,
                    p.addresses,
                    p.tags,
                    p.accounts,
                    p.consent_events,
                    item.point_keys,
                    item.keys,
                    item.reference,
                    item.reference_key,
                    item.missing,
                    item.record.audit_halves(),
                )
            )
        return packed

    def unpack(self, packed: list[tuple]) -> list:
        items = []
        model = self.model
        attnames = [field.attname for field in model._meta.concrete_fields]
        for values in packed:
            if values[0] == "outcome":
                _kind, number, action, errors, note = values
                items.append(RowOutcome(number, action, errors, note=note))
                continue
            (
                _kind,
                number,
                raw,
                data,
                custom,
                fields,
                instance_values,
                emails,
                phones,
                addresses,
                tags,
                accounts,
                consent,
                point_keys,
                keys,
                reference,
                reference_key,
                missing,
                audit_text,
            ) = values
            # The instance as the helper validated it (every field's value, in order).
            state = dict(zip(attnames, instance_values, strict=True))
            fields = {name: state[name] for name in fields}
            prepared = services.Prepared(fields, emails, phones, addresses, tags, accounts, consent)
            record = PreparedRecord(instance_from_values(model, state), prepared, audit_text)
            items.append(
                Candidate(
                    number,
                    raw,
                    data,
                    custom,
                    record,
                    point_keys,
                    keys,
                    reference,
                    reference_key,
                    missing=missing,
                )
            )
        return items


def split_full_name(text: str) -> tuple[str, str]:
    """'Ivan Petrov' -> ('Ivan', 'Petrov'); 'Petrov, Ivan' -> ('Ivan', 'Petrov')."""
    text = " ".join(text.split())
    if "," in text:
        last, _sep, first = text.partition(",")
        return first.strip(), last.strip()
    first, _sep, last = text.rpartition(" ")
    return first, last


def parse_count(text: str) -> int:
    cleaned = re.sub(r"[\s\u00a0',]", "", text)
    if re.fullmatch(r"\d{1,3}(\.\d{3})+", cleaned):
        cleaned = cleaned.replace(".", "")
    number = float(cleaned)
    if not number.is_integer() or number < 0 or number > 2_147_483_647:
        raise ValueError(text)
    return int(number)
