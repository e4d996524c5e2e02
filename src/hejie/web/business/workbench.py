"""Pages of the "workbench" area (see web/business/urls.py): a business applies to join
(with a cascading region picker and the credit code checked as it is typed),
follows its application, reads its own record, and its admins manage its staff.

Thin faces: joining is ``businesses.services.business_join``, the staff
actions are the ``staff_*`` services, the record is
``ratings.selectors.business_record_own`` and the picker's state is
``businesses.selectors.region_picker``."""

from __future__ import annotations

from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hejie.accounts import access
from hejie.accounts.phones import mask_phone
from hejie.accounts.services import phone_code_send
from hejie.businesses import selectors, services
from hejie.businesses.credit_code import validate_credit_code
from hejie.businesses.models import Business, Industry
from hejie.complaints.policy import get_policy
from hejie.core.errors import DomainError, InvalidInput
from hejie.core.http import client_ip
from hejie.ratings.selectors import business_record_own
from hejie.regions.models import Region
from hejie.standards.selectors import standards_published
from hejie.web.common.i18n import field_messages, pick

_BACKEND = "django.contrib.auth.backends.ModelBackend"
staff_signin_required = login_required(login_url=reverse_lazy("web:signin-staff"))
STORES_MAX = 20
SESSION_SHOWN_PASSWORD = "hejie_staff_password_once"  # noqa: S105 - a session key
_FIELDS = ("name", "credit_code", "industry", "address", "contact_name", "contact_phone", "phone_code",
           "contact_email", "username")



def _business_of(user) -> Business | None:
    if not access.is_business_staff(user) or user.business_id is None:  # staff have a business
        return None
    return selectors.business_get(user.business_id)


# ----------------------------------------------------------------- joining


def _picker_codes(data, prefix: str) -> list[str]:
    return [data.get(f"{prefix}_l{i}", "") for i in (1, 2, 3)]


def _join_state(data) -> dict:
    """What the form holds, from a POST (or nothing, on the first visit)."""
    values = {f: (data.get(f) or "").strip() for f in _FIELDS}
    try:
        count = int(data.get("store_count") or 1)
    except ValueError:
        count = 1
    count = max(1, min(count, STORES_MAX))
    stores = []
    for i in range(count):
        p = f"store-{i}"
        stores.append({"name": (data.get(f"{p}-name") or "").strip(),
                       "address": (data.get(f"{p}-address") or "").strip(),
                       "codes": _picker_codes(data, f"{p}-region")})
    return {"values": values, "region_codes": _picker_codes(data, "region"), "stores": stores,
            "accept_rules": bool(data.get("accept_rules")), "accept_standards": bool(data.get("accept_standards"))}


def _picker(codes) -> dict:
    """The picker's state, with three select slots (those not reached yet hidden, for the script to fill)."""
    picker = selectors.region_picker(codes)
    picker["slots"] = picker["levels"] + [{"kind": "county", "options": [], "selected": "", "hidden": True}] * (
        selectors.REGION_PICKER_DEPTH - len(picker["levels"]))
    return picker


def _join_context(request, state: dict, errors: dict[str, str]) -> dict:
    region = _picker(state["region_codes"])
    stores = []
    for i, store in enumerate(state["stores"]):
        p = f"stores.{i}."
        stores.append({**store, "index": i, "prefix": f"store-{i}", "picker": _picker(store["codes"]),
                       "errors": {k[len(p):]: v for k, v in errors.items() if k.startswith(p)}})
    industry = state["values"]["industry"]
    standards = standards_published()
    with_standards = {s.industry_id for s in standards}
    return {
        "v": state["values"], "errors": errors, "picker": region, "stores": stores, "store_count": len(stores),
        "stores_max": STORES_MAX, "industries": Industry.objects.all(),
        "standards": standards, "standard_industries": with_standards, "chosen_industry": industry,
        "no_standard": not standards or (bool(industry) and industry not in with_standards),
        "accept_rules": state["accept_rules"],
        "accept_standards": state["accept_standards"], "policy": get_policy(),
        "signed_in_consumer": access.is_consumer(request.user),
    }


