"""URL converters shared by every blueprint."""

from werkzeug.routing import IntegerConverter

#: The largest value of a 32-bit signed INTEGER column (PostgreSQL's serial ids).
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """An integer URL part that fits a database id: larger values are a 404, not a crash."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
