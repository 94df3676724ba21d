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
import threading
import time
import uuid
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import oslo_messaging
    from oslo_config import cfg
    from oslo_context import context as oslo_context
    from oslo_messaging._drivers import base as driver_base
    from oslo_messaging._drivers import impl_fake

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


class _PromptExchange(impl_fake.FakeExchange):
    """A fake exchange that wakes the listeners of a topic when a message arrives for it."""

    def __init__(self, name: str, listeners: dict[str, list[threading.Event]]) -> None:
        super().__init__(name)
        self._listeners = listeners

    def deliver_message(self, topic, *args, **kwargs) -> None:
        super().deliver_message(topic, *args, **kwargs)
        for wake in self._listeners.get(topic, ()):
            wake.set()


class _PromptExchangeManager(impl_fake.FakeExchangeManager):
    """The exchanges of one transport (the stock manager shares them across the process)."""

    def __init__(self, default_exchange: str | None) -> None:
        super().__init__(default_exchange)
        self._exchanges: dict[str, _PromptExchange] = {}
        self._exchanges_lock = threading.Lock()
        self.listeners: dict[str, list[threading.Event]] = {}  # topic -> its listeners' wake-ups

    def get_exchange(self, name: str | None) -> _PromptExchange:
        with self._exchanges_lock:
            name = name or self._default_exchange
            if name not in self._exchanges:
                self._exchanges[name] = _PromptExchange(name, self.listeners)
            return self._exchanges[name]

    def cleanup(self) -> None:
        with self._exchanges_lock:
            self._exchanges.clear()


class _PromptListener(impl_fake.FakeListener):
    """Waits for a delivery to its topic instead of the stock listener's 50 ms sleeps."""

    def __init__(self, exchange_manager: _PromptExchangeManager, targets, pool=None) -> None:
        super().__init__(exchange_manager, targets, pool)
        self._wake = threading.Event()
        for topic in {target.topic for target in targets}:
            exchange_manager.listeners.setdefault(topic, []).append(self._wake)

    @driver_base.batch_poll_helper
    def poll(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._stopped.is_set():
            self._wake.clear()  # before looking: a message delivered after this sets it again
            for target in self._targets:
                exchange = self._exchange_manager.get_exchange(target.exchange)
                ctxt, message, reply_q, requeue = exchange.poll(target, self._pool)
                if message is not None:
                    return impl_fake.FakeIncomingMessage(ctxt, message, reply_q, requeue)
            pause = 0.25 if deadline is None else min(0.25, deadline - time.monotonic())
            if pause <= 0:
                break
            self._wake.wait(pause)  # bounded: stop() is seen within a quarter second
        return None


class _PromptFakeDriver(impl_fake.FakeDriver):
    """oslo.messaging's in-process fake driver, delivering without polling delays.

    The stock listener sleeps 50 ms whenever its queue is empty, so every RPC hop of an
    operation waits up to 50 ms; a Nova operation makes several hops (API -> compute ->
    conductor calls), which made in-process replays latency-bound rather than CPU-bound.
    """

    def listen(self, target, batch_size, batch_timeout):
        exchange = target.exchange or self._default_exchange
        targets = [oslo_messaging.Target(topic=target.topic, server=target.server, exchange=exchange),
                   oslo_messaging.Target(topic=target.topic, exchange=exchange)]
        return driver_base.PollStyleListenerAdapter(
            _PromptListener(self._exchange_manager, targets), batch_size, batch_timeout)


def get_transport(url: str = "fake://"):
    """An RPC transport for ``url`` (``fake://`` in-process, ``rabbit://user:pw@host:5672/``)."""
    conf = cfg.ConfigOpts()
    conf([], project="nova")
    for group, opts in _GLOBAL_OPTS:
        conf.register_opts(opts, group=group)
    transport = oslo_messaging.get_rpc_transport(conf, url=url)
    driver = transport._driver
    if type(driver) is impl_fake.FakeDriver:
        driver.__class__ = _PromptFakeDriver
        driver._exchange_manager = _PromptExchangeManager(driver._default_exchange)
    return transport


def exchange_for(transport) -> str:
    """The exchange of ``transport``: ``nova``, or one of its own for each fake:// transport.

    oslo.messaging's fake driver keeps its exchanges in a class attribute, shared by every
    fake transport of the process; a private exchange keeps two mini-Novas apart.
    """
    if not hasattr(transport, "_nova_exchange"):
        fake = isinstance(transport._driver, impl_fake.FakeDriver)
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
