"""Businesses in the council's console (part of the council area: see
``web/council/urls.py``): applications to approve or refuse with a reason, search
within the jurisdiction, and any business's record (stars, credit index and
how they were computed) with suspend / reactivate. The decisions are
``businesses.services``; who may take them is ``accounts.access.in_jurisdiction``."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from hejie.businesses import services
from hejie.businesses.selectors import business_search, oversight_region
from hejie.core.errors import DomainError, NotAllowed, NotFound
from hejie.oversight.lists import applications_waiting, business_overseen
from hejie.ratings.selectors import business_record
from hejie.web.common.i18n import field_messages
from hejie.web.council.common import _forms, council_only


def _list_context(request, **extra) -> dict:
    region = oversight_region(request.user, None)
    q = " ".join(request.GET.get("q", "").split())[:60]
    found = business_search(q=q, region_code=region.code if region else None, status=None, limit=30) if q else []
    errors, values = extra.pop("errors", {}), extra.pop("values", {})
    applications = _forms(list(applications_waiting(region=region)), ("refuse",), errors, values)
    return {"region": region, "applications": applications, "q": q, "found": found,
            "errors": errors, "values": values, **extra}


@require_GET
@council_only
def businesses_page(request):
    return render(request, "web/council/businesses.html", _list_context(request))


@require_GET
@council_only
def business_page(request, business_id: int):
    try:
        business = business_overseen(request.user, business_id)
    except NotFound:
        raise Http404("no such business") from None
    record = business_record(business=business)
    _forms([business], ("suspend",), {}, {})
    return render(request, "web/council/business.html", {
        "b": business, "record": record, "breakdown": record["breakdown"], "errors": {}, "values": {},
    })


def _decide(done: str, back: str):
    def decorate(run):
        @require_POST
        @council_only
        def view(request, business_id: int):
            try:
                business = business_overseen(request.user, business_id)
                run(request, business)
            except (NotFound, NotAllowed):
                raise Http404("no such business") from None
            except DomainError as exc:
                errs = field_messages(exc)
                form = f"{run.__name__}-{business_id}"
                message = errs.get("reason") or errs.get("form") or next(iter(errs.values()))
                context = {"errors": {form: message}, "values": {form: request.POST.get("reason", "")}}
                if back == "list":
                    return render(request, "web/council/businesses.html", _list_context(request, **context),
                                  status=exc.status)
                record = business_record(business=business)
                _forms([business], ("suspend",), context["errors"], context["values"])
                return render(request, "web/council/business.html", {
                    "b": business, "record": record, "breakdown": record["breakdown"], **context},
                    status=exc.status)
            messages.success(request, _(done))
            return redirect("web:council-businesses") if back == "list" else redirect("web:council-business",
                                                                                       business_id)

        view.__name__ = view.__qualname__ = f"council_business_{run.__name__}"
        return view

    return decorate


@_decide("已通过入驻申请。", "list")
def approve(request, business):
    services.business_approve(actor=request.user, business=business.pk)


@_decide("已驳回入驻申请，申请人会收到理由。", "list")
def refuse(request, business):
    services.business_refuse(actor=request.user, business=business.pk, reason=request.POST.get("reason", ""))


@_decide("已暂停该商户。", "record")
def suspend(request, business):
    services.business_suspend(actor=request.user, business=business.pk, reason=request.POST.get("reason", ""))


@_decide("已恢复该商户。", "record")
def reactivate(request, business):
    services.business_reactivate(actor=request.user, business=business.pk)

