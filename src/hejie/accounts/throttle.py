"""Sign-in throttling: how long a client address waits after wrong passwords or wrong SMS codes.

The rule (``settings.HEJIE_SIGNIN_THROTTLE``, from the environment; README "Security"):

- wrong tries are counted per (account, client address): the account is a username for
  passwords and a phone number for SMS codes. After ``failures`` (5) of them that pair cools off
  for ``cooloff`` (15 minutes; SMS codes ``code_cooloff``, 5 minutes), counted from the last
  failure; every further failure after a cool-off doubles it, up to ``cooloff_max`` (12 hours).
  During a cool-off every try from that address for that account is refused before the secret
  is looked at (even the right one) and is not counted;
- a client address also has at most ``ip_failures`` (30) wrong tries in a rolling ``ip_window``
  (15 minutes), whatever the accounts: one address spraying many usernames or phones is stopped;
- the account itself is never locked: the owner signs in from another address throughout, so a
  guesser cannot lock a real user out. The address an IPv6 client counts on is its /64 network;
- failures older than ``horizon()`` (a day, or twice the longest cool-off) no longer count and
  are pruned; a right password or code clears that pair's failures (they still count for the address).

Every failure is a row (``PasswordFailure``, ``CodeFailure``) the operator sees in the admin.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, int] = {
    "failures": 5,
    "cooloff": 15 * 60,
    "cooloff_max": 12 * 3600,
    "ip_failures": 30,
    "ip_window": 15 * 60,
    "code_cooloff": 5 * 60,
    "code_failures": 30,
}


def rule() -> dict[str, int]:
    """The rule in force: the settings over the defaults."""
    configured: dict[str, Any] = getattr(settings, "HEJIE_SIGNIN_THROTTLE", None) or {}
    return {**DEFAULTS, **{k: int(v) for k, v in configured.items() if k in DEFAULTS}}


def horizon() -> dt.timedelta:
    """How long a failure counts (and is kept): a day, or twice the longest cool-off if that is longer."""
    return max(dt.timedelta(days=1), dt.timedelta(seconds=2 * rule()["cooloff_max"]))


def cooloff_seconds(count: int, *, base: int) -> int:
    """The cool-off after ``count`` counted failures of a pair (0 below the limit): ``base`` at the limit,
    doubled for every failure beyond it, at most ``cooloff_max``."""
    r = rule()
    if count < r["failures"]:
        return 0
    return int(min(base * 2 ** min(count - r["failures"], 40), r["cooloff_max"]))


def cooloff_wait(times: Sequence[dt.datetime], *, base: int, now: dt.datetime) -> int | None:
    """Seconds the pair whose counted failures happened at ``times`` (ascending) still waits; None when
    it may try now."""
    length = cooloff_seconds(len(times), base=base)
    if not length:
        return None
    until = times[-1] + dt.timedelta(seconds=length)
    if now >= until:
        return None
    return max(1, math.ceil((until - now).total_seconds()))


def window_wait(times: Sequence[dt.datetime], *, limit: int, window: dt.timedelta, now: dt.datetime) -> int | None:
    """Seconds until a rolling ``window`` holding failures at ``times`` (ascending, all inside it) has
    room for one more; None if it has."""
    if len(times) < limit:
        return None
    leaves_at = times[len(times) - limit] + window
    return max(1, math.ceil((leaves_at - now).total_seconds()))
