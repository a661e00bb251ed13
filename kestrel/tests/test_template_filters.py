"""The filters every template may use: ages on the Dashboard, dates and times as the guides
write them."""

import datetime
import zoneinfo

import time_machine
from django.template.defaultfilters import truncatewords
from django.utils import timezone

from kestrel.templatetags.kestrel import ago, first_words, when


def test_ages_read_in_their_largest_whole_unit():
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        before = {
            "just now": datetime.timedelta(seconds=59),
            "1 minute ago": datetime.timedelta(seconds=60),
            "59 minutes ago": datetime.timedelta(minutes=59, seconds=59),
            "1 hour ago": datetime.timedelta(hours=1),
            "23 hours ago": datetime.timedelta(hours=23, minutes=59),
            "1 day ago": datetime.timedelta(days=1),
            "8 days ago": datetime.timedelta(days=8, hours=5),
            "59 days ago": datetime.timedelta(days=59),
            "2 months ago": datetime.timedelta(days=60),
            "12 months ago": datetime.timedelta(days=364),
            "1 year ago": datetime.timedelta(days=365),
            "3 years ago": datetime.timedelta(days=3 * 365 + 10),
        }
        assert {text: ago(now - delta) for text, delta in before.items()} == {
            text: text for text in before
        }
    assert ago(None) == ""


def test_dates_and_times_read_as_in_the_guides_in_the_schools_time():
    london = zoneinfo.ZoneInfo("Europe/London")
    summer = datetime.datetime(2018, 8, 13, 14, 50, tzinfo=datetime.UTC)  # 15:50 in BST
    winter = datetime.datetime(2026, 12, 7, 8, 5, tzinfo=datetime.UTC)  # GMT
    with timezone.override(london):
        assert when(summer) == "Mon 13/08/2018 at 15:50"
        assert when(winter) == "Mon 07/12/2026 at 08:05"
        assert when(datetime.datetime(2026, 3, 29, 0, 59, tzinfo=datetime.UTC)).startswith("Sun")
        assert when(datetime.datetime(2026, 3, 29, 1, 0, tzinfo=datetime.UTC)).endswith("02:00")
    assert when(None) == ""


def test_first_words_cuts_text_as_djangos_truncatewords_does():
    texts = [
        "",
        "One.",
        "Said something at lunch\n\nthat worried   the teacher on duty.",
        " ".join(f"word{number}" for number in range(61)),
        " ".join(f"word{number}" for number in range(60)),
        "Dad's partner (Mr O'Brien-Smith) shouted; the child cried …",
        "Ends already truncated … and then goes on for a while",
    ]
    for text in texts:
        for count in (1, 3, 40, 60):
            assert first_words(text, count) == truncatewords(text, count), (text, count)
    assert first_words("a b c d", 2) == "a b …"
