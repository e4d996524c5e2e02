"""Working days in China: the one calendar every council-side limit is counted in.

A day is a working day unless it is a weekend or a public holiday, and a weekend day can be a
make-up working day (调休). The days come from the maintained ``chinesecalendar`` package (the
State Council's yearly notices); the operator may correct any day (``CalendarDay``) and, for a
year the package does not know yet, enter its holidays and make-up days and confirm the year
(``CalendarYear``). Until then that year falls back to Monday to Friday, and ``missing_years``
says so: the admin and the readiness check show it as a warning from 1 November of the year
before (the notice is usually published in the autumn).

Limits are stored as deadlines: ``add_workdays(moment, n)`` is the end (midnight, Asia/Shanghai)
of the n-th working day after the day of ``moment`` — the day something arrives does not count,
as in China's rules on periods (期间开始的日不计算在内).
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import chinese_calendar
from chinese_calendar import constants

from hejie.core import clock
from hejie.workdays.models import CalendarDay, CalendarYear

WARN_FROM_MONTH = 11  # the coming year's days are expected from 1 November
_MAX_SPAN = 3 * 366  # the longest limit counted (days), a guard against a runaway loop


@cache
def package_years() -> frozenset[int]:
    """The years the installed package knows."""
    return frozenset(d.year for d in (*constants.holidays, *constants.workdays))


def known(year: int) -> bool:
    return year in package_years() or CalendarYear.objects.filter(year=year).exists()


def _overrides(first: dt.date, last: dt.date) -> dict[dt.date, bool]:
    return dict(CalendarDay.objects.filter(date__range=(first, last)).values_list("date", "is_workday"))


def _is_workday(day: dt.date, overrides: dict[dt.date, bool]) -> bool:
    if day in overrides:
        return overrides[day]
    if day.year in package_years():
        return bool(chinese_calendar.is_workday(day))
    return day.weekday() < 5  # a year nobody has entered yet: Monday to Friday


def is_workday(day: dt.date) -> bool:
    return _is_workday(day, _overrides(day, day))


def _end_of(day: dt.date) -> dt.datetime:
    """Midnight at the end of ``day`` in Asia/Shanghai, as an aware datetime."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=clock.SHANGHAI)


def add_workdays(moment: dt.datetime, n: int) -> dt.datetime:
    """The deadline ``n`` working days after ``moment``: the end of the n-th working day after
    its date (in Asia/Shanghai). ``n`` must be at least 1."""
    if n < 1:
        raise ValueError("a limit in working days is at least 1")
    start = clock.local_date(moment)
    horizon = start + dt.timedelta(days=n * 2 + 60)  # far enough for any run of holidays
    overrides = _overrides(start, horizon)
    day, counted = start, 0
    for _ in range(_MAX_SPAN):
        day += dt.timedelta(days=1)
        if day > horizon:
            horizon = day + dt.timedelta(days=90)
            overrides.update(_overrides(day, horizon))
        if _is_workday(day, overrides):
            counted += 1
            if counted == n:
                return _end_of(day)
    raise ValueError(f"no {n} working days within {_MAX_SPAN} days of {start}")


def extend(deadline: dt.datetime, n: int) -> dt.datetime:
    """A deadline moved ``n`` working days on: the end of the n-th working day after its last day."""
    return add_workdays(deadline - dt.timedelta(microseconds=1), n)


def workdays_left(now: dt.datetime, deadline: dt.datetime) -> int:
    """Working days from the day after ``now`` up to the deadline's last day (0 on the last day
    itself and once it has passed): what the console shows beside a council queue's limit."""
    today = clock.local_date(now)
    last = clock.local_date(deadline - dt.timedelta(microseconds=1))
    if last <= today:
        return 0
    overrides = _overrides(today, last)
    return sum(_is_workday(today + dt.timedelta(days=i), overrides) for i in range(1, (last - today).days + 1))


def last_day(deadline: dt.datetime) -> dt.date:
    """The working day a deadline ends (a deadline is the midnight that ends its last day)."""
    return clock.local_date(deadline - dt.timedelta(microseconds=1))


def workdays_overdue(now: dt.datetime, deadline: dt.datetime) -> int:
    """Working days begun since the deadline passed, today included (0 before it, and on the
    days off straight after it): what the console shows as 超期 N 个工作日."""
    if now < deadline:
        return 0
    first, today = clock.local_date(deadline), clock.local_date(now)
    overrides = _overrides(first, today)
    return sum(_is_workday(first + dt.timedelta(days=i), overrides) for i in range((today - first).days + 1))


def standings(now: dt.datetime, deadlines: list[dt.datetime | None]) -> list[tuple[int, int] | None]:
    """``(workdays_left, workdays_overdue)`` of each deadline at ``now`` (None for none), reading the
    operator's corrections once for the whole list: a council queue's page in one query."""
    known = [d for d in deadlines if d is not None]
    if not known:
        return [None] * len(deadlines)
    today = clock.local_date(now)
    days = [clock.local_date(d) for d in known] + [today]
    overrides = _overrides(min(days) - dt.timedelta(days=1), max(days) + dt.timedelta(days=1))

    def count(first: dt.date, last: dt.date) -> int:
        return sum(_is_workday(first + dt.timedelta(days=i), overrides) for i in range((last - first).days + 1))

    out: list[tuple[int, int] | None] = []
    for deadline in deadlines:
        if deadline is None:
            out.append(None)
            continue
        last = last_day(deadline)
        left = count(today + dt.timedelta(days=1), last) if last > today else 0
        overdue = count(clock.local_date(deadline), today) if now >= deadline else 0
        out.append((left, overdue))
    return out


def remind_from(deadline: dt.datetime, n: int) -> dt.datetime:
    """When a reminder ``n`` working days before ``deadline`` is due: the end of the n-th working
    day before the deadline's last day, so that ``n`` working days remain (the last one included).
    The mirror of ``add_workdays``: ``remind_from(add_workdays(t, k + n), n) == add_workdays(t, k)``
    when those are working days."""
    if n < 1:
        raise ValueError("a reminder in working days is at least 1")
    day = last_day(deadline)
    floor = day - dt.timedelta(days=n * 2 + 60)
    overrides = _overrides(floor, day)
    counted = 0
    for _ in range(_MAX_SPAN):
        day -= dt.timedelta(days=1)
        if day < floor:
            floor = day - dt.timedelta(days=90)
            overrides.update(_overrides(floor, day))
        if _is_workday(day, overrides):
            counted += 1
            if counted == n:
                return _end_of(day)
    raise ValueError(f"no {n} working days within {_MAX_SPAN} days before {deadline}")


def missing_years(today: dt.date | None = None) -> list[int]:
    """The years the calendar should know by now and does not: this year always, the coming year
    from 1 November. Empty when all is well."""
    today = today or clock.local_date()
    wanted = [today.year] + ([today.year + 1] if today.month >= WARN_FROM_MONTH else [])
    return [year for year in wanted if not known(year)]
