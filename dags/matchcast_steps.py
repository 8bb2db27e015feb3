"""How the matchcast DAGs run a step: one BashOperator per ``matchcast workflow STEP``.

The DAGs hold no domain logic. Each task runs the project's command line, which runs a
group of DVC stages in the project folder (``src/matchcast/tasks/workflow.py``); DVC
decides what is stale, and ``dvc.lock`` versions every run. matchcast is not installed in
Airflow's virtualenv: tasks call its executable.

Where things are (first match wins):

- the ``matchcast`` executable: Airflow Variable ``matchcast_bin``, else the environment
  variable ``MATCHCAST_BIN``, else ``<checkout>/.venv/bin/matchcast``;
- the DVC project folder: Variable ``matchcast_project_dir``, else ``MATCHCAST_PROJECT_DIR``,
  else the checkout that holds this ``dags`` folder.

Every other ``MATCHCAST_*`` setting (database, MLflow, API URL and key) reaches the command
from the worker's environment.

Each step runs as of the run's logical date (``ds``) unless the run sets ``as_of``
(``YYYY-MM-DD``): the day is handed to the stages (``--as-of``, ``MATCHCAST_TODAY``) and
``params.yaml`` is never edited. With ``data.as_of: today`` the daily run therefore moves
forward by itself, and a task cleared and re-run alone sees its run's day (ADR-0013).

All tasks share the pool ``matchcast`` (create it with one slot:
``airflow pools set matchcast 1 "one matchcast step at a time"``): both DAGs work in the
same DVC project, and DVC refuses two concurrent runs in one project.

This module defines no DAG (it is listed in ``.airflowignore``); the DAG files import it.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import Param

CHECKOUT = Path(__file__).resolve().parents[1]
POOL = "matchcast"

# Defaults when the Airflow Variables are not set; rendered through user_defined_macros.
MACROS: dict[str, Any] = {
    "matchcast_default_bin": os.environ.get(
        "MATCHCAST_BIN", str(CHECKOUT / ".venv" / "bin" / "matchcast")
    ),
    "matchcast_default_project_dir": os.environ.get("MATCHCAST_PROJECT_DIR", str(CHECKOUT)),
}

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "matchcast",
    "retries": 2,
    "retry_delay": dt.timedelta(minutes=2),
    "retry_exponential_backoff": 2.0,  # 2, 4, ... minutes, at most 20
    "max_retry_delay": dt.timedelta(minutes=20),
    "pool": POOL,
}

PARAMS: dict[str, Param] = {
    "as_of": Param(
        None,
        type=["null", "string"],
        format="date",
        pattern=r"^\d{4}-\d{2}-\d{2}$",
        title="as_of",
        description="The day (YYYY-MM-DD) the steps run as; null: the run's logical date.",
    )
}

# Values reach bash through the environment, never spliced into the command text.
_COMMAND = 'exec "$MATCHCAST_BIN" workflow {step} --project-dir "$MATCHCAST_PROJECT_DIR"{as_of}'
_AS_OF = ' ${MATCHCAST_AS_OF:+--as-of "$MATCHCAST_AS_OF"}'


def matchcast_step(
    step: str,
    *,
    timeout: dt.timedelta,
    task_id: str | None = None,
    as_of: bool = True,
) -> BashOperator:
    """A task that runs ``matchcast workflow <step>`` in the project folder.

    Args:
        step: A step of ``matchcast workflow`` (refresh-data, validate, batch-inference, ...).
        timeout: The task's execution timeout.
        task_id: Default: the step with ``_`` for ``-``.
        as_of: Pass the run's ``as_of`` parameter to the step.
    """
    env = {
        "MATCHCAST_BIN": "{{ var.value.get('matchcast_bin', matchcast_default_bin) }}",
        "MATCHCAST_PROJECT_DIR": (
            "{{ var.value.get('matchcast_project_dir', matchcast_default_project_dir) }}"
        ),
    }
    if as_of:
        env["MATCHCAST_AS_OF"] = "{{ params.as_of or ds }}"
    return BashOperator(
        task_id=task_id or step.replace("-", "_"),
        bash_command=_COMMAND.format(step=step, as_of=_AS_OF if as_of else ""),
        env=env,
        append_env=True,
        skip_on_exit_code=None,
        execution_timeout=timeout,
    )
