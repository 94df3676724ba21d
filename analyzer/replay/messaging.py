"""oslo.messaging for mini-Nova: the transport, Nova's targets, and clients that log like amqpdriver.

The transport URL is the messaging seam: ``fake://`` (in-process, the embedded default) or
``rabbit://…``.  Targets are Nova's: topic ``scheduler``, ``conductor`` and ``compute`` with
server = host (routing key ``compute.<host>``).  The request context travels with every
message (``RequestContextSerializer``), so a request id given by nova-api reaches compute.

oslo.messaging's fake driver logs nothing, so ``RPCClient.cast``/``call`` write the DEBUG lines
the AMQP driver writes in a real Nova (``CAST unique_id: <hex> exchange 'nova' topic 'conductor'``)
to the calling service's log.
"""

from __future__ import annotations

import contextlib
import importlib
import uuid
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import oslo_messaging
    from oslo_config import cfg
    from oslo_context import context as oslo_context

# oslo.messaging registers its metrics (and, lately, tracing) options on the global CONF only.
_GLOBAL_OPTS: list[tuple[str, list]] = []
for _module, _group in (("oslo_messaging._metrics.client", "oslo_messaging_metrics"),
                        ("oslo_messaging._tracing.client", "oslo_messaging_tracing")):
    with contextlib.suppress(ImportError, AttributeError):
        _GLOBAL_OPTS.append((_group, getattr(importlib.import_module(_module), _group)))

__all__ = ["EXCHANGE", "RPCClient", "RequestContextSerializer", "exchange_for", "get_server",
           "get_transport"]

EXCHANGE = "nova"
_AMQP_LOGGER = "oslo_messaging._drivers.amqpdriver"


class RequestContextSerializer(oslo_messaging.NoOpSerializer):
    """Carries the oslo.context RequestContext (and its request id) through every message."""

    def serialize_context(self, context):
        return context.to_dict()

    def deserialize_context(self, context):
        return oslo_context.RequestContext.from_dict(context)


def get_transport(url: str = "fake://"):
    """An RPC transport for ``url`` (``fake://`` in-process, ``rabbit://user:pw@host:5672/``)."""
    conf = cfg.ConfigOpts()
    conf([], project="nova")
    for group, opts in _GLOBAL_OPTS:
        conf.register_opts(opts, group=group)
    return oslo_messaging.get_rpc_transport(conf, url=url)


def exchange_for(transport) -> str:
    """The exchange of ``transport``: ``nova``, or one of its own for each fake:// transport.

    oslo.messaging's fake driver keeps its exchanges in a class attribute, shared by every
    fake transport of the process; a private exchange keeps two mini-Novas apart.
    """
    if not hasattr(transport, "_nova_exchange"):
        fake = type(transport._driver).__name__ == "FakeDriver"
        transport._nova_exchange = f"{EXCHANGE}-{uuid.uuid4().hex[:12]}" if fake else EXCHANGE
    return transport._nova_exchange


def get_server(transport, topic: str, server: str, endpoints: list):
    """An RPC server on Nova's target ``topic`` / ``server``; started by the caller."""
    target = oslo_messaging.Target(topic=topic, server=server, exchange=exchange_for(transport))
    return oslo_messaging.get_rpc_server(transport, target, endpoints,
                                         serializer=RequestContextSerializer())


class RPCClient:
    """One service's client for one topic; ``cast`` and ``call`` log as the AMQP driver does."""

    def __init__(self, transport, topic: str, log, timeout: float = 60.0) -> None:
        self.topic = topic
        self._log = log
        self._client = oslo_messaging.get_rpc_client(
            transport, oslo_messaging.Target(topic=topic, exchange=exchange_for(transport)),
            serializer=RequestContextSerializer(), timeout=timeout)

    def _prepared(self, server: str | None, timeout: float | None = None):
        if timeout is not None:
            return self._client.prepare(server=server, timeout=timeout)
        return self._client.prepare(server=server) if server else self._client

    def _routing_key(self, server: str | None) -> str:
        return f"{self.topic}.{server}" if server else self.topic

    def cast(self, context, method: str, server: str | None = None, **kwargs) -> None:
        self._log.debug(_AMQP_LOGGER, f"CAST unique_id: {uuid.uuid4().hex} exchange '{EXCHANGE}' "
                        f"topic '{self._routing_key(server)}'", context, func="_send")
        self._prepared(server).cast(context, method, **kwargs)

    def call(self, context, method: str, server: str | None = None, timeout: float | None = None,
             **kwargs):
        self._log.debug(_AMQP_LOGGER, f"CALL msg_id: {uuid.uuid4().hex} exchange '{EXCHANGE}' "
                        f"topic '{self._routing_key(server)}'", context, func="_send")
        return self._prepared(server, timeout).call(context, method, **kwargs)
