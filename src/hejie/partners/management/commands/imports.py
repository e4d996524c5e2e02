"""``hejie imports stuck`` lists imports stuck in committing (their process
died: no heartbeat for HEJIE_IMPORT_STALE_MINUTES); ``hejie imports resume ID``
finishes one here, in the foreground; ``hejie imports reset ID`` marks it
failed so that its partner can commit it again from the page or the API."""

from django.core.management.base import BaseCommand, CommandError

from hejie.core.errors import DomainError
from hejie.partners import services


class Command(BaseCommand):
    help = "Imports stuck in committing after a crash: list (stuck), resume ID, reset ID."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="{stuck,resume,reset}")
        sub.add_parser("stuck", help="list imports stuck in committing")
        for name, text in (("resume", "finish a stuck import here"), ("reset", "mark a stuck import failed")):
            p = sub.add_parser(name, help=text)
            p.add_argument("batch_id", type=int)

    def handle(self, *args, action, batch_id=None, **options):
        try:
            if action == "stuck":
                stuck = services.imports_stuck()
                for b in stuck:
                    self.stdout.write(f"{b.pk}\t{b.partner.name}\t{b.filename}\t{b.rows_done}/{b.accepted}\t"
                                      f"last progress {b.heartbeat_at or b.created_at:%Y-%m-%d %H:%M:%S %Z}")
                self.stdout.write(f"{len(stuck)} stuck")
            elif action == "resume":
                batch = services.import_commit(actor=services.SYSTEM, batch=batch_id, background=False)
                self.stdout.write(f"import {batch.pk}: {batch.status}, {batch.rows_done}/{batch.accepted} rows, "
                                  f"{batch.created} businesses created")
            else:
                batch = services.import_reset(actor=services.SYSTEM, batch=batch_id)
                self.stdout.write(f"import {batch.pk}: {batch.status} ({batch.rows_done} rows done stay done)")
        except DomainError as exc:
            raise CommandError(exc.message) from None
