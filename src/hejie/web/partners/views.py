"""Pages of the "partners" area (see web/partners/urls.py): a partner's staff upload a
CSV or xlsx of businesses, read the row-by-row report before anything is
created, commit (with progress for large files, by a self-refreshing page),
see their past batches, resume or reset one whose process died, and read the
record of the businesses they brought.

Thin faces: every rule is in ``hejie.partners.services`` (and the importer);
what a partner's staff may see is ``hejie.partners.selectors``; the record of
their businesses and the rate per 10,000 orders read complaints:
``hejie.complaints.selectors.partner_businesses`` and ``complaints_per_10k_orders``. Anyone
who is not an active partner's staff gets a 404: these pages do not exist
for them.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hejie.accounts import access
from hejie.accounts.phones import mask_phone
from hejie.accounts.services import phone_code_send
from hejie.businesses import claims
from hejie.businesses.models import Industry
from hejie.complaints.selectors import complaints_per_10k_orders, partner_businesses
from hejie.core.errors import DomainError, NotAllowed, NotFound
from hejie.core.http import client_ip
from hejie.partners import importer, selectors, services
from hejie.partners.models import ImportBatch, Partner
from hejie.web.common.i18n import field_messages, pick

_BACKEND = "django.contrib.auth.backends.ModelBackend"
APPLY_FIELDS = ("name", "kind", "region_code", "display_name", "contact_phone", "phone_code", "username")
staff_signin_required = login_required(login_url=reverse_lazy("web:signin-staff"))
ROWS_PER_PAGE = 50
BATCHES_PER_PAGE = 20
BUSINESSES_PER_PAGE = 20
REFRESH_SECONDS = 2
OUTCOMES = ("refused", "already", "accepted")


def _partner(request):
    try:
        return selectors.partner_of(request.user)
    except NotAllowed:
        raise Http404 from None


def _batch(request, batch_id: int) -> ImportBatch:
    _partner(request)
    try:
        return selectors.import_get_for(request.user, batch_id)
    except NotFound:
        raise Http404 from None


def reason_parts(reason: str) -> list[str]:
    """A row's reasons (joined by "；" in the service), each in the reader's language."""
    return [pick(part) for part in (reason or "").split("；") if part.strip()]


def _upload_page(request, partner, *, error: str = "", status: int = 200):
    batches = Paginator(selectors.imports_visible_to(request.user).filter(partner=partner),
                        BATCHES_PER_PAGE).get_page(request.GET.get("page"))
    for b in batches.object_list:
        b.stuck = services.import_is_stuck(b)
    return render(request, "web/partners/imports.html", {
        "partner": partner, "batches": batches, "error": error, "fields": importer.FIELDS,
        "required": importer.REQUIRED, "max_rows": f"{importer.max_rows():,}",
        "max_mb": importer.max_bytes() // (1024 * 1024),
    }, status=status)


@require_http_methods(["GET", "POST"])
@staff_signin_required
def imports(request):
    user = request.user
    if request.method == "GET" and access.is_partner_staff(user) and user.partner.status != Partner.Status.ACTIVE:
        return redirect("web:partner-status")  # its own staff, before approval (or after refusal): where it stands
    partner = _partner(request)
    if request.method == "GET":
        return _upload_page(request, partner)
    upload = request.FILES.get("file")
    if upload is None:
        return _upload_page(request, partner, error=_("请选择要上传的CSV或xlsx文件。"), status=422)
    try:
        if upload.size is not None and upload.size > importer.max_bytes():
            raise importer.too_large()
        batch = services.import_preview(actor=request.user, partner=partner, filename=upload.name or "",
                                        data=upload.read(importer.max_bytes() + 1))
    except DomainError as exc:
        return _upload_page(request, partner, error=next(iter(field_messages(exc).values())), status=exc.status)
    return redirect("web:partner-import", batch_id=batch.pk)


@require_GET
@staff_signin_required
def import_detail(request, batch_id: int):
    batch = _batch(request, batch_id)
    outcome = request.GET.get("outcome") or ""
    if outcome not in OUTCOMES:
        outcome = ""
    rows = Paginator(selectors.import_rows(batch, outcome=outcome or None), ROWS_PER_PAGE).get_page(
        request.GET.get("page"))
    for r in rows.object_list:
        r.reasons = reason_parts(r.reason)
    stuck = services.import_is_stuck(batch)
    running = batch.status == ImportBatch.Status.COMMITTING and not stuck
    return render(request, "web/partners/import.html", {
        "batch": batch, "rows": rows, "outcome": outcome, "stuck": stuck, "running": running,
        "refresh": REFRESH_SECONDS if running else None,
        "percent": int(100 * batch.rows_done / batch.accepted) if batch.accepted else 100,
        "can_commit": (batch.status in (ImportBatch.Status.PREVIEWED, ImportBatch.Status.FAILED) or stuck)
        and batch.accepted > batch.rows_done,
        "error": pick(batch.error) if batch.error else "",
        "tabs": [("", _("全部"), batch.total_rows), ("refused", _("不通过"), batch.refused),
                 ("already", _("已在平台"), batch.already), ("accepted", _("可导入"), batch.accepted)],
    })


@require_POST
@staff_signin_required
def import_commit(request, batch_id: int):
    batch = _batch(request, batch_id)
    try:
        batch = services.import_commit(actor=request.user, batch=batch)
    except DomainError as exc:
        messages.error(request, pick(exc.message))
    else:
        if batch.status == ImportBatch.Status.COMMITTED:
            messages.success(request, _("导入完成：新建 %(n)d 家商户。") % {"n": batch.created})
    return redirect("web:partner-import", batch_id=batch.pk)


@require_POST
@staff_signin_required
def import_reset(request, batch_id: int):
    batch = _batch(request, batch_id)
    try:
        services.import_reset(actor=request.user, batch=batch)
    except DomainError as exc:
        messages.error(request, pick(exc.message))
    return redirect("web:partner-import", batch_id=batch.pk)


@require_GET
@staff_signin_required
def businesses(request):
    _partner(request)
    waiting = request.GET.get("waiting") == "1"
    rows = partner_businesses(request.user)
    if waiting:  # those with orders that wait for them to claim their account
        rows = rows.filter(waiting_claim__gt=0)
    page = Paginator(rows.order_by("name", "pk"), BUSINESSES_PER_PAGE).get_page(request.GET.get("page"))
    for b in page.object_list:
        b.settlement_percent = round(100 * b.settled / b.complaints_total) if b.complaints_total else None
        b.per_10k = complaints_per_10k_orders(b) if b.order_volume is not None else None
    return render(request, "web/partners/businesses.html", {"page": page, "waiting": waiting,
                                                             "keep": "waiting=1" if waiting else ""})


@require_POST
@staff_signin_required
def business_remind(request, business_id: int):
    """Send a merchant with waiting orders its claim invitation again (``claims.invitation_remind``)."""
    _partner(request)
    try:
        invitation = claims.invitation_remind(actor=request.user, business=business_id)
    except (NotAllowed, NotFound):
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, pick(exc.message))
    else:
        messages.success(request, _("已再次向“%(name)s”发送认领邀请。") % {"name": invitation.business.name})
    return redirect(reverse("web:partner-businesses") + "?waiting=1")


# ----------------------------------------------------------------- applying


def _field_messages(exc: DomainError) -> dict[str, str]:
    """``field_messages``, with the error's own summary on top when several fields are wrong."""
    out = field_messages(exc)
    if len(out) > 1:
        out.setdefault("form", pick(exc.message))
    return out


