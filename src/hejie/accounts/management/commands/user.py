"""``hejie user create …`` and ``hejie user list``: operators' account tools."""

import getpass
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from hejie.accounts import selectors, services
from hejie.accounts.models import User
from hejie.core.errors import DomainError


class Command(BaseCommand):
    help = "Manage accounts: `user create` (any role) and `user list`."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="{create,list}")

        create = sub.add_parser("create", help="create an account")
        create.add_argument("--username", required=True)
        create.add_argument(
            "--password",
            help="staff need one; omit it to be asked (keeps it out of shell history); consumers need none",
        )
        create.add_argument("--role", required=True, help="one of: " + ", ".join(User.Role.values))
        create.add_argument("--business", dest="business_credit_code", help="business credit code (role business)")
        create.add_argument("--region", dest="region_code", help="6-digit region code (role council)")
        create.add_argument("--phone", help="mobile number (required for role consumer)")
        create.add_argument("--display-name", default="")
        create.add_argument("--business-admin", action="store_true", help="may manage the business's staff")
        create.add_argument(
            "--no-input", "--noinput", action="store_false", dest="interactive", help="never prompt for a password"
        )

        listing = sub.add_parser("list", help="list accounts")
        listing.add_argument("--role", help="only this role")
        listing.add_argument("--active", action="store_true", help="only active accounts")

    def handle(self, *args, action, **options):
        try:
            if action == "create":
                self._create(options)
            else:
                self._list(options)
        except DomainError as exc:
            raise CommandError(exc.message) from None

    def _create(self, o):
        password = o.get("password")
        role = (o.get("role") or "").strip().lower()
        if password is None and role in User.Role.values and role != User.Role.CONSUMER:
            if not (o.get("interactive", True) and sys.stdin.isatty()):
                raise CommandError(_("工作人员账号必须设置密码：请使用 --password"))
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError(_("两次输入的密码不一致"))
        user = services.user_create(
            username=o["username"],
            password=password,
            role=role,
            business_credit_code=o.get("business_credit_code"),
            region_code=o.get("region_code"),
            phone=o.get("phone"),
            display_name=o.get("display_name") or "",
            is_business_admin=o.get("business_admin", False),
        )
        where = ""
        if user.business_id:
            where = f" of {user.business.name} ({user.business.credit_code})"
        elif user.region_id:
            where = f" of {user.region.full_name} ({user.region_id})"
        self.stdout.write(f"created {user.role} {user.username}{where}")

    def _list(self, o):
        role = o.get("role")
        if role and role not in User.Role.values:
            raise CommandError(_("未知的角色 %(role)s，可选 %(choices)s") % {"role": repr(role),
                                                                          "choices": ", ".join(User.Role.values)})
        for user in selectors.user_list(role=role, active_only=o.get("active", False)):
            where = user.business.credit_code if user.business_id else (user.region_id or "")
            flags = ("" if user.is_active else " inactive") + (" admin" if user.is_business_admin else "")
            self.stdout.write(f"{user.username}\t{user.role}\t{user.masked_phone}\t{where}{flags}".rstrip())
