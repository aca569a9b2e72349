"""Import targets: what a file can be imported as (contacts, accounts; later leads, orders...).

A module describes a target once: its fields with the header names that suggest them, which
fields must be mapped, and the processor that turns a chunk of rows into records. The upload
API, the pages, the CLI and the job read this registry; none of them names a record type.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class TargetField:
    key: str  # "first_name", "email_2", "custom.vat_number"
    label: str
    aliases: tuple[str, ...] = ()  # header names that mean this field (any case, any script)


@dataclass
class RowOutcome:
    """What happened to one row: created, updated, skipped or failed (with its errors)."""

    number: int
    action: str  # create | update | skip | fail
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # (column, value, msg)
    record_id: int | None = None
    note: str = ""  # e.g. "duplicate of #12" for the preview


class Processor(Protocol):
    """Turns chunks of rows into records. `process(rows)` is
    `process_prepared(prepare_rows(rows))`; `prepare_rows` must not touch the database
    (the engine may run it in a helper process, one chunk ahead)."""

    def prepare_rows(self, rows: list) -> list: ...

    def pack(self, items: list) -> list: ...  # prepared rows -> plain values (helper -> parent)

    def unpack(self, packed: list) -> list: ...

    def process_prepared(self, items: list) -> list[RowOutcome]: ...

    def process(self, rows: list) -> list[RowOutcome]: ...

    def finish(self, deferred: list[dict]) -> list[RowOutcome]: ...


class PreparedTuples:
    """`pack`, `unpack` and `process` of a processor whose prepared rows are RowOutcomes
    (rows refused before the database) and plain tuples (rows to write)."""

    def pack(self, items: list) -> list:
        return [
            ("outcome", i.number, i.action, i.errors, i.note) if isinstance(i, RowOutcome) else i
            for i in items
        ]

    def unpack(self, packed: list) -> list:
        return [RowOutcome(p[1], p[2], p[3], note=p[4]) if p[0] == "outcome" else p for p in packed]

    def process(self, rows: list) -> list[RowOutcome]:
        return self.process_prepared(self.prepare_rows(rows))


@dataclass(frozen=True)
class ImportTarget:
    key: str  # "contacts": the API's `type`
    label: str
    base_fields: tuple[TargetField, ...]
    # Each group must have at least one of its fields mapped, e.g. (("last_name", "full_name"),)
    required: tuple[tuple[str, ...], ...]
    processor: Callable  # (run) -> Processor; run is a funia.imports.engine.ImportRun
    extra_fields: Callable | None = None  # (tenant) -> [TargetField], e.g. custom fields
    # What makes a row a duplicate, shown where the user picks the duplicate policy.
    duplicate_help: str = ""

    def fields(self, tenant) -> list[TargetField]:
        extra = self.extra_fields(tenant) if self.extra_fields else []
        return [*self.base_fields, *extra]


_targets: dict[str, ImportTarget] = {}


def register(target: ImportTarget) -> None:
    _targets[target.key] = target


def get(key: str) -> ImportTarget | None:
    return _targets.get(key)


def all_targets() -> list[ImportTarget]:
    return list(_targets.values())


def keys() -> list[str]:
    return list(_targets)
