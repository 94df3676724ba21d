"""Mini-Nova's database on SQLite and PostgreSQL: what the hot statements write and read back.

Those statements run on DBAPI connections directly (analyzer/replay/conductor/direct.py);
what they return must be what SQLAlchemy itself reads from the same rows, and a failing
statement must leave neither a half-done transaction nor a broken connection behind.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from analyzer.replay.conductor.db import INSTANCES, Database, ExpectedStateError

from .deployment import postgres_database


@contextmanager
def _sqlite(tmp_path):
    yield f"sqlite:///{tmp_path / 'nova.sqlite'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    place = _sqlite(tmp_path) if request.param == "sqlite" else postgres_database()
    with place as url:
        db = Database(url)
        try:
            yield db
        finally:
            db.dispose()


def _as_sqlalchemy_reads_it(db: Database, uuid: str) -> dict:
    with db.engine.connect() as conn:
        return dict(conn.execute(INSTANCES.select().where(INSTANCES.c.uuid == uuid)).mappings().one())


def test_an_instance_reads_back_as_sqlalchemy_reads_it(database):
    row = database.create_instance({"display_name": "vm1", "vm_state": "building",
                                    "task_state": "scheduling"})
    found = database.get_instance(row["uuid"])
    assert found == _as_sqlalchemy_reads_it(database, row["uuid"])
    assert found["locked"] is False and found["deleted"] is False
    assert isinstance(found["created_at"], datetime)
    assert database.get_instance("no-such-uuid") is None


def test_a_conditional_update_wins_only_from_the_expected_state(database):
    uuid = database.create_instance({"display_name": "vm1", "vm_state": "active", "task_state": None})["uuid"]
    updated = database.update_instance(uuid, {"task_state": "pausing"}, expected_vm_state=["active"],
                                       expected_task_state=[None], check_lock=True)
    assert updated["task_state"] == "pausing"
    assert updated == _as_sqlalchemy_reads_it(database, uuid)
    with pytest.raises(ExpectedStateError):  # a second pause races the first and loses
        database.update_instance(uuid, {"task_state": "pausing"}, expected_vm_state=["active"],
                                 expected_task_state=[None], check_lock=True)
    database.update_instance(uuid, {"locked": True}, expected_task_state=...)
    with pytest.raises(ExpectedStateError):  # locked: refused, row untouched
        database.update_instance(uuid, {"vm_state": "paused", "task_state": None},
                                 expected_task_state=["pausing"], check_lock=True)
    assert database.get_instance(uuid)["vm_state"] == "active"


def test_an_action_and_its_events_are_recorded(database):
    uuid = database.create_instance({"display_name": "vm1", "vm_state": "active"})["uuid"]
    context = SimpleNamespace(request_id="req-1", user_id="user", project_id="project")
    action_id = database.start_action(uuid, "pause", context)
    database.action_event(uuid, "req-1", "compute_pause_instance")
    database.action_event(uuid, "req-1", "compute_pause_instance", "Success", finish=True)
    [action] = database.list_actions(uuid)
    [event] = database.list_events(action_id)
    assert action["id"] == action_id and action["finish_time"] is not None and action["message"] is None
    assert event["event"] == "compute_pause_instance" and event["result"] == "Success"
    assert event["finish_time"] >= event["start_time"]


def test_a_failing_statement_is_rolled_back_and_its_connection_reused(database):
    row = database.create_instance({"display_name": "vm1", "vm_state": "active"})
    insert = database.direct.prepare(INSTANCES.insert().values(
        uuid=sa.bindparam("uuid"), display_name=sa.bindparam("name")))
    update = database.direct.prepare(INSTANCES.update().where(INSTANCES.c.uuid == sa.bindparam("match"))
                                     .values(display_name=sa.bindparam("name")))
    with pytest.raises(sa.exc.IntegrityError):  # as SQLAlchemy raises it: callers catch that
        # the rename runs first, then the insert of an existing uuid fails: neither stays
        database.direct.run((update, {"match": row["uuid"], "name": "renamed"}),
                            (insert, {"uuid": row["uuid"], "name": "twin"}))
    assert database.get_instance(row["uuid"])["display_name"] == "vm1"
    database.direct.run((update, {"match": row["uuid"], "name": "renamed"}))
    assert database.get_instance(row["uuid"])["display_name"] == "renamed"


def test_a_second_insert_of_the_same_image_raises_what_the_api_service_suppresses(database):
    # two nova-api processes starting together both create the default image; one insert wins
    database.create_image({"id": "cirros", "name": "cirros", "status": "active"})
    with pytest.raises(sa.exc.IntegrityError):
        database.create_image({"id": "cirros", "name": "cirros", "status": "active"})
    assert database.get_image("cirros")["name"] == "cirros"
