"""Who may see and do what: the one place.

Every face (web, API) and every service or selector asks here instead of
comparing roles or writing the jurisdiction rule itself. This module sits low
in the stack (it imports only accounts, regions and core), so it never
imports the models it scopes: scopes are ``Q`` objects with a field
``prefix`` (``orders_q(user, prefix="complaint__")``) that any model can
filter by, and predicates read only the fields an object carries
(``consumer_id``, ``business_id``, ``region_l1/l2/l3``...).

Who is who (``role`` is ``User.Role``; the predicates answer False for
``None``, an anonymous visitor and an inactive account):

* consumer: ``is_consumer``; signs in by SMS code, has no password.
* business staff: ``is_business_staff`` (of ``user.business``);
  ``is_business_admin``: also manages the business (staff, webhooks, standards).
* council staff: ``is_council`` (of the jurisdiction ``user.region``).
* operator: ``is_operator``: the role, or a Django superuser (whatever its
  role: the operator's rules are checked first, so a superuser sees all).
* partner staff: ``is_partner_staff`` (of ``user.partner``).
* ``is_overseer``: council staff or an operator (the council's console).

The jurisdiction rule, once: council staff of a region see its whole subtree
(the province's council sees every prefecture and county in it; a county's
council only that county). Rows carrying the copied codes
``region_l1/l2/l3`` (orders, businesses) are in it when their code at the
region's level equals the region's code (``jurisdiction_q``, ``within``);
a ``Region`` row (or a row reached through a foreign key to one, such as a
partner's region) by its own ``l1/l2/l3`` (``region_tree_q``). Operators'
jurisdiction is the whole country.

What each sees and may do (``-``: nothing). An inactive account gets
nothing from any of these, not even the visitor's view::

    object / action        consumer   business staff      council staff        operator  partner staff  visitor
    ---------------------  ---------  ------------------  -------------------  --------  -------------  -------
    orders (orders_q)      own        delivered to their  jurisdiction         all       -              -
                                      business
    side on an order       consumer   business            council              council   -              -
      (order_role)
    businesses             active     own only            jurisdiction         all       active         active
      (businesses_q)
    manage a business      -          its admins          -                    yes       -              -
      (may_manage_business: staff accounts, webhooks, accepting standards)
    oversee a business     -          -                   in jurisdiction      yes       -              -
      (in_jurisdiction: approve, suspend, lists, appeals)
    partners (partners_q)  -          -                   registered in        all       own            -
                                                          jurisdiction
    partner imports        -          -                   -                    all       own partner's  -
      (imports_q)
    write a standard       -          -                   -                    yes       their          -
      (is_partner_staff_of)                                                              association's
    personal data          -          -                   if granted           if        -              -
      (may_see_personal_data: unmasked phones, names)     (sees_personal_data) granted
    personal data on an    own        delivered to their  if granted, in       if        -              -
      order (may_see_personal_data_on: business, while it jurisdiction         granted
      phone, name, free    is active
      text in full; as a filter: personal_data_q)
    change a password      -          yes                 yes                  yes       yes            -
      (may_change_password: staff accounts with a usable password)
    file a complaint       yes        -                   -                    -         -              -

Who is told (recipients, active accounts): ``business_staff`` (a business's
staff; ``active_only=False`` also lists the deactivated, for its admins) and
``council_members`` / ``council_covering`` (the councils of a region and the
regions above it); ``staff_members`` (every active staff member of a business, a council or a
partner: the daily digest's readers).

Account kinds (``is_consumer_account``, ``is_staff_account``,
``may_become_staff``) ask what kind of account it is whether or not it is
active: sign-in and joining rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Protocol, TypeAlias, TypeGuard

from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, Q, QuerySet

from hejie.accounts.models import User
from hejie.regions.models import Region

Role = User.Role

Viewer: TypeAlias = User | AnonymousUser | None
"""Whoever asks: an account, an anonymous visitor (``request.user``), or nobody (a script)."""


class RegionalRow(Protocol):
    """A row carrying the copied region codes (an order, a business)."""

    @property
    def region_l1(self) -> str | None: ...
    @property
    def region_l2(self) -> str | None: ...
    @property
    def region_l3(self) -> str | None: ...


class OrderRow(RegionalRow, Protocol):
    """What ``order_role`` reads of an order (``complaints.Complaint``, which sits above accounts)."""

    @property
    def consumer_id(self) -> int | None: ...
    @property
    def business_id(self) -> int | None: ...
    @property
    def delivered_at(self) -> dt.datetime | None: ...

# businesses.Business.Status.ACTIVE: the public sees active businesses (accounts sits below businesses)
ACTIVE_BUSINESS = "active"


def _nothing(prefix: str = "") -> Q:
    """A filter that matches no row (Django answers it without a query)."""
    return Q(**{f"{prefix}pk__in": []})


# ------------------------------------------------------------------ who is who


def _authenticated(user: Viewer) -> TypeGuard[User]:
    """An account, active or not (not an anonymous visitor, not nobody)."""
    return user is not None and bool(getattr(user, "is_authenticated", False))


def signed_in(user: Viewer) -> TypeGuard[User]:
    """An authenticated, active account. Every predicate below starts here. The predicates
    that answer True only for an account say so to the type checker (``TypeGuard``)."""
    return _authenticated(user) and bool(user.is_active)


def role_of(user: Viewer) -> Role | None:
    """The role of a signed-in, active user; None for anyone else."""
    return Role(user.role) if signed_in(user) else None


def is_operator(user: Viewer) -> TypeGuard[User]:
    """Operators run the system; a superuser counts as one."""
    return signed_in(user) and (user.role == Role.OPERATOR or bool(user.is_superuser))


def is_consumer(user: Viewer) -> TypeGuard[User]:
    return signed_in(user) and user.role == Role.CONSUMER


def is_business_staff(user: Viewer) -> TypeGuard[User]:
    return signed_in(user) and user.role == Role.BUSINESS and user.business_id is not None


def is_business_admin(user: Viewer) -> TypeGuard[User]:
    """Business staff who manage their business (its staff, webhooks, standards)."""
    return is_business_staff(user) and bool(user.is_business_admin)


def is_council(user: Viewer) -> TypeGuard[User]:
    return signed_in(user) and user.role == Role.COUNCIL and user.region_id is not None


def is_partner_staff(user: Viewer) -> TypeGuard[User]:
    return signed_in(user) and user.role == Role.PARTNER and user.partner_id is not None


def is_overseer(user: Viewer) -> TypeGuard[User]:
    """Council staff or an operator: the council's console and figures are theirs."""
    return is_operator(user) or is_council(user)


