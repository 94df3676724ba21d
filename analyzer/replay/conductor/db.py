"""Nova's database for mini-Nova, through SQLAlchemy (SQLite by default, any URL with ``--db``).

Tables: ``instances`` (vm_state, task_state, power_state, locked), ``instance_actions`` and
``instance_actions_events``, ``compute_nodes`` (capacity and usage) and ``images``.
Every state change is one conditional UPDATE (``… WHERE task_state IS NULL AND locked = 0``),
as Nova's ``instance.save(expected_task_state=…)``: two racing requests can never both win.
"""

from __future__ import annotations

import threading
import time
import uuid as uuidlib
from datetime import UTC, datetime

import sqlalchemy as sa

from analyzer.replay.conductor.direct import DirectConnections, Prepared

__all__ = ["Database", "ExpectedStateError"]

_META = sa.MetaData()

INSTANCES = sa.Table(
    "instances", _META,
    sa.Column("uuid", sa.String(36), primary_key=True),
    sa.Column("display_name", sa.String(255)),
    sa.Column("user_id", sa.String(255)),
    sa.Column("project_id", sa.String(255)),
    sa.Column("host", sa.String(255)),
    sa.Column("node", sa.String(255)),
    sa.Column("flavor_id", sa.String(255)),
    sa.Column("image_ref", sa.String(255)),
    sa.Column("memory_mb", sa.Integer),
    sa.Column("vcpus", sa.Integer),
    sa.Column("root_gb", sa.Integer),
    sa.Column("vm_state", sa.String(255)),
    sa.Column("task_state", sa.String(255)),
    sa.Column("power_state", sa.Integer, default=0),
    sa.Column("locked", sa.Boolean, default=False),
    sa.Column("locked_by", sa.String(255)),
    sa.Column("old_vm_state", sa.String(255)),
    sa.Column("launched_at", sa.DateTime),
    sa.Column("created_at", sa.DateTime),
    sa.Column("updated_at", sa.DateTime),
    sa.Column("deleted", sa.Boolean, default=False),
)

ACTIONS = sa.Table(
    "instance_actions", _META,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("instance_uuid", sa.String(36), index=True),
    sa.Column("request_id", sa.String(255)),
    sa.Column("action", sa.String(255)),
    sa.Column("user_id", sa.String(255)),
    sa.Column("project_id", sa.String(255)),
    sa.Column("start_time", sa.DateTime),
    sa.Column("finish_time", sa.DateTime),
    sa.Column("message", sa.String(255)),
)

EVENTS = sa.Table(
    "instance_actions_events", _META,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("action_id", sa.Integer, index=True),
    sa.Column("event", sa.String(255)),
    sa.Column("start_time", sa.DateTime),
    sa.Column("finish_time", sa.DateTime),
    sa.Column("result", sa.String(255)),
)

COMPUTE_NODES = sa.Table(
    "compute_nodes", _META,
    sa.Column("host", sa.String(255), primary_key=True),
    sa.Column("node", sa.String(255)),
    sa.Column("memory_mb", sa.Integer),
    sa.Column("vcpus", sa.Integer),
    sa.Column("local_gb", sa.Integer),
    sa.Column("memory_mb_used", sa.Integer, default=0),
    sa.Column("vcpus_used", sa.Integer, default=0),
    sa.Column("local_gb_used", sa.Integer, default=0),
)

IMAGES = sa.Table(
    "images", _META,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(255)),
    sa.Column("status", sa.String(32)),
    sa.Column("disk_format", sa.String(32)),
    sa.Column("container_format", sa.String(32)),
    sa.Column("size", sa.Integer),
    sa.Column("min_disk", sa.Integer, default=0),
    sa.Column("min_ram", sa.Integer, default=0),
    sa.Column("server_uuid", sa.String(36)),
    sa.Column("created_at", sa.DateTime),
    sa.Column("updated_at", sa.DateTime),
)


# The statements run for every operation, built once (see Database._update_statement for why).
_GET_LIVE = INSTANCES.select().where(INSTANCES.c.uuid == sa.bindparam("uuid"), INSTANCES.c.deleted.is_(False))
_GET_ANY = INSTANCES.select().where(INSTANCES.c.uuid == sa.bindparam("uuid"))
_GET_IMAGE = IMAGES.select().where(IMAGES.c.id == sa.bindparam("id"))
_ACTION_COLUMNS = ("instance_uuid", "action", "request_id", "user_id", "project_id", "start_time")
_INSERT_ACTION = ACTIONS.insert().values({name: sa.bindparam(name) for name in _ACTION_COLUMNS}).returning(
    ACTIONS.c.id)
