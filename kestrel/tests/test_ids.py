"""Reading ids from what a browser sends."""

import pytest

from kestrel.ids import is_id


@pytest.mark.parametrize("value", ["0", "7", "123456", 42])
def test_ascii_digits_are_ids(value):
    assert is_id(value)


@pytest.mark.parametrize("value", ["", "-1", "1.5", " 1", "²", "٣", "１２", "⁴²", "1e3", None])
def test_anything_else_is_not(value):
    assert not is_id(value)
