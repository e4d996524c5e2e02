"""``hejie audit verify``: walk both chains, the audit trail and every order's timeline, and say
where each breaks. Exit status 0 when both are intact, 1 otherwise (every break is printed, one
line each, on stderr)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from hejie.audit.services import verify_records
from hejie.complaints.chain import verify_events


class Command(BaseCommand):
    help = "The audit trail: verify (both hash chains, the audit records and the order timelines)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="check the audit chain and every order's timeline chain")

    def handle(self, *args, **options):
        breaks = 0
        for name, found in (("audit trail", verify_records()), ("order timelines", verify_events())):
            count = 0
            for problem in found:
                count += 1
                self.stderr.write(f"BROKEN {problem}")
            self.stdout.write(f"{name}: {'intact' if count == 0 else f'{count} break(s)'}")
            breaks += count
        if breaks:
            raise CommandError(f"the chains break in {breaks} place(s) (listed above)", returncode=1)
