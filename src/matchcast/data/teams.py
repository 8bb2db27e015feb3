"""Team ids: one stable slug per club, whatever spelling a source uses in a given season.

Ids are slugs of the source's name (:func:`matchcast.data.normalize.slugify`). Where one
source spells the same club two ways across seasons, the alias table below maps the
variant onto the id the club carries in most seasons. Different clubs that merely look
alike (``real-madrid`` and its reserve side ``real-madrid-b``) are never merged.
"""

from __future__ import annotations

from typing import Final

import pandas as pd

# source → {variant id → canonical id}; each entry checked against the archive's seasons.
TEAM_ALIASES: Final[dict[str, dict[str, str]]] = {
    "football-data": {
        "u-las-palmas": "las-palmas",  # SP2 2000/01 only; "Las Palmas" in every other season
        "afc-telford-united": "telford-united",  # EC 2011/12 only; "Telford United" 2012/13–
    },
}


# The site's fixtures file spells clubs as its division files do.
SAME_NAMES_AS: Final[dict[str, str]] = {"fixtures": "football-data"}


def canonical_team_ids(ids: pd.Series, source: str) -> pd.Series:
    """Map a source's team slugs onto stable ids using the alias table."""
    aliases = TEAM_ALIASES.get(SAME_NAMES_AS.get(source, source), {})
    if not aliases:
        return ids
    return ids.replace(aliases)
