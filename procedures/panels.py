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