@require_http_methods(["GET", "POST"])
def apply(request):
    """A partner organisation applies to the council; its first admin account is made with it.
    "Send the code" re-renders the form with everything typed kept (but the password), so it
    works without JavaScript, as the business join."""
    user = request.user
    if access.is_partner_staff(user):
        return redirect("web:partner-status")
    values = {f: request.POST.get(f, "").strip() for f in APPLY_FIELDS} if request.method == "POST" else {}
    chosen = request.POST.getlist("industries") if request.method == "POST" else []
    errors: dict[str, str] = {}
    status = 200
    code_sent = ""
    if request.method == "POST" and "send_code" in request.POST:  # only the phone is checked
        try:
            code_sent = mask_phone(phone_code_send(phone=values["contact_phone"], ip=client_ip(request),
                                                   purpose="partner"))
        except DomainError as exc:
            errors, status = {"contact_phone": field_messages(exc).popitem()[1]}, exc.status
    elif request.method == "POST":
        try:
            _partner, admin = services.partner_join(
                applicant=user if user.is_authenticated else None, username=values["username"],
                password=request.POST.get("password", ""), name=values["name"], kind=values["kind"],
                region_code=values["region_code"], industries=chosen, display_name=values["display_name"],
                contact_phone=values["contact_phone"], phone_code=values["phone_code"], ip=client_ip(request))
        except DomainError as exc:
            errors, status = _field_messages(exc), exc.status
        else:
            login(request, admin, backend=_BACKEND)
            return redirect("web:partner-status")
    return render(request, "web/partners/apply.html", {
        "values": values, "chosen": chosen, "errors": errors, "code_sent": code_sent,
        "kinds": Partner.Kind.choices,
        "industries": Industry.objects.order_by("code"),
    }, status=status)


@require_GET
@staff_signin_required
def status(request):
    """Where the partner's application stands (its staff, whatever the status)."""
    user = request.user
    if not access.is_partner_staff(user):
        raise Http404
    partner = selectors.partner_get_for(user, user.partner_id)
    return render(request, "web/partners/status.html", {
        "partner": partner, "reason": partner.status_reason,
        "kind": partner.get_kind_display(),
    })

