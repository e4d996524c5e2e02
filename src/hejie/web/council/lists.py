"""The council's list page (part of the council area: see ``web/council/urls.py``):
black-list candidates with their failed cases, published entries, appeals
waiting with their text and files, red-list candidates, and every decision's
who, when and why. Each decision POSTs to its own URL and calls the one
service in ``hejie.ratings.lists``; a refused one re-renders the page with the
message beside the reason of that very form."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from hejie.businesses.selectors import oversight_region
from hejie.core.errors import DomainError, NotAllowed, NotFound, invalid
from hejie.oversight import lists as oversight_lists
from hejie.ratings import lists
from hejie.web.common.i18n import field_messages
from hejie.web.council.common import _forms, council_only


def _context(request, errors: dict | None = None, values: dict | None = None, **extra) -> dict:
    region = oversight_region(request.user, None)
    errors, values = errors or {}, values or {}
    red_candidates = lists.redlist_candidates(region=region, limit=100)
    _forms([r["business"] for r in red_candidates], ("confirm",), errors, values)
    return {
        "region": region,
        "candidates": _forms(list(lists.blacklist_candidates(region=region).order_by("created_at", "id")),
                             ("publish", "dismiss"), errors, values),
        "published": _forms(list(lists.blacklist_published(region=region).order_by("-published_at", "-id")),
                            ("remove",), errors, values),
        "appeals": _forms(list(oversight_lists.appeals_waiting(region=region)), ("appeal",), errors, values),
        "red_candidates": red_candidates,
        "red_confirmed": _forms(list(lists.redlist_confirmed(region=region).order_by("-decided_at", "-id")),
                                ("red_remove",), errors, values),
        "decisions": oversight_lists.decisions(region=region),
        "errors": errors, "values": values, "form": "",
        **extra,
    }


@require_GET
@council_only
def lists_page(request):
    return render(request, "web/council/lists.html", _context(request))


def _decision(done: str):
    def decorate(run):
        @require_POST
        @council_only
        def view(request, pk: int):
            form = f"{run.__name__}-{pk}"
            try:
                run(request, pk)
            except (NotFound, NotAllowed):
                raise Http404("not yours to decide") from None
            except DomainError as exc:
                errs = field_messages(exc)
                message = errs.get("reason") or errs.get("form") or next(iter(errs.values()))
                values = {form: request.POST.get("reason", "")}
                return render(request, "web/council/lists.html",
                              _context(request, errors={form: message}, values=values, form=form),
                              status=exc.status)
            messages.success(request, _(done))
            return redirect("web:council-lists")

        view.__name__ = view.__qualname__ = f"council_{run.__name__}"
        return view

    return decorate


def _reason(request) -> str:
    return request.POST.get("reason", "")


@_decision("已公布到黑榜，商户会收到通知并可申诉。")
def publish(request, pk):
    lists.blacklist_publish(actor=request.user, entry=pk, reason=_reason(request))


@_decision("已决定不予公布。")
def dismiss(request, pk):
    lists.blacklist_dismiss(actor=request.user, entry=pk, reason=_reason(request))


@_decision("已移出黑榜。")
def remove(request, pk):
    lists.blacklist_remove(actor=request.user, entry=pk, reason=_reason(request))


@_decision("申诉已处理，商户会收到决定和理由。")
def appeal(request, pk):
    verdict = request.POST.get("verdict", "")
    if verdict not in ("upheld", "rejected"):
        raise invalid("reason", _("请选择申诉成立或不成立"))
    lists.blacklist_appeal_decide(actor=request.user, appeal=pk, upheld=verdict == "upheld", reason=_reason(request))


@_decision("已确认入选消费者满意商户（红榜）。")
def confirm(request, pk):
    lists.redlist_confirm(actor=request.user, business=pk, reason=_reason(request))


@_decision("已移出红榜。")
def red_remove(request, pk):
    lists.redlist_remove(actor=request.user, entry=pk, reason=_reason(request))

