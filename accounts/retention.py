"""What the record refers to is retired, never deleted (DESIGN §3; issue "One door").

A procedure type that a log entry names, an injectate a signed entry lists, a stage a
trainee's progress is counted against, a user whose name stands on entries, signatures or
history: deleting any of them would rewrite the record (an entry loses its injectate and
its signature no longer matches; a requirement whose list becomes empty turns into "any";
"who" goes blank in history). So each app registers what refers to its models, here at the
bottom of the layers, and

- a `pre_delete` guard refuses the deletion by any path (admin, shell, a cascade from
  further up) with `ProtectedError`, raised inside the deletion's own transaction, so
  nothing is deleted (code that deletes inside a larger transaction and carries on after
  a refusal wraps the deletion in `transaction.atomic()`, as for any database error); the database's foreign keys refuse a raw SQL delete as well;
- `KeepRecordsAdmin` shows the admin's "cannot delete" page, with the references
  summarised as counts ("log entries (12)") and what to do instead, rather than one line
  per protected row.

Django's own `on_delete=PROTECT` covers plain foreign keys; the guard is what covers
many-to-many lists (whose link rows Django would silently cascade) and rules that are not a
single reference, such as "the program has trainees".
"""

from collections import defaultdict
from collections.abc import Callable

from django.db.models import ProtectedError
from django.db.models.signals import pre_delete

# {model: [(counter, label), ...]}: counter(obj) is how many records refer to obj.
_references: dict[type, list[tuple[Callable, str]]] = defaultdict(list)
_instead: dict[type, str] = {}

RETIRE = "Retire it instead: untick “Active” and save; it stays on the records that use it."


def keep(model, count: Callable, label: str, instead: str = RETIRE) -> None:
    """Refuse to delete a `model` object while `count(obj)` records (in words: `label`,
    e.g. "log entries") refer to it; `instead` says what to do."""
    _references[model].append((count, label))
    _instead[model] = instead
    pre_delete.connect(_guard, sender=model, dispatch_uid=f"precept_keep_{model._meta.label}")


def references(obj) -> list[str]:
    """What refers to `obj`, in words with counts, e.g. ["log entries (12)", ...]."""
    found = []
    for count, label in _references.get(type(obj), ()):
        n = count(obj)
        if n:
            found.append(f"{label} ({n})")
    return found


def refusal(obj) -> str | None:
    """Why `obj` may not be deleted, or None when it may."""
    found = references(obj)
    if not found:
        return None
    return f"“{obj}” is kept: {', '.join(found)} refer to it. {_instead[type(obj)]}"


def _guard(sender, instance, **kwargs):
    reason = refusal(instance)
    if reason:
        raise ProtectedError(reason, [instance])


class KeepRecordsAdmin:
    """Admin mixin: the delete page (one object or "delete selected") lists, for each kept
    object, why it is kept and what to do instead, and deletes nothing."""

    def get_deleted_objects(self, objs, request):
        kept = [reason for obj in objs if (reason := refusal(obj))]
        if kept:
            # Our summary replaces Django's one line per protected row, and Django's
            # collector is never run: for a procedure type of 100,000 entries it would load
            # them all to list them. What permissions deleting would need is beside the point.
            return [], {}, set(), kept
        return super().get_deleted_objects(objs, request)


DEACTIVATE = (
    "Deactivate the account instead: untick “Active” and save; they can no longer sign in "
    "and their name stays on what they did."
)


def keep_users_with_records(user_model) -> None:
    """A user whom any record names (entries, signatures, events, assessments, enrollments,
    program roles, history, the admin's log) is deactivated, never deleted: deleting would
    blank "who" in history or be refused halfway by a foreign key. Every relation to the
    user model counts, so one added later is covered too; only the user's own group and
    permission memberships do not, nor models that say `derived_from_records = True`."""
    for rel in user_model._meta.get_fields(include_hidden=True):
        if rel.concrete or not rel.auto_created or rel.many_to_many:
            continue  # a many-to-many is counted through its link rows, below
        if rel.related_model._meta.auto_created is user_model:
            continue  # User.groups, User.user_permissions: memberships, not records
        if getattr(rel.related_model, "derived_from_records", False):
            continue  # kept from the records (e.g. monthly counts), not a record itself
        keep(user_model, _counter(rel), _label(rel), instead=DEACTIVATE)


def _counter(rel):
    model, name = rel.related_model, rel.field.name
    return lambda user: model._base_manager.filter(**{name: user}).count()


def _label(rel) -> str:
    opts = rel.related_model._meta
    if opts.label == "admin.LogEntry":
        return "changes in the admin's log"
    if opts.auto_created:  # a many-to-many's link rows, e.g. a program's directors
        owner = opts.auto_created._meta
        field = next(f for f in owner.many_to_many if f.remote_field.through is rel.related_model)
        return f"{owner.verbose_name_plural} (as {field.verbose_name})"
    return f"{opts.verbose_name_plural} (as {rel.field.verbose_name})"
