import datetime as dt

from server.models.registry import CreditRating
from server.services.registry import risk
from server.vocab import RiskLevel

DAY = dt.date(2024, 6, 1)


def r(source, level, start=dt.date(2024, 1, 1), end=None):
    return CreditRating(source=source, level=level, effective_from=start, effective_to=end)


def test_no_rating_is_general():
    assert risk.derive([], DAY) is RiskLevel.GENERAL


def test_highest_source_wins():
    assert risk.derive([r("market", "A"), r("transport", "C")], DAY) is RiskLevel.HIGHER


def test_expired_and_future_ratings_do_not_count():
    ratings = [r("transport", "D", end=dt.date(2024, 5, 31)), r("market", "D", start=dt.date(2024, 7, 1)),
               r("transport", "AA")]
    assert risk.derive(ratings, DAY) is RiskLevel.LOW


def test_latest_rating_of_a_source_replaces_older_one():
    assert risk.derive([r("transport", "D"), r("transport", "A", start=dt.date(2024, 3, 1))], DAY) is RiskLevel.LOW


def test_credit_floor_raises_level():
    assert risk.derive([r("transport", "AA")], DAY, extra_floor=RiskLevel.HIGH) is RiskLevel.HIGH
