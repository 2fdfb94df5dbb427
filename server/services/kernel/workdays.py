"""Working days and legal periods on the Chinese calendar, and the clocks built on them.

- Working days come from `chinese_calendar`: statutory holidays are off, 调休 weekends (e.g. Sunday
  2024-09-29 and Saturday 2024-10-12) are working days. For a year the package has no data for yet,
  Monday–Friday count, except the fixed-date holidays (元旦 1.1, 劳动节 5.1, 国庆 10.1–10.3); such
  days are reported by `calendar_known` so pages can say the date is an estimate.
- "N 个工作日" (publication 20, correction 5, 《行政处罚法》第八十五条 "三日" for withdrawals):
  count working days after the start day.
- "N 日" in 国务院令第310号 (decision 3 days, police 3 days, …): calendar days after the start day;
  when the last day is a statutory day off the period ends on the next working day (民法典第二百零三条).
- Dates are local (Asia/Shanghai); timestamps are stored in UTC.
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import chinese_calendar

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
_FIXED_HOLIDAYS = {(1, 1), (5, 1), (10, 1), (10, 2), (10, 3)}
ONE_DAY = dt.timedelta(days=1)


def local_date(moment: dt.datetime) -> dt.date:
    """The Beijing-time calendar date of a UTC timestamp."""
    return moment.astimezone(LOCAL_TZ).date()


def local_midnight_utc(day: dt.date) -> dt.datetime:
    """The UTC instant at which the Beijing-time `day` begins."""
    return dt.datetime.combine(day, dt.time(0), LOCAL_TZ).astimezone(dt.timezone.utc)


def local_text(moment: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time as 北京时间 text (the services' twin of the `local_dt` template filter), or ""."""
    return moment.astimezone(LOCAL_TZ).strftime(fmt) if moment else ""


def today() -> dt.date:
    """Today in Beijing time."""
    return dt.datetime.now(LOCAL_TZ).date()


@functools.lru_cache(maxsize=8192)
def calendar_known(day: dt.date) -> bool:
    """Whether the holiday calendar has data for `day`'s year (otherwise working days are estimated)."""
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


@functools.lru_cache(maxsize=8192)
def is_workday(day: dt.date) -> bool:
    """Whether `day` is a working day (holidays off, 调休 weekends on)."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5 and (day.month, day.day) not in _FIXED_HOLIDAYS


def add_workdays(start: dt.date, n: int) -> dt.date:
    """The n-th working day after `start` (the start day itself is not counted)."""
    day, counted = start, 0
    while counted < n:
        day += ONE_DAY
        if is_workday(day):
            counted += 1
    return day


def workdays_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end` (0 when end ≤ start)."""
    count, day = 0, start
    while day < end:
        day += ONE_DAY
        if is_workday(day):
            count += 1
    return count


def period_end(start: dt.date, days: int) -> dt.date:
    """The last day of a "N 日" period: N calendar days after `start`, moved past a day off."""
    day = start + dt.timedelta(days=days)
    while not is_workday(day):
        day += ONE_DAY
    return day


def earliest_start_not_overdue(on: dt.date, n: int) -> dt.date:
    """The earliest start day whose n-working-day deadline is still `on` or later."""
    start = on
    while add_workdays(start - ONE_DAY, n) >= on:
        start -= ONE_DAY
    return start


@dataclass(frozen=True)
class Clock:
    """A working-day clock: started on `start`, due on `due`, seen on `on`."""

    start: dt.date
    due: dt.date
    on: dt.date
    limit: int
    warn_at: int
    done_on: dt.date | None = None

    @property
    def elapsed(self) -> int:
        return workdays_between(self.start, self.done_on or self.on)

    @property
    def remaining(self) -> int:
        return max(self.limit - self.elapsed, 0)

    @property
    def state(self) -> str:
        """done, done_late, overdue, warning or running."""
        if self.done_on is not None:
            return "done" if self.done_on <= self.due else "done_late"
        if self.on > self.due:
            return "overdue"
        return "warning" if self.elapsed >= self.warn_at else "running"

    @property
    def label(self) -> str:
        """What a page shows, in Chinese."""
        state = self.state
        if state == "done":
            return f"已按时完成（第 {self.elapsed} 个工作日）"
        if state == "done_late":
            return f"逾期完成（第 {self.elapsed} 个工作日，期限 {self.limit} 个工作日）"
        if state == "overdue":
            return f"已超期 {self.elapsed - self.limit} 个工作日（期限 {self.due.isoformat()}）"
        return f"已用 {self.elapsed} 个工作日，剩余 {self.remaining} 个工作日（期限 {self.due.isoformat()}）"

    @property
    def estimated(self) -> bool:
        """True when the holiday calendar lacks data for part of the period."""
        return not (calendar_known(self.start) and calendar_known(self.due))


def workday_clock(start: dt.date, limit: int, warn_at: int, *, on: dt.date | None = None,
                  done_on: dt.date | None = None) -> Clock:
    """A clock of `limit` working days from `start`, warning once `warn_at` have passed."""
    return Clock(start=start, due=add_workdays(start, limit), on=on or today(), limit=limit, warn_at=warn_at,
                 done_on=done_on)


def parse_date(value, field: str, label: str, *, required: bool = True) -> dt.date | None:
    """A date from a form value (YYYY-MM-DD) or a date; a Chinese error naming the field otherwise."""
    from server.errors import ValidationError

    if isinstance(value, dt.date):
        return value
    text = (value or "").strip()
    if not text:
        if required:
            raise ValidationError(f"请填写{label}", errors={field: "必填"})
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{label}格式有误，应为 YYYY-MM-DD（例如 2024-10-08）",
                              errors={field: "日期格式有误"}) from None


def parse_moment(value, field: str, label: str) -> dt.datetime:
    """A UTC timestamp from a form value in Beijing time (YYYY-MM-DDTHH:MM or YYYY-MM-DD HH:MM)."""
    from server.errors import ValidationError

    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=LOCAL_TZ).astimezone(dt.timezone.utc)
    text = (value or "").strip().replace(" ", "T")
    if not text:
        raise ValidationError(f"请填写{label}", errors={field: "必填"})
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{label}格式有误，应为 YYYY-MM-DD HH:MM（例如 2024-10-08 09:30）",
                              errors={field: "时间格式有误"}) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    return moment.astimezone(dt.timezone.utc)


def end_of_day_utc(day: dt.date) -> dt.datetime:
    """The UTC instant at which the Beijing-time `day` ends (a deadline "by the end of `day`")."""
    return local_midnight_utc(day + ONE_DAY)


def deadline_text(moment: dt.datetime) -> str:
    """A deadline as users read it: "2024-09-30 当日内" for the end of a day, else the Beijing time."""
    local = moment.astimezone(LOCAL_TZ)
    if local.time() == dt.time(0):
        return f"{(local - ONE_DAY).date().isoformat()} 当日内"
    return local.strftime("%Y-%m-%d %H:%M 前")
