"""The work list's cursor: a position (since, kind, id) over vehicles and releases together, opaque to clients; one
it did not hand out is a 422 naming `cursor`."""
import base64
import datetime as dt

import pytest

from common.errors import InvalidInput
from services.vehicles.work_entrypoints import _cursor, _position

AT = dt.datetime(2026, 3, 1, 8, 30, 0, 123456, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("position", [(AT, "vehicle", "NWAM4HLGFJ609NJUL"),
                                      (AT, "release", "6ee55fe3-9159-49d9-8cbc-a6e321419ccf")])
def test_a_cursor_stands_for_its_position(position):
    assert _position(_cursor(position)) == position
    assert position[2] not in _cursor(position)  # opaque


@pytest.mark.parametrize("text", ["2026-03-01T08:30:00+00:00|person|NWAM4HLGFJ609NJUL",
                                  "2026-03-01T08:30:00+00:00|release|not-a-uuid",
                                  "2026-03-01T08:30:00|vehicle|NWAM4HLGFJ609NJUL",  # no zone
                                  "yesterday|vehicle|NWAM4HLGFJ609NJUL",
                                  "2026-03-01T08:30:00+00:00|vehicle|",
                                  "2026-03-01T08:30:00+00:00|vehicle"])
def test_a_cursor_it_did_not_hand_out_is_named(text):
    for cursor in (base64.urlsafe_b64encode(text.encode()).decode().rstrip("="), text, "%%%"):
        with pytest.raises(InvalidInput) as raised:
            _position(cursor)
        assert [e["field"] for e in raised.value.errors] == ["cursor"]