# The action of one request: events refer to it by id, found within the same statement.
_ACTION_OF_REQUEST = sa.select(ACTIONS.c.id).where(
    ACTIONS.c.instance_uuid == sa.bindparam("match_uuid"),
    ACTIONS.c.request_id == sa.bindparam("match_request")).scalar_subquery()
_START_EVENT = EVENTS.insert().from_select(
    ["action_id", "event", "start_time"],
    sa.select(ACTIONS.c.id, sa.bindparam("event_name", type_=sa.String),
              sa.bindparam("started", type_=sa.DateTime)).where(
        ACTIONS.c.instance_uuid == sa.bindparam("match_uuid"),
        ACTIONS.c.request_id == sa.bindparam("match_request")))
_FINISH_EVENT = EVENTS.update().where(EVENTS.c.action_id.in_(_ACTION_OF_REQUEST),
                                      EVENTS.c.event == sa.bindparam("event_name")).values(
    finish_time=sa.bindparam("new_finish_time"), result=sa.bindparam("new_result"))
_FINISH_ACTION = ACTIONS.update().where(
    ACTIONS.c.instance_uuid == sa.bindparam("match_uuid"),
    ACTIONS.c.request_id == sa.bindparam("match_request")).values(
    finish_time=sa.bindparam("new_finish_time"), message=sa.bindparam("new_message"))


_ADD_USAGE = COMPUTE_NODES.update().where(COMPUTE_NODES.c.host == sa.bindparam("match_host")).values(
    memory_mb_used=COMPUTE_NODES.c.memory_mb_used + sa.bindparam("memory_mb", type_=sa.Integer),
    vcpus_used=COMPUTE_NODES.c.vcpus_used + sa.bindparam("vcpus", type_=sa.Integer),
    local_gb_used=COMPUTE_NODES.c.local_gb_used + sa.bindparam("local_gb", type_=sa.Integer))


def _insert(table: sa.Table) -> sa.Insert:
    """An INSERT of every column of `table`, each bound by its own name."""
    return table.insert().values({column.name: sa.bindparam(column.name, type_=column.type)
                                  for column in table.columns})


def _complete(table: sa.Table, row: dict) -> dict:
    """`row` with the columns it leaves out set as SQLAlchemy would: their default, else NULL."""
    unknown = set(row) - set(table.columns.keys())
    if unknown:
        raise ValueError(f"{table.name} has no column {', '.join(sorted(unknown))}")
    full = {}
    for column in table.columns:
        if column.name in row:
            full[column.name] = row[column.name]
        elif column.default is not None and column.default.is_scalar:
            full[column.name] = column.default.arg
        else:
            full[column.name] = None
    return full


