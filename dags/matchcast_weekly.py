"""matchcast weekly: retrain on fresh data, evaluate, register, then forecast with the champion.

refresh_data → validate → train (features + train: Optuna walk-forward tuning, one fit per
test season) → evaluate (test seasons against the market and baselines) → register (MLflow:
gates, ``candidate``; ``champion`` moves only by the registry's rules) → batch_inference
(forecasts from whichever version is champion now) → reload.

Data is refreshed first so that the model is trained on the latest results; forecasting
right after registering means a new champion serves without waiting for the daily run.
Each task runs ``matchcast workflow <step>`` (see ``matchcast_steps.py``). Trigger with
``{"as_of": "YYYY-MM-DD"}`` to retrain as of a date (e.g. the start of a replay).
"""

from __future__ import annotations

import datetime as dt

import pendulum
from airflow.sdk import chain, dag
from matchcast_steps import DEFAULT_ARGS, MACROS, PARAMS, matchcast_step


@dag(
    dag_id="matchcast_weekly",
    description="Refresh data, retrain, evaluate, register, forecast, reload the API",
    schedule="0 3 * * 1",  # Monday 03:00 UTC: after the weekend's matches, before the daily run
    start_date=pendulum.datetime(2026, 1, 5, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=dt.timedelta(hours=6),
    default_args=DEFAULT_ARGS,
    params=PARAMS,
    user_defined_macros=MACROS,
    tags=["matchcast"],
    doc_md=__doc__,
)
def matchcast_weekly() -> None:
    chain(
        matchcast_step("refresh-data", timeout=dt.timedelta(minutes=30)),
        matchcast_step("validate", timeout=dt.timedelta(minutes=30)),
        matchcast_step("train", timeout=dt.timedelta(hours=2)),
        matchcast_step("evaluate", timeout=dt.timedelta(minutes=45)),
        matchcast_step("register", timeout=dt.timedelta(hours=1)),
        matchcast_step("batch-inference", timeout=dt.timedelta(minutes=45)),
        matchcast_step("reload", as_of=False, timeout=dt.timedelta(minutes=5)),
    )


matchcast_weekly()
