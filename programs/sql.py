"""The few helpers of the raw SQL on the hot paths (progress, compliance, series, memory,
radiation): where the ORM cost more to build a query than the database to run it, that
query is SQL, and these keep its pieces one way. Here, in the lowest domain app, so that
procedures and curriculum share them."""

import json
from datetime import date

from django.db import connection


def placeholders(values) -> str:
    """ "%s, %s, …" for `values` (never empty: PostgreSQL refuses "IN ()")."""
    return ", ".join(["%s"] * len(values))


def sql_in(column: str, values) -> tuple[str, list]:
    """`column` IN (the values, sorted), and its parameters."""
    values = sorted(values)
    return f"{column} IN ({placeholders(values)})", values


def fetch(query: str, params: list) -> list:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def db_date(value: date):
    """A date as a query parameter."""
    return connection.ops.adapt_datefield_value(value)


def read_date(value) -> date | None:
    """A date as the database returns it: a date, or its ISO text on SQLite."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def read_json(value):
    """A JSON column as the database returns it to raw SQL: text on both (Django asks
    psycopg2 for text, and decodes its JSONField itself)."""
    return json.loads(value) if isinstance(value, str) else value


def claim_refresh(table: str, enrollment_ids) -> list[int]:
    """Claim, once, the recomputing of these enrollments' snapshots in `table` (a column
    `refresh_requested`): the ones not yet asked for, marked by one UPDATE (… RETURNING:
    SQLite 3.35+, PostgreSQL). Returns those claimed now, for the caller to queue."""
    ids = sorted(enrollment_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET refresh_requested = %s WHERE NOT refresh_requested"
            f" AND enrollment_id IN ({placeholders(ids)}) RETURNING enrollment_id",
            [True, *ids],
        )
        return sorted(row[0] for row in cursor.fetchall())
