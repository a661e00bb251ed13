"""`path_to` gives what `reverse` gives, for every id and under a script prefix."""

import pytest
from django.urls import clear_script_prefix, reverse, set_script_prefix

from kestrel.paths import path_to


@pytest.mark.parametrize("pk", [1, 7, 42, 1_000_000, 987_654_321])
def test_an_incidents_path_is_what_reverse_gives(pk):
    assert path_to("incidents:view", pk) == reverse("incidents:view", args=[pk])


def test_a_script_prefix_is_kept_and_each_prefix_has_its_own_path():
    assert path_to("incidents:view", 5) == "/incidents/5/"
    set_script_prefix("/kestrel/")
    try:
        assert path_to("incidents:view", 5) == "/kestrel/incidents/5/"
        assert path_to("incidents:view", 5) == reverse("incidents:view", args=[5])
    finally:
        clear_script_prefix()
    assert path_to("incidents:view", 5) == "/incidents/5/"


def test_ids_are_numbers_only():
    with pytest.raises(ValueError):
        path_to("incidents:view", "5/../../audit")
