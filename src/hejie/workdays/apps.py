from django.apps import AppConfig


class WorkdaysConfig(AppConfig):
    name = "hejie.workdays"
    label = "workdays"
    verbose_name = "Working days (工作日)"
