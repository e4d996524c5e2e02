"""``django.contrib.admin``'s app config, in its own module (the accounts app's own ``apps`` must
declare one config only): the default admin site is ``admin_site.HejieAdminSite``, whose sign-in
goes through the password throttle."""

from django.contrib.admin.apps import AdminConfig


class HejieAdminConfig(AdminConfig):
    default_site = "hejie.accounts.admin_site.HejieAdminSite"
