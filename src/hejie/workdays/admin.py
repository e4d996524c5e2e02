from django.contrib import admin, messages
from django.utils.translation import gettext as _

from hejie.workdays import calendar
from hejie.workdays.models import CalendarDay, CalendarYear


def warn_missing(request) -> None:
    missing = calendar.missing_years()
    if missing:
        text = _("节假日数据缺少%(years)s年，暂按周一至周五计算工作日：请录入该年的假日和调休上班日，再确认该年。")
        messages.warning(request, text % {"years": "、".join(map(str, missing))})


class _Audited(admin.ModelAdmin):
    def changelist_view(self, request, extra_context=None):
        warn_missing(request)
        return super().changelist_view(request, extra_context)


@admin.register(CalendarDay)
class CalendarDayAdmin(_Audited):
    list_display = ("date", "is_workday", "name", "set_by", "set_at")
    list_filter = ("is_workday",)
    date_hierarchy = "date"
    readonly_fields = ("set_by", "set_at")

    def save_model(self, request, obj, form, change):
        obj.set_by = request.user  # who changed the calendar, kept with the day
        super().save_model(request, obj, form, change)


@admin.register(CalendarYear)
class CalendarYearAdmin(_Audited):
    list_display = ("year", "confirmed_by", "confirmed_at", "source")
    readonly_fields = ("confirmed_by", "confirmed_at")

    def save_model(self, request, obj, form, change):
        obj.confirmed_by = request.user
        super().save_model(request, obj, form, change)

