"""Times in the seed: whole microseconds since 1970 (UTC) while generating, written out as the
text each database keeps them as (naive UTC on SQLite, `+00` added on PostgreSQL)."""

import datetime

MINUTE = 60_000_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR
EPOCH = datetime.datetime(1970, 1, 1)
MICROSECOND = datetime.timedelta(microseconds=1)


class Clock:
    """The seed's `now`, and times as text, with the text of each hour made once."""

    def __init__(self, now: datetime.datetime):
        moment = (now.astimezone(datetime.UTC).replace(tzinfo=None) - EPOCH) // MICROSECOND
        # Odd like every recorded time (see `recorded`), so that a time capped at now is odd.
        self.now_us = moment if moment & 1 else moment - 1
        self.today = now.date()
        self.hours: dict[int, str] = {}

    def at(self, moment: int) -> str:
        """A recorded time: never a whole second (see `recorded`), so always with its fraction."""
        hour, rest = divmod(moment, HOUR)
        prefix = self.hours.get(hour)
        if prefix is None:
            prefix = self.hours[hour] = str(EPOCH + datetime.timedelta(hours=hour))[:14]
        return "%s%02d:%02d.%06d" % (  # noqa: UP031 - the fastest formatting here
            prefix,
            rest // MINUTE,
            rest // 1_000_000 % 60,
            rest % 1_000_000,
        )

    def minute(self, moment: int) -> str:
        """A time given to the minute, as the forms' Date/Time gives it."""
        hour, rest = divmod(moment, HOUR)
        prefix = self.hours.get(hour)
        if prefix is None:
            prefix = self.hours[hour] = str(EPOCH + datetime.timedelta(hours=hour))[:14]
        return "%s%02d:00" % (prefix, rest // MINUTE)  # noqa: UP031

    def recorded(self, moment: int) -> int:
        # An odd microsecond is never zero, so the text always has the fraction that
        # str(datetime) gives it on SQLite.
        # Never after now (which is odd), never before `moment` unless capped at now.
        return min(moment, self.now_us) | 1
