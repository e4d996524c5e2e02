import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from hejie.ops.sweep import sweep


class Command(BaseCommand):
    help = "Run one sweep pass now: fail overdue orders, send automatic urges and reminders, close silent offers."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="ISO 8601 moment with a UTC offset to sweep as of (default: the clock)")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, **options):
        now = None
        if options["now"]:
            try:
                now = dt.datetime.fromisoformat(options["now"])
            except ValueError:
                raise CommandError(f"--now: not an ISO 8601 date-time: {options['now']!r}") from None
            if now.tzinfo is None:
                raise CommandError("--now needs a UTC offset, e.g. 2026-03-29T10:00:00+08:00")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        report = sweep(now, batch_size=options["batch_size"])
        self.stdout.write(str(report))
