"""The database side of the search: pg_trgm on PostgreSQL (FTS5 is built into SQLite).

The index tables and their triggers are built by `funia.search.index.ensure_search_indexes`
after every `migrate` (post_migrate), for every registered searchable.
"""

from django.db import migrations


def create_extensions(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]

    operations = [migrations.RunPython(create_extensions, migrations.RunPython.noop, elidable=False)]
