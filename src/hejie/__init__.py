"""Hejie (和解). The Celery application is loaded with the package (Celery's
recipe for Django), so that every process, web and command as well as worker,
sends tasks through the project's app and its ``CELERY_*`` settings."""

from hejie.celery import app as celery_app

__all__ = ["celery_app"]
