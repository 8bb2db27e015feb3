"""The one clock: every "today" in matchcast comes from here.

``today()`` is the UTC date of the real clock. A scheduler that runs a day on purpose (the
daily Airflow DAG at its logical date, ``matchcast workflow --as-of``) sets
``MATCHCAST_TODAY`` for the stage processes it starts, so that every stage of one run sees
the same day even across midnight. Tests move the clock with time-machine.
"""

from __future__ import annotations

import datetime as dt
import os

TODAY_ENV = "MATCHCAST_TODAY"


def today() -> dt.date:
    """Today's date in UTC (``MATCHCAST_TODAY`` when a scheduler pinned the run's day).

    Raises:
        ValueError: ``MATCHCAST_TODAY`` is set but is not a YYYY-MM-DD date.
    """
    pinned = os.environ.get(TODAY_ENV, "").strip()
    if pinned:
        try:
            return dt.date.fromisoformat(pinned)
        except ValueError as error:
            raise ValueError(
                f"{TODAY_ENV} must be a date written YYYY-MM-DD, got {pinned!r}"
            ) from error
    return now().date()


def now() -> dt.datetime:
    """The current UTC time (aware)."""
    return dt.datetime.now(dt.UTC)
