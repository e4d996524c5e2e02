from django.apps import AppConfig


class RatingsConfig(AppConfig):
    name = "hejie.ratings"
    label = "ratings"
