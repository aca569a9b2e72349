"""The search index builds and repairs itself: after `migrate`, after a table rebuild."""

import dataclasses

from django.db import connection

from funia.search.backends import backend_for
from funia.search.customers import CONTACT_INDEX
from funia.search.index import ensure_search_indexes
from tests import factories


def triggers_of(spec) -> set[str]:
    backend = backend_for(connection)
    with connection.cursor() as cursor:
        return backend.existing_triggers(cursor, spec)


def test_the_index_is_in_place_after_migrate_and_left_alone(db):
    assert triggers_of(CONTACT_INDEX)
    assert backend_for(connection).ensure(CONTACT_INDEX) is False


def test_a_table_rebuild_that_dropped_the_triggers_is_repaired_after_migrate(admin, titles):
    backend = backend_for(connection)
    with connection.cursor() as cursor:
        backend.drop_triggers(cursor, CONTACT_INDEX, triggers_of(CONTACT_INDEX))
    factories.contact(admin, first_name="Maria", last_name="Unindexed")
    assert titles(admin, "unindexed") == []

    ensure_search_indexes(using=connection.alias)

    assert titles(admin, "unindexed") == ["Maria Unindexed"]
    factories.contact(admin, first_name="Maria", last_name="Afterwards")
    assert titles(admin, "afterwards") == ["Maria Afterwards"]


def test_a_changed_definition_replaces_the_triggers_and_rebuilds(admin, titles):
    factories.contact(admin, first_name="Maria", last_name="Ivanova", title="Engineer")
    backend = backend_for(connection)
    changed = dataclasses.replace(CONTACT_INDEX, document="' ' || r.search_text || ' zzfoo'")
    assert changed.signature != CONTACT_INDEX.signature

    assert backend.ensure(changed) is True

    assert triggers_of(CONTACT_INDEX) == {n for n in triggers_of(changed) if changed.signature in n}
    assert backend.ensure(changed) is False
    assert titles(admin, "zzfoo") == ["Maria Ivanova"]


def test_records_written_in_bulk_are_found_right_away_and_later_writes_still_index(admin, titles):
    from django.db import transaction

    from funia.imports.bulk import RecordPreparer, records_bulk_create

    preparer = RecordPreparer(by=admin, entity="contact")
    records = [
        preparer.prepare({"first_name": "Bulk", "last_name": name, "emails": [f"{name}@ex.bg"]})
        for name in ("Zarkova", "Zlatev")
    ]
    with transaction.atomic():
        records_bulk_create(by=admin, records=records)

    assert titles(admin, "zarkova") == ["Bulk Zarkova"]
    assert titles(admin, "zlatev@ex") == ["Bulk Zlatev"]
    factories.contact(admin, first_name="One", last_name="Byone")
    assert titles(admin, "byone") == ["One Byone"]


def test_a_bulk_insert_leaves_no_pause_behind(db):
    from django.db import transaction

    from funia.search.index import bulk_insert

    backend = backend_for(connection)
    if not backend.pauses_row_triggers:
        return  # statement triggers index a bulk insert as one statement already
    with transaction.atomic(), bulk_insert(CONTACT_INDEX.table, [10**9]):
        pass
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM search_index_pause")
        assert cursor.fetchone()[0] == 0
