import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from server.services.kernel import workdays as wd

D = dt.date
days_2024 = st.dates(min_value=D(2024, 1, 1), max_value=D(2024, 12, 31))


def test_national_day_2024_is_off_and_its_adjusted_weekends_are_working_days():
    assert [wd.is_workday(D(2024, 10, d)) for d in range(1, 8)] == [False] * 7
    assert wd.is_workday(D(2024, 9, 29))  # Sunday, 调休 working day
    assert wd.is_workday(D(2024, 10, 12))  # Saturday, 调休 working day
    assert not wd.is_workday(D(2024, 10, 13))  # an ordinary Sunday


def test_next_working_day_after_friday_27_september_is_the_adjusted_sunday():
    assert wd.add_workdays(D(2024, 9, 27), 1) == D(2024, 9, 29)
    assert wd.add_workdays(D(2024, 9, 30), 1) == D(2024, 10, 8)


def test_twenty_working_days_across_national_day():
    # 9/23–27 (5), 9/29 (6), 9/30 (7), 10/8–11 (11), 10/12 (12), 10/14–18 (17), 10/21–23 (20)
    assert wd.add_workdays(D(2024, 9, 20), 20) == D(2024, 10, 23)


def test_three_day_period_ending_on_a_holiday_moves_to_the_next_working_day():
    assert wd.period_end(D(2024, 9, 28), 3) == D(2024, 10, 8)
    assert wd.period_end(D(2024, 10, 9), 3) == D(2024, 10, 12)  # ends on the working Saturday
    assert wd.period_end(D(2024, 10, 10), 3) == D(2024, 10, 14)  # ends on a Sunday → Monday


def test_publication_clock_warns_at_fifteen_and_is_overdue_after_twenty():
    start = D(2024, 9, 20)
    clock = lambda on: wd.workday_clock(start, 20, 15, on=on)  # noqa: E731
    assert clock(wd.add_workdays(start, 14)).state == "running"
    assert clock(wd.add_workdays(start, 15)).state == "warning"
    assert clock(D(2024, 10, 23)).state == "warning"
    late = clock(D(2024, 10, 24))
    assert late.state == "overdue" and late.label == "已超期 1 个工作日（期限 2024-10-23）"
    assert clock(D(2024, 10, 7)).elapsed == 7  # the holiday week adds nothing
    done = wd.workday_clock(start, 20, 15, on=D(2024, 11, 30), done_on=D(2024, 10, 22))
    assert done.state == "done" and done.label == "已按时完成（第 19 个工作日）"


def test_clock_label_while_running():
    c = wd.workday_clock(D(2024, 9, 20), 20, 15, on=D(2024, 9, 30))
    assert c.label == "已用 7 个工作日，剩余 13 个工作日（期限 2024-10-23）"


def test_years_without_calendar_data_fall_back_to_weekdays_and_say_so():
    assert not wd.calendar_known(D(2031, 3, 3))
    assert wd.is_workday(D(2031, 3, 3)) and not wd.is_workday(D(2031, 3, 1))
    assert not wd.is_workday(D(2031, 10, 1))
    assert wd.workday_clock(D(2031, 3, 3), 20, 15, on=D(2031, 3, 4)).estimated
    assert not wd.workday_clock(D(2024, 3, 1), 20, 15, on=D(2024, 3, 4)).estimated


def test_local_date_is_beijing_time():
    assert wd.local_date(dt.datetime(2024, 9, 30, 16, 30, tzinfo=dt.timezone.utc)) == D(2024, 10, 1)
    assert wd.local_midnight_utc(D(2024, 10, 1)) == dt.datetime(2024, 9, 30, 16, 0, tzinfo=dt.timezone.utc)
    assert wd.local_text(dt.datetime(2024, 9, 30, 16, 30, tzinfo=dt.timezone.utc)) == "2024-10-01 00:30"
    assert wd.local_text(None) == ""


@settings(max_examples=200, deadline=None)
@given(days_2024, st.integers(min_value=0, max_value=30))
def test_counting_back_the_working_days_added_gives_n(start, n):
    due = wd.add_workdays(start, n)
    assert wd.workdays_between(start, due) == n
    assert n == 0 or wd.is_workday(due)


@settings(max_examples=200, deadline=None)
@given(days_2024, days_2024)
def test_overdue_boundary_matches_the_deadline(start, on):
    boundary = wd.earliest_start_not_overdue(on, 20)
    assert (wd.add_workdays(start, 20) >= on) == (start >= boundary)


def test_deadlines_read_as_the_day_they_end_on():
    assert wd.deadline_text(wd.end_of_day_utc(D(2024, 10, 8))) == "2024-10-08 当日内"
    assert wd.deadline_text(dt.datetime(2024, 10, 8, 1, 30, tzinfo=dt.timezone.utc)) == "2024-10-08 09:30 前"
