"""The audit page (/council/audit/): the audit trail for its supervisors (``audit.selectors.may_read``:
operators and council staff granted ``audit_supervisor``), filtered by who, what and when, a page
at a time, and as CSV. Anyone else signed in gets a 404 (the page does not exist for them); a
visitor goes to the staff sign-in."""

from __future__ import annotations

import datetime as dt
import json
from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from hejie.audit.selectors import audit_records, may_read
from hejie.audit.services import ACTIONS
from hejie.core import clock
from hejie.core.spreadsheets import csv_lines

PAGE_SIZE = 50
EXPORT_LIMIT = 100_000


def audit_only(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("web:signin-staff"))
        if not may_read(request.user):
            raise Http404("no such page")
        return view(request, *args, **kwargs)

    return wrapped


def _day(raw: str, name: str, errors: dict) -> dt.date | None:
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = _("日期格式应为 YYYY-MM-DD")
        return None


def _filtered(request):
    """The records of the request's filters, the values typed and the errors (field → message)."""
    v = {k: request.GET.get(k, "").strip()[:150] for k in ("who", "action", "from", "to")}
    errors: dict[str, str] = {}
    if v["action"] and v["action"] not in ACTIONS:
        errors["action"] = _("没有这种操作")
    since, until = _day(v["from"], "from", errors), _day(v["to"], "to", errors)
    if since and until and since > until:
        errors["to"] = _("结束日期不能早于开始日期")
    start = dt.datetime.combine(since, dt.time(), clock.SHANGHAI) if since and not errors else None
    end = (dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), clock.SHANGHAI)
           if until and not errors else None)
    rows = audit_records(request.user, who=v["who"], action="" if errors.get("action") else v["action"],
                         since=start, until=end)
    return rows, v, errors


@require_GET
@audit_only
def audit_page(request):
    rows, v, errors = _filtered(request)
    if errors:
        rows = rows.none()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for record in page:
        record.detail_text = json.dumps(record.detail, ensure_ascii=False, sort_keys=True)
    keep = urlencode({k: v[k] for k in ("who", "action", "from", "to") if v[k]})
    return render(request, "web/council/audit.html",
                  {"page": page, "v": v, "errors": errors, "actions": ACTIONS, "keep": keep},
                  status=422 if errors else 200)


@require_GET
@audit_only
def audit_export(request):
    """The filtered records as CSV (UTF-8 with a BOM), newest first, at most ``EXPORT_LIMIT``."""
    rows, v, errors = _filtered(request)
    if errors:
        return audit_page(request)
    header = [_("序号"), _("时间"), _("用户"), _("角色"), _("操作"), _("对象类型"), _("对象"), _("辖区"),
              _("请求编号"), "IP", _("详情"), _("哈希")]

    def lines():
        yield header
        for r in rows[:EXPORT_LIMIT].iterator(chunk_size=2000):
            yield [r.seq, r.at.astimezone(clock.SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"), r.actor_username, r.role,
                   r.action, r.object_type, r.object_id, r.jurisdiction, r.request_id, r.ip,
                   json.dumps(r.detail, ensure_ascii=False, sort_keys=True), r.hash]

    response = StreamingHttpResponse(csv_lines(lines()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{clock.now():%Y%m%d-%H%M%S}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response
