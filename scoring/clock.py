"""The one place the application asks what time it is (tests move this clock), and the
deadlines counted from it in Kyiv days.

Working days skip Saturdays and Sundays only. Ukrainian public holidays are not skipped:
under martial law they are working days (the law on labour relations under martial law,
No. 2136-IX, as amended in 2022), and a deadline that falls on one can always be moved
by hand where a request or an appeal is made.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

KYIV = ZoneInfo("Europe/Kyiv")
LAST_MINUTE = time(23, 59, 59)


def now() -> datetime:
    """The current moment, timezone-aware, in UTC."""
    return datetime.now(UTC)


def kyiv_day(moment: datetime) -> date:
    """The date in Kyiv at ``moment``."""
    return moment.astimezone(KYIV).date()


def end_of_day(day: date) -> datetime:
    """23:59:59 of ``day`` in Kyiv, in UTC: a deadline "until the end of the day"."""
    return datetime.combine(day, LAST_MINUTE, tzinfo=KYIV).astimezone(UTC)


def working_days_after(moment: datetime, days: int) -> datetime:
    """The end of the ``days``-th working day (Monday to Friday, Kyiv) after ``moment``'s
    day: three working days from a Thursday end on Tuesday at 23:59:59."""
    day = kyiv_day(moment)
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if day.weekday() < 5:
            counted += 1
    return end_of_day(day)
