from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class StandardsConfig(AppConfig):
    name = "hejie.standards"
    label = "standards"
    verbose_name = gettext_lazy("服务标准")

    def ready(self) -> None:
        # Joining (businesses.services) includes accepting the industry's standards in force; businesses
        # sits below standards, so standards plugs them in. Imported here, not at the top: services
        # import models, which Django loads only after the app configs.
        from hejie.businesses.services import JoiningStandards, joining_standards_register
        from hejie.standards.services import standards_accept_on_joining, standards_in_force

        joining_standards_register(JoiningStandards(in_force=standards_in_force, accept=standards_accept_on_joining))