def is_staff_of_business(user: Viewer, business_id: int | None) -> TypeGuard[User]:
    """An active account of this business's staff."""
    return is_business_staff(user) and business_id is not None and user.business_id == business_id


def is_partner_staff_of(user: Viewer, partner_id: int | None) -> TypeGuard[User]:
    """An active account of this partner's staff."""
    return is_partner_staff(user) and partner_id is not None and user.partner_id == partner_id


# ------------------------------------------------------------------ account kinds (active or not)


def is_consumer_account(user: Viewer) -> TypeGuard[User]:
    """A consumer's account, active or not: it signs in by SMS code and has no password."""
    return _authenticated(user) and user.role == Role.CONSUMER


def is_staff_account(user: Viewer) -> TypeGuard[User]:
    """A signed-in account that is not a consumer's (business, council, operator, partner),
    active or not: staff sign in with a password, and do not file or apply to join."""
    return _authenticated(user) and user.role != Role.CONSUMER


def may_change_password(user: Viewer) -> TypeGuard[User]:
    """Staff accounts that have a usable password (consumers have none)."""
    return signed_in(user) and is_staff_account(user) and user.has_usable_password()


def may_become_staff(user: Viewer) -> TypeGuard[User]:
    """A consumer's account attached to no organisation yet: applying to join (a business or
    a partner), it becomes the organisation's first admin."""
    return is_consumer_account(user) and user.business_id is None and user.partner_id is None


# ------------------------------------------------------------------ the jurisdiction rule


def jurisdiction_q(region: Region, prefix: str = "") -> Q:
    """Rows carrying ``region_l1/l2/l3`` (behind ``prefix``) in ``region``'s subtree."""
    return Q(**region.subtree_filter(prefix))


def region_tree_q(region: Region, prefix: str = "") -> Q:
    """``Region`` rows in ``region``'s subtree, or rows reached through a foreign key to a
    region (``prefix="region__"``)."""
    return Q(**{f"{prefix}l{region.level}": region.code})


