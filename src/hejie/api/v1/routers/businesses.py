"""Businesses: the public directory and profile, joining the platform (入驻),
the council's review, stores.

Who is told what when refused: a business on the public record (active or
suspended) exists for everyone, so acting on it without the right answers
403; an application (applied, refused) exists only for its own staff, the
council over it and operators, so anyone else gets 404 for it, whatever the
operation.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from hejie.accounts.phones import mask_phone
from hejie.accounts.services import phone_code_send
from hejie.api.v1.auth import optional_bearer
from hejie.api.v1.pagination import _decode, _encode, page_size
from hejie.api.v1.schemas import PhoneCodeIn, PhoneCodeSent, QueryInt, StrictSchema, Text, errors
from hejie.businesses import selectors, services
from hejie.complaints.selectors import complaint_counts, complaints_per_10k_orders
from hejie.core.errors import invalid
from hejie.core.http import client_ip
from hejie.ratings.public import public_business
from hejie.ratings.selectors import business_record

router = Router(tags=["businesses"])


# ------------------------------------------------------------------- schemas


class Named(Schema):
    code: str
    name: str


class BusinessItem(Schema):
    id: int
    name: str
    credit_code: str
    industry: Named
    region: Named
    status: str
    stars: float | None = Field(description="0-5, null while unrated")
    credit_index: float | None = Field(description="0-10, null while unrated")
    complaints_total: int


class BusinessPage(Schema):
    items: list[BusinessItem]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")


class DirectoryQuery(Schema):
    model_config = ConfigDict(extra="forbid")

    q: str | None = Field(None, max_length=100, description="part of the name, or the start of its pinyin initials")
    industry: str | None = Field(None, max_length=32, description="industry code, e.g. catering")
    region: str | None = Field(None, max_length=6, description="6-digit region code; its whole subtree")
    status: str | None = Field(
        None, max_length=16,
        description="default: the public record (active and suspended); `applied` or `refused` lists the "
        "applications the caller may see (council staff: their jurisdiction)",
    )
    cursor: str | None = Field(None, max_length=500)
    size: QueryInt | None = Field(None, ge=1, le=100, description="page size, 1-100 (default 20)")


class CaseScore(Schema):
    number: str
    scored_at: dt.datetime
    stars: int
    credit_points: int
    cost: int = Field(description="points short of a perfect 10")
    outcome: str = Field(description="settled or failed")
    hours_to_settle: float | None


class Tier(Schema):
    stars: int
    cases: int


class Breakdown(Schema):
    explanation: str = Field(description="the formula, in words, with this business's numbers")
    to_improve: str
    window_days: int
    since: dt.datetime
    prior_points: float
    prior_stars: float
    prior_weight: int
    cases: int = Field(description="cases scored in the window")
    failed: int
    points_total: int
    stars_total: int
    credit_index: float | None
    star_rating: float | None
    tiers: list[Tier]
    cases_listed: list[CaseScore] = Field(description="the window's cases, newest first (up to 50)")


class ComplaintRate(Schema):
    rate: float | None = Field(description="complaints × 10,000 ÷ orders; null when the reported volume is 0")
    complaints: int = Field(description="complaints filed in the window")
    orders: int = Field(description="the reported yearly volume prorated to the window")
    yearly_orders: int = Field(description="orders per year as the partner that brought the business reported")
    since: dt.datetime = Field(description="start of the window: 365 days ago, or the day it joined if later")
    until: dt.datetime


class BusinessProfile(Schema):
    id: int
    name: str
    credit_code: str
    industry: Named
    region: Named
    status: str
    stars: float | None
    credit_index: float | None
    complaints_total: int
    settled: int
    failed: int
    settlement_rate: float | None = Field(description="settled ÷ complaints, all time")
    median_hours_to_settle: float | None = Field(description="over the settled cases of the rating window")
    on_black_list: bool
    on_red_list: bool
    complaints_per_10k_orders: ComplaintRate | None = Field(
        description="where the partner that brought the business reported its yearly order volume: complaints "
                    "filed in the last 365 days (or since it joined, if later) per 10,000 orders of the same days "
                    "(the yearly volume prorated). Null without a report, with a report over 365 days old, or "
                    "with fewer than 30 days on the platform. complaints_total beside it is all time.")
    rating_breakdown: Breakdown


class BusinessOut(Schema):
    """A business as its staff and the council see it."""

    id: int
    name: str
    credit_code: str
    industry: Named
    region: Named
    status: str
    status_reason: str
    address: str
    contact_name: str
    contact_phone: str
    contact_email: str
    created_at: dt.datetime
    approved_at: dt.datetime | None


class StoreIn(StrictSchema):
    name: str = Field(max_length=120)
    region_code: str = Field(max_length=6)
    address: str = Field("", max_length=200)


class ApplyIn(StrictSchema):
    """As the web form /join/: every field is checked and the errors come together (422, one per field)."""

    name: str = Field(max_length=120)
    credit_code: str = Field(max_length=40, description="统一社会信用代码, 18 characters. A code already on the "
                                                      "platform is refused, unless its business was refused: it "
                                                      "applies again, as the same business")
    industry: str = Field(max_length=32)
    region_code: str = Field(max_length=6, description="6-digit code of the finest division there: a county or "
                                                       "district (or a city without counties)")
    address: str = Field(max_length=200)
    contact_name: str = Field(max_length=60, description="also the new admin's display name")
    contact_phone: str = Field(max_length=20, description="a mainland mobile number (e.g. 13800138000), proved by "
                                                         "`phone_code`")
    phone_code: str = Field(max_length=10, description="the 6-digit code sent by SMS to `contact_phone` (POST "
                                                       "/businesses/phone-code). Checked once every other field is "
                                                       "right: a wrong one answers 422 on `phone_code` and counts a "
                                                       "try (five from one client address: 429 `code_throttled` "
                                                       "with `Retry-After`, the sign-in throttle); it is spent "
                                                       "only when the application is made. A sign-in code does "
                                                       "not serve")
    contact_email: str = Field("", max_length=254)
    stores: list[StoreIn] = Field(default_factory=list, max_length=200)
    username: Text = Field(max_length=150, description="the business's admin: a new staff account with this "
                                                       "username (letters, digits and @/./+/-/_; not taken), "
                                                       "made with the application. The caller's own account, if "
                                                       "any, is not changed; staff sign in with the password "
                                                       "(POST /auth/token)")
    password: Text = Field(max_length=128, description="the new admin's password: at least 8 characters, not a "
                                                       "common one")
    accept_rules: bool = Field(False, description="the platform's rules are accepted: must be true")
    accept_standards: bool = Field(False, description="the service standards in force for the industry are "
                                                      "accepted (GET /standards): must be true when it has some")


class ReasonIn(StrictSchema):
    reason: str = Field(max_length=500)


class StoreOut(Schema):
    id: int
    name: str
    region: Named
    address: str
    is_active: bool


# ------------------------------------------------------------------- shaping


def _named_region(region) -> dict:
    return {"code": region.code, "name": region.full_name}


def _named_industry(industry) -> dict:
    return {"code": industry.code, "name": industry.name}


def _num(value) -> float | None:
    return float(value) if value is not None else None


def _item(business, complaints_total: int) -> dict:
    return {
        "id": business.pk, "name": business.name, "credit_code": business.credit_code,
        "industry": _named_industry(business.industry), "region": _named_region(business.region),
        "status": business.status, "stars": _num(business.star_rating), "credit_index": _num(business.credit_index),
        "complaints_total": complaints_total,
    }


def _out(business) -> dict:
    return {
        **{f: getattr(business, f) for f in ("id", "name", "credit_code", "status", "status_reason", "address",
                                             "contact_name", "contact_phone", "contact_email", "created_at",
                                             "approved_at")},
        "industry": _named_industry(business.industry), "region": _named_region(business.region),
    }


def _store(store) -> dict:
    return {"id": store.pk, "name": store.name, "region": _named_region(store.region), "address": store.address,
            "is_active": store.is_active}


def _name_page(qs, *, cursor: str | None, size: int | None) -> tuple[list, str | None]:
    """Keyset pages in name order (then id)."""
    size = page_size(size)
    qs = qs.order_by("name", "pk")
    if cursor:
        name, pk = _decode(cursor)
        if not isinstance(name, str) or "\x00" in name:
            raise invalid("cursor", _("无效的翻页游标"))
        qs = qs.filter(Q(name__gt=name) | Q(name=name, pk__gt=pk))
    rows = list(qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return rows, (_encode(rows[-1].name, rows[-1].pk) if more and rows else None)


def _visible(request, business_id: int):
    return selectors.business_get_for(request.auth, business_id)


def _public(request, business_id: int):
    """The public record as the public pages answer it (``ratings.public.public_business``):
    404 for what never was public, 410 for a removed listing; an application's own
    staff, the council over it and operators see it still."""
    return public_business(business_id, viewer=request.auth)


# ------------------------------------------------------------------- the public face


@router.get("", auth=optional_bearer, response={200: BusinessPage, **errors(401, 422)},
            summary="The directory: search by name or pinyin initials, industry, region (public)")
def directory(request, filters: Query[DirectoryQuery]):
    qs = selectors.business_directory(user=request.auth, q=filters.q, industry=filters.industry,
                                      region_code=filters.region, status=filters.status)
    rows, next_cursor = _name_page(qs, cursor=filters.cursor, size=filters.size)
    counts = complaint_counts(b.pk for b in rows)
    return {"items": [_item(b, counts.get(b.pk, 0)) for b in rows], "next_cursor": next_cursor}


@router.post("/phone-code", auth=None, response={202: PhoneCodeSent, **errors(422, 429)},
             summary="Send the code that proves the contact phone of an application to join (入驻): 6 digits by "
                     "SMS, valid 5 minutes, for joining only. Anyone may ask; per number one code a minute and five "
                     "an hour, per address twenty an hour (sign-in codes count too): over a limit 429 with "
                     "Retry-After")
def phone_code(request, payload: PhoneCodeIn):  # before "/{business_id}", which would take the path
    phone = phone_code_send(phone=payload.phone, ip=client_ip(request), purpose="join")
    return Status(202, {"detail": _("验证码已发送，5分钟内有效"),
                        "phone_masked": mask_phone(phone)})


@router.get("/{business_id}", auth=optional_bearer, response={200: BusinessProfile, **errors(401, 404, 410, 422)},
            summary="A business's public profile: rating with its breakdown, record, list status",
            description="404 for no such business or an application (except to its own staff, its council and "
                        "operators); 410 for a listing that was removed, as the public page /businesses/{id}/ "
                        "answers.")
def profile(request, business_id: int):
    business = _public(request, business_id)
    record = business_record(business=business)
    b = record["breakdown"]
    return {
        "id": business.pk, "name": business.name, "credit_code": business.credit_code,
        "industry": _named_industry(business.industry), "region": _named_region(business.region),
        "status": business.status, "stars": _num(business.star_rating), "credit_index": _num(business.credit_index),
        "complaints_total": b["complaints_total"], "settled": b["settled_total"], "failed": b["failed_total"],
        "settlement_rate": b["settlement_rate"], "median_hours_to_settle": b["median_hours_to_settle"],
        "on_black_list": record["on_black_list"], "on_red_list": record["on_red_list"],
        "complaints_per_10k_orders": complaints_per_10k_orders(business),
        "rating_breakdown": {
            **{k: b[k] for k in ("explanation", "to_improve", "window_days", "since", "prior_weight", "cases",
                                 "failed", "points_total", "stars_total", "cases_listed")},
            "prior_points": float(b["prior_points"]), "prior_stars": float(b["prior_stars"]),
            "credit_index": _num(b["credit_index"]), "star_rating": _num(b["star_rating"]),
            "tiers": [{"stars": stars, "cases": n} for stars, n in b["tiers"].items()],
        },
    }


@router.get("/{business_id}/stores", auth=optional_bearer,
            response={200: list[StoreOut], **errors(401, 404, 410, 422)},
            summary="A business's stores (门店); 404 and 410 as for the profile")
def stores(request, business_id: int):
    business = _public(request, business_id)
    return [_store(s) for s in selectors.stores_of(business)]


# ------------------------------------------------------------------- joining and review


@router.post("", auth=optional_bearer, response={201: BusinessOut, **errors(400, 401, 403, 409, 422, 429)},
             summary="Apply to join (入驻), signed in as a consumer or not at all: the application and a new admin "
                     "staff account (username, password) in one go; the council reviews. Staff tokens: 403")
def apply(request, payload: ApplyIn):
    user = request.auth
    business, _ = services.business_join(
        applicant=user if user.is_authenticated else None, username=payload.username, password=payload.password,
        name=payload.name, credit_code=payload.credit_code, industry=payload.industry,
        region_code=payload.region_code, address=payload.address, contact_name=payload.contact_name,
        contact_phone=payload.contact_phone, phone_code=payload.phone_code, contact_email=payload.contact_email,
        stores=[s.model_dump() for s in payload.stores], accept_rules=payload.accept_rules,
        accept_standards=payload.accept_standards, ip=client_ip(request),
    )
    return Status(201, _out(selectors.business_get(business.pk)))


def _review(request, business_id: int, service, **kwargs):
    business = _visible(request, business_id)
    service(actor=request.auth, business=business, **kwargs)
    return _out(selectors.business_get(business.pk))


REVIEW_ERRORS = errors(400, 401, 403, 404, 409, 422)


@router.post("/{business_id}/approve", response={200: BusinessOut, **REVIEW_ERRORS},
             summary="Approve an application (council of the business's region)")
def approve(request, business_id: int):
    return _review(request, business_id, services.business_approve)


@router.post("/{business_id}/refuse", response={200: BusinessOut, **REVIEW_ERRORS},
             summary="Refuse an application, with a reason (council of the business's region)")
def refuse(request, business_id: int, payload: ReasonIn):
    return _review(request, business_id, services.business_refuse, reason=payload.reason)


@router.post("/{business_id}/suspend", response={200: BusinessOut, **REVIEW_ERRORS},
             summary="Suspend an active business, with a reason (council of the business's region)")
def suspend(request, business_id: int, payload: ReasonIn):
    return _review(request, business_id, services.business_suspend, reason=payload.reason)


@router.post("/{business_id}/reactivate", response={200: BusinessOut, **REVIEW_ERRORS},
             summary="Reactivate a suspended business (council of the business's region)")
def reactivate(request, business_id: int):
    return _review(request, business_id, services.business_reactivate)


@router.post("/{business_id}/stores", response={201: StoreOut, **REVIEW_ERRORS},
             summary="Add a store (the business's admin staff)")
def add_store(request, business_id: int, payload: StoreIn):
    business = _visible(request, business_id)
    store = services.store_add(actor=request.auth, business=business, name=payload.name,
                               region_code=payload.region_code, address=payload.address)
    return Status(201, _store(selectors.stores_of(business).get(pk=store.pk)))
