"""Goal-market prices read from a division file, keyed like the match table."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from matchcast.data.sources.fetch import Fetcher
from matchcast.data.sources.football_data import parse_division_file
from matchcast.data.sources.goal_prices import parse_goal_prices, read_goal_prices

CSV = (
    b"Div,Date,Time,HomeTeam,AwayTeam,FTHG,FTAG,FTR,PSH,PSD,PSA,P>2.5,P<2.5,PC>2.5,PC<2.5,"
    b"AHh,PAHH,PAHA,AHCh,PCAHH,PCAHA\r\n"
    b"E0,16/08/2024,20:00,Man United,Fulham,1,0,H,1.63,4.38,5.3,1.56,2.56,1.63,2.38,"
    b"-1,2.07,1.86,-0.75,1.83,2.11\r\n"
    b"E0,17/08/2024,12:30,Ipswich,Liverpool,0,2,A,8.18,5.84,1.34,1.41,3,1.37,x,"
    b"1.5,1.99,1.92,1.5,2.04,1.9\r\n"
)


def test_prices_join_the_match_table_by_match_id() -> None:
    prices = parse_goal_prices(CSV, "mmz4281/2425/E0.csv", "E0", "2024-25")
    canonical, _ = parse_division_file(CSV, "mmz4281/2425/E0.csv", "E0", "2024-25")
    assert prices["match_id"].tolist() == canonical["match_id"].tolist()
    first = prices.iloc[0]
    assert first["ou25_close_over"] == 1.63 and first["ou25_close_under"] == 2.38
    assert first["ah_close_line"] == -0.75 and first["ah_close_home"] == 1.83
    assert first["ah_pre_line"] == -1.0
    # An unreadable price is missing, not zero; a column absent from the file too.
    assert np.isnan(prices.iloc[1]["ou25_close_under"])
    assert prices["ou25_max_over"].isna().all()


def test_read_goal_prices_skips_missing_files(tmp_path: Path) -> None:
    folder = tmp_path / "mmz4281" / "2425"
    folder.mkdir(parents=True)
    (folder / "E0.csv").write_bytes(CSV)
    prices = read_goal_prices(str(tmp_path), Fetcher(tmp_path / "cache"), ["E0", "D1"], ["2024-25"])
    assert len(prices) == 2
    assert prices["match_id"].str.startswith("E0-2024-08-1").all()
