"""The working-day calendar: China's holidays and make-up working days from the package, the
operator's corrections, a year nobody has entered yet, and deadlines at their exact boundaries
(2026: Mid-Autumn 25-27 September, National Day 1-7 October, make-up working days Sunday 20
September and Saturday 10 October)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from hejie.core.clock import SHANGHAI
from hejie.workdays import calendar
from hejie.workdays.models import CalendarDay, CalendarYear

pytestmark = pytest.mark.django_db


def sh(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def test_holidays_and_make_up_days_come_from_the_package():
    assert not calendar.is_workday(dt.date(2026, 10, 1))  # National Day
    assert not calendar.is_workday(dt.date(2026, 9, 25))  # Mid-Autumn, a Friday
    assert calendar.is_workday(dt.date(2026, 10, 10))  # a make-up Saturday
    assert calendar.is_workday(dt.date(2026, 9, 20))  # a make-up Sunday
    assert not calendar.is_workday(dt.date(2026, 10, 11)) and calendar.is_workday(dt.date(2026, 10, 12))


def test_a_limit_across_the_national_day_holiday():
    filed = sh(2026, 9, 30, 15, 0)
    assert calendar.add_workdays(filed, 1) == sh(2026, 10, 9)  # the 8th is the first working day after
    # 8 Thu, 9 Fri, 10 Sat (make-up), 12, 13, 14, 15: the 7th working day ends at midnight
    assert calendar.add_workdays(filed, 7) == sh(2026, 10, 16)


def test_the_day_of_arrival_does_not_count_to_the_second():
    friday_last_second = sh(2026, 10, 9, 23, 59, 59)
    assert calendar.add_workdays(friday_last_second, 1) == sh(2026, 10, 11)  # the make-up Saturday counts
    saturday_first_second = sh(2026, 10, 10, 0, 0, 0)
    assert calendar.add_workdays(saturday_first_second, 1) == sh(2026, 10, 13)  # Monday the 12th
    # the same instants given in UTC fall on the same Shanghai days
    assert calendar.add_workdays(saturday_first_second.astimezone(dt.UTC), 1) == sh(2026, 10, 13)
    with pytest.raises(ValueError):
        calendar.add_workdays(friday_last_second, 0)


def test_working_days_left_is_what_the_console_shows():
    deadline = calendar.add_workdays(sh(2026, 9, 30, 15, 0), 7)  # end of 15 October
    assert calendar.workdays_left(sh(2026, 10, 9, 10, 0), deadline) == 5  # 10, 12, 13, 14, 15
    assert calendar.workdays_left(sh(2026, 10, 14, 23, 59), deadline) == 1
    assert calendar.workdays_left(sh(2026, 10, 15, 0, 0), deadline) == 0  # the last day itself
    assert calendar.workdays_left(sh(2026, 10, 20, 9, 0), deadline) == 0  # past


def test_the_operator_corrects_a_day_and_limits_follow():
    CalendarDay.objects.create(date=dt.date(2026, 10, 12), is_workday=False, name="地方假日")
    CalendarDay.objects.create(date=dt.date(2026, 10, 11), is_workday=True, name="调休")
    assert calendar.add_workdays(sh(2026, 10, 10, 9, 0), 1) == sh(2026, 10, 12)  # the 11th now counts
    assert calendar.add_workdays(sh(2026, 10, 11, 9, 0), 1) == sh(2026, 10, 14)  # the 12th does not


def test_a_year_the_package_does_not_know_falls_back_and_is_reported():
    assert 2027 not in calendar.package_years()
    assert calendar.is_workday(dt.date(2027, 1, 1))  # a Friday: no holiday known yet
    assert calendar.missing_years(dt.date(2026, 10, 31)) == []  # the coming year not expected yet
    assert calendar.missing_years(dt.date(2026, 11, 1)) == [2027]
    assert calendar.missing_years(dt.date(2027, 3, 1)) == [2027]
    CalendarDay.objects.create(date=dt.date(2027, 1, 1), is_workday=False, name="元旦")
    assert not calendar.is_workday(dt.date(2027, 1, 1))
    assert calendar.missing_years(dt.date(2026, 12, 5)) == [2027]  # entered days alone do not make it known
    CalendarYear.objects.create(year=2027, source="国务院办公厅关于2027年部分节假日安排的通知")
    assert calendar.missing_years(dt.date(2026, 12, 5)) == []


def test_the_admin_warns_of_a_missing_year_and_records_who_changed_a_day(client, make_user):
    operator = make_user("operator", is_staff=True, is_superuser=True)
    client.force_login(operator)
    with time_machine.travel(sh(2026, 12, 5, 9, 0), tick=False):
        front = client.get("/admin/").content.decode()
        assert "节假日数据缺少2027年" in front
        added = client.post("/admin/workdays/calendarday/add/", {"date": "2027-01-01", "is_workday": "",
                                                                 "name": "元旦"})
        assert added.status_code == 302
        day = CalendarDay.objects.get(date=dt.date(2027, 1, 1))
        assert day.set_by == operator and not day.is_workday
        client.post("/admin/workdays/calendaryear/add/", {"year": "2027", "source": "通知"})
        assert CalendarYear.objects.get(year=2027).confirmed_by == operator
        assert "节假日数据缺少" not in client.get("/admin/").content.decode()


def test_overdue_counts_working_days_begun_since_the_deadline():
    deadline = calendar.add_workdays(sh(2026, 9, 30, 15, 0), 7)  # end of Thursday 15 October
    assert calendar.last_day(deadline) == dt.date(2026, 10, 15)
    assert calendar.workdays_overdue(sh(2026, 10, 15, 23, 59, 59), deadline) == 0  # one second before
    assert calendar.workdays_overdue(sh(2026, 10, 16, 0, 0, 0), deadline) == 1  # at midnight: Friday begun
    assert calendar.workdays_overdue(sh(2026, 10, 18, 12, 0), deadline) == 1  # the weekend adds nothing
    assert calendar.workdays_overdue(sh(2026, 10, 19, 0, 0), deadline) == 2
    assert calendar.workdays_overdue(sh(2026, 10, 19, 0, 0).astimezone(dt.UTC), deadline) == 2


def test_overdue_across_the_holiday_and_its_make_up_saturday():
    before_holiday = calendar.add_workdays(sh(2026, 9, 29, 10, 0), 1)  # end of Wednesday 30 September
    assert before_holiday == sh(2026, 10, 1)
    assert calendar.workdays_overdue(sh(2026, 10, 1, 0, 0), before_holiday) == 0  # passed, but a holiday
    assert calendar.workdays_overdue(sh(2026, 10, 7, 23, 59, 59), before_holiday) == 0
    assert calendar.workdays_overdue(sh(2026, 10, 8, 0, 0), before_holiday) == 1
    friday = calendar.add_workdays(sh(2026, 10, 8, 10, 0), 1)  # end of Friday 9 October
    assert friday == sh(2026, 10, 10)
    assert calendar.workdays_overdue(sh(2026, 10, 10, 0, 0), friday) == 1  # the make-up Saturday counts
    assert calendar.workdays_overdue(sh(2026, 10, 11, 23, 0), friday) == 1  # Sunday does not


def test_a_reminder_falls_n_working_days_before_the_last_day():
    deadline = sh(2026, 10, 16)  # last day Thursday 15 October
    assert calendar.remind_from(deadline, 1) == sh(2026, 10, 15)  # from the start of the last day
    assert calendar.remind_from(deadline, 3) == sh(2026, 10, 13)  # 15, 14, 13 remain
    # the last day Monday 12 October: the working day before is the make-up Saturday
    assert calendar.remind_from(sh(2026, 10, 13), 1) == sh(2026, 10, 11)
    # the last day Thursday 8 October, the first after the holiday: reminded when the holiday begins
    assert calendar.remind_from(sh(2026, 10, 9), 1) == sh(2026, 10, 1)
    for filed in (sh(2026, 9, 30, 15, 0), sh(2026, 10, 9, 23, 59, 59), sh(2026, 10, 10, 0, 0)):
        assert calendar.remind_from(calendar.add_workdays(filed, 7), 2) == calendar.add_workdays(filed, 5)
    with pytest.raises(ValueError):
        calendar.remind_from(deadline, 0)


def test_standings_agree_with_the_one_at_a_time_counts():
    deadlines = [calendar.add_workdays(sh(2026, 9, 28, 9, 0), n) for n in (1, 2, 3, 7, 12)] + [None]
    for now in (sh(2026, 9, 30, 23, 59, 59), sh(2026, 10, 1, 0, 0), sh(2026, 10, 8, 0, 0), sh(2026, 10, 10, 12, 0),
                sh(2026, 10, 16, 0, 0), sh(2026, 10, 16, 0, 0).astimezone(dt.UTC)):
        expected = [None if d is None else (calendar.workdays_left(now, d), calendar.workdays_overdue(now, d))
                    for d in deadlines]
        assert calendar.standings(now, deadlines) == expected
    assert calendar.standings(sh(2026, 10, 9, 12, 0), [sh(2026, 10, 13)]) == [(2, 0)]  # the make-up Saturday, Monday
    assert calendar.standings(sh(2026, 10, 9, 12, 0), []) == []
