"""The body map: numbered markers on front and back figures, saved with the incident."""

import json

import pytest
from django.core.exceptions import ValidationError

from kestrel.incidents.body_map import MAX_MARKERS, parse_markers
from kestrel.incidents.models import Incident
from kestrel.incidents.tests.add_incident_post import add_incident_post


def test_markers_keep_their_numbers_and_sides():
    raw = json.dumps(
        [{"n": 3, "side": "back", "x": 0.5, "y": 0.4}, {"n": 1, "side": "front", "x": 0, "y": 1}]
    )
    undescribed = dict.fromkeys(("site", "size", "shape", "colour", "broken", "swelling"), "")
    assert parse_markers(raw) == [
        {"number": 1, "side": "front", "x": 0.0, "y": 1.0, **undescribed},
        {"number": 3, "side": "back", "x": 0.5, "y": 0.4, **undescribed},
    ]
    assert parse_markers("") == []


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        json.dumps({"n": 1}),
        json.dumps([{"n": 1, "side": "left", "x": 0.5, "y": 0.5}]),
        json.dumps([{"n": 1, "side": "front", "x": 1.5, "y": 0.5}]),
        json.dumps([{"n": 1, "side": "front", "x": "a", "y": 0.5}]),
        json.dumps([{"n": 1, "side": "front", "x": 0.1, "y": 0.1}] * 2),
        json.dumps(
            [{"n": n, "side": "front", "x": 0.1, "y": 0.1} for n in range(1, MAX_MARKERS + 2)]
        ),
    ],
)
def test_unreadable_markers_are_refused_with_a_message(raw):
    with pytest.raises(ValidationError):
        parse_markers(raw)


def test_markers_are_saved_with_the_incident_and_drawn_on_its_page(setup, people, signed_in):
    client = signed_in(people.teacher)
    markers = [
        {"n": 1, "side": "front", "x": 0.3, "y": 0.5},
        {"n": 2, "side": "back", "x": 0.6, "y": 0.2},
    ]
    response = client.post(
        "/incidents/add/", add_incident_post(setup, people, markers=json.dumps(markers))
    )
    incident = Incident.objects.get()
    assert [(m.number, m.side) for m in incident.markers.all()] == [(1, "front"), (2, "back")]
    page = client.get(response["Location"]).content.decode()
    assert "Marker 1, front" in page
    assert "Marker 2, back" in page
    assert 'transform="translate(60.0 210.0)"' in page  # marker 1 at 30% across, half way down


def test_a_bad_body_map_keeps_everything_else_typed(setup, people, signed_in):
    response = signed_in(people.teacher).post(
        "/incidents/add/", add_incident_post(setup, people, markers="[{broken")
    )
    html = response.content.decode()
    assert "The body map could not be read. Place the markers again." in html
    assert "Hannah said her dad waited at the gate again." in html
    assert Incident.objects.count() == 0
