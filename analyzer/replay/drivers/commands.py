"""External commands through oslo.concurrency's processutils, logged in the compute host's log.

``processutils.execute`` logs ``Running cmd (subprocess): …`` and ``CMD "…" returned: 0 in
0.012s`` at DEBUG on the Python logger ``oslo_concurrency.processutils``.  In Nova those
records reach nova-compute's log with the request's context.  Here one process may hold
several compute hosts, so ``run`` names, per thread, the host log and the request context the
records go to while the command runs; a handler on that logger forwards them there.
Commands are argument lists, never a shell.
"""

from __future__ import annotations

import logging
import threading

from oslo_concurrency import processutils

from analyzer.replay.drivers.base import DriverError

__all__ = ["ProcessExecutionError", "ProcessLimits", "run"]

ProcessExecutionError = processutils.ProcessExecutionError
ProcessLimits = processutils.ProcessLimits

_LOGGER = "oslo_concurrency.processutils"
_target = threading.local()
_install_lock = threading.Lock()
_installed = False


class _ToHostLog(logging.Handler):
    """Forwards processutils' records to the host log named by the running thread."""

    def emit(self, record: logging.LogRecord) -> None:
        log = getattr(_target, "log", None)
        if log is None:
            return
        log.log(record.levelno, _LOGGER, record.getMessage(), _target.context, func=record.funcName)


def _install() -> None:
    global _installed
    with _install_lock:
        if _installed:
            return
        logger = logging.getLogger(_LOGGER)
        logger.addHandler(_ToHostLog())
        logger.setLevel(logging.DEBUG)  # processutils logs at DEBUG, as Nova runs it
        logger.propagate = False        # its lines belong in Nova's logs only
        _installed = True


def run(log, context, *args: str, prlimit: ProcessLimits | None = None) -> tuple[str, str]:
    """Run ``args`` (no shell); processutils' lines land in ``log`` with ``context``.

    Returns (stdout, stderr); a failing command raises DriverError chained to processutils'
    ProcessExecutionError.
    """
    _install()
    _target.log, _target.context = log, context
    try:
        return processutils.execute(*args, prlimit=prlimit)
    except (processutils.ProcessExecutionError, OSError) as error:
        stderr = getattr(error, "stderr", "") or str(error)
        raise DriverError(f"{' '.join(args)}: {stderr.strip()}") from error
    finally:
        _target.log = _target.context = None
