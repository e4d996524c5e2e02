"""``hejie demo``: load the demo data (idempotently) and print how to sign in as each role."""

from django.core.management.base import BaseCommand, CommandError

from hejie.ops import demo


class Command(BaseCommand):
    help = (
        "Load demo data through the real services: 55 Hubei businesses, staff, council staff, 20 consumers and "
        "about 120 work orders in every state. Running it again changes nothing. Prints a sign-in table."
    )

    def handle(self, *args, verbosity=1, **options):
        try:
            result = demo.load(quiet_notifications=verbosity < 2)
        except demo.DemoError as exc:
            raise CommandError(str(exc)) from None
        if result.loaded:
            self.stdout.write(self.style.SUCCESS(f"demo data loaded in {result.seconds:.1f} s"))
            for line in result.mismatches:
                self.stderr.write(f"warning: demo order not in the state its story meant: {line}")
        else:
            self.stdout.write("demo data already loaded; nothing changed")
        self._table()

    def _table(self):
        w = self.stdout.write
        w("")
        w("Sign in (web: /, operator admin: /admin/; staff with username and password, consumers by SMS code):")
        w("")
        w("role | username or phone | password or how to sign in | what they will see")
        w("---- | ----------------- | -------------------------- | ------------------")
        for role, who, how, what in demo.signin_rows():
            w(f"{role} | {who} | {how} | {what}")
        w("")
        w("Consumers sign in with an SMS code: the default backend writes it to the log (stderr of `hejie serve`).")
        w("For the JSON API: `hejie token --phone 13900000001` prints a bearer token.")
        w("")
        w("Orders by state:")
        total = 0
        for value, label, count in demo.state_counts():
            total += count
            w(f"  {value:<17} {count:>4}  {label}")
        w(f"  {'total':<17} {total:>4}")