def within(region: Region, obj: Region | RegionalRow) -> bool:
    """Whether ``obj`` (a ``Region``, or a row carrying ``region_l1/l2/l3``) lies in
    ``region``'s subtree."""
    field = f"l{region.level}" if isinstance(obj, Region) else region.level_field
    code: str | None = getattr(obj, field)
    return code == region.code


def council_region(user: User) -> Region:
    """The jurisdiction of council staff: call it once ``is_council`` has said they are (they then have one)."""
    region = user.region
    if region is None:
        raise ValueError(f"council staff {user.pk} have no region")  # the database forbids it
    return region


def in_jurisdiction(user: Viewer, obj: Region | RegionalRow) -> bool:
    """Whether ``user`` oversees ``obj`` (an order, a business, a region): council staff whose
    jurisdiction contains it, or an operator (everywhere)."""
    if is_operator(user):
        return True
    return is_council(user) and within(council_region(user), obj)


# ------------------------------------------------------------------ scopes


def orders_q(user: Viewer, prefix: str = "") -> Q:
    """The orders ``user`` may see: consumers their own, business staff those delivered to their
    business (an order waiting in the council's queue, against a business applying, suspended or
    not yet claimed, is not the business's to read: its clock has not started), council staff
    their jurisdiction's, operators all; anyone else none."""
    if is_operator(user):
        return Q()
    if is_consumer(user):
        return Q(**{f"{prefix}consumer_id": user.pk})
    if is_business_staff(user):  # what was delivered to it: not what waits in the council's queue
        return Q(**{f"{prefix}business_id": user.business_id, f"{prefix}delivered_at__isnull": False})
    if is_council(user):
        return jurisdiction_q(council_region(user), prefix)
    return _nothing(prefix)


def personal_data_q(user: Viewer, prefix: str = "") -> Q:
    """The orders on which ``user`` holds the right to the consumer's personal data
    (``may_see_personal_data_on`` as a filter): a search of the orders' free text is limited to
    them, so that searching masked text tells nothing (a suspended business guessing a phone)."""
    if is_business_staff(user):
        return orders_q(user, prefix) & Q(**{f"{prefix}business__status": ACTIVE_BUSINESS})
    if is_consumer(user) or may_see_personal_data(user):
        return orders_q(user, prefix)
    return _nothing(prefix)


def businesses_q(user: Viewer, prefix: str = "") -> Q:
    """The businesses ``user`` may see: council staff their jurisdiction's, business staff
    their own, operators all, the public (visitors, consumers, partner staff) the active
    ones (their record is public); an inactive account none."""
    if not _authenticated(user):
        return Q(**{f"{prefix}status": ACTIVE_BUSINESS})
    if not user.is_active:
        return _nothing(prefix)
    if is_operator(user):
        return Q()
    if is_council(user):
        return jurisdiction_q(council_region(user), prefix)
    if user.role == Role.BUSINESS:
        return Q(**{f"{prefix}pk": user.business_id}) if user.business_id else _nothing(prefix)
    if user.role == Role.COUNCIL:
        return _nothing(prefix)  # council staff without a jurisdiction (the database forbids it)
    return Q(**{f"{prefix}status": ACTIVE_BUSINESS})


def partners_q(user: Viewer, prefix: str = "") -> Q:
    """The partners (applications included) ``user`` may see: operators all, council staff
    those registered in their jurisdiction, partner staff their own; nobody else any."""
    if is_operator(user):
        return Q()
    if is_council(user):
        return region_tree_q(council_region(user), f"{prefix}region__")
    if is_partner_staff(user):
        return Q(**{f"{prefix}pk": user.partner_id})
    return _nothing(prefix)


def imports_q(user: Viewer, prefix: str = "") -> Q:
    """The bulk imports ``user`` may see: operators all, partner staff their partner's."""
    if is_operator(user):
        return Q()
    if is_partner_staff(user):
        return Q(**{f"{prefix}partner_id": user.partner_id})
    return _nothing(prefix)


# ------------------------------------------------------------------ actions


