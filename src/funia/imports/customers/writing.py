"""Writing chunks of validated rows: duplicates, named accounts, bulk creates, updates.

The duplicates among the chunk's rows and against the database are found with one query on
the normalised emails and phones (accounts also by folded name and domain); new records are
written in bulk (`imports.bulk`) and matched ones updated through the customers services.

Duplicate policy: `skip` counts the row as skipped; `update` writes the row's non-empty
cells into the matched record (emails, phones and tags are added to the record's, an
address replaces the first one; empty cells never erase anything); `create` creates a new
record anyway. A row that repeats an earlier row of the file is a duplicate of the record
that row created.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from funia.core.visibility import visible_records
from funia.customers import services
from funia.customers.models import Account, ContactPoint
from funia.imports.bulk import records_bulk_create
from funia.imports.customers.rows import Candidate
from funia.imports.registry import RowOutcome


def _points_with(tenant_id: int, owner: str, values: list[str]) -> list[tuple]:
    """(owner id, kind, value) of the tenant's emails and phones among `values`.

    The same filter as `ContactPoint.objects.for_tenant(...).filter(kind__in=..., value__in=
    ...)`, written out: building the ORM query for a chunk's two thousand values costs more
    than running it. PostgreSQL gets the values as one array parameter.
    """
    if not values:
        return []
    column = connection.ops.quote_name(ContactPoint._meta.get_field(owner).column)
    table = connection.ops.quote_name(ContactPoint._meta.db_table)
    if connection.vendor == "postgresql":
        condition, params = "value = ANY(%s)", [values]
    else:
        condition, params = f"value IN ({', '.join(['%s'] * len(values))})", values
    sql = (
        f"SELECT {column}, kind, value FROM {table} "  # noqa: S608 (names from the model)
        f"WHERE tenant_id = %s AND kind IN ('email', 'phone') AND {condition} "
        f"AND {column} IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [tenant_id, *params])
        return cursor.fetchall()


class ChunkWriting:
    """The database half of a customer processor (the attributes are CustomerProcessor's)."""

    def process_prepared(self, items: list) -> list[RowOutcome]:
        """Duplicates, references and writes of a chunk of prepared rows."""
        outcomes = {i.number: i for i in items if isinstance(i, RowOutcome)}
        candidates = [i for i in items if isinstance(i, Candidate)]
        candidates = self.look_up_references(candidates, outcomes)
        self.classify(candidates, self.existing(candidates), outcomes)
        self.write(candidates, outcomes)
        return [outcomes[item.number] for item in items]

    def process(self, rows: list) -> list[RowOutcome]:
        return self.process_prepared(self.prepare_rows(rows))

    def existing(self, candidates: list[Candidate]) -> dict[str, set[int]]:
        """Key -> ids of live records holding it: one query per chunk (two for accounts)."""
        emails, phones = set(), set()
        for candidate in candidates:
            for key in candidate.keys:
                kind, _sep, value = key.partition(":")
                (emails if kind == "email" else phones if kind == "phone" else set()).add(value)
        found: dict[str, set[int]] = {}
        if not (emails or phones):
            return found
        owner = self.entity
        # One condition the (tenant, kind, value) index serves; an email never equals an
        # E.164 phone, so the kinds need no pairing with their values. No join: with the
        # statistics of a table that is filling up, PostgreSQL would loop over the records.
        points = _points_with(self.tenant.pk, owner, sorted(emails | phones))
        by_record: dict[int, list[str]] = {}
        for record_id, kind, value in points:
            by_record.setdefault(record_id, []).append(f"{kind}:{value}")
        if by_record:
            live = self.model.objects.for_tenant(self.tenant).filter(
                pk__in=list(by_record), merged_into__isnull=True
            )
            for record_id in live.values_list("pk", flat=True):
                for key in by_record[record_id]:
                    found.setdefault(key, set()).add(record_id)
        return found

    def classify(self, candidates: list[Candidate], existing: dict, outcomes: dict) -> None:
        policy = self.run.on_duplicate
        pending: dict[str, Candidate] = {}
        for candidate in candidates:
            if policy == "create":
                continue
            matches: dict[int, int] = {}
            for key in candidate.keys:
                for record_id in existing.get(key, ()):
                    matches[record_id] = matches.get(record_id, 0) + 1
            if matches:
                best = max(matches, key=lambda pk: (matches[pk], -pk))
                candidate.match_id = best
                candidate.action = "update" if policy == "update" else "skip"
                candidate.note = _("Duplicate of an existing record")
                continue
            earlier = next((pending[k] for k in sorted(candidate.keys) if k in pending), None)
            if earlier is not None:
                candidate.note = _("Duplicate of row %(row)d") % {"row": earlier.number}
                if policy == "skip":
                    candidate.action = "skip"
                else:
                    self.merge(earlier, candidate, outcomes)
                    for key in candidate.keys:
                        pending.setdefault(key, earlier)
                continue
            seen = next((self.seen[k] for k in sorted(candidate.keys) if k in self.seen), None)
            if seen is not None:  # a dry run: an earlier chunk "created" it
                candidate.action = "skip" if policy == "skip" else "update"
                candidate.note = _("Duplicate of row %(row)d") % {"row": seen}
                continue
            for key in candidate.keys:
                pending[key] = candidate

    def merge(self, earlier: Candidate, later: Candidate, outcomes: dict) -> None:
        """Policy `update` within the file: the later row updates the earlier row's record."""
        data = dict(earlier.data)
        for key, value in later.data.items():
            if key in {"emails", "phones", "tags"}:
                data[key] = [*(data.get(key) or []), *value]
            elif value not in ("", None, [], {}):
                data[key] = value
        custom = {**earlier.custom, **later.custom}
        missing = self.missing(data)
        try:
            record = self.preparer.prepare(data, custom, unchecked=self.unchecked(missing))
        except ValidationError as exc:
            later.action = "fail"
            errors = [(key, " ".join(messages)) for key, messages in exc.message_dict.items()]
            outcomes[later.number] = self.fail(later.number, later.raw, errors)
            return
        earlier.data, earlier.custom, earlier.record = data, custom, record
        earlier.missing = missing
        earlier.keys |= later.keys
        if later.reference:
            earlier.reference, earlier.reference_key = later.reference, later.reference_key
        earlier.merged.append(later)
        later.action = "update"

    # -- references by name (a contact's account, an account's parent) -------------------

    def look_up_references(self, candidates: list[Candidate], outcomes: dict) -> list[Candidate]:
        """Find the named accounts: one query for the chunk's names not met before."""
        wanted = {c.reference_key for c in candidates if c.reference}
        missing = {key for key in wanted if key and key not in self.reference_ids}
        if missing:
            found: dict[str, int] = {}
            for pk, name_key in (
                Account.objects.for_tenant(self.tenant)
                .filter(name_key__in=missing, merged_into__isnull=True)
                .order_by("-pk")
                .values_list("pk", "name_key")
            ):
                found[name_key] = pk  # the oldest wins
            visible = set(
                visible_records(Account, self.by)
                .filter(pk__in=found.values())
                .values_list("pk", flat=True)
            )
            for key, pk in found.items():
                self.reference_ids[key] = pk if pk in visible else -pk
        kept = []
        for candidate in candidates:
            key = candidate.reference_key
            problem = ""
            if candidate.reference and not key:
                problem = _("Enter an account name.")
            elif (self.reference_ids.get(key) or 0) < 0:
                problem = _("An account with this name exists, but you may not see it.")
            if problem:
                outcomes[candidate.number] = self.fail(
                    candidate.number, candidate.raw, [(self.reference_field, problem)]
                )
            else:
                kept.append(candidate)
        return kept

    # -- writing ------------------------------------------------------------------------

    def write(self, candidates: list[Candidate], outcomes: dict) -> None:
        for candidate in candidates:
            if candidate.action == "create" and candidate.missing:
                for row in (candidate, *candidate.merged):
                    row.action = "fail"
                    outcomes[row.number] = self.fail(row.number, row.raw, candidate.missing)
        creates = [c for c in candidates if c.action == "create" and c.number not in outcomes]
        self.resolve_references([c for c in candidates if c.action in {"create", "update"}])
        if self.run.dry_run:
            for candidate in creates:
                for key in candidate.keys:
                    self.seen.setdefault(key, candidate.number)
        else:
            records_bulk_create(by=self.by, records=[c.record for c in creates])
        written = []
        for candidate in candidates:
            if candidate.number in outcomes:
                continue
            if candidate.action == "update" and candidate.match_id and not self.run.dry_run:
                problem = self.update(candidate)
                if problem:
                    outcomes[candidate.number] = self.fail(candidate.number, candidate.raw, problem)
                    continue
            record_id = candidate.record.instance.pk if candidate.action == "create" else None
            outcomes[candidate.number] = RowOutcome(
                candidate.number,
                candidate.action,
                record_id=record_id or candidate.match_id,
                note=candidate.note,
            )
            if candidate.action in {"create", "update"} and (record_id or candidate.match_id):
                written.append((candidate, record_id or candidate.match_id))
        if not self.run.dry_run:
            self.after_write(written)

    def resolve_references(self, candidates: list[Candidate]) -> None:
        """Set the named account of each row (contacts create the missing ones)."""

    def after_write(self, written: list[tuple[Candidate, int]]) -> None:
        """Work that needs the records' ids (accounts: parents named further down)."""

    def finish(self, deferred: list[dict]) -> list[RowOutcome]:
        """After the last chunk: resolve what `run.defer` kept; problems as outcomes."""
        return []

    def update(self, candidate: Candidate) -> list[tuple[str, str]] | None:
        """Apply the row to its matched record through the service; errors or None."""
        model = self.model
        try:
            with transaction.atomic():
                current = (
                    model.objects.for_tenant(self.tenant)
                    .prefetch_related("points", "addresses", "tag_links__tag")
                    .get(pk=candidate.match_id)
                )
                fields = self.update_fields(current, candidate)
                update = (
                    services.contact_update
                    if self.entity == "contact"
                    else (services.account_update)
                )
                update(by=self.by, fields=fields, on_duplicate="create", **{self.entity: current})
        except model.DoesNotExist:
            return [("__all__", _("The matching record was deleted meanwhile."))]
        except PermissionDenied:
            return [("__all__", _("You may not change the matching record."))]
        except ValidationError as exc:
            return [
                (self.service_error_key(key, candidate.point_keys), " ".join(messages))
                for key, messages in exc.message_dict.items()
            ]
        return None

    def update_fields(self, current, candidate: Candidate) -> dict:
        prepared = candidate.record.prepared
        fields = {k: v for k, v in candidate.record.prepared.fields.items() if k in self.scalars}
        fields = {k: v for k, v in fields.items() if v not in ("", None)}
        for name in ("owner_id", "account_id", "parent_id"):
            if candidate.data.get(name) is not None:
                fields[name] = candidate.data[name]
        for kind in ("email", "phone"):
            new = getattr(prepared, f"{kind}s") or []
            if new:
                have = [
                    {"value": p.value, "label": p.label}
                    for p in current.points.all()
                    if p.kind == kind
                ]
                values = {p["value"] for p in have}
                fields[f"{kind}s"] = have + [p for p in new if p["value"] not in values]
        if prepared.tags:
            have = [link.tag.name for link in current.tag_links.all()]
            lower = {t.lower() for t in have}
            fields["tags"] = have + [t for t in prepared.tags if t.lower() not in lower]
        if prepared.addresses:
            others = [
                {name: getattr(a, name) for name in services.ADDRESS_FIELDS}
                for a in current.addresses.all()
            ][1:]
            fields["addresses"] = prepared.addresses[:1] + others
        if candidate.custom:
            fields["custom"] = candidate.custom
        return fields
