"""Sections that the apps above the logbook add to an entry's page.

The logbook sits below the curriculum (accounts ← programs ← procedures ← curriculum), so
the entry page cannot ask the curriculum for, say, the DOPS recorded on the entry. The
curriculum registers a panel here instead (curriculum.apps): a function of the request
and the entry that returns what its section shows, with the template that shows it
(`{"template": ..., ...}`), or None to show nothing. Each panel runs a bounded number of
queries, whatever the entry.
"""

from collections.abc import Callable

from django.http import HttpRequest

from .models import Entry

EntryPanel = Callable[[HttpRequest, Entry], dict | None]
_panels: list[EntryPanel] = []


def register_entry_panel(panel: EntryPanel) -> None:
    """Add a section to every entry page (once, however often an app is made ready)."""
    if panel not in _panels:
        _panels.append(panel)


def entry_panels(request: HttpRequest, entry: Entry) -> list[dict]:
    """The sections the registered panels show on this entry's page for this user."""
    return [shown for panel in _panels if (shown := panel(request, entry)) is not None]


# What the apps above say about each entry in the Sign-off queue: a function of the page's
# entries that returns {entry id: {"label": ..., "value": ..., "warning": bool}}, in a
# bounded number of queries whatever the page (the curriculum: the trainee's entrustment
# level in the entry's competency).
QueueNotes = Callable[[list[Entry]], dict[int, dict]]
_queue_notes: list[QueueNotes] = []


def register_queue_notes(notes: QueueNotes) -> None:
    """Add a line to each queue row (once, however often an app is made ready)."""
    if notes not in _queue_notes:
        _queue_notes.append(notes)


def queue_notes(entries: list[Entry]) -> dict[int, list[dict]]:
    """{entry id: the lines the registered notes give it}."""
    found: dict[int, list[dict]] = {}
    if not entries:
        return found
    for notes in _queue_notes:
        for pk, note in notes(entries).items():
            found.setdefault(pk, []).append(note)
    return found
