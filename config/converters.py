"""URL converters."""


class IdConverter:
    """A database id: 1 to 18 digits. A longer number cannot be an id and would overflow
    SQLite's 64-bit integers (a 500); as a non-matching URL it is a plain 404."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(value)