def _store_rows(state: dict) -> list[dict]:
    """The stores typed in; a row left wholly empty is no store."""
    rows = []
    for store in state["stores"]:
        code = selectors.region_picker(store["codes"])["code"]
        if store["name"] or store["address"] or any(store["codes"]):
            rows.append({"name": store["name"], "address": store["address"], "region_code": code})
    return rows


@require_http_methods(["GET", "POST"])
def join(request):
    """Apply to join. Buttons other than "apply" (choose a place, add or remove a store, send the
    code to the contact phone) re-render the form with everything typed kept (but the password),
    so it works without JavaScript."""
    user = request.user
    if access.is_business_staff(user):
        return redirect("web:join-status")
    staff_account = access.is_staff_account(user)
    state = _join_state(request.POST if request.method == "POST" else {})
    errors: dict[str, str] = {}
    status = 200
    code_sent = ""
    if request.method == "POST" and not staff_account:
        if "add_store" in request.POST and len(state["stores"]) < STORES_MAX:
            state["stores"].append({"name": "", "address": "", "codes": ["", "", ""]})
        elif "remove_store" in request.POST:
            try:
                del state["stores"][int(request.POST["remove_store"])]
            except (ValueError, IndexError):
                pass
            if not state["stores"]:
                state["stores"].append({"name": "", "address": "", "codes": ["", "", ""]})
        elif "send_code" in request.POST:  # only the phone is checked; everything typed stays
            try:
                sent_to = phone_code_send(phone=state["values"]["contact_phone"], ip=client_ip(request), purpose="join")
            except DomainError as exc:
                errors, status = {"contact_phone": field_messages(exc).popitem()[1]}, exc.status
            else:
                code_sent = mask_phone(sent_to)
        elif "apply" in request.POST:
            region = selectors.region_picker(state["region_codes"])
            try:
                business, admin = services.business_join(
                    applicant=user if user.is_authenticated else None,
                    username=state["values"]["username"], password=request.POST.get("password", ""),
                    name=state["values"]["name"], credit_code=state["values"]["credit_code"],
                    industry=state["values"]["industry"],
                    region_code=region["code"] if region["region"] else "",
                    address=state["values"]["address"], contact_name=state["values"]["contact_name"],
                    contact_phone=state["values"]["contact_phone"], phone_code=state["values"]["phone_code"],
                    contact_email=state["values"]["contact_email"], stores=_store_rows(state),
                    accept_rules=state["accept_rules"], accept_standards=state["accept_standards"],
                    ip=client_ip(request),
                )
            except DomainError as exc:
                errors, status = field_messages(exc), exc.status
            else:
                login(request, admin, backend=_BACKEND)
                return redirect("web:join-status")
    context = _join_context(request, state, errors)
    context["staff_account"] = staff_account
    context["code_sent"] = code_sent
    # after a step without JavaScript, the page opens where the person was
    context["focus"] = request.POST.get("pick", "") if request.method == "POST" else ""
    if request.method == "POST" and "add_store" in request.POST:
        context["stores"][-1]["focus"] = True
    return render(request, "web/workbench/join.html", context, status=status)


@require_GET
def credit_code_check(request):
    """``?code=…`` → ``{"ok": true, "code": "<normalised>"}`` or 422 with the message."""
    raw = request.GET.get("code", "")
    if len(raw) > 100:
        raw = raw[:100]
    try:
        code = validate_credit_code(raw)
    except InvalidInput as exc:
        message = exc.fields.get("credit_code", exc.message)
        return JsonResponse({"ok": False, "code": exc.code, "message": pick(message)}, status=422)
    return JsonResponse({"ok": True, "code": code})


@require_GET
def region_options(request):
    """``?parent=<code>`` → the divisions under it (no parent: the provinces), and what
    that level is called; 422 for a code that is not a division."""
    parent = (request.GET.get("parent") or "").strip()
    if parent:
        if not (len(parent) == 6 and parent.isdigit()) or not Region.objects.filter(code=parent).exists():
            return JsonResponse({"ok": False, "code": "invalid",
                                 "message": _("未知的地区代码")}, status=422)
        rows = list(Region.objects.filter(parent_id=parent).order_by("code"))
    else:
        rows = list(Region.objects.filter(parent__isnull=True).order_by("code"))
    return JsonResponse({"ok": True, "parent": parent, "kind": selectors.picker_kind(rows),
                         "options": [{"code": r.code, "name": r.name} for r in rows]})


