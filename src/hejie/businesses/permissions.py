"""Who may do what to a business. Pure checks, no queries beyond the actor's region."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hejie.accounts.models import User
    from hejie.businesses.models import Business


def is_operator(user: User | None) -> bool:
    """Operators run the system; a superuser counts as one."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.role == "operator" or bool(user.is_superuser)


def oversees(user: User | None, business: Business) -> bool:
    """Council staff whose jurisdiction contains the business, or an operator."""
    if is_operator(user):
        return True
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.role != "council" or user.region_id is None:
        return False
    region = user.region
    return getattr(business, region.level_field) == region.code


def administers(user: User | None, business: Business) -> bool:
    """The business's own admin staff, or an operator."""
    if is_operator(user):
        return True
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.role == "business" and user.business_id == business.pk and bool(user.is_business_admin)
