"""What the public pages show beyond the API's selectors (``businesses.selectors``,
``ratings.selectors``, ``ratings.lists``), and what they answer for something
that is not (or no longer) public. The rules are one function each
(``public_business``, ``public_black_entry``, ``public_red_entry``), called by
the pages (``web.public``) and by the API's public endpoints alike, so the two
faces answer the same: ``NotFound`` → 404, ``Gone`` (``core.errors``) → 410,
on a page with the date and kind of the removal, in the API as a JSON error
with ``removed_at`` and ``removal``.

What is public, and what a page (or the API) answers:

* A business: its record while its status is in ``PUBLIC_STATUSES`` (active,
  and suspended: a suspension is reversible and the record does not vanish
  with it, so a suspended business answers 200 with a notice that it takes no
  complaints now). A business that was once on the public record (it was
  approved: ``approved_at`` is set) and whose status is no longer public has a
  *removed listing*: 410 Gone. No transition of today's model leads there (a
  suspended business stays public; only an application is refused), but a
  status added later that takes a business off the record will. An
  application (applied, refused, never approved) never existed for the public: 404.
* A black-list entry: public while published; once published and then removed
  (by rule after 180 clean days, on appeal, or by the council's decision
  after rectification), it answers 410 with the date and the *kind* of
  removal. The council's free-text reason for a removal was written to the
  business, not for publication (unlike ``public_reason``), so it is not shown.
  A candidate or a dismissed candidate was never public: 404.
* A red-list entry: public while confirmed; once confirmed and then removed,
  410 with the date (and, when the business went onto the black list in the
  same decision, that fact: the black-list entry is public). A candidate that
  was never confirmed: 404.

Cases are shown as ``CASE_FIELDS`` allows (``ratings.lists``): the order
number, dates, problem type, state and how long the business took; never the
consumer, the description, the messages, the order reference or amounts.
"""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from hejie.businesses.models import Business
from hejie.businesses.selectors import PUBLIC_STATUSES, business_get, businesses_visible_to
from hejie.complaints.models import Complaint
from hejie.core.errors import Gone, NotFound
from hejie.ratings.lists import CASE_FIELDS, blacklist_entries, redlist_entries
from hejie.ratings.models import BlacklistEntry, ListDecision, RedListEntry

RECENT_COMPLAINTS = 20
# The fields of an order the public pages read: the list pages' own, plus the
# problem type and the settlement time (for "how long the business took").
PUBLIC_CASE_FIELDS = (*CASE_FIELDS, "problem_type", "settled_at", "stars")


def hours_between(start, end) -> float | None:
    return round((end - start).total_seconds() / 3600, 1) if start and end else None


# ------------------------------------------------------------------ businesses


def public_business(business_id, *, viewer=None) -> Business:
    """The business on the public record, ``Gone`` for a removed listing,
    ``NotFound`` for anything else (module docstring). A ``viewer`` who may see
    the business whatever its status (its own staff, the council over it,
    operators: ``businesses_visible_to``) gets it: the API's profile is also
    how they read an application. The public pages pass no viewer."""
    business = business_get(business_id)
    if business.status in PUBLIC_STATUSES:
        return business
    if (viewer is not None and getattr(viewer, "is_authenticated", False)
            and businesses_visible_to(viewer).filter(pk=business.pk).exists()):
        return business
    if business.approved_at is not None:
        raise Gone(_("该商户已不在平台公示"), subject=business, kind="status")
    raise NotFound(_("商户不存在"))


def directory_figures(business_ids) -> dict[int, dict]:
    """For each business: complaints (all time), settled, and the settlement rate
    (settled ÷ complaints, all time: the same definition as the profile's,
    ``ratings.selectors.rating_breakdown``). One query."""
    ids = list(business_ids)
    if not ids:
        return {}
    rows = (Complaint.objects.filter(business_id__in=ids).values("business_id")
            .annotate(total=Count("id"), settled=Count("id", filter=Q(settled_at__isnull=False))).order_by())
    out = {pk: {"total": 0, "settled": 0, "settlement_rate": None} for pk in ids}
    for r in rows:
        out[r["business_id"]] = {"total": r["total"], "settled": r["settled"],
                                 "settlement_rate": round(r["settled"] / r["total"], 3) if r["total"] else None}
    return out


