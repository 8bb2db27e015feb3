"""The served model: the registered version behind an alias, loaded through the registry."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd
from mlflow.entities.model_registry import ModelVersion
from mlflow.tracking import MlflowClient

from matchcast.models import registry


@dataclass(frozen=True)
class Champion:
    """The registered model version behind an alias, loaded as a pyfunc."""

    name: str
    alias: str
    version: ModelVersion
    model: Any  # mlflow.pyfunc.PyFuncModel
    feature_columns: list[str]

    @property
    def tags(self) -> dict[str, str]:
        """The model version's tags."""
        return dict(self.version.tags or {})


def _feature_columns(version: ModelVersion, model: Any, features: pd.DataFrame) -> list[str]:
    tag = (version.tags or {}).get("feature_columns")
    if tag:
        return [str(c) for c in json.loads(tag)]
    schema = getattr(getattr(model, "metadata", None), "get_input_schema", lambda: None)()
    if schema is not None and schema.has_input_names():
        return [str(n) for n in schema.input_names()]
    return [c for c in features.columns if str(c).startswith("f_")]


class NoChampionError(LookupError):
    """No registered version carries the alias to serve."""


def load_champion(client: MlflowClient, features: pd.DataFrame, name: str, alias: str) -> Champion:
    """Load ``models:/<name>@<alias>`` (:func:`registry.load_by_alias`) and its metadata.

    Args:
        client: Registry client (tracking and registry URIs already set).
        features: The features frame (fallback for the feature column list).
        name: Registered model name.
        alias: Alias to serve, normally ``champion``.

    Returns:
        The loaded champion.

    Raises:
        NoChampionError: No version carries the alias.
    """
    version = registry.alias_version(client, alias, name)
    if version is None:
        raise NoChampionError(
            f"registered model {name!r} has no {alias!r} alias: no version has passed the "
            "release gates yet (or the register stage has not run)"
        )
    model = registry.load_by_alias(alias, name)
    columns = _feature_columns(version, model, features)
    return Champion(name=name, alias=alias, version=version, model=model, feature_columns=columns)
