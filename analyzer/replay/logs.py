"""Nova's log files for mini-Nova: one file per service, oslo.log's format, each era's wording.

Every service of the one mini-Nova process writes its own file (``nova-api.log``,
``nova-scheduler.log``, ``nova-conductor.log``, ``nova-compute.log`` or one
``nova-compute-<host>.log`` per host; a compute host in a process of its own writes
``<host>/nova-compute.log``, see roles.py) through oslo.log's ``ContextFormatter``, so the lines
are shaped exactly as Nova's: ``2016-06-28 13:56:13.892 29140 INFO nova.compute.manager
[req-… user project - - -] [instance: …] message``.  Loggers carry the Nova module name
(``nova.compute.manager``) while each service keeps its own handler, pid and file.

``--log-style 2016`` writes Mitaka's context block and wording, ``current`` today's
(reference sections 5.1 and 10).
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from pathlib import Path

from oslo_config import cfg
from oslo_context import context as oslo_context
from oslo_log import _options as log_options
from oslo_log import formatters

__all__ = ["STYLES", "NovaLogs", "ServiceLog"]

STYLES = ("2016", "current")

_CONTEXT_FORMAT = {
    "2016": "%(asctime)s.%(msecs)03d %(process)d %(levelname)s %(name)s "
            "[%(request_id)s %(user_identity)s] %(instance)s%(message)s",
    "current": "%(asctime)s.%(msecs)03d %(process)d %(levelname)s %(name)s "
               "[%(global_request_id)s %(request_id)s %(user_identity)s] %(instance)s%(message)s",
}
_IDENTITY_FORMAT = {
    "2016": "%(user)s %(project)s %(domain)s %(user_domain)s %(project_domain)s",
    "current": "%(user)s %(project)s %(domain)s %(system_scope)s %(user_domain)s %(project_domain)s",
}
_DEBUG_SUFFIX = "%(funcName)s /opt/stack/nova/%(pathname)s:%(lineno)d"

# Distinct pids per service, as separate Nova processes have.
_PIDS = itertools.count(29140, 731)


def _config(style: str) -> cfg.ConfigOpts:
    conf = cfg.ConfigOpts()
    conf.register_opts(log_options.common_cli_opts)
    conf.register_opts(log_options.logging_cli_opts)
    conf.register_opts(log_options.generic_log_opts)
    conf.register_opts(log_options.log_opts)
    conf([], project="nova")
    conf.set_override("logging_context_format_string", _CONTEXT_FORMAT[style])
    conf.set_override("logging_user_identity_format", _IDENTITY_FORMAT[style])
    conf.set_override("logging_debug_format_suffix", _DEBUG_SUFFIX)
    return conf


class _AsNova(logging.Filter):
    """Gives each record the Nova logger name, the service's pid and a Nova-like source path."""

    def __init__(self, pid: int) -> None:
        super().__init__()
        self.pid = pid

    def filter(self, record: logging.LogRecord) -> bool:
        nova_name = getattr(record, "nova_logger", None)
        if nova_name:
            record.name = nova_name
            record.pathname = nova_name.replace(".", "/") + ".py"
        record.process = self.pid
        return True


