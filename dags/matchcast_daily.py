"""matchcast daily: fresh data, forecasts for every scheduled match, monitoring, API reload.

refresh_data (ingest) → validate (validate + store) → batch_inference (features +
batch_inference, with the registered champion; no retraining) → monitor (drift and live
quality reports) → reload (the API swaps in the new files; a no-op without
``MATCHCAST_API_URL``).

Each task runs ``matchcast workflow <step>``; see ``matchcast_steps.py`` for where the
executable and the project folder come from. Every step runs as of the run's logical
date, so each day's run forecasts that day's fixtures; trigger with
``{"as_of": "YYYY-MM-DD"}`` to run another day (a replay).
"""

from __future__ import annotations

import datetime as dt

import pendulum
from airflow.sdk import chain, dag
from matchcast_steps import DEFAULT_ARGS, MACROS, PARAMS, matchcast_step


@dag(
    dag_id="matchcast_daily",
    description="Refresh data, validate, forecast scheduled matches, monitor, reload the API",
    schedule="0 6 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=dt.timedelta(hours=3),
    default_args=DEFAULT_ARGS,
    params=PARAMS,
    user_defined_macros=MACROS,
    tags=["matchcast"],
    doc_md=__doc__,
)
def matchcast_daily() -> None:
    chain(
        matchcast_step("refresh-data", timeout=dt.timedelta(minutes=30)),
        matchcast_step("validate", timeout=dt.timedelta(minutes=30)),
        matchcast_step("batch-inference", timeout=dt.timedelta(minutes=45)),
        matchcast_step("monitor", timeout=dt.timedelta(minutes=30)),
        matchcast_step("reload", as_of=False, timeout=dt.timedelta(minutes=5)),
    )


matchcast_daily()
