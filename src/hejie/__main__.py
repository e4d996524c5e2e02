"""The `hejie` console script: Django's manage.py plus Hejie's own commands."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hejie.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 - loads the settings: a missing secret is one line, not a traceback
    except ImproperlyConfigured as exc:
        sys.exit(f"hejie: {exc}")

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
