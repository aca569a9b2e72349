"""The processors of the contacts and accounts import targets (see `registry.Processor`)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from funia.core.models import Membership
from funia.core.visibility import visible_records
from funia.customers import services
from funia.customers.custom_fields import definitions
from funia.customers.models import Account, Contact
from funia.customers.normalize import company_name_key
from funia.imports.bulk import PreparedRecord, RecordPreparer, records_bulk_create
from funia.imports.customers.rows import Candidate, RowReading, parse_count, split_full_name
from funia.imports.customers.writing import ChunkWriting
from funia.imports.registry import RowOutcome


class CustomerProcessor(RowReading, ChunkWriting):
    """Rows of a file -> accounts or contacts, a chunk at a time."""

    entity = ""
    model = None
    reference_field = ""  # "account" or "parent": a record named in a column
    scalars: tuple[str, ...] = ()
    required = ""  # the field a new record needs (a row updating a record may lack it)

    def __init__(self, run):
        self.run = run
        self.by = run.actor
        self.tenant = run.actor.tenant
        self.columns = run.columns  # [(index, header, field key)]
        self.header_of = {key: header for _i, header, key in self.columns}
        self.custom_fields = definitions(tenant=self.tenant, entity=self.entity)
        self.members = {
            email.lower(): user_id
            for email, user_id in Membership.objects.for_tenant(self.tenant)
            .filter(is_active=True)
            .values_list("user__email", "user_id")
        }
        self.preparer = RecordPreparer(by=self.by, entity=self.entity)
        self.reference_ids: dict[str, int | None] = {}  # folded name -> account id
        self.seen: dict[str, int] = {}  # dry runs: key -> row number of an earlier chunk


class ContactProcessor(CustomerProcessor):
    entity = "contact"
    model = Contact
    reference_field = "account"
    scalars = ("first_name", "last_name", "title", "source")
    required = "last_name"

    def __init__(self, run):
        super().__init__(run)
        self.account_preparer = RecordPreparer(by=self.by, entity="account")

    def build_entity(self, raw: dict, data: dict, errors: list) -> None:
        if raw.get("full_name") and not (raw.get("first_name") or raw.get("last_name")):
            first, last = split_full_name(raw["full_name"])
            data["first_name"], data["last_name"] = first, last
        if len(raw.get("account", "")) > 200:
            errors.append(("account", _("At most %(n)d characters.") % {"n": 200}))

    def missing(self, data: dict) -> list[tuple[str, str]]:
        if data.get("last_name"):
            return []
        key = "last_name" if "last_name" in self.header_of else "full_name"
        return [(key, _("A contact needs a last name."))]

    def resolve_references(self, candidates: list[Candidate]) -> None:
        new_accounts: dict[str, PreparedRecord] = {}
        for candidate in candidates:
            if not candidate.reference:
                continue
            key = candidate.reference_key
            pk = self.reference_ids.get(key)
            if pk is None and key not in new_accounts:
                owner = candidate.data.get("owner_id") or self.by.user.pk
                new_accounts[key] = self.account_preparer.prepare(
                    {"name": candidate.reference.strip(), "owner_id": owner}
                )
        if new_accounts and not self.run.dry_run:
            records_bulk_create(by=self.by, records=list(new_accounts.values()))
            for key, record in new_accounts.items():
                self.reference_ids[key] = record.instance.pk
        for candidate in candidates:
            if candidate.reference:
                pk = self.reference_ids.get(candidate.reference_key)
                candidate.data["account_id"] = pk
                candidate.record.instance.account_id = pk
                candidate.record.prepared.fields["account_id"] = pk


class AccountProcessor(CustomerProcessor):
    entity = "account"
    model = Account
    reference_field = "parent"
    scalars = ("name", "domain", "industry", "segment", "employees", "country", "region", "city")
    required = "name"

    def missing(self, data: dict) -> list[tuple[str, str]]:
        return [] if data.get("name") else [("name", _("An account needs a name."))]

    def build_entity(self, raw: dict, data: dict, errors: list) -> None:
        if raw.get("employees"):
            try:
                data["employees"] = parse_count(raw["employees"])
            except ValueError:
                errors.append(("employees", _("Enter a whole number.")))
        # An account's own city, region and country follow its (first) address.
        for part in ("city", "region", "country"):
            address = (data.get("addresses") or [{}])[0]
            if address.get(part):
                data[part] = address[part]
        if len(raw.get("parent", "")) > 200:
            errors.append(("parent", _("At most %(n)d characters.") % {"n": 200}))

    def keys(self, record: PreparedRecord) -> set[str]:
        keys = super().keys(record)
        if record.instance.name_key:
            keys.add(f"name:{record.instance.name_key}")
        if record.instance.domain:
            keys.add(f"domain:{record.instance.domain}")
        return keys

    def existing(self, candidates: list[Candidate]) -> dict[str, set[int]]:
        found = super().existing(candidates)
        names, domains = set(), set()
        for candidate in candidates:
            names.add(candidate.record.instance.name_key)
            domains.add(candidate.record.instance.domain)
        names.discard("")
        domains.discard("")
        accounts = Account.objects.for_tenant(self.tenant).filter(merged_into__isnull=True)
        # Two index-served queries rather than one OR, which PostgreSQL scans row by row.
        for kind, values in (("name", names), ("domain", domains)):
            column = "name_key" if kind == "name" else "domain"
            if values:
                for pk, value in accounts.filter(**{f"{column}__in": values}).values_list(
                    "pk", column
                ):
                    found.setdefault(f"{kind}:{value}", set()).add(pk)
        return found

    def resolve_references(self, candidates: list[Candidate]) -> None:
        for candidate in candidates:
            if candidate.reference:
                pk = self.reference_ids.get(candidate.reference_key)
                if pk is not None:
                    candidate.data["parent_id"] = pk
                    candidate.record.instance.parent_id = pk
                    candidate.record.prepared.fields["parent_id"] = pk

    def after_write(self, written: list[tuple[Candidate, int]]) -> None:
        for candidate, record_id in written:
            if candidate.action == "create":
                self.reference_ids.setdefault(candidate.record.instance.name_key, record_id)
        for candidate, record_id in written:
            if candidate.reference and candidate.record.instance.parent_id is None:
                self.run.defer(
                    {
                        "record": record_id,
                        "name": candidate.reference,
                        "row": candidate.number,
                        "column": self.column("parent"),
                    }
                )

    def finish(self, deferred: list[dict]) -> list[RowOutcome]:
        """Parents named by rows further down the file: link them now, or report them."""
        outcomes = []
        for link in deferred:
            key = company_name_key(link["name"])
            parent_id = self.reference_ids.get(key)
            if parent_id is None:
                parent_id = (
                    visible_records(Account, self.by)
                    .filter(name_key=key, merged_into__isnull=True)
                    .order_by("pk")
                    .values_list("pk", flat=True)
                    .first()
                )
            problem = None
            if parent_id is None or parent_id < 0:
                problem = _(
                    "No account named “%(name)s”; the account was imported without its parent."
                ) % {"name": link["name"]}
            elif not self.run.dry_run:
                try:
                    with transaction.atomic():
                        account = Account.objects.for_tenant(self.tenant).get(pk=link["record"])
                        services.account_update(
                            by=self.by, account=account, fields={"parent_id": parent_id}
                        )
                except (ValidationError, PermissionDenied, Account.DoesNotExist) as exc:
                    problem = " ".join(getattr(exc, "messages", [str(exc)]))
            if problem:
                outcomes.append(
                    RowOutcome(
                        link["row"],
                        "",
                        [(link["column"], link["name"], problem)],
                    )
                )
        return outcomes
