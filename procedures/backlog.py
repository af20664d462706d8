"""What waits in a program: entries waiting for sign-off too long, per supervisor, and
entries returned and not resubmitted. For Cohort, at any program size.

Counts stop at a cap ("100+"): a director acts on a backlog of a hundred as on one of ten
thousand, and counting every waiting entry of a large program on each view is what made
Cohort's cost grow with the program (DESIGN §8: 600 trainees, 1.8 million entries, about
18,000 of them waiting or returned in the benchmark's data). Each supervisor's entries are
read from the index (supervisor, status, submitted_at): at most the cap of them, plus the
oldest one.
"""

from datetime import UTC, datetime

from django.db import connection
from django.db.models import QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.timezone import is_naive, make_aware

from accounts.models import User

from .models import Entry

COUNT_CAP = 100


class CappedCount(int):
    """A count that stopped past `COUNT_CAP`: compares as the number counted, reads "100+"
    when it stopped."""

    @property
    def capped(self) -> bool:
        return self > COUNT_CAP

    def __str__(self) -> str:
        return f"{COUNT_CAP}+" if self.capped else int.__str__(self)


def _sql(queryset: QuerySet) -> tuple[str, tuple]:
    return queryset.query.get_compiler(using=queryset.db).as_sql()


def waiting_by_supervisor(trainees: QuerySet, supervisors: QuerySet, before: datetime) -> list:
    """For each of `supervisors` (a queryset of user ids), the entries of `trainees` (a
    queryset of user ids) submitted to them before `before` and still waiting: how many
    (a CappedCount) and the oldest submission. Supervisors with none are left out; the longest
    backlog first. One query."""
    trainee_sql, trainee_params = _sql(trainees)
    supervisor_sql, supervisor_params = _sql(supervisors)
    waiting = (
        f"FROM {Entry._meta.db_table} e WHERE e.supervisor_id = s.id AND e.status = %s "
        f"AND e.submitted_at < %s AND e.trainee_id IN ({trainee_sql})"
    )
    params = (
        Entry.Status.SUBMITTED,
        connection.ops.adapt_datetimefield_value(before),
        *trainee_params,
    )
    query = (
        "SELECT s.id, "
        f"(SELECT COUNT(*) FROM (SELECT 1 {waiting} LIMIT {COUNT_CAP + 1}) w), "
        f"(SELECT e.submitted_at {waiting} ORDER BY e.submitted_at LIMIT 1) "
        f"FROM {User._meta.db_table} s WHERE s.id IN ({supervisor_sql})"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, (*params, *params, *supervisor_params))
        rows = cursor.fetchall()
    found = [
        {"supervisor_id": pk, "n": CappedCount(n), "oldest": _aware(oldest)}
        for pk, n, oldest in rows
        if n
    ]
    return sorted(found, key=lambda row: (-row["n"], row["oldest"]))


def _aware(value: datetime | str) -> datetime:
    """What the ORM would have made of a timestamp that a raw cursor returns: SQLite gives
    it as naive UTC (or as text); PostgreSQL as an aware datetime."""
    if isinstance(value, str):
        value = parse_datetime(value)
    return make_aware(value, UTC) if is_naive(value) else value


def returned_count(entries: QuerySet) -> CappedCount:
    """How many of `entries` are returned and not resubmitted, up to the cap."""
    # Unordered: the model's default order would sort every returned entry first.
    returned = entries.filter(status=Entry.Status.RETURNED).order_by()
    return CappedCount(returned[: COUNT_CAP + 1].count())