def order_role(user: Viewer, order: OrderRow) -> Role | None:
    """The part ``user`` plays on ``order`` (a complaint): ``CONSUMER`` (their own),
    ``BUSINESS`` (delivered to their business), ``COUNCIL`` (in their jurisdiction; an operator acts as
    council everywhere); None if the order is not theirs to see."""
    if is_operator(user):
        return Role.COUNCIL
    if is_consumer(user):
        return Role.CONSUMER if order.consumer_id == user.pk else None
    if is_business_staff(user):
        mine = order.business_id == user.business_id and order.delivered_at is not None
        return Role.BUSINESS if mine else None
    if is_council(user):
        return Role.COUNCIL if within(council_region(user), order) else None
    return None


def may_manage_business(user: Viewer, business: Model) -> bool:
    """The business's own admin staff, or an operator."""
    return is_operator(user) or (is_business_admin(user) and user.business_id == business.pk)


def may_see_personal_data(user: Viewer) -> bool:
    """Council staff or operators whose account carries ``sees_personal_data`` (granted by an
    operator) see consumers' phone numbers and names unmasked."""
    return is_overseer(user) and bool(getattr(user, "sees_personal_data", False))


def business_in_good_standing(user: Viewer) -> bool:
    """Business staff whose business is active. A suspended business's staff still read and
    settle the orders delivered before the suspension, but with no consumer's personal data
    (``may_see_personal_data_on``). Reads ``user.business`` (one query unless loaded)."""
    if not is_business_staff(user):
        return False
    business = getattr(user, "business", None)
    return business is not None and getattr(business, "status", None) == ACTIVE_BUSINESS


def business_holds_personal_data(order: OrderRow) -> bool:
    """Whether the business of ``order`` (its staff, its webhooks, its notices) may read the
    consumer's personal data on it: the order was delivered to it and the business is active.
    Reads ``order.business`` (one query unless loaded)."""
    if order.business_id is None or order.delivered_at is None:
        return False
    business = getattr(order, "business", None)
    return business is not None and getattr(business, "status", None) == ACTIVE_BUSINESS


def may_see_personal_data_on(user: Viewer, order: OrderRow) -> bool:
    """Whether ``user`` sees the consumer's personal data on ``order`` in full (the phone, the
    name, and what the free text of the order holds: ``hejie.accounts.privacy``): the consumer
    on their own order; the staff of the business it was delivered to while that business is
    active (the business handling an order may call its consumer; a suspension ends that at
    once); council staff and operators granted ``sees_personal_data``, on the orders of their
    jurisdiction. Nobody else (a suspended business, partner staff, the public)."""
    role = order_role(user, order)
    if role == Role.CONSUMER:
        return True
    if role == Role.BUSINESS:  # the order's business is the user's
        return business_holds_personal_data(order)
    if role == Role.COUNCIL:
        return may_see_personal_data(user)
    return False


def may_see_personal_data_sent(user: Viewer) -> bool:
    """Whether what was addressed to ``user`` (their notices, kept from before) may be shown with
    the personal data it quotes: a consumer (about their own orders), the staff of an active
    business, council staff and operators granted the right. Not a suspended business's staff:
    the suspension also masks what they were told before it."""
    if is_consumer(user):
        return True
    if is_business_staff(user):
        return business_in_good_standing(user)
    return may_see_personal_data(user)


def may_file_complaints(user: Viewer) -> TypeGuard[User]:
    return is_consumer(user)


# ------------------------------------------------------------------ who is told


def business_staff(business_id: int, *, active_only: bool = True) -> QuerySet[User]:
    """The staff accounts of a business (the active ones unless ``active_only=False``)."""
    qs = User.objects.filter(role=Role.BUSINESS, business_id=business_id)
    return qs.filter(is_active=True) if active_only else qs


def council_members(codes: Iterable[str | None]) -> QuerySet[User]:
    """The active council staff of these regions (empty codes are skipped)."""
    return User.objects.filter(role=Role.COUNCIL, region_id__in=[c for c in codes if c], is_active=True)


def staff_members() -> QuerySet[User]:
    """The active staff of businesses, councils and partners (the readers of the daily digest);
    not operators, not consumers."""
    return User.objects.filter(
        Q(role=Role.BUSINESS, business__isnull=False) | Q(role=Role.COUNCIL, region__isnull=False)
        | Q(role=Role.PARTNER, partner__isnull=False), is_active=True)


def council_covering(obj: RegionalRow) -> QuerySet[User]:
    """The active council staff whose jurisdiction contains ``obj`` (a row carrying
    ``region_l1/l2/l3``): the councils of its county, city and province."""
    return council_members((obj.region_l1, obj.region_l2, obj.region_l3))
