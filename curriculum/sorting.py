"""How the Cohort page and its CSV are ordered (issue 10 point 6): a whitelist of `?sort=`
values, and the order itself. Pure: no queries (curriculum.views reads the progress)."""

from dataclasses import dataclass

from django.db.models import QuerySet


@dataclass(frozen=True)
class CohortSort:
    """How the Cohort (and its CSV) is ordered: `?sort=` one of "name", "overall" or
    "stage-<order>", "-" before it for descending. Anything else is the default, by name."""

    key: str = "name"
    descending: bool = False

    @classmethod
    def parse(cls, raw: str | None, stages) -> "CohortSort":
        raw = raw or ""
        key = raw.removeprefix("-")
        allowed = {"name", "overall", *(f"stage-{stage.order}" for stage in stages)}
        if key not in allowed:
            return cls()
        return cls(key, raw.startswith("-"))

    @property
    def param(self) -> str:
        return ("-" if self.descending else "") + self.key

    @property
    def filters(self) -> dict[str, str]:
        """For page and CSV links: nothing for the default order."""
        return {} if self == CohortSort() else {"sort": self.param}

    def toggled(self, key: str) -> str:
        """The `sort` of a column heading's link: ascending first, then the other way."""
        return f"-{key}" if key == self.key and not self.descending else key

    def aria(self, key: str) -> str:
        if key != self.key:
            return ""
        return "descending" if self.descending else "ascending"

    def ordered(self, enrollments: QuerySet) -> QuerySet:
        """By name, in the database (a page at a time)."""
        if not self.descending:
            return enrollments
        return enrollments.order_by("-trainee__last_name", "-trainee__first_name", "-pk")

    def by_progress(self, enrollments: list, progress: dict) -> list:
        """By percent, overall or of one stage; equal ones stay in name order."""
        if self.key == "overall":

            def percent(e):
                return progress[e.pk].percent
        else:
            order = int(self.key.removeprefix("stage-"))

            def percent(e):
                return next((s.percent for s in progress[e.pk].stages if s.stage.order == order), 0)

        return sorted(enrollments, key=percent, reverse=self.descending)
