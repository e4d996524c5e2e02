"""Pages of the "filing" area: the consumer's "我要和解" form, one step per page
over a draft kept on the server (``hejie.complaints.drafts``: every rule and
check lives there or in the services it calls), and the page after filing.

Only consumers file: a visitor is sent to sign in, staff get a 403 page.
Every step works without JavaScript; ``static/hejie/filing.js`` adds
uploads as soon as files are picked, with progress, and the place picker's
cascade without a button press."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hejie.accounts import access
from hejie.complaints import drafts
from hejie.complaints import policy as rules
from hejie.complaints.evidence import max_bytes, max_files, upload_name
from hejie.complaints.models import Complaint
from hejie.complaints.selectors import complaint_get_for
from hejie.core.errors import DomainError, InvalidInput, NotFound, Unavailable
from hejie.core.storage import storage_errors
from hejie.web.common.files import evidence_response, storage_unavailable
from hejie.web.common.i18n import field_messages, pick

STEP_URLS = {
    "business": "web:file-business", "store": "web:file-store", "problem": "web:file-problem",
    "claim": "web:file-claim", "evidence": "web:file-evidence", "review": "web:file-review",
}
STEP_LABELS = {
    "business": _("找商家"), "store": _("选门店"), "problem": _("遇到的问题"), "claim": _("您的诉求"),
    "evidence": _("上传证据"), "review": _("检查并提交"),
}


def consumer_only(view):
    """Visitors are sent to sign in (and back); anyone but a consumer is refused."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("web:signin"))
        if not access.may_file_complaints(user):
            return render(request, "web/file/refused.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def _step_url(step: str) -> str:
    return reverse(STEP_URLS[step])


def _after(draft, step: str) -> str:
    steps = drafts.draft_steps(draft)
    return _step_url(steps[steps.index(step) + 1]) if step in steps[:-1] else _step_url("review")


def _progress(draft, current: str, *, has_stores: bool | None = None) -> dict:
    steps = drafts.draft_steps(draft, has_stores=has_stores)
    done = set(draft.data.get("done", []))
    items = [{"key": s, "n": i, "label": STEP_LABELS[s], "url": _step_url(s), "current": s == current,
              "done": s in done} for i, s in enumerate(steps, 1)]
    return {"steps": items, "step_n": steps.index(current) + 1 if current in steps else 1,
            "step_total": len(steps), "draft": draft}


def _page(request, template: str, draft, step: str, context: dict, status: int = 200, **kwargs):
    return render(request, template, {**_progress(draft, step, **kwargs), **context}, status=status)


# --------------------------------------------------------------------------- start and step 1


@require_GET
@consumer_only
def file_start(request):
    """Resume the draft where it was left, or begin with finding the business."""
    draft = drafts.draft_get(request.user)
    if draft.pk is None:
        return redirect("web:file-business")
    return redirect(_step_url(drafts.draft_next_step(draft)))


def _search(request) -> dict:
    params = request.GET
    q = params.get("q", "").strip()
    industry = params.get("industry", "").strip()
    region_code = drafts.place_resolve([params.get("r1", ""), params.get("r2", ""), params.get("r3", "")])
    errors: dict[str, str] = {}
    results = []
    try:
        results = drafts.business_choices(q=q, industry=industry, region_code=region_code)
    except InvalidInput as exc:
        errors = field_messages(exc, "q")
    return {"q": q, "industry": industry, "search_levels": drafts.place_levels(region_code), "results": results,
            "searched": bool(q or industry or region_code), "search_errors": errors,
            "search_limit": drafts.SEARCH_LIMIT, "industries": drafts.industries()}


@require_http_methods(["GET", "POST"])
@consumer_only
def file_business(request):
    """Step 1: find the business (name or pinyin initials, or industry and
    place), or name one that is not on the platform."""
    draft = drafts.draft_get(request.user)
    manual_errors: dict[str, str] = {}
    choose_error = ""
    status = 200
    manual = {f: draft.data.get(f, "") for f in ("business_name", "region_code", "business_phone",
                                                  "business_credit_code")}
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "choose":
            try:
                draft = drafts.draft_update(consumer=request.user, step="business",
                                            values={"business_id": request.POST.get("business_id", "")})
            except DomainError as exc:
                choose_error, status = pick(exc.message), exc.status
            else:
                return redirect(_after(draft, "business"))
        else:
            region_code = drafts.place_resolve(
                [request.POST.get("r1", ""), request.POST.get("r2", ""), request.POST.get("r3", "")])
            manual = {"business_name": request.POST.get("business_name", "").strip(), "region_code": region_code,
                      "business_phone": request.POST.get("business_phone", "").strip(),
                      "business_credit_code": request.POST.get("business_credit_code", "").strip()}
            try:
                draft = drafts.draft_update(consumer=request.user, step="business", values=manual)
            except DomainError as exc:
                if action == "place":  # only the place picker moved: keep what was typed, show the next level
                    return redirect(reverse("web:file-business") + "?manual=1#manual")
                manual_errors, status = field_messages(exc, "business_name"), exc.status
                draft = drafts.draft_get(request.user)
            else:
                if action == "place":
                    return redirect(reverse("web:file-business") + "?manual=1#manual")
                return redirect(_after(draft, "business"))
    chosen = drafts.draft_business(draft)
    context = {
        **_search(request), "chosen": chosen, "choose_error": choose_error,
        "manual": manual, "manual_levels": drafts.place_levels(manual["region_code"]),
        "manual_errors": manual_errors,
        "manual_open": bool(manual_errors or request.GET.get("manual") or manual["business_name"]),
        "manual_region_name": drafts.region_name(manual["region_code"]),
    }
    return _page(request, "web/file/business.html", draft, "business", context, status)


# --------------------------------------------------------------------------- steps 2 to 4


@require_http_methods(["GET", "POST"])
@consumer_only
def file_store(request):
    """Step 2: which store (only for a business that has stores)."""
    draft = drafts.draft_get(request.user)
    business = drafts.draft_business(draft)
    if business is None:
        return redirect("web:file-business")
    stores = drafts.draft_stores(draft, business)
    if not stores:
        return redirect("web:file-problem")
    errors: dict[str, str] = {}
    status = 200
    value = draft.data.get("store_id", "")
    if request.method == "POST":
        value = request.POST.get("store_id", "")
        try:
            draft = drafts.draft_update(consumer=request.user, step="store", values={"store_id": value})
        except DomainError as exc:
            errors, status = field_messages(exc, "store_id"), exc.status
        else:
            return redirect(_after(draft, "store"))
    return _page(request, "web/file/store.html", draft, "store",
                 {"business": business, "stores": stores, "value": str(value), "errors": errors,
                  "NO_STORE": drafts.NO_STORE}, status, has_stores=True)


def _fields_step(request, step: str, template: str, extra: dict):
    draft = drafts.draft_get(request.user)
    errors: dict[str, str] = {}
    status = 200
    values = {field: draft.data.get(field, "") for field in drafts.FIELDS[step]}
    if request.method == "POST":
        values = {field: request.POST.get(field, "") for field in drafts.FIELDS[step]}
        try:
            draft = drafts.draft_update(consumer=request.user, step=step, values=values)
        except DomainError as exc:
            errors, status = field_messages(exc, drafts.FIELDS[step][0]), exc.status
            draft = drafts.draft_get(request.user)
        else:
            return redirect(_after(draft, step))
    return _page(request, template, draft, step, {"v": values, "errors": errors, **extra}, status)


@require_http_methods(["GET", "POST"])
@consumer_only
def file_problem(request):
    """Step 3: the kind of problem and what happened."""
    return _fields_step(request, "problem", "web/file/problem.html", {
        "problem_types": Complaint.ProblemType.choices, "description_min": drafts.DESCRIPTION_MIN,
        "description_max": drafts.MAX_TEXT})


@require_http_methods(["GET", "POST"])
@consumer_only
def file_claim(request):
    """Step 4: what the consumer wants, and the purchase."""
    return _fields_step(request, "claim", "web/file/claim.html", {
        "claim_types": Complaint.ClaimType.choices, "amount_claims": sorted(drafts.AMOUNT_CLAIMS)})


# --------------------------------------------------------------------------- step 5: evidence


def _file_json(item) -> dict:
    return {"id": item.pk, "name": item.original_name, "kind": item.kind, "size": item.size,
            "url": reverse("web:file-evidence-file", args=[item.pk]),
            "remove_url": reverse("web:file-evidence-remove", args=[item.pk])}


def _wants_json(request) -> bool:
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


@require_http_methods(["GET", "POST"])
@consumer_only
def file_evidence(request):
    """Step 5: photos and PDFs from the phone. Each file is checked on its own:
    one refused file (too big, not an image or PDF) is named with the reason,
    the others and the rest of the draft are kept."""
    upload_errors: list[dict] = []
    status = 200
    if request.method == "POST":
        added = []
        for upload in request.FILES.getlist("files"):
            name = upload_name(upload.name)
            try:
                # one byte more than allowed is enough to know it is too big
                added.append(drafts.draft_file_add(consumer=request.user, name=name,
                                                   data=upload.read(max_bytes() + 1)))
            except DomainError as exc:
                upload_errors.append({"name": name, "message": pick(exc.message)})
                status = status if status != 200 else exc.status
        if _wants_json(request):
            return JsonResponse({"files": [_file_json(f) for f in added], "errors": upload_errors},
                                status=status if upload_errors else 201)
        if not upload_errors:
            if request.POST.get("action") == "next":
                drafts.draft_mark_done(consumer=request.user, step="evidence")
                return redirect("web:file-review")
            return redirect("web:file-evidence")
    draft = drafts.draft_get(request.user)
    files = drafts.draft_files(draft)
    return _page(request, "web/file/evidence.html", draft, "evidence", {
        "files": files, "upload_errors": upload_errors, "max_mb": max_bytes() // (1024 * 1024),
        "max_files": max_files(), "room": max(0, max_files() - len(files)),
    }, status)


@require_GET
@consumer_only
def file_evidence_file(request, file_id: int):
    """A draft file, to its own consumer only (a 404 for anyone else)."""
    try:
        item = drafts.draft_file_get(request.user, file_id)
    except NotFound:
        raise Http404("no such file") from None
    if request.GET.get("thumb") == "1":
        try:
            with storage_errors():
                small = drafts.draft_file_thumbnail(item)
        except FileNotFoundError:
            raise Http404("no such file") from None
        except Unavailable as exc:
            return storage_unavailable(exc)
        if small is not None:
            response = HttpResponse(small, content_type="image/jpeg")
            response["X-Content-Type-Options"] = "nosniff"
            response["Cache-Control"] = "private, max-age=3600"
            return response
    return evidence_response(item)


@require_POST
@consumer_only
def file_evidence_remove(request, file_id: int):
    try:
        drafts.draft_file_remove(consumer=request.user, file_id=file_id)
    except NotFound:
        raise Http404("no such file") from None
    if _wants_json(request):
        return JsonResponse({"removed": file_id})
    return redirect("web:file-evidence")


# --------------------------------------------------------------------------- step 6: review and submit


def _review_context(draft) -> dict:
    data = draft.data
    business = drafts.draft_business(draft)
    return {
        "d": data, "business": business, "store_name": drafts.store_name(draft),
        "region_name": drafts.region_name(data.get("region_code")),
        "problem_label": dict(Complaint.ProblemType.choices).get(data.get("problem_type"), ""),
        "claim_label": dict(Complaint.ClaimType.choices).get(data.get("claim_type"), ""),
        "files": drafts.draft_files(draft),
        "problems": {step: [pick(m) for m in errs.values()] or [gettext("这一步还没有填写。")]
                     for step, errs in drafts.draft_problems(draft).items()},
        "has_store_step": "store" in drafts.draft_steps(draft),
    }


@require_http_methods(["GET", "POST"])
@consumer_only
def file_review(request):
    """Step 6: everything at a glance, with a way back to each step; then file."""
    draft = drafts.draft_get(request.user)
    refusal = ""
    refused: dict[str, dict[str, str]] = {}
    status = 200
    if request.method == "POST":
        try:
            complaint = drafts.draft_submit(consumer=request.user, token=request.POST.get("token", ""))
        except NotFound:
            return redirect("web:file-start")
        except DomainError as exc:
            refusal, status = pick(exc.message), exc.status
            refused = {step: [pick(m) for m in errs.values()] for step, errs in drafts.draft_refusal_steps(exc).items()}
            draft = drafts.draft_get(request.user)
        else:
            return redirect("web:file-done", complaint_id=complaint.pk)
    if draft.pk is None:
        return redirect("web:file-start")
    context = _review_context(draft)
    for step, messages in refused.items():
        shown = context["problems"].setdefault(step, [])
        shown.extend(m for m in messages if m not in shown)
    context.update(refusal=refusal, ready=not context["problems"])
    return _page(request, "web/file/review.html", draft, "review", context, status)


@require_POST
@consumer_only
def file_discard(request):
    drafts.draft_discard(consumer=request.user)
    return redirect("web:file-business")


@require_GET
@consumer_only
def file_done(request, complaint_id: int):
    """After filing: the number and what happens next, in plain words."""
    try:
        complaint = complaint_get_for(request.user, complaint_id)
    except NotFound:
        raise Http404("no such complaint") from None
    return render(request, "web/file/done.html", {"c": complaint, "policy": rules.get_policy()})

