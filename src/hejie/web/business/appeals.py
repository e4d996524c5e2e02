"""The business's side of the black list: its published entry (and past ones),
an appeal with a text and files (``ratings.lists.blacklist_appeal``), and the
council's decision. An appeal's files are served by ``web.common.files.appeal_file``
(the business's own staff and the council overseeing it: ``ratings.lists.appeal_file_open_for``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from hejie.accounts import access
from hejie.complaints import evidence as evidence_files
from hejie.core.errors import DomainError, NotFound
from hejie.oversight.lists import entries_of_business, may_appeal
from hejie.ratings import lists
from hejie.web.common.i18n import field_messages

staff_signin_required = login_required(login_url=reverse_lazy("web:signin-staff"))


@require_http_methods(["GET", "POST"])
@staff_signin_required
def business_appeals(request):
    user = request.user
    if not access.is_business_staff(user):
        raise Http404("business staff only")
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        entry_id = request.POST.get("entry_id", "")
        if not any(str(e.pk) == entry_id for e in entries_of_business(user.business_id)):
            raise Http404("no such entry")
        uploads = request.FILES.getlist("files")
        files = [((u.name or "").replace("\x00", ""), u.read(evidence_files.max_bytes() + 1)) for u in uploads]
        try:
            lists.blacklist_appeal(actor=user, entry=int(entry_id), text=request.POST.get("text", ""), files=files)
        except NotFound:
            raise Http404("no such entry") from None
        except DomainError as exc:
            errors = field_messages(exc)
            if "text" not in errors and "files" not in errors:
                errors = {"text": next(iter(errors.values()))}
            values = {"text": request.POST.get("text", ""), "entry_id": entry_id}
            status = exc.status
        else:
            messages.success(request, _("申诉已提交，消委会审核后告知您结果。"))
            return redirect("web:appeals")
    entries = list(entries_of_business(user.business_id))
    for entry in entries:
        entry.may_appeal = may_appeal(entry) or (values.get("entry_id") == str(entry.pk))
    return render(request, "web/council/business_appeals.html", {
        "entries": entries, "errors": errors, "values": values, "files_max": lists.APPEAL_FILES_MAX,
    }, status=status)

