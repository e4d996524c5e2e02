"""Surges: a business or an industry whose complaints in the last days rise well
above its own normal — a gym about to close, a food-safety incident — flagged on
the council's dashboard on the first day.

The rule (a one-sided Poisson test against the key's own baseline):

* ``recent``: complaints filed today and on the ``RECENT_DAYS − 1`` days before
  (calendar days in Asia/Shanghai, up to ``now``: between two and three days of
  filing); ``baseline``: complaints filed on the ``BASELINE_DAYS`` days before
  those. Whole calendar days, so that both counts come from the daily figures
  (``hejie.complaints.figures``) however many orders lie behind them.
* ``expected`` = the baseline's daily rate × the days the recent window has
  lasted so far (2 at midnight, 3 at the end of today); the daily rate is at
  least ``FLOOR_PER_DAY``, so a business with no history is compared with
  "about one complaint a month", not with zero.
* Flagged when all three hold: ``recent >= MIN_COUNT`` (a handful of complaints
  is never a surge); ``recent >= MIN_RATIO × expected`` (a real rise, not
  statistical noise on a large industry); and P(X >= recent | X ~ Poisson(expected))
  < ``ALPHA`` (not chance for this key's normal). With the floor, a business with
  no history is flagged from ``MIN_COUNT`` complaints in three days.

Complaints are counted by their filing time; orders against no business on the
platform have no business and no industry and are not counted.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet, Sum

from hejie.businesses.models import Business, Industry
from hejie.complaints import figures as daily
from hejie.core import clock

if TYPE_CHECKING:
    from hejie.complaints.models import DayBusinessFigures, DayFigures
    from hejie.regions.models import Region

RECENT_DAYS = 3
BASELINE_DAYS = 28
MIN_COUNT = 5
MIN_RATIO = 1.5
ALPHA = 0.001
FLOOR_PER_DAY = 1 / 30

LEVELS = {"business": "business_id", "industry": "industry"}


def poisson_sf(k: int, lam: float) -> float:
    """P(X >= k) for X ~ Poisson(lam), exact to double precision for the sizes here."""
    if k <= 0:
        return 1.0
    if lam <= 0:
        return 0.0

    def pmf(i: int) -> float:
        return math.exp(i * math.log(lam) - lam - math.lgamma(i + 1))

    if k > lam:  # the upper tail shrinks term by term: sum it directly
        total, i = 0.0, k
        term = pmf(i)
        while term > 0 and term > total * 1e-17:
            total += term
            i += 1
            term *= lam / i
        return min(total, 1.0)
    return max(0.0, 1.0 - sum(pmf(i) for i in range(k)))


@dataclass(frozen=True)
class Verdict:
    recent: int
    baseline: int
    expected: float
    p_value: float
    flagged: bool

    @property
    def ratio(self) -> float:
        return self.recent / self.expected if self.expected else math.inf


def assess(recent: int, baseline: int, days: float = RECENT_DAYS) -> Verdict:
    """The rule above for one key's two counts, the recent window having lasted ``days`` days."""
    rate = max(baseline / BASELINE_DAYS, FLOOR_PER_DAY)
    expected = rate * days
    p_value = poisson_sf(recent, expected)
    flagged = recent >= MIN_COUNT and recent >= MIN_RATIO * expected and p_value < ALPHA
    return Verdict(recent=recent, baseline=baseline, expected=expected, p_value=p_value, flagged=flagged)


@dataclass(frozen=True)
class Surge:
    level: str  # "business" | "industry"
    key: int | str  # the business's id or the industry's code
    name: str
    verdict: Verdict
    since: dt.datetime  # the start of the recent window: the orders behind the flag are those filed since


@dataclass(frozen=True)
class Window:
    baseline_from: dt.date  # the first day of the baseline
    recent_from: dt.date  # the first day of the recent window (the baseline ends the day before)
    today: dt.date
    since: dt.datetime  # midnight (Asia/Shanghai) starting recent_from
    days: float  # how long the recent window has lasted at ``now``


def window(now: dt.datetime) -> Window:
    today = clock.local_date(now)
    recent_from = today - dt.timedelta(days=RECENT_DAYS - 1)
    since = dt.datetime.combine(recent_from, dt.time(), tzinfo=clock.SHANGHAI)
    return Window(baseline_from=recent_from - dt.timedelta(days=BASELINE_DAYS), recent_from=recent_from,
                  today=today, since=since, days=(now - since) / dt.timedelta(days=1))


def surges(*, region: Region | None = None, level: str = "business", now: dt.datetime | None = None) -> list[Surge]:
    """The flagged businesses (or industries) in ``region``'s subtree (everywhere if None),
    strongest first. One query over the daily figures of the last BASELINE_DAYS + RECENT_DAYS
    days, plus one for names when something is flagged."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {sorted(LEVELS)}")
    now = now or clock.now()
    w = window(now)
    key = LEVELS[level]
    scope: QuerySet[DayBusinessFigures] | QuerySet[DayFigures]
    if level == "business":
        scope = daily.business_rows(region=region, date_from=w.baseline_from, date_to=w.today)
    else:
        scope = daily.figure_rows(region=region, date_from=w.baseline_from, date_to=w.today).exclude(industry="")
    rows = (scope.values(key)
            .annotate(recent=Sum("total", filter=Q(day__gte=w.recent_from), default=0),
                      baseline=Sum("total", filter=Q(day__lt=w.recent_from), default=0))
            .filter(recent__gte=MIN_COUNT)
            .order_by())
    flagged = [(row[key], verdict) for row in rows
               if (verdict := assess(row["recent"], row["baseline"], w.days)).flagged]
    if not flagged:
        return []
    names = _names(level, [key_id for key_id, _ in flagged])
    found = [Surge(level=level, key=key_id, name=names.get(key_id, str(key_id)), verdict=verdict, since=w.since)
             for key_id, verdict in flagged]
    return sorted(found, key=lambda s: (s.verdict.p_value, -s.verdict.recent, s.key))


def _names(level: str, ids: list[int | str]) -> dict[int | str, str]:
    """Names as the pages show them: a business's own name; an industry's "中文 (english)"."""
    if level == "business":
        return dict(Business.objects.filter(pk__in=ids).values_list("pk", "name"))
    return {code: f"{zh} ({en})" for code, zh, en in
            Industry.objects.filter(pk__in=ids).values_list("pk", "name", "name_en")}
