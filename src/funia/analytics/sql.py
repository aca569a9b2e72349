"""Small SQL pieces the reports share, written once for SQLite and PostgreSQL."""

# ruff: noqa: S608  (SQL built from ids, table names and fixed text; values are params)

from contextlib import contextmanager

from django.db import connection, transaction
from django.db.models import FloatField, Func

# Memory for a report query's sorts (PostgreSQL): the medians of a few hundred thousand
# values sort in memory instead of on disk.
REPORT_WORK_MEM = "64MB"


@contextmanager
def report_cursor():
    """A cursor for one report query, in a transaction of its own where PostgreSQL gets
    `REPORT_WORK_MEM` for its sorts."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'")
        yield cursor


def seconds_between(later: str, earlier: str) -> str:
    """SQL of the seconds from `earlier` to `later` (two timestamp expressions)."""
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


def float_seconds_between(later: str, earlier: str) -> str:
    """As `seconds_between`, as a double on PostgreSQL (`date_part`; EXTRACT gives numeric
    since PostgreSQL 14, much slower over millions of rows)."""
    if connection.vendor == "postgresql":
        return f"date_part('epoch', {later} - {earlier})"
    return seconds_between(later, earlier)


def db_time(value):
    """A datetime as the database compares it with stored ones (SQLite stores UTC text)."""
    return connection.ops.adapt_datetimefield_value(value)


def queryset_sql(qs) -> tuple[str, list]:
    sql, params = qs.query.sql_with_params()
    return sql, list(params)


class EpochSeconds(Func):
    """Seconds since 1970 of a timestamp column (for averages of ages and cycles)."""

    output_field = FloatField()

    def as_sql(self, compiler, connection, **extra):
        inner, params = compiler.compile(self.source_expressions[0])
        if connection.vendor == "postgresql":
            # date_part is a double already (EXTRACT is numeric, much slower).
            return f"date_part('epoch', {inner})", params
        return f"((julianday({inner}) - 2440587.5) * 86400.0)", params


def median_sql(values_sql: str) -> str:
    """SQL of the median of the column `v` of a subquery (nulls ignored; the mean of the
    two middle values when their number is even)."""
    return f"""
        SELECT AVG(v) FROM (
            SELECT v, ROW_NUMBER() OVER (ORDER BY v) AS rn, COUNT(*) OVER () AS cnt
            FROM ({values_sql}) AS m0 WHERE v IS NOT NULL
        ) AS m1 WHERE rn IN ((cnt + 1) / 2, (cnt + 2) / 2)
    """
