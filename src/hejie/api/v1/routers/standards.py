"""Industry service standards (服务标准): published standards (public), their
versions and clauses, drafting and publishing (the publishing association's staff, operators), a
business's acceptance, and the council's ranking of cited clauses. Thin: the rules are in
``hejie.standards.services`` and ``selectors`` (the ranking reads complaints:
``hejie.complaints.selectors.clauses_cited_for``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import BeforeValidator, ConfigDict

from hejie.api.v1.auth import optional_bearer
from hejie.api.v1.schemas import IsoDateTime, QueryInt, StrictSchema, Text, errors, whole_number
from hejie.complaints.selectors import clauses_cited_for
from hejie.core.errors import NotAllowed
from hejie.standards import selectors, services

router = Router(tags=["standards"])

MAX_ID = 2**63 - 1
Sid = Annotated[int, BeforeValidator(whole_number), Path(..., ge=1, le=MAX_ID, description="the standard's id")]
Num = Annotated[int, BeforeValidator(whole_number), Path(..., ge=1, le=1_000_000, description="the version number")]




class Named(Schema):
    code: str
    name: str


class ClauseOut(Schema):
    id: int
    number: str
    text: str


class VersionBrief(Schema):
    version: int
    status: str
    published_at: dt.datetime | None
    withdrawn_at: dt.datetime | None


class VersionOut(VersionBrief):
    clauses: list[ClauseOut]


class StandardBrief(Schema):
    id: int
    industry: Named
    title: str
    publisher_name: str
    publisher_id: int | None
    current_version: int | None


class StandardOut(Schema):
    id: int
    industry: Named
    title: str
    publisher_name: str
    publisher_id: int | None = Field(description="the industry association whose staff write it")
    version: VersionOut = Field(description="the version in force, or the one asked for with ?version=N")
    versions: list[VersionBrief]


class StandardIn(StrictSchema):
    industry: Text = Field(max_length=32)
    title: Text = Field(max_length=120)
    publisher_name: Text | None = Field(None, max_length=120,
                                        description="ignored when the publisher is an association (its name is used)")
    publisher_id: int | None = Field(None, ge=1, le=MAX_ID,
                                     description="operators: the association that publishes it; association staff: "
                                                 "always their own association")


class ClauseIn(StrictSchema):
    number: Text = Field(max_length=20, description='e.g. "3.2"')
    text: Text = Field(max_length=services.CLAUSE_TEXT_MAX, description="empty: remove the clause from the draft")


class AcceptanceOut(Schema):
    standard_id: int
    title: str
    version: int
    accepted_at: dt.datetime


class CitedClause(Schema):
    clause_id: int
    standard_id: int
    standard_title: str
    version: int
    number: str
    text: str
    citations: int


class CitedIndustry(Schema):
    industry: Named
    clauses: list[CitedClause]


class CitedOut(Schema):
    region: Named | None
    industry: Named | None
    since: dt.datetime | None
    industries: list[CitedIndustry]


class ListQuery(Schema):
    model_config = ConfigDict(extra="forbid")
    industry: str | None = Field(None, max_length=32, description="industry code, e.g. lodging")


class DetailQuery(Schema):
    model_config = ConfigDict(extra="forbid")
    version: QueryInt | None = Field(None, ge=1, le=1_000_000, description="an older version's number")


class CitedQuery(Schema):
    model_config = ConfigDict(extra="forbid")
    region: str | None = Field(None, max_length=6, description="6-digit GB/T 2260 code; default: your jurisdiction")
    industry: str | None = Field(None, max_length=32)
    since: IsoDateTime | None = Field(None, description="citations made at or after this moment (ISO 8601)")


def _named(industry) -> dict:
    return {"code": industry.code, "name": industry.name}


def _brief(v) -> dict:
    return {"version": v.version, "status": v.status, "published_at": v.published_at, "withdrawn_at": v.withdrawn_at}


def _detail(standard, version, versions) -> dict:
    return {
        "id": standard.pk, "industry": _named(standard.industry), "title": standard.title,
        "publisher_name": standard.publisher_name, "publisher_id": standard.publisher_id,
        "version": {**_brief(version), "clauses": [{"id": c.pk, "number": c.number, "text": c.text}
                                                   for c in version.clause_list]},
        "versions": [_brief(v) for v in versions],
    }


def _show(user, standard_id, version=None) -> dict:
    return _detail(*selectors.standard_get(user=user, standard_id=standard_id, version=version))


@router.get("", auth=None, response={200: list[StandardBrief], **errors(422)},
            summary="Published service standards, by industry (public)")
def list_standards(request, filters: Query[ListQuery]):
    return [{"id": s.pk, "industry": _named(s.industry), "title": s.title, "publisher_name": s.publisher_name,
             "publisher_id": s.publisher_id, "current_version": s.current.version}
            for s in selectors.standards_published(industry=filters.industry)]


@router.get("/cited", response={200: CitedOut, **errors(401, 403, 422)},
            summary="Which clauses are cited most in orders, per industry (council staff, operators)")
def cited(request, filters: Query[CitedQuery]):
    since = filters.since.astimezone(dt.UTC) if filters.since and filters.since.tzinfo else filters.since
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=dt.UTC)
    region, industry, rows = clauses_cited_for(request.auth, region_code=filters.region,
                                               industry=filters.industry, since=since)
    return {"region": {"code": region.code, "name": region.full_name} if region else None,
            "industry": _named(industry) if industry else None, "since": since, "industries": rows}


@router.post("/accept", response={200: list[AcceptanceOut], **errors(401, 403, 404, 409)},
             summary="Accept the standards in force for your business's industry (business admin staff)")
def accept(request):
    user = request.auth
    if not getattr(user, "business_id", None):
        raise NotAllowed(_("只有商户管理员可以接受服务标准"))
    acceptances = services.standard_accept(actor=user, business=user.business_id)
    return [{"standard_id": a.version.standard_id, "title": a.version.standard.title, "version": a.version.version,
             "accepted_at": a.accepted_at} for a in acceptances]


@router.get("/{id}", auth=optional_bearer, response={200: StandardOut, **errors(401, 404, 422)},
            summary="A standard: the version in force with its clauses (?version=N for another version)")
def get_standard(request, id: Sid, filters: Query[DetailQuery]):
    return _show(request.auth, id, filters.version)


@router.post("", response={201: StandardOut, **errors(401, 403, 409, 422)},
             summary="Create a standard for an industry, with an empty first draft "
                     "(association staff, for its industries; operators)")
def create_standard(request, payload: StandardIn):
    standard = services.standard_create(actor=request.auth, industry=payload.industry, title=payload.title,
                                        publisher_name=payload.publisher_name or "", publisher=payload.publisher_id)
    services.version_draft(actor=request.auth, standard=standard)
    return Status(201, _show(request.auth, standard.pk, 1))


@router.post("/{id}/versions", response={201: StandardOut, **errors(401, 403, 404, 409, 422)},
             summary="Start a new draft version, copying the latest version's clauses "
                     "(its association's staff; operators)")
def draft_version(request, id: Sid):
    draft = services.version_draft(actor=request.auth, standard=id)
    return Status(201, _show(request.auth, id, draft.version))


@router.post("/{id}/versions/{version}/clauses", response={200: StandardOut, **errors(401, 403, 404, 409, 422)},
             summary="Write (or, with empty text, remove) a clause of a draft version "
                     "(its association's staff; operators)")
def set_clause(request, id: Sid, version: Num, payload: ClauseIn):
    services.clause_set(actor=request.auth, standard=id, version=version, number=payload.number, text=payload.text)
    return _show(request.auth, id, version)


@router.post("/{id}/versions/{version}/publish", response={200: StandardOut, **errors(401, 403, 404, 409, 422)},
             summary="Put a draft version in force; the previous version is withdrawn "
                     "(its association's staff; operators)")
def publish_version(request, id: Sid, version: Num):
    services.version_publish(actor=request.auth, standard=id, version=version)
    return _show(request.auth, id, version)
