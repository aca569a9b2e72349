"""Global search: one box over every registered record type (see `registry.py`).

`selectors.global_search` ranks; `backends.py` holds the SQLite FTS5 and PostgreSQL pg_trgm
implementations behind one interface; `index.py` describes and reconciles the index tables
and the triggers that keep them current; `customers.py` registers accounts and contacts.
"""
