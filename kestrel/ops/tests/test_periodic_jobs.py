"""Every periodic job of the worker runs on the demo school without an error, outside any school
scope, as the supervisor runs it (a job that raised would only be logged there, and its work
silently not done)."""

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils.module_loading import import_string


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo")


@pytest.mark.parametrize("path", settings.PERIODIC_JOBS)
def test_each_periodic_job_runs_on_the_demo_school_outside_any_scope(demo, path):
    outcome = import_string(path)()
    assert outcome is None or isinstance(outcome, str | int | dict | list | tuple)


def test_the_demo_schools_unreceipted_file_is_chased_once_by_the_worker(demo):
    chase = import_string("kestrel.transfers.services.chase_transfers")
    assert chase() == "1 transfers chased"  # Ruby's, sent on paper 6 school days ago
    assert chase() == "0 transfers chased"
