"""Working days: the national schedule, holiday-file overrides and the weekends-only fallback."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest

from kycgraph.errors import ConfigError
from kycgraph.workdays import WorkingCalendar, problem_list_dates, read_holiday_file


def test_workdays_national_day_is_holiday() -> None:
    calendar = WorkingCalendar()
    assert not calendar.is_working_day(date(2026, 10, 1))
    assert calendar.fallback_years == set()


def test_workdays_next_after_friday_is_monday() -> None:
    # 2026-11-27 is an ordinary Friday.
    assert WorkingCalendar().next_working_day(date(2026, 11, 27)) == date(2026, 11, 30)


def test_workdays_make_up_saturday_counts() -> None:
    # Saturday 2026-02-14 is a make-up working day before the Spring Festival.
    assert WorkingCalendar().next_working_day(date(2026, 2, 13)) == date(2026, 2, 14)


def test_workdays_spring_festival_skipped() -> None:
    # The holiday runs from 2026-02-15 to 2026-02-23.
    assert WorkingCalendar().next_working_day(date(2026, 2, 14)) == date(2026, 2, 24)


def test_workdays_unknown_year_falls_back_with_warning(caplog: pytest.LogCaptureFixture) -> None:
    calendar = WorkingCalendar()
    with caplog.at_level(logging.WARNING, logger="kycgraph.workdays"):
        assert calendar.is_working_day(date(2031, 1, 6))
        assert not calendar.is_working_day(date(2031, 1, 4))
    assert calendar.fallback_years == {2031}
    assert len([r for r in caplog.records if "2031" in r.getMessage()]) == 1


def test_workdays_holiday_file_overrides(tmp_path: Path) -> None:
    path = tmp_path / "holidays.csv"
    path.write_text("date,kind,name\n2031-01-01,holiday,元旦\n2031-01-04,调休上班,\n", encoding="utf-8")
    calendar = WorkingCalendar.from_file(path)
    assert not calendar.is_working_day(date(2031, 1, 1))
    assert calendar.is_working_day(date(2031, 1, 4))


def test_workdays_holiday_file_bad_kind_names_row(tmp_path: Path) -> None:
    path = tmp_path / "holidays.csv"
    path.write_text("date,kind\n2031-01-01,holiday\n2031-01-02,maybe\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="row 3: invalid kind 'maybe'"):
        read_holiday_file(path)


def test_workdays_holiday_file_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "holidays.csv"
    path.write_text("day,kind\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="missing columns date"):
        read_holiday_file(path)


def test_problem_list_t_plus_one_and_three_days() -> None:
    # Detected on Friday 2026-12-04: issued Monday 12-07, due Thursday 12-10.
    dates = problem_list_dates(date(2026, 12, 4), WorkingCalendar())
    assert dates.issue_date == date(2026, 12, 7)
    assert dates.investigation_due == date(2026, 12, 10)
    assert dates.weekends_only_years == ()


def test_problem_list_across_national_day() -> None:
    # Detected on 2026-09-30: the National Day holiday follows.
    dates = problem_list_dates(date(2026, 9, 30), WorkingCalendar())
    assert dates.issue_date > date(2026, 10, 7)
    assert WorkingCalendar().is_working_day(dates.issue_date)
