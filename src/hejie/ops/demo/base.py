"""What every part of the demo shares: the seed, the time units, the error."""

import datetime as dt

SEED = 20210315  # the day the Hubei platform opened

H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)
MIN = dt.timedelta(minutes=1)


class DemoError(Exception):
    """The demo could not be loaded (a service refused a step, or the database is not fit)."""

