from django.core.management.base import BaseCommand, CommandError

from hejie.complaints.drafts import KEEP_DAYS, drafts_purge
from hejie.core.uploads import upload_temp_clean


class Command(BaseCommand):
    help = ("Delete complaint drafts (and their files) that nobody has touched for a while, "
            "and spooled uploads that killed requests left behind.")

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=KEEP_DAYS,
                            help=f"delete drafts untouched for more than this many days (default {KEEP_DAYS})")

    def handle(self, *args, **options):
        if options["days"] < 1:
            raise CommandError("--days must be at least 1")
        deleted = drafts_purge(older_than_days=options["days"])
        self.stdout.write(f"deleted {deleted} draft(s) untouched for more than {options['days']} days")
        spooled = upload_temp_clean()
        self.stdout.write(f"deleted {spooled} spooled upload(s) older than an hour")
