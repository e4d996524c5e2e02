from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "hejie.notifications"
    label = "notifications"