def list_status(business_ids) -> dict[int, str]:
    """``black`` for a business with a published black-list entry, ``red`` for one
    with a confirmed red-list entry (the two cannot hold at once: publishing ends
    the red-list entry). Two queries."""
    ids = list(business_ids)
    if not ids:
        return {}
    out = {pk: "red" for pk in RedListEntry.objects.filter(
        business_id__in=ids, status=RedListEntry.Status.CONFIRMED).values_list("business_id", flat=True)}
    out.update({pk: "black" for pk in BlacklistEntry.objects.filter(
        business_id__in=ids, status=BlacklistEntry.Status.PUBLISHED).values_list("business_id", flat=True)})
    return out


def _case_row(c: Complaint) -> dict:
    return {
        "number": c.number, "created_at": c.created_at, "problem_type": c.problem_type, "state": c.state,
        "outcome": "settled" if c.settled_at else ("failed" if c.scored_at and c.stars == 0 else ""),
        "took_up": c.first_response_at is not None,
        "hours_to_first_response": hours_between(c.delivered_at, c.first_response_at),
        "hours_to_settle": hours_between(c.delivered_at, c.settled_at),
        "ended_at": c.scored_at or c.outcome_at,
    }


def recent_complaints(business: Business, *, limit: int = RECENT_COMPLAINTS) -> list[dict]:
    """The business's latest complaints, newest first, as the public may see them. One query."""
    rows = (Complaint.objects.filter(business_id=business.pk).only(*PUBLIC_CASE_FIELDS)
            .order_by("-created_at", "-id")[:limit])
    return [_case_row(c) for c in rows]


def business_listings(business: Business) -> dict:
    """The business's public list entries: the published black-list entry and the
    confirmed red-list entry, each or ``None``. Two queries."""
    return {
        "black": BlacklistEntry.objects.filter(business_id=business.pk,
                                               status=BlacklistEntry.Status.PUBLISHED).first(),
        "red": RedListEntry.objects.filter(business_id=business.pk, status=RedListEntry.Status.CONFIRMED).first(),
    }


# ------------------------------------------------------------------ list entries


def _entry_id(entry_id) -> int:
    try:
        return int(entry_id)
    except (TypeError, ValueError):
        raise NotFound(_("记录不存在")) from None


def public_black_entry(entry_id) -> BlacklistEntry:
    """A published black-list entry with its business and cases; ``Gone`` for one
    that was published and removed (``kind``: rule, appeal or decision);
    ``NotFound`` for a candidate, a dismissed one, or no entry."""
    entry = blacklist_entries().filter(pk=_entry_id(entry_id)).first()
    if entry is None or entry.published_at is None:
        raise NotFound(_("黑榜记录不存在"))
    if entry.status == BlacklistEntry.Status.PUBLISHED:
        return entry
    removal = (ListDecision.objects.filter(blacklist_entry=entry, action=ListDecision.Action.REMOVE)
               .order_by("-created_at", "-id").first())
    if removal is not None and removal.actor_id is None:
        kind = "rule"
    elif entry.appeals.filter(status="upheld").exists():
        kind = "appeal"
    else:
        kind = "decision"
    raise Gone(_("该黑榜记录已移出"), subject=entry,
               when=removal.created_at if removal else entry.decided_at, kind=kind)


def public_red_entry(entry_id) -> RedListEntry:
    """A confirmed red-list entry; ``Gone`` for one confirmed and later removed
    (``kind`` ``blacklisted`` when it left because the business was published on
    the black list, else ``decision``); ``NotFound`` otherwise."""
    entry = redlist_entries().filter(pk=_entry_id(entry_id)).first()
    if entry is None:
        raise NotFound(_("红榜记录不存在"))
    if entry.status == RedListEntry.Status.CONFIRMED:
        return entry
    confirmed = ListDecision.objects.filter(redlist_entry=entry, action=ListDecision.Action.CONFIRM).exists()
    if entry.status != RedListEntry.Status.REMOVED or not confirmed:
        raise NotFound(_("红榜记录不存在"))
    black = BlacklistEntry.objects.filter(business_id=entry.business_id, published_at=entry.decided_at).first()
    raise Gone(_("该商户已移出消费者满意商户名单"), subject=entry,
               when=entry.decided_at, kind="blacklisted" if black else "decision", related=black)