class _NovaFormatter(formatters.ContextFormatter):
    """oslo.log's ContextFormatter, doing the per-request work once per request context.

    The stock ``format`` turns the context into logging values, renders the user identity and
    an ISO timestamp again for every line, about a tenth of a millisecond per line; a replay
    writes dozens of lines per operation.  Plain records (no exception, ``%s`` message, a
    RequestContext or none) are rendered here from the same configuration strings; anything
    else goes through the stock path.  tests/replay/test_logs.py holds the two to the same
    bytes.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._contexts: dict[int, tuple[object, dict[str, object]]] = {}
        self._second: tuple[int, str] = (-1, "")
        self._lock = threading.Lock()
        conf = self.conf
        self._context_fmt = conf.logging_context_format_string
        self._default_fmt = conf.logging_default_format_string
        suffix = conf.logging_debug_format_suffix
        self._debug_suffix = f" {suffix}" if suffix else ""
        self._instance_fmt = conf.instance_format
        self._identity_fmt = conf.logging_user_identity_format

    def _context_values(self, context) -> dict[str, object]:
        with self._lock:
            cached = self._contexts.get(id(context))
            if cached is not None and cached[0] is context:
                return cached[1]
        values = dict(context.get_logging_values())
        values["user_identity"] = self._identity_fmt % formatters._ReplaceFalseValue(values)
        with self._lock:
            if len(self._contexts) > 4096:
                self._contexts.clear()
            self._contexts[id(context)] = (context, values)
        return values

    def _asctime(self, created: float) -> str:
        second = int(created)
        cached = self._second
        if cached[0] != second:
            cached = (second, time.strftime(self.datefmt, self.converter(created)))
            self._second = cached
        return cached[1]

    def format(self, record: logging.LogRecord) -> str:
        context = record.__dict__.get("context")
        plain = (not record.exc_info and not record.stack_info and record.msg == "%s"
                 and not getattr(record, "instance_uuid", None)
                 and (context is None or isinstance(context, oslo_context.RequestContext)))
        if not plain:
            return super().format(record)
        values = dict(record.__dict__)
        if context is not None:
            values.update(self._context_values(context))
        instance = values.get("instance")
        values["instance"] = self._instance_fmt % instance if instance else ""
        fmt = self._context_fmt if values.get("request_id") else self._default_fmt
        if record.levelno == logging.DEBUG:
            fmt += self._debug_suffix
        values["message"] = record.getMessage()
        values["asctime"] = self._asctime(record.created)
        return fmt % values


class ServiceLog:
    """The log of one service: ``log.info("nova.compute.manager", "Pausing", ctx, instance=uuid)``."""

    def __init__(self, service: str, path: Path, style: str, pid: int | None = None) -> None:
        self.service = service
        self.path = path
        self.style = style
        self._logger = logging.getLogger(f"novatrace.replay.{path.stem}.{id(self)}")
        self._logger.propagate = False
        self._logger.setLevel(logging.DEBUG)
        self._handler = logging.FileHandler(path, encoding="utf-8")
        self._handler.setFormatter(_NovaFormatter(config=_config(style), project="nova",
                                                  datefmt="%Y-%m-%d %H:%M:%S"))
        self._handler.addFilter(_AsNova(pid if pid is not None else next(_PIDS)))
        self._logger.addHandler(self._handler)

    def log(self, level: int, logger: str, message: str, context=None, instance: str | None = None,
            func: str = "") -> None:
        extra: dict[str, object] = {"nova_logger": logger}
        if context is not None:
            extra["context"] = context
        else:
            extra["context"] = None
            extra["request_id"] = None
        if instance:
            extra["instance"] = {"uuid": instance}
        record = self._logger.makeRecord(self._logger.name, level, logger, 0, "%s", (message,), None,
                                         func=func or "_log", extra=extra)
        self._logger.handle(record)

    def debug(self, logger: str, message: str, context=None, instance: str | None = None,
              func: str = "") -> None:
        self.log(logging.DEBUG, logger, message, context, instance, func)

    def info(self, logger: str, message: str, context=None, instance: str | None = None) -> None:
        self.log(logging.INFO, logger, message, context, instance)

    def warning(self, logger: str, message: str, context=None, instance: str | None = None) -> None:
        self.log(logging.WARNING, logger, message, context, instance)

    def close(self) -> None:
        self._handler.close()
        self._logger.removeHandler(self._handler)


class NovaLogs:
    """The log files of one mini-Nova: ``logs.service("nova-api")``, ``logs.compute("host1")``."""

    def __init__(self, log_dir: str | os.PathLike, style: str = "2016", hosts: tuple[str, ...] = (),
                 pid: int | None = None) -> None:
        """``pid``: the process id every line shows (one service per process); by default each
        service gets a distinct one, as separate Nova processes have."""
        if style not in STYLES:
            raise ValueError(f"unknown log style {style!r} (expected 2016 or current)")
        self.style = style
        self.dir = Path(log_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._logs: dict[str, ServiceLog] = {}
        self._single_compute = len(hosts) <= 1
        self._pid = pid

    def service(self, name: str) -> ServiceLog:
        with self._lock:
            if name not in self._logs:
                self._logs[name] = ServiceLog(name, self.dir / f"{name}.log", self.style, self._pid)
            return self._logs[name]

    def compute(self, host: str) -> ServiceLog:
        return self.service("nova-compute" if self._single_compute else f"nova-compute-{host}")

    def close(self) -> None:
        with self._lock:
            for log in self._logs.values():
                log.close()
            self._logs.clear()