@require_GET
@staff_signin_required
def join_status(request):
    business = _business_of(request.user)
    if business is None:
        return redirect("web:join")
    return render(request, "web/workbench/join_status.html", {
        "b": business, "Status": Business.Status, "stores": selectors.stores_of(business),
    })


# ----------------------------------------------------------------- the record


@require_GET
@staff_signin_required
def record(request):
    business = _business_of(request.user)
    if business is None:
        raise Http404("business staff only")
    rec = business_record_own(business=business)
    b = rec["breakdown"]
    return render(request, "web/workbench/record.html", {
        "biz": business, "rec": rec, "b": b, "outlook": rec["outlook"],
        "rate_percent": round(b["settlement_rate"] * 100, 1) if b["settlement_rate"] is not None else None,
        "tiers": list(b["tiers"].items()),
    })


# ----------------------------------------------------------------- staff


def _admin_business(request) -> Business:
    business = _business_of(request.user)
    if business is None or not access.is_business_admin(request.user):
        raise Http404("the business's admins only")
    return business


def _staff_page(request, business, *, errors=None, values=None, status=200):
    return render(request, "web/workbench/staff.html", {
        "biz": business, "members": selectors.staff_list(actor=request.user, business=business),
        "errors": errors or {}, "v": values or {}, "shown": request.session.pop(SESSION_SHOWN_PASSWORD, None),
        "refused": business.status == Business.Status.REFUSED,
    }, status=status)


@require_http_methods(["GET", "POST"])
@staff_signin_required
def staff(request):
    """The staff list; POST invites one (the initial password is shown once, after the redirect)."""
    business = _admin_business(request)
    if request.method == "POST":
        values = {"username": request.POST.get("username", "").strip(),
                  "display_name": request.POST.get("display_name", "").strip(),
                  "is_admin": bool(request.POST.get("is_admin"))}
        try:
            member, password = services.staff_invite(actor=request.user, business=business, **values)
        except DomainError as exc:
            return _staff_page(request, business, errors=field_messages(exc), values=values, status=exc.status)
        request.session[SESSION_SHOWN_PASSWORD] = {"username": member.username, "name": member.display_name,
                                                   "password": password, "new": True}
        return redirect("web:staff")
    return _staff_page(request, business)


def _member_or_404(business, user_id):
    member = (access.business_staff(business.pk, active_only=False).filter(pk=user_id).first()
              if 0 < user_id < 2**63 else None)
    if member is None:
        raise Http404("no such staff member")
    return member


@require_http_methods(["GET", "POST"])
@staff_signin_required
def staff_remove(request, user_id: int):
    """GET asks to confirm; POST removes (deactivates) the account."""
    business = _admin_business(request)
    member = _member_or_404(business, user_id)
    error = ""
    status = 200
    if request.method == "POST":
        try:
            services.staff_remove(actor=request.user, business=business, user_id=user_id)
        except DomainError as exc:
            error, status = pick(exc.message), exc.status
        else:
            return redirect("web:staff")
    return render(request, "web/workbench/staff_remove.html", {"member": member, "error": error}, status=status)


@require_POST
@staff_signin_required
def staff_admin(request, user_id: int):
    business = _admin_business(request)
    try:
        services.staff_set_admin(actor=request.user, business=business, user_id=user_id,
                                 is_admin=request.POST.get("is_admin") == "1")
    except DomainError as exc:
        if exc.status == 404:
            raise Http404("no such staff member") from None
        return _staff_page(request, business, errors={"member": pick(exc.message)}, status=exc.status)
    return redirect("web:staff")


@require_POST
@staff_signin_required
def staff_password(request, user_id: int):
    business = _admin_business(request)
    try:
        member, password = services.staff_reset_password(actor=request.user, business=business, user_id=user_id)
    except DomainError as exc:
        if exc.status == 404:
            raise Http404("no such staff member") from None
        return _staff_page(request, business, errors={"member": pick(exc.message)}, status=exc.status)
    request.session[SESSION_SHOWN_PASSWORD] = {"username": member.username, "name": member.display_name,
                                               "password": password, "new": False}
    return redirect("web:staff")

