"""Consumers' personal data: how it is masked for whoever does not hold the right. The one place.

Who holds the right on an order is ``hejie.accounts.access.may_see_personal_data_on`` (the
consumer on their own orders; the staff of the business the order was delivered to while that
business is active; council staff and operators granted ``sees_personal_data`` on the orders of
their jurisdiction). Whoever asks about no particular order (the council's exports) is asked
``access.may_see_personal_data``. Everyone else sees, on every face (the API, the pages, the
exports, the notices and the webhooks):

* the consumer's phone as ``138****1234`` (the last four digits, as 12315 shows them), the name
  as its first character and asterisks (``consumer_view``);
* every free text of the order (the description, messages of every side, offers and their
  refusals, reasons, notes, comments, mediation terms, the timeline's payloads) through
  ``scrub``, which masks what identifies a person inside it:

  - 18-character ID-card numbers (spaces allowed between the region, the birth date and the
    rest) with a real birth date: the first 6 characters, then asterisks. The check character is
    not required, so a mistyped number is masked too; the birth date spares most other 18-digit
    numbers;
  - bank-card numbers, 16 to 19 digits written together or in groups of four, that pass the Luhn
    check: the first 6 and last 4 digits. Every issued card (UnionPay's included) carries a Luhn
    check digit; order and waybill numbers of the same length, which the business and the
    council must read, pass it only one time in ten, so requiring it masks every real card and
    leaves nine order numbers in ten readable;
  - mainland mobile numbers (``+86``/``0086``/``86`` before them, spaces, dots or dashes inside
    allowed): ``138****1234``;
  - landline numbers with their area code (``027-85551234``, ``(0755) 1234 5678``): the area
    code and the last four digits;
  - e-mail addresses: ``a***@domain``.

The rest of the text is left as written (but for full-width digits, given as ASCII ones): it is
what the reader must read. ``scrub`` is idempotent (a masked text scrubs to itself).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hejie.accounts.access import OrderRow, Viewer, may_see_personal_data, may_see_personal_data_on
from hejie.accounts.phones import mask_phone

if TYPE_CHECKING:
    from hejie.accounts.models import User

__all__ = ["consumer_view", "mask_name", "mask_phone", "masker", "redact", "refuse_redacted", "scrub", "scrub_data",
           "text_for"]

_DATE = r"(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_ID_CARD = re.compile(rf"(?<![\dA-Za-z])([1-9]\d{{5}}) ?({_DATE}) ?(\d{{3}}[\dXx])(?![\dA-Za-z])")
_CARD = re.compile(r"(?<![\dA-Za-z])(\d{4}(?:[ -]\d{4}){3})((?:[ -]?\d){1,3})?(?![\dA-Za-z])"
                   r"|(?<![\dA-Za-z])(\d{16,19})(?![\dA-Za-z])")
_MOBILE = re.compile(r"(?<!\d)(?:(?:\+|00)?86[\s.-]?)?(1[3-9]\d)[\s.-]?(\d{4})[\s.-]?(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<![\d(])(\(0\d{2,3}\)|0\d{2,3})[\s-]?(\d{3,4})[\s-]?(\d{4})(?!\d)")
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")


def mask_name(name: str | None) -> str:
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, min(len(name) - 1, 3))


def _digits(text: str) -> str:
    """The digits of ``text`` as ASCII (a phone keyboard may type full-width ones)."""
    return "".join(str(unicodedata.digit(ch)) for ch in text if ch.isdigit())


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    grouped, tail, plain = match.group(1), match.group(2), match.group(3)
    candidates = [match.group(0)] if plain else [match.group(0), grouped] if tail else [grouped]
    for candidate in candidates:
        digits = _digits(candidate)
        if 16 <= len(digits) <= 19 and luhn(digits):
            masked = digits[:6] + "*" * (len(digits) - 10) + digits[-4:]
            return masked + match.group(0)[len(candidate):]
    return match.group(0)


_FULL_WIDTH = str.maketrans("０１２３４５６７８９＋－Ｘｘ", "0123456789+-Xx")


def scrub(text: str | None) -> str:
    """``text`` with ID-card, bank-card, mobile and landline numbers and e-mail addresses masked.
    Full-width digits (a phone keyboard types them) are read as the digits they are."""
    text = text or ""
    if not text:
        return text
    text = text.translate(_FULL_WIDTH)
    text = _ID_CARD.sub(lambda m: m.group(1) + "*" * 12, text)
    text = _CARD.sub(_card, text)
    text = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    text = _LANDLINE.sub(lambda m: f"{m.group(1)}-****{m.group(3)}", text)
    return _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)


def scrub_data(value: Any) -> Any:
    """A JSON-like value (an event's payload) with every string in it scrubbed."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {key: scrub_data(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_data(item) for item in value]
    return value


REDACTED = "_hejie_redacted"


def redact(obj: Any, **values: Any) -> None:
    """Set masked ``values`` on a loaded row, for reading only: the row is marked, and saving a
    marked row raises (``refuse_redacted``, connected to every model's ``pre_save``), so a masked
    phone can never be written back over the real one."""
    for name, value in values.items():
        setattr(obj, name, value)
    setattr(obj, REDACTED, True)


def refuse_redacted(sender: type, instance: Any, **kwargs: Any) -> None:
    if getattr(instance, REDACTED, False):
        raise TypeError(f"{sender.__name__} {instance.pk}: a row masked for reading cannot be saved")


def _unchanged(text: str | None) -> str:
    return text or ""


def masker(allowed: bool) -> Callable[[str | None], str]:
    """What free text goes through for a reader: as written if ``allowed``, else ``scrub``."""
    return _unchanged if allowed else scrub


def _allowed(user: Viewer, order: OrderRow | None) -> bool:
    return may_see_personal_data(user) if order is None else may_see_personal_data_on(user, order)


def consumer_view(user: Viewer, consumer: User, order: OrderRow | None = None) -> dict[str, str | bool]:
    """How ``user`` sees ``consumer`` (a User), on ``order`` if given: phone and name, masked or not."""
    if _allowed(user, order):
        return {"phone": consumer.phone or "", "name": consumer.display_name or "", "masked": False}
    return {"phone": mask_phone(consumer.phone), "name": mask_name(consumer.display_name), "masked": True}


def text_for(user: Viewer, text: str | None, order: OrderRow | None = None) -> str:
    """Free text as ``user`` may read it (on ``order`` if given)."""
    return masker(_allowed(user, order))(text)
