"""``hejie figures check`` compares the daily figures with a recount of the
orders and lists what differs (exit status 1 if anything does);
``hejie figures rebuild`` recounts them. The figures are kept as orders
change; a rebuild is for after writes that bypass that (a bulk load, a repair
by SQL, a business moved to another industry). See hejie.complaints.figures."""

import time

from django.core.management.base import BaseCommand, CommandError

from hejie.complaints import figures


class Command(BaseCommand):
    help = "The daily figures behind the dashboard and the open figures: check, rebuild."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="{check,rebuild}")
        sub.add_parser("check", help="list what differs from a recount of the orders (exit 1 if anything does)")
        sub.add_parser("rebuild", help="recount the figures from the orders")

    def handle(self, *args, action, **options):
        started = time.perf_counter()
        if action == "rebuild":
            written = figures.rebuild()
            self.stdout.write(f"rebuilt in {time.perf_counter() - started:.1f} s: "
                              + ", ".join(f"{n:,} {table} rows" for table, n in written.items()))
            return
        found = figures.differences()
        for line in found:
            self.stdout.write(line)
        if found:
            raise CommandError(f"the daily figures differ from the orders (first {len(found)} shown); "
                               "run `hejie figures rebuild`")
        self.stdout.write(f"the daily figures match the orders ({time.perf_counter() - started:.1f} s)")