class ExpectedStateError(Exception):
    """An update's expected state did not hold (another request changed the instance first)."""


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Database:
    """Nova's tables over one SQLAlchemy engine; every method is one transaction."""

    def __init__(self, url: str) -> None:
        if url.startswith("postgresql://"):  # psycopg 3, the driver novatrace installs
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        kwargs: dict[str, object] = {}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
            if url in ("sqlite://", "sqlite:///:memory:"):
                kwargs["poolclass"] = sa.pool.StaticPool
            else:  # every API, conductor and scheduler thread may read at once
                kwargs.update(pool_size=32, max_overflow=64)
        self.engine = sa.create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        # SQLite takes one writer at a time; serialise here rather than retry "database is locked".
        self._write = threading.Lock() if url.startswith("sqlite") else _NoLock()
        self._updates: dict[tuple, Prepared] = {}
        self._create_tables()
        # what every operation runs, compiled once and run on DBAPI connections (see direct.py)
        self.direct = DirectConnections(self.engine)
        self._get_live = self.direct.prepare(_GET_LIVE)
        self._get_any = self.direct.prepare(_GET_ANY)
        self._insert_action = self.direct.prepare(_INSERT_ACTION)
        self._start_event = self.direct.prepare(_START_EVENT)
        self._finish_event = self.direct.prepare(_FINISH_EVENT)
        self._finish_action = self.direct.prepare(_FINISH_ACTION)
        self._get_image = self.direct.prepare(_GET_IMAGE)
        self._insert_instance = self.direct.prepare(_insert(INSTANCES))
        self._insert_image = self.direct.prepare(_insert(IMAGES))
        self._add_usage = self.direct.prepare(_ADD_USAGE)
        self._image_updates: dict[tuple[str, ...], Prepared] = {}

    def _create_tables(self) -> None:
        """Create the missing tables; services starting together may race to create them."""
        for attempt in range(5):
            try:
                _META.create_all(self.engine)
                return
            except sa.exc.DBAPIError:  # another process created a table between check and create
                if attempt == 4:
                    raise
                time.sleep(0.2 * (attempt + 1))

    # -- instances ---------------------------------------------------------------------------
    def create_instance(self, values: dict) -> dict:
        row = {"uuid": str(uuidlib.uuid4()), "created_at": now(), "updated_at": now(),
               "locked": False, "deleted": False, "power_state": 0, **values}
        with self._write:
            self.direct.run((self._insert_instance, _complete(INSTANCES, row)))
        return row

    def get_instance(self, uuid: str, read_deleted: bool = False) -> dict | None:
        rows = self.direct.run((self._get_any if read_deleted else self._get_live, {"uuid": uuid}))
        return rows[0] if rows else None

    def list_instances(self, host: str | None = None) -> list[dict]:
        """The instances not deleted, oldest first; only those of ``host`` when given."""
        query = INSTANCES.select().where(INSTANCES.c.deleted.is_(False)).order_by(INSTANCES.c.created_at)
        if host is not None:
            query = query.where(INSTANCES.c.host == host)
        with self.engine.connect() as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    def update_instance(self, uuid: str, values: dict, expected_vm_state=None,
                        expected_task_state: object = ..., check_lock: bool = False) -> dict:
        """Update when the expectations hold, else raise ExpectedStateError.

        ``expected_task_state`` is one state or a list (None = no task); ``...`` means any.
        """
        if expected_task_state is ...:
            expected = None
        elif isinstance(expected_task_state, (list, tuple, set)):
            expected = tuple(sorted(expected_task_state, key=lambda state: state or ""))
        else:
            expected = (expected_task_state,)
        vm_states = None if expected_vm_state is None else tuple(sorted(expected_vm_state))
        statement = self._update_statement(tuple(sorted(values)), vm_states, expected, check_lock)
        params = {f"new_{key}": value for key, value in values.items()}
        params["match_uuid"] = uuid
        params["new_updated_at"] = now()
        with self._write:
            rows = self.direct.run((statement, params))
        if not rows:
            raise ExpectedStateError(uuid)
        return rows[0]

    def _update_statement(self, keys: tuple[str, ...], vm_states: tuple[str, ...] | None,
                          task_states: tuple[str | None, ...] | None, check_lock: bool):
        """The conditional UPDATE … RETURNING for one shape of update, built once per shape.

        Building and compiling a SQLAlchemy statement costs more than running it on SQLite; a
        replay makes a few dozen shapes, each run thousands of times.  The expected states are
        bound values of the statement itself.
        """
        shape = (keys, vm_states, task_states, check_lock)
        statement = self._updates.get(shape)
        if statement is not None:
            return statement
        query = INSTANCES.update().where(INSTANCES.c.uuid == sa.bindparam("match_uuid"),
                                         INSTANCES.c.deleted.is_(False))
        if vm_states is not None:
            query = query.where(INSTANCES.c.vm_state.in_(_values("vm", vm_states)))
        if task_states is not None:
            named = [state for state in task_states if state is not None]
            clause = INSTANCES.c.task_state.in_(_values("task", named)) if named else sa.false()
            if None in task_states:
                clause = sa.or_(clause, INSTANCES.c.task_state.is_(None))
            query = query.where(clause)
        if check_lock:
            query = query.where(INSTANCES.c.locked.is_(False))
        columns = (*keys, "updated_at") if "updated_at" not in keys else keys
        statement = self.direct.prepare(query.values({key: sa.bindparam(f"new_{key}") for key in columns})
                                        .returning(*INSTANCES.c))
        self._updates[shape] = statement
        return statement

    # -- instance actions ----------------------------------------------------------------------
    def start_action(self, uuid: str, action: str, context) -> int:
        with self._write:
            rows = self.direct.run((self._insert_action, {
                "instance_uuid": uuid, "action": action, "request_id": context.request_id,
                "user_id": context.user_id, "project_id": context.project_id, "start_time": now()}))
        return rows[0]["id"]

    def action_event(self, uuid: str, request_id: str, event: str, result: str | None = None,
                     finish: bool = False) -> None:
        """Start (or finish) ``event`` of the instance action of ``request_id``, if there is one."""
        action = {"match_uuid": uuid, "match_request": request_id, "event_name": event}
        with self._write:
            if not finish:
                self.direct.run((self._start_event, {**action, "started": now()}))
                return
            finished = {**action, "new_finish_time": now()}
            message = None if result == "Success" else result
            self.direct.run((self._finish_event, {**finished, "new_result": result}),
                            (self._finish_action, {**finished, "new_message": message}))

    def list_actions(self, uuid: str) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(ACTIONS.select().where(ACTIONS.c.instance_uuid == uuid)
                                .order_by(ACTIONS.c.id)).mappings()
            return [dict(row) for row in rows]

    def list_events(self, action_id: int) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(EVENTS.select().where(EVENTS.c.action_id == action_id)
                                .order_by(EVENTS.c.id)).mappings()
            return [dict(row) for row in rows]

    # -- compute nodes -------------------------------------------------------------------------
    def register_node(self, host: str, memory_mb: int, vcpus: int, local_gb: int) -> None:
        """(Re)register ``host``; its usage is that of the instances it holds, as Nova's resource
        tracker counts it when a compute service starts (zero on a new host)."""
        used = sa.select(sa.func.coalesce(sa.func.sum(INSTANCES.c.memory_mb), 0),
                         sa.func.coalesce(sa.func.sum(INSTANCES.c.vcpus), 0),
                         sa.func.coalesce(sa.func.sum(INSTANCES.c.root_gb), 0)).where(
            INSTANCES.c.host == host, INSTANCES.c.deleted.is_(False))
        with self._write, self.engine.begin() as conn:
            memory_used, vcpus_used, disk_used = conn.execute(used).one()
            conn.execute(COMPUTE_NODES.delete().where(COMPUTE_NODES.c.host == host))
            conn.execute(COMPUTE_NODES.insert().values(host=host, node=host, memory_mb=memory_mb,
                                                       vcpus=vcpus, local_gb=local_gb,
                                                       memory_mb_used=memory_used, vcpus_used=vcpus_used,
                                                       local_gb_used=disk_used))

    def list_nodes(self) -> list[dict]:
        with self.engine.connect() as conn:
            return [dict(row) for row in conn.execute(COMPUTE_NODES.select()).mappings()]

    def add_usage(self, host: str, memory_mb: int, vcpus: int, local_gb: int) -> None:
        with self._write:
            self.direct.run((self._add_usage, {"match_host": host, "memory_mb": memory_mb, "vcpus": vcpus,
                                               "local_gb": local_gb}))

    # -- images --------------------------------------------------------------------------------
    def create_image(self, values: dict) -> dict:
        row = {"id": str(uuidlib.uuid4()), "status": "queued", "disk_format": "qcow2",
               "container_format": "bare", "size": 0, "min_disk": 0, "min_ram": 0,
               "created_at": now(), "updated_at": now(), **values}
        with self._write:
            self.direct.run((self._insert_image, _complete(IMAGES, row)))
        return row

    def update_image(self, image_id: str, values: dict) -> None:
        keys = tuple(sorted({*values, "updated_at"}))
        statement = self._image_updates.get(keys)
        if statement is None:
            statement = self._image_updates[keys] = self.direct.prepare(
                IMAGES.update().where(IMAGES.c.id == sa.bindparam("match_id")).values(
                    {key: sa.bindparam(f"new_{key}") for key in keys}))
        params = {f"new_{key}": value for key, value in {"updated_at": now(), **values}.items()}
        with self._write:
            self.direct.run((statement, {**params, "match_id": image_id}))

    def get_image(self, image_id: str) -> dict | None:
        rows = self.direct.run((self._get_image, {"id": image_id}))
        return rows[0] if rows else None

    def list_images(self) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(IMAGES.select().order_by(IMAGES.c.created_at)).mappings()
            return [dict(row) for row in rows]

    def dispose(self) -> None:
        self.direct.close()
        self.engine.dispose()


def _values(prefix: str, values) -> list[sa.BindParameter]:
    """`values` as bound parameters of their own (an IN list fixed when the statement is built)."""
    return [sa.bindparam(f"{prefix}_{number}", value, type_=sa.String) for number, value in enumerate(values)]


def _sqlite_pragmas(connection, _record) -> None:
    """WAL, and no fsync per commit: a replay's state need not survive a power cut."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class _NoLock:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
