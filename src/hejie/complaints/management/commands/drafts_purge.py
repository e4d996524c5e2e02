from django.core.management.base import BaseCommand, CommandError

from hejie.complaints.drafts import drafts_purge
from hejie.complaints.policy import get_policy
from hejie.core.uploads import upload_temp_clean


class Command(BaseCommand):
    help = ("Delete complaint drafts (and their files) that nobody has touched for a while, "
            "and spooled uploads that killed requests left behind.")

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None,
                            help="delete drafts untouched for more than this many days "
                                 "(default: the policy's draft_keep_days, 30)")

    def handle(self, *args, **options):
        if options["days"] is None:
            options["days"] = get_policy().draft_keep_days
        if options["days"] < 1:
            raise CommandError("--days must be at least 1")
        deleted = drafts_purge(older_than_days=options["days"])
        self.stdout.write(f"deleted {deleted} draft(s) untouched for more than {options['days']} days")
        spooled = upload_temp_clean()
        self.stdout.write(f"deleted {spooled} spooled upload(s) older than an hour")
