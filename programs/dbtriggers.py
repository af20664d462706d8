"""Database triggers, written once for SQLite and PostgreSQL, installed by migrations.

Precept keeps two kinds of rule in the database itself, so that no path (the admin, the
shell, a script, raw SQL) can get round them:

- **guards** that refuse a write (a signed-off revision changed in place, a signature
  edited): they raise an error that Django reports as an `IntegrityError`;
- **stamps** that count changes (`Enrollment.record_version`, `Program.curriculum_version`):
  derived data such as stored progress is compared with them instead of every write site
  having to remember to invalidate it.

Row-level triggers only. Guards are on INSERT and UPDATE, never DELETE: Django's flush on
SQLite (used between transactional tests) is a `DELETE FROM` per table in no set order, and
deletion is already refused by `PROTECT` foreign keys.
"""

import re
from dataclasses import dataclass

# What a guard says; tests and `is_guard_error` look for this prefix.
GUARD_PREFIX = "precept:"


@dataclass(frozen=True)
class Trigger:
    """One row-level trigger.

    `timing` is BEFORE or AFTER, `event` INSERT, UPDATE or DELETE. `condition` is an SQL
    expression over NEW/OLD (subqueries allowed); the trigger acts only when it holds.
    A guard gives `refuse` (the message); a stamp gives `statements` (SQL ending in ";").
    """

    name: str
    table: str
    timing: str
    event: str
    condition: str = ""
    refuse: str = ""
    statements: str = ""

    def _message(self) -> str:
        """The refusal as an SQL string literal."""
        text = f"{GUARD_PREFIX} {self.refuse}".replace("'", "''")
        return f"'{text}'"

    def sqlite(self) -> list[str]:
        when = f" WHEN {self.condition}" if self.condition else ""
        if self.refuse:
            body = f"SELECT RAISE(ABORT, {self._message()});"
        else:
            body = self.statements
        return [
            f"DROP TRIGGER IF EXISTS {self.name};",
            f"CREATE TRIGGER {self.name} {self.timing} {self.event} ON {self.table} "
            f"FOR EACH ROW{when} BEGIN {body} END;",
        ]

    def postgresql(self) -> list[str]:
        if self.refuse:
            action = (
                f"RAISE EXCEPTION {self._message()} "
                "USING ERRCODE = 'integrity_constraint_violation';"
            )
        else:
            action = self.statements
        if self.condition:
            action = f"IF {self.condition} THEN {action} END IF;"
        if self.timing == "AFTER":
            result = "NULL"
        else:
            result = "OLD" if self.event == "DELETE" else "NEW"
        return [
            f"CREATE OR REPLACE FUNCTION {self.name}_fn() RETURNS trigger LANGUAGE plpgsql "
            f"AS $$ BEGIN {action} RETURN {result}; END $$;",
            f"DROP TRIGGER IF EXISTS {self.name} ON {self.table};",
            f"CREATE TRIGGER {self.name} {self.timing} {self.event} ON {self.table} "
            f"FOR EACH ROW EXECUTE FUNCTION {self.name}_fn();",
        ]

    def drop(self, vendor: str) -> list[str]:
        if vendor == "postgresql":
            return [
                f"DROP TRIGGER IF EXISTS {self.name} ON {self.table};",
                f"DROP FUNCTION IF EXISTS {self.name}_fn();",
            ]
        return [f"DROP TRIGGER IF EXISTS {self.name};"]


def _run(schema_editor, statements: list[str]) -> None:
    for sql in statements:
        schema_editor.execute(sql, params=None)


def install(triggers: list[Trigger]):
    """A pair of RunPython functions (forwards, backwards) for a migration."""

    def forwards(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor not in ("sqlite", "postgresql"):
            raise NotImplementedError(
                f"Precept's triggers support SQLite and PostgreSQL, not {vendor}"
            )
        for trigger in triggers:
            _run(schema_editor, trigger.sqlite() if vendor == "sqlite" else trigger.postgresql())

    def backwards(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for trigger in triggers:
            _run(schema_editor, trigger.drop(vendor))

    return forwards, backwards


def around_rebuild(*tables: str):
    """Two migration operations to put before and after schema changes that rebuild
    `tables` on SQLite::

        before, after = around_rebuild("procedures_entry")
        operations = [before, migrations.AddConstraint(...), after]

    SQLite adds a constraint or a column with a default, or alters one, by building a new
    table, dropping the old one and renaming the new one into place. Dropping a table drops
    its own triggers, and the rename fails while a trigger on another table still names the
    dropped one ("error in trigger ...: no such table"). So every trigger whose SQL names
    one of `tables`, on whichever table it sits and whichever migration made it, is set
    aside first (its SQL read from sqlite_master) and created again after; each operation
    is the other's reverse. Nothing happens on PostgreSQL, which rebuilds nothing.
    """
    from django.db import migrations

    patterns = [re.compile(rf"\b{re.escape(table)}\b", re.IGNORECASE) for table in tables]
    kept: list[str] = []

    def set_aside(apps, schema_editor):
        if schema_editor.connection.vendor != "sqlite":
            return
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            rows = [
                (n, sql) for n, sql in cursor.fetchall() if any(p.search(sql) for p in patterns)
            ]
        kept[:] = [sql for _, sql in rows]
        for name, _ in rows:
            schema_editor.execute(f'DROP TRIGGER "{name}";', params=None)

    def put_back(apps, schema_editor):
        for sql in kept:
            schema_editor.execute(sql, params=None)
        kept.clear()

    return (
        migrations.RunPython(set_aside, put_back, elidable=False),
        migrations.RunPython(put_back, set_aside, elidable=False),
    )


def bump(table: str, column: str, where: str) -> str:
    """SQL that adds one to `column` of the rows of `table` selected by `where`."""
    return f"UPDATE {table} SET {column} = {column} + 1 WHERE {where};"


STAMP_EVENTS = ("INSERT", "UPDATE", "DELETE")


def _rows(event: str) -> list[str]:
    """The row names a trigger on `event` reads: NEW, OLD, or both for an update."""
    return {"INSERT": ["NEW"], "DELETE": ["OLD"], "UPDATE": ["OLD", "NEW"]}[event]


def stamps(table: str, target: str, column: str, where: str, events=STAMP_EVENTS) -> list[Trigger]:
    """Stamps that bump `column` of the `target` rows selected by `where` after each of
    `events` on `table`; `where` names the written row as `{}` (NEW, OLD, or both in turn
    for an update): `stamps("t", "programs_program", "curriculum_version",
    "id = {}.program_id")`."""
    return [
        Trigger(
            f"{table}_stamp_{event.lower()}",
            table,
            "AFTER",
            event,
            statements="".join(bump(target, column, where.format(row)) for row in _rows(event)),
        )
        for event in events
    ]


def is_guard_error(exc: Exception) -> bool:
    """Whether a database error is one of these guards refusing a write."""
    return GUARD_PREFIX in str(exc)
