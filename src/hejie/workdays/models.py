"""The operator's corrections to the holiday calendar (``hejie.workdays.calendar``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from hejie.core import clock


class CalendarDay(models.Model):
    """One day the operator declares a holiday or a working day, over what the package says (a
    make-up working day, 调休, is a Saturday or Sunday with ``is_workday=True``). For a year the
    package does not know yet, the operator enters that year's holidays and make-up days here and
    then confirms the year (``CalendarYear``)."""

    date = models.DateField(unique=True)
    is_workday = models.BooleanField(help_text="true: a working day (e.g. a make-up Saturday); false: a holiday")
    name = models.CharField(max_length=60, blank=True, help_text="e.g. 春节, 国庆节调休")
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    set_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'working day' if self.is_workday else 'holiday'} {self.name}".strip()


class CalendarYear(models.Model):
    """A year whose holidays and make-up days the operator has entered in full (as the State
    Council published them): from then on its days count as known, and no warning is shown."""

    year = models.PositiveSmallIntegerField(unique=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    confirmed_at = models.DateTimeField(default=clock.now)
    source = models.CharField(max_length=200, blank=True, help_text="e.g. 国务院办公厅关于2027年部分节假日安排的通知")

    class Meta:
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)
