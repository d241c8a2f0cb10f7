"""Working days in mainland China, for the T+1 problem list and investigation deadlines.

Working days follow the State Council's holiday schedule: statutory holidays
are days off and some weekends are make-up working days. The
``chinesecalendar`` package knows the published years. A year's schedule is
published late in the year before, so a holiday file can add or override
days; for a year that neither knows, the calendar falls back to "Monday to
Friday are working days" and logs a WARNING, once per year.

Holiday file: CSV with a header row and columns ``date`` (YYYY-MM-DD) and
``kind`` (``holiday`` or ``workday``; 休息日/节假日 and 工作日/调休上班 are
accepted too), plus any other columns, which are ignored.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar

from kycgraph.errors import ConfigError

logger = logging.getLogger(__name__)

_HOLIDAY_WORDS = {"holiday", "休息日", "节假日", "假日"}
_WORKDAY_WORDS = {"workday", "工作日", "调休上班", "补班"}

# Working days that the channel's back office has to finish an investigation,
# counted from the day the problem list is issued.
INVESTIGATION_WORKING_DAYS = 3


def read_holiday_file(path: Path) -> dict[date, bool]:
    """Read a holiday file into {day: is_working_day}.

    Raises:
        ConfigError: the file is missing, lacks the ``date`` or ``kind``
            column, or a row has an invalid date or kind (the row number is
            given, header = row 1).
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: holiday file not found") from exc
    reader = csv.DictReader(text.splitlines())
    missing = sorted({"date", "kind"} - set(reader.fieldnames or []))
    if missing:
        raise ConfigError(f"{path}: missing columns {', '.join(missing)}; expected a header with date,kind")
    days: dict[date, bool] = {}
    for row_number, row in enumerate(reader, start=2):
        try:
            day = date.fromisoformat((row["date"] or "").strip())
        except ValueError as exc:
            raise ConfigError(f"{path}: row {row_number}: invalid date {row['date']!r}; expected YYYY-MM-DD") from exc
        kind = (row["kind"] or "").strip().lower()
        if kind in _HOLIDAY_WORDS:
            days[day] = False
        elif kind in _WORKDAY_WORDS:
            days[day] = True
        else:
            raise ConfigError(
                f"{path}: row {row_number}: invalid kind {row['kind']!r}; expected holiday or workday"
            )
    return days


@dataclass
class WorkingCalendar:
    """Decides whether a day is a working day; see the module docstring for the sources."""

    overrides: dict[date, bool] = field(default_factory=dict)
    fallback_years: set[int] = field(default_factory=set)

    @classmethod
    def from_file(cls, path: Path | None) -> WorkingCalendar:
        return cls(read_holiday_file(path) if path is not None else {})

    def is_working_day(self, day: date) -> bool:
        """Return whether ``day`` is a working day: the holiday file, then chinesecalendar, then Monday–Friday."""
        if day in self.overrides:
            return self.overrides[day]
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            if day.year not in self.fallback_years:
                self.fallback_years.add(day.year)
                logger.warning(
                    "no holiday schedule for %d in chinesecalendar or the holiday file; "
                    "counting Monday to Friday as working days for that year",
                    day.year,
                )
            return day.weekday() < 5

    def next_working_day(self, day: date) -> date:
        """Return the first working day strictly after ``day``."""
        candidate = day + timedelta(days=1)
        while not self.is_working_day(candidate):
            candidate += timedelta(days=1)
        return candidate

    def add_working_days(self, day: date, count: int) -> date:
        """Return the day ``count`` working days after ``day`` (``day`` itself is not counted)."""
        for _ in range(count):
            day = self.next_working_day(day)
        return day


@dataclass(frozen=True)
class ProblemListDates:
    """When a run's problem list is issued and when its investigations are due."""

    detected_on: date
    issue_date: date
    investigation_due: date
    weekends_only_years: tuple[int, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "detected_on": self.detected_on.isoformat(),
            "issue_date": self.issue_date.isoformat(),
            "investigation_due": self.investigation_due.isoformat(),
            "weekends_only_years": list(self.weekends_only_years),
        }


def problem_list_dates(detected_on: date, calendar: WorkingCalendar) -> ProblemListDates:
    """Return the T+1 issue date and the investigation deadline of a problem list.

    The list is issued on the first working day after the detection day (T+1),
    and the channel's back office must finish each investigation within
    ``INVESTIGATION_WORKING_DAYS`` working days of the issue date, the last of
    those days included.

    Notes:
        The regulation also requires every investigation to end within the
        policy's cooling-off period, whichever comes first; that per-policy
        bound is in the repeat-offender re-check list, not in this date.
    """
    issue = calendar.next_working_day(detected_on)
    due = calendar.add_working_days(issue, INVESTIGATION_WORKING_DAYS)
    return ProblemListDates(detected_on, issue, due, tuple(sorted(calendar.fallback_years)))
