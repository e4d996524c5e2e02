"""Every web page, under the ``web:`` namespace. The pages are kept by face, one folder each
(``consumer``, ``business``, ``council``, ``public``, ``partners``, and ``common`` for what
they share); each folder's ``urls.py`` lists its own pages and this file only includes them.
The faces do not import each other; each may import ``common``."""

from django.urls import include, path

app_name = "web"

urlpatterns = [
    path("", include("hejie.web.common.urls")),
    path("", include("hejie.web.consumer.urls")),
    path("", include("hejie.web.business.urls")),
    path("", include("hejie.web.partners.urls")),
    path("", include("hejie.web.council.urls")),
    path("", include("hejie.web.public.urls")),
]
