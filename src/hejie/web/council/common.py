"""What every page of the council's console shares: who may enter (``council_only``) and the
decision forms' keys, errors and typed reasons (``_forms``), used by the lists and the businesses."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.urls import reverse

from hejie.accounts import access


def council_only(view):
    """Council staff and operators only: a visitor goes to the staff sign-in,
    anyone else signed in gets a 404 (the console does not exist for them)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("web:signin-staff"))
        if not access.is_overseer(user):
            raise Http404("no such page")
        return view(request, *args, **kwargs)

    return wrapped


def _forms(objects, actions: tuple[str, ...], errors: dict, values: dict, pk=lambda o: o.pk):
    """Give each object, for each of its decision forms, the form's key, its error and its typed reason."""
    for obj in objects:
        for action in actions:
            key = f"{action}-{pk(obj)}"
            setattr(obj, f"{action}_key", key)
            setattr(obj, f"{action}_err", errors.get(key, ""))
            setattr(obj, f"{action}_val", values.get(key, ""))
    return objects
