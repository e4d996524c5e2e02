from django.core.management.base import BaseCommand, CommandError

from hejie.complaints.retention import BATCH, privacy_purge


class Command(BaseCommand):
    help = ("The retention policy's purge (PIPL): pseudonymise closed orders past the policy's "
            "retention_days, delete abandoned drafts, old one-time codes and spent throttle rows. "
            "Idempotent and resumable; --dry-run only counts.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="say what would be done, change nothing")
        parser.add_argument("--batch", type=int, default=BATCH,
                            help=f"orders per transaction (default {BATCH})")

    def handle(self, *args, **options):
        if options["batch"] < 1:
            raise CommandError("--batch must be at least 1")
        report = privacy_purge(dry_run=options["dry_run"], batch=options["batch"])
        for line in report.lines():
            self.stdout.write(line)
