"""``hejie token --phone 13800138000`` / ``hejie token --username NAME``: print a new API token."""

from django.core.management.base import BaseCommand, CommandError

from hejie.accounts import selectors, services
from hejie.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Create an API token and print it (only the token, on stdout). "
        "--phone makes the consumer on first use; --username picks any existing user."
    )

    def add_arguments(self, parser):
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--phone", help="a consumer's mobile number (the consumer is created if new)")
        who.add_argument("--username", help="an existing user's username")
        parser.add_argument("--label", default="cli", help="a note to tell tokens apart (default: cli)")

    def handle(self, *args, phone=None, username=None, label="cli", **options):
        try:
            if phone is not None:
                user = services.consumer_get_or_create(phone=phone)
            else:
                user = selectors.user_get(username=username)
            raw = services.token_create(user=user, label=label)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(raw)
