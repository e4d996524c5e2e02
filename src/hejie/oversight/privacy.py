"""Consumers' personal data in the council's console and exports.

The rule (``hejie.accounts.access.may_see_personal_data``): a consumer's
phone number and name are shown in full only to council staff (or an
operator) whose account carries ``sees_personal_data``, which an operator
grants in the admin to the few who must call consumers (mediators).
Everyone else in the console sees them masked: the phone as ``138****1234``
(the last four digits, as 12315 shows them), the name as its first
character and asterisks.

A consumer's free text (the description, messages) may itself contain a phone
number, an ID card number or an e-mail address. For staff without the right,
``scrub`` masks those in the text too: mainland mobile numbers (also written
with spaces or dashes) as ``138****1234``, 18-character ID numbers as their
first 6 characters and asterisks, e-mail addresses as ``a***@domain``. The
rest of the text is left as written: it is what the council must read.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from hejie.accounts.access import Viewer, may_see_personal_data
from hejie.accounts.phones import mask_phone

if TYPE_CHECKING:
    from hejie.accounts.models import User

_MOBILE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")
_ID_CARD = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")


def mask_name(name: str | None) -> str:
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, min(len(name) - 1, 3))


def scrub(text: str | None) -> str:
    """``text`` with phone numbers, ID numbers and e-mail addresses masked."""
    text = text or ""
    text = _ID_CARD.sub(lambda m: m.group(1) + "*" * 12, text)
    text = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    return _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)


def consumer_view(user: Viewer, consumer: User) -> dict[str, str | bool]:
    """How ``user`` sees ``consumer`` (a User): phone and name, masked or not."""
    if may_see_personal_data(user):
        return {"phone": consumer.phone or "", "name": consumer.display_name or "", "masked": False}
    return {"phone": mask_phone(consumer.phone), "name": mask_name(consumer.display_name), "masked": True}


def text_for(user: Viewer, text: str | None) -> str:
    return (text or "") if may_see_personal_data(user) else scrub(text)
