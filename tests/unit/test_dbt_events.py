"""dbt's debug events in the warm dbt process (orchestration.defs.dbt.worker.drop_debug_events):
dropped where they are fired, and built only when something reads them. Each check runs in a fresh
interpreter, since the patch changes dbt's event classes for the whole process."""

from __future__ import annotations

from tests.support import fresh_python

SCRIPT = """
import json
from dbt.adapters.events.types import SQLQuery
from dbt_common.events.base_types import BaseEvent, EventLevel, msg_from_base_event
from dbt_common.events.types import Formatting

original_init = BaseEvent.__init__
def original(cls, **kwargs):  # an event built by dbt's own constructor
    event = object.__new__(cls)
    original_init(event, **kwargs)
    return event

from orchestration.defs.dbt.worker import PENDING, drop_debug_events
drop_debug_events()
drop_debug_events()  # a second call changes nothing more

args = dict(conn_name="c", sql="select '甲' as x", node_info={"unique_id": "model.p.m", "node_name": "m"})
out = {}
pending = SQLQuery(**args)
out["debug_pending"] = PENDING in pending.__dict__ and "pb_msg" not in pending.__dict__
out["debug_read"] = pending.sql  # the first read builds it
out["debug_built"] = PENDING not in pending.__dict__ and "pb_msg" in pending.__dict__
out["same_as_dbt"] = SQLQuery(**args).to_dict() == original(SQLQuery, **args).to_dict()
fired = msg_from_base_event(SQLQuery(**args), level=EventLevel.INFO)  # fired at another level
out["fired"] = [fired.info.level, fired.data.sql, fired.data.node_info.unique_id, fired.info.msg]
written = SQLQuery(**args)
written.sql = "select 2"  # a write builds it first, then sets the field
out["written"] = written.to_dict()["sql"]
info = Formatting(msg="shown")
out["info_built"] = PENDING not in info.__dict__ and info.msg == "shown"
out["message"] = SQLQuery(**args).message() == original(SQLQuery, **args).message()
try:
    SQLQuery(**args).no_such_field
except AttributeError:
    out["missing"] = "AttributeError"
print(json.dumps(out, ensure_ascii=False))
"""


def test_debug_events_build_their_message_only_when_read_and_then_as_dbt_builds_it():
    out = fresh_python(SCRIPT)
    assert out["debug_pending"] is True
    assert out["debug_read"] == "select '甲' as x"
    assert out["debug_built"] is True
    assert out["same_as_dbt"] is True
    assert out["fired"][:3] == ["info", "select '甲' as x", "model.p.m"] and "select" in out["fired"][3]
    assert out["written"] == "select 2"
    assert out["info_built"] is True
    assert out["message"] is True
    assert out["missing"] == "AttributeError"
