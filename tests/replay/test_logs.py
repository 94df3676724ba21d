"""mini-Nova's log formatter writes exactly what oslo.log's ContextFormatter writes."""

from __future__ import annotations

import itertools
import logging

import pytest
from oslo_context import context as oslo_context
from oslo_log import formatters

from analyzer.replay.logs import STYLES, _config, _NovaFormatter

_CONTEXTS = {
    "none": None,
    "request": oslo_context.RequestContext(user_id="d819c90fb79bcd2368bd7159bf6bbb58",
                                           project_id="f8c4efb3b1479939c94b3f4a33b29589",
                                           request_id="req-6a5ea69e-3d2c-4b8a-9bd0-1c0a7d0e2f11"),
    "global and domains": oslo_context.RequestContext(
        user_id="admin", project_id="demo", user_domain_id="default", project_domain_id="default",
        global_request_id="req-0f7c1e9e-3c35-4a8d-8f43-6b6f1b0c2d44",
        request_id="req-3f0d2b1c-5a4e-4d7f-9e8a-2b1c0d9e8f77"),
}


def _record(level: int, context, instance: str | None) -> logging.LogRecord:
    record = logging.LogRecord("novatrace.replay.test", level, "ignored", 42, "%s",
                               ("Instance destroyed successfully.",), None, func="_destroy")
    record.created = 1467122173.892
    record.msecs = 892.0
    record.process = 29140
    record.name = "nova.virt.libvirt.driver"
    record.pathname = "nova/virt/libvirt/driver.py"
    record.context = context
    if context is None:
        record.request_id = None
    if instance:
        record.instance = {"uuid": instance}
    return record


@pytest.mark.parametrize("style", STYLES)
def test_every_plain_record_is_written_as_oslo_log_writes_it(style):
    conf = _config(style)
    stock = formatters.ContextFormatter(config=conf, project="nova", datefmt="%Y-%m-%d %H:%M:%S")
    fast = _NovaFormatter(config=conf, project="nova", datefmt="%Y-%m-%d %H:%M:%S")
    cases = itertools.product((logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR),
                              _CONTEXTS.items(), (None, "8b3e1a36-7a8e-4c4e-a1f2-3d64f2f8e0a1"))
    for level, (name, context), instance in cases:
        expected = stock.format(_record(level, context, instance))
        for _ in range(2):  # the second line comes from the per-context cache
            assert fast.format(_record(level, context, instance)) == expected, (level, name, instance)
    assert "[-] " in fast.format(_record(logging.INFO, None, None))


def test_a_record_with_a_traceback_takes_oslo_logs_own_path():
    conf = _config("2016")
    stock = formatters.ContextFormatter(config=conf, project="nova", datefmt="%Y-%m-%d %H:%M:%S")
    fast = _NovaFormatter(config=conf, project="nova", datefmt="%Y-%m-%d %H:%M:%S")
    try:
        raise RuntimeError("libvirtError: Domain not found")
    except RuntimeError:
        import sys

        info = sys.exc_info()
    records = []
    for _ in range(2):
        record = _record(logging.ERROR, _CONTEXTS["request"], None)
        record.exc_info = info
        records.append(record)
    text = fast.format(records[0])
    assert text == stock.format(records[1])
    assert "Traceback (most recent call last)" in text and "libvirtError: Domain not found" in text
