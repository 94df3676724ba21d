"""nova-api for mini-Nova: the Compute API v2.1 over FastAPI, with Nova's log lines and faults.

``create_app(nova)`` builds the ASGI app over a wired ``MiniNova`` (its database, the
conductor and compute RPC APIs and the nova-api log).  A pure ASGI middleware gives each
request its oslo.context (``req-<uuid>``, carried through RPC to compute), negotiates the
microversion and writes the access line when the response is done: eventlet's
``nova.osapi_compute.wsgi.server`` line in 2016, ``nova.api.openstack.requestlog`` now.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from typing import Annotated

import orjson
from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from oslo_context import context as oslo_context

from analyzer.replay.api import views
from analyzer.replay.api.admission import RULES, Rule, refusal
from analyzer.replay.conductor.db import ExpectedStateError
from analyzer.replay.conductor.manager import jsonable

__all__ = ["NovaError", "create_app"]

_WSGI = "nova.api.openstack.wsgi"
_COMPUTE_API = "nova.compute.api"
_GLOBAL_ID = re.compile(r"req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_DEFAULT_USER = "d819c90fb79bcd2368bd7159bf6bbb58"
_DEFAULT_PROJECT = "f8c4efb3b1479939c94b3f4a33b29589"

# The controller Nova dispatches each action to (module, class, method), for the DEBUG line.
_CONTROLLERS = {
    "create": ("servers", "ServersController", "create"),
    "pause": ("pause_server", "PauseServerController", "_pause"),
    "unpause": ("pause_server", "PauseServerController", "_unpause"),
    "suspend": ("suspend_server", "SuspendServerController", "_suspend"),
    "resume": ("suspend_server", "SuspendServerController", "_resume"),
    "rescue": ("rescue", "RescueController", "_rescue"),
    "unrescue": ("rescue", "RescueController", "_unrescue"),
    "lock": ("lock_server", "LockServerController", "_lock"),
    "unlock": ("lock_server", "LockServerController", "_unlock"),
    "os-start": ("servers", "ServersController", "_start_server"),
    "os-stop": ("servers", "ServersController", "_stop_server"),
    "reboot": ("servers", "ServersController", "_action_reboot"),
    "rebuild": ("servers", "ServersController", "_action_rebuild"),
    "createImage": ("servers", "ServersController", "_action_create_image"),
}


class JSONResponse(Response):
    """A JSON body as Starlette's JSONResponse writes it (compact, UTF-8), encoded by orjson."""

    media_type = "application/json"

    def render(self, content: object) -> bytes:
        return orjson.dumps(content)


def _json(body: object, status: int = 200) -> JSONResponse:
    """A JSON response as it is, skipping FastAPI's encoder (the bodies are plain JSON already)."""
    return JSONResponse(body, status_code=status)


class NovaError(Exception):
    """An HTTP fault shaped as Nova's: ``{"conflictingRequest": {"code": 409, "message": …}}``."""

    KINDS = {400: "badRequest", 401: "unauthorized", 403: "forbidden", 404: "itemNotFound",
             406: "notAcceptable", 409: "conflictingRequest"}

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def response(self) -> JSONResponse:
        kind = self.KINDS.get(self.code, "computeFault")
        return JSONResponse({kind: {"code": self.code, "message": self.message}}, status_code=self.code)


def _parse_version(text: str, style: str) -> tuple[int, int]:
    maximum = tuple(int(part) for part in views.MAX_VERSION[style].split("."))
    if text.strip().lower() == "latest":
        return maximum  # type: ignore[return-value]
    try:
        major, minor = (int(part) for part in text.strip().split("."))
    except ValueError:
        raise NovaError(400, f"Invalid format for API version: {text.strip()}") from None
    if not (2, 1) <= (major, minor) <= maximum:
        raise NovaError(406, f"Version {major}.{minor} is not supported by the API. Minimum is "
                             f"{views.MIN_VERSION} and maximum is {views.MAX_VERSION[style]}.")
    return major, minor


class _NovaMiddleware:
    """Request context, token, microversion, and the access line of every request."""

    def __init__(self, app, nova) -> None:
        self.app = app
        self.nova = nova

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        nova = self.nova
        headers = {key.decode().lower(): value.decode() for key, value in scope["headers"]}
        # A caller's X-OpenStack-Request-ID (req-<uuid>) becomes the global request id, as
        # oslo.middleware and nova.context do; current Nova logs it first in the context block.
        global_id = headers.get("x-openstack-request-id")
        domain = None if nova.style == "2016" else "default"
        context = oslo_context.RequestContext(
            user_id=headers.get("x-user-id", _DEFAULT_USER),
            project_id=headers.get("x-project-id", _DEFAULT_PROJECT),
            user_domain_id=domain, project_domain_id=domain,
            global_request_id=global_id if global_id and _GLOBAL_ID.fullmatch(global_id) else None,
            request_id=oslo_context.generate_request_id(), is_admin=False)
        state = {"status": 500, "length": 0}
        version = "2.1"
        fault = None
        if nova.token and headers.get("x-auth-token") != nova.token:
            fault = NovaError(401, "Authentication required")
        elif scope["path"].startswith("/v2"):
            asked = headers.get("openstack-api-version", "")
            if asked.lower().startswith("compute "):
                asked = asked[len("compute "):]
            else:
                asked = headers.get("x-openstack-nova-api-version", "")
            try:
                if asked:
                    version = "{}.{}".format(*_parse_version(asked, nova.style))
            except NovaError as error:
                fault = error
        scope.setdefault("state", {})
        scope["state"]["context"] = context
        scope["state"]["microversion"] = tuple(int(part) for part in version.split("."))
        extra_headers = [(b"x-openstack-request-id", context.request_id.encode()),
                         (b"x-compute-request-id", context.request_id.encode())]
        if scope["path"].startswith("/v2"):
            extra_headers += [(b"openstack-api-version", f"compute {version}".encode()),
                              (b"x-openstack-nova-api-version", version.encode()),
                              (b"vary", b"OpenStack-API-Version, X-OpenStack-Nova-API-Version")]

        async def send_logged(message):
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                message["headers"] = list(message.get("headers", [])) + extra_headers
            elif message["type"] == "http.response.body":
                state["length"] += len(message.get("body", b""))
            await send(message)

        if fault is not None:
            nova.api_log.info(_WSGI, f"HTTP exception thrown: {fault.message}", context)
            await fault.response()(scope, receive, send_logged)
        else:
            await self.app(scope, receive, send_logged)
        path = scope["path"] + (f"?{scope['query_string'].decode()}" if scope.get("query_string") else "")
        client = (scope.get("client") or ("127.0.0.1", 0))[0]
        if client == "testclient":
            client = "127.0.0.1"
        seconds = time.monotonic() - started
        if nova.style == "2016":
            request_line = f'{scope["method"]} {path} HTTP/{scope.get("http_version", "1.1")}'
            nova.api_log.info("nova.osapi_compute.wsgi.server",
                              f'{client} "{request_line}" status: {state["status"]} len: {state["length"]} '
                              f'time: {seconds:.7f}', context)
        else:
            nova.api_log.info("nova.api.openstack.requestlog",
                              f'{client} "{scope["method"]} {path}" status: {state["status"]} '
                              f'len: {state["length"]} microversion: {version} time: {seconds:.6f}', context)


async def _json_body(request: Request):
    raw = await request.body()
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise NovaError(400, "Malformed request body") from None


JsonBody = Annotated[object, Depends(_json_body)]


def create_app(nova) -> FastAPI:
    """The Compute API app of ``nova`` (a ``MiniNova``)."""
    app = FastAPI(title="mini-Nova", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(_NovaMiddleware, nova=nova)
    log = nova.api_log
    db = nova.db

    @app.exception_handler(NovaError)
    async def nova_error(request: Request, error: NovaError):
        log.info(_WSGI, f"HTTP exception thrown: {error.message}", request.state.context)
        return error.response()

    bases: dict[tuple[object, ...], str] = {}

    def base(request: Request) -> str:
        """The URL the client reached the API at (links in responses start with it)."""
        scope = request.scope
        key = (scope.get("scheme"), tuple(scope.get("server") or ()), scope.get("root_path"),
               request.headers.get("host"))
        found = bases.get(key)
        if found is None:
            if len(bases) > 64:  # Host headers are the client's to choose: keep few
                bases.clear()
            found = bases[key] = str(request.base_url).rstrip("/")
        return found

    def calling(request: Request, controller: str, method: str, module: str = "servers") -> None:
        log.debug(_WSGI, f"Calling method '<bound method {controller}.{method} of "
                  f"<nova.api.openstack.compute.{module}.{controller} object at 0x7f68cf6d6c10>>'",
                  request.state.context, func="_process_stack")

    def action_line(request: Request, route: str, name: str, body) -> None:
        module, controller, method = _CONTROLLERS[name]
        log.debug(_WSGI, f"Action: '{route}', calling method: <bound method {controller}.{method} of "
                  f"<nova.api.openstack.compute.{module}.{controller} object at 0x7f68cf6d6c10>>, "
                  f"body: {json.dumps(body)}", request.state.context, func="_process_stack")

    def instance_or_404(server_id: str) -> dict:
        row = db.get_instance(server_id)
        if row is None:
            raise NovaError(404, f"Instance {server_id} could not be found.")
        return row

    def admit(request: Request, row: dict, rule: Rule, **values) -> dict:
        """Nova's check_instance_lock + check_instance_state, then the conditional save."""
        message = refusal(rule, row)
        if message is None:
            try:
                return db.update_instance(
                    row["uuid"], {"task_state": rule.task_state, **values}, expected_vm_state=rule.vm_states,
                    expected_task_state=... if rule.task_states is None else rule.task_states,
                    check_lock=rule.lock_checked)
            except ExpectedStateError:
                current = instance_or_404(row["uuid"])
                message = refusal(rule, current) or (
                    f"Cannot '{rule.word}' instance {row['uuid']} while it is in task_state "
                    f"{current['task_state']}")
        raise NovaError(409, message)

    # -- versions ---------------------------------------------------------------------------------
    @app.get("/")
    async def root(request: Request):
        return JSONResponse(views.versions(base(request), nova.style), status_code=200)

    @app.get("/v2.1")
    @app.get("/v2.1/")
    async def v21(request: Request):
        return _json(views.version(base(request), nova.style))

    # -- servers ------------------------------------------------------------------------------------
    @app.get("/v2.1/servers")
    async def list_servers(request: Request):
        calling(request, "ServersController", "index")
        return _json({"servers": [{"id": row["uuid"], "name": row["display_name"],
                             "links": views.server_detail(row, base(request))["links"]}
                            for row in db.list_instances()]})

    @app.get("/v2.1/servers/detail")
    async def list_servers_detail(request: Request):
        calling(request, "ServersController", "detail")
        return _json({"servers": [views.server_detail(row, base(request)) for row in db.list_instances()]})

    @app.get("/v2.1/servers/{server_id}")
    async def show_server(server_id: str, request: Request):
        calling(request, "ServersController", "show")
        return _json({"server": views.server_detail(instance_or_404(server_id), base(request))})

    @app.post("/v2.1/servers", status_code=202)
    async def create_server(request: Request, body: JsonBody):
        context = request.state.context
        action_line(request, "create", "create", body)
        server = body.get("server") if isinstance(body, dict) else None
        if not isinstance(server, dict):
            raise NovaError(400, "Invalid input for field/attribute server. Value: None. "
                                 "'server' is a required property")
        for field in ("name", "flavorRef"):
            if not isinstance(server.get(field), (str, int)) or str(server.get(field)) == "":
                raise NovaError(400, "Invalid input for field/attribute server. "
                                     f"Value: {json.dumps(server)}. '{field}' is a required property")
        flavor = views.FLAVORS.get(str(server["flavorRef"]).rstrip("/").rsplit("/", 1)[-1])
        if flavor is None:
            raise NovaError(400, f"Flavor {server['flavorRef']} could not be found.")
        image_ref = str(server.get("imageRef") or "").rstrip("/").rsplit("/", 1)[-1]
        image = db.get_image(image_ref) if image_ref else None
        if image is None:
            raise NovaError(400, "Can not find requested image")
        log.debug(_COMPUTE_API, "Going to run 1 instances...", context, func="_provision_instances")
        row = db.create_instance({
            "display_name": str(server["name"]), "user_id": context.user_id,
            "project_id": context.project_id, "flavor_id": str(server["flavorRef"]),
            "image_ref": image["id"], "memory_mb": flavor["ram"], "vcpus": flavor["vcpus"],
            "root_gb": flavor["disk"], "vm_state": "building", "task_state": "scheduling"})
        db.start_action(row["uuid"], "create", context)
        nova.compute_task.build_instances(context, jsonable(row), jsonable(image))
        link = f"{base(request)}/v2.1/servers/{row['uuid']}"
        return _json({"server": {"id": row["uuid"], "links": [{"rel": "self", "href": link},
                                                        {"rel": "bookmark", "href": link}],
                           "adminPass": secrets.token_urlsafe(9), "OS-DCF:diskConfig": "MANUAL",
                           "security_groups": [{"name": "default"}]}}, 202)

    @app.delete("/v2.1/servers/{server_id}", status_code=204)
    async def delete_server(server_id: str, request: Request):
        context = request.state.context
        calling(request, "ServersController", "delete")
        row = instance_or_404(server_id)
        log.debug(_COMPUTE_API, "Going to try to terminate instance", context, server_id, func="delete")
        if row["task_state"] == "deleting":
            log.info(_COMPUTE_API, "Instance is already in deleting state, ignoring this request",
                     context, server_id)
            return Response(status_code=204)
        row = admit(request, row, RULES["delete"])
        db.start_action(server_id, "delete", context)
        if not row["host"]:
            db.update_instance(server_id, {"vm_state": "deleted", "task_state": None, "deleted": True})
        else:
            nova.compute.cast(context, "terminate_instance", jsonable(row))
        return Response(status_code=204)

    @app.post("/v2.1/servers/{server_id}/action")
    async def server_action(server_id: str, request: Request, body: JsonBody):
        context = request.state.context
        if not isinstance(body, dict) or len(body) != 1:
            raise NovaError(400, "Malformed request body")
        name = next(iter(body))
        if name not in _CONTROLLERS or name == "create":
            raise NovaError(400, f"There is no such action: {name}")
        action_line(request, "action", name, body)
        row = instance_or_404(server_id)
        args = body[name]
        if name in ("lock", "unlock"):
            return lock(request, row, name)
        if name == "reboot":
            kind = str((args or {}).get("type", "")).upper() if isinstance(args, dict) else ""
            if kind not in ("SOFT", "HARD"):
                raise NovaError(400, f"Invalid input for field/attribute reboot. Value: {json.dumps(args)}. "
                                     "'type' is a required property" if not kind else
                                     f"Invalid input for field/attribute type. Value: {kind}. "
                                     "'type' must be one of ['HARD', 'SOFT']")
            rule = RULES[f"reboot:{kind}"]
            row = admit(request, row, rule)
            db.start_action(server_id, rule.instance_action, context)
            nova.compute.reboot_instance(context, jsonable(row), kind)
            return Response(status_code=202)
        if name == "createImage":
            return create_image(request, row, args)
        if name == "rebuild":
            return rebuild(request, row, args)
        rule = RULES[name]
        if name == "rescue":
            image_ref = (args or {}).get("rescue_image_ref") if isinstance(args, dict) else None
            image = db.get_image(image_ref or row["image_ref"])
            if image is None:
                raise NovaError(400, f"Image {image_ref} could not be found.")
            row = admit(request, row, rule)
            db.start_action(server_id, rule.instance_action, context)
            nova.compute.rescue_instance(context, jsonable(row), jsonable(image))
            return JSONResponse({"adminPass": secrets.token_urlsafe(9)}, status_code=200)
        if name in ("os-start", "os-stop"):
            log.debug(_COMPUTE_API, f"Going to try to {rule.word} instance", context, server_id,
                      func=rule.word)
        row = admit(request, row, rule)
        db.start_action(server_id, rule.instance_action, context)
        nova.compute.cast(context, rule.compute_method, jsonable(row))
        return Response(status_code=202)

    def lock(request: Request, row: dict, name: str):
        context = request.state.context
        if name == "lock":
            if not row["locked"]:
                log.debug(_COMPUTE_API, "Locking", context, row["uuid"], func="lock")
                db.update_instance(row["uuid"], {"locked": True, "locked_by": "owner"})
        else:
            log.debug(_COMPUTE_API, "Unlocking", context, row["uuid"], func="unlock")
            db.update_instance(row["uuid"], {"locked": False, "locked_by": None})
        if nova.style != "2016":
            db.start_action(row["uuid"], name, context)
        return Response(status_code=202)

    def create_image(request: Request, row: dict, args):
        context = request.state.context
        if not isinstance(args, dict) or not isinstance(args.get("name"), str) or not args["name"].strip():
            raise NovaError(400, f"Invalid input for field/attribute createImage. Value: {json.dumps(args)}. "
                                 "'name' is a required property")
        rule = RULES["createImage"]
        if refusal(rule, row) is not None:
            admit(request, row, rule)
        image = db.create_image({"name": args["name"], "server_uuid": row["uuid"],
                                 "min_disk": row["root_gb"]})
        try:
            row = admit(request, row, rule)
        except NovaError:
            db.update_image(image["id"], {"status": "deleted"})
            raise
        if nova.style != "2016":
            db.start_action(row["uuid"], "createImage", context)
        nova.compute.snapshot_instance(context, jsonable(row), image["id"])
        location = f"{base(request)}/images/{image['id']}"
        if request.state.microversion >= (2, 45):
            return JSONResponse({"image_id": image["id"]}, status_code=202)
        return Response(status_code=202, headers={"Location": location})

    def rebuild(request: Request, row: dict, args):
        context = request.state.context
        image_ref = args.get("imageRef") if isinstance(args, dict) else None
        if not isinstance(image_ref, str) or not image_ref:
            raise NovaError(400, f"Invalid input for field/attribute rebuild. Value: {json.dumps(args)}. "
                                 "'imageRef' is a required property")
        image = db.get_image(image_ref.rstrip("/").rsplit("/", 1)[-1])
        if image is None:
            raise NovaError(400, f"Cannot find requested image {image_ref}: "
                                 f"Image {image_ref} could not be found.")
        original = row["image_ref"]
        rule = RULES["rebuild"]
        row = admit(request, row, rule, image_ref=image["id"])
        db.start_action(row["uuid"], rule.instance_action, context)
        nova.compute_task.rebuild_instance(context, jsonable(row), jsonable(image), original)
        detail = views.server_detail(row, base(request))
        detail["adminPass"] = secrets.token_urlsafe(9)
        return JSONResponse({"server": detail}, status_code=202)

    @app.get("/v2.1/servers/{server_id}/os-instance-actions")
    async def instance_actions(server_id: str, request: Request):
        calling(request, "InstanceActionsController", "index", "instance_actions")
        row = db.get_instance(server_id, read_deleted=True)
        if row is None:
            raise NovaError(404, f"Instance {server_id} could not be found.")
        return _json({"instanceActions": [
            {"action": action["action"], "instance_uuid": server_id, "request_id": action["request_id"],
             "user_id": action["user_id"], "project_id": action["project_id"],
             "start_time": views._time(action["start_time"]), "message": action["message"]}
            for action in db.list_actions(server_id)]})

    @app.get("/v2.1/servers/{server_id}/os-instance-actions/{request_id}")
    def instance_action(server_id: str, request_id: str, request: Request):
        """One action with its events: an event with no finish_time is a compute step cut short."""
        calling(request, "InstanceActionsController", "show", "instance_actions")
        if db.get_instance(server_id, read_deleted=True) is None:
            raise NovaError(404, f"Instance {server_id} could not be found.")
        action = next((row for row in db.list_actions(server_id) if row["request_id"] == request_id), None)
        if action is None:
            raise NovaError(404, f"Action {request_id} on instance {server_id} could not be found.")
        return _json({"instanceAction": {
            "action": action["action"], "instance_uuid": server_id, "request_id": request_id,
            "user_id": action["user_id"], "project_id": action["project_id"],
            "start_time": views._time(action["start_time"]), "message": action["message"],
            "events": [{"event": event["event"], "start_time": views._time(event["start_time"]),
                        "finish_time": views._time(event["finish_time"]), "result": event["result"]}
                       for event in db.list_events(action["id"])]}})

    # -- flavors and images ---------------------------------------------------------------------
    def flavor_body(flavor_id: str, request: Request, detail: bool) -> dict:
        flavor = views.FLAVORS[flavor_id]
        body = {"id": flavor_id, "name": flavor["name"], "links": [
            {"rel": "self", "href": f"{base(request)}/v2.1/flavors/{flavor_id}"}]}
        if detail:
            body.update({"ram": flavor["ram"], "vcpus": flavor["vcpus"], "disk": flavor["disk"],
                         "OS-FLV-EXT-DATA:ephemeral": 0, "swap": "", "rxtx_factor": 1.0,
                         "os-flavor-access:is_public": True, "OS-FLV-DISABLED:disabled": False})
        return body

    @app.get("/v2.1/flavors")
    async def list_flavors(request: Request):
        return _json({"flavors": [flavor_body(key, request, False) for key in views.FLAVORS]})

    @app.get("/v2.1/flavors/detail")
    async def list_flavors_detail(request: Request):
        return _json({"flavors": [flavor_body(key, request, True) for key in views.FLAVORS]})

    @app.get("/v2.1/flavors/{flavor_id}")
    async def show_flavor(flavor_id: str, request: Request):
        if flavor_id not in views.FLAVORS:
            raise NovaError(404, f"Flavor {flavor_id} could not be found.")
        return _json({"flavor": flavor_body(flavor_id, request, True)})

    def image_body(image: dict, request: Request) -> dict:
        return {"id": image["id"], "name": image["name"], "status": image["status"].upper(),
                "progress": 100 if image["status"] == "active" else 25, "minDisk": image["min_disk"],
                "minRam": image["min_ram"], "created": views._time(image["created_at"]),
                "updated": views._time(image["updated_at"]),
                # createImage records the server: Nova's snapshot properties (image_type snapshot)
                "metadata": ({"image_type": "snapshot", "instance_uuid": image["server_uuid"]}
                             if image.get("server_uuid") else {}),
                "OS-EXT-IMG-SIZE:size": image["size"],
                "links": [{"rel": "self", "href": f"{base(request)}/v2.1/images/{image['id']}"}]}

    @app.get("/v2.1/images")
    @app.get("/v2.1/images/detail")
    async def list_images(request: Request):
        return _json({"images": [image_body(image, request) for image in db.list_images()
                           if image["status"] != "deleted"]})

    @app.get("/v2.1/images/{image_id}")
    async def show_image(image_id: str, request: Request):
        image = db.get_image(image_id)
        if image is None or image["status"] == "deleted":
            raise NovaError(404, f"Image {image_id} could not be found.")
        return _json({"image": image_body(image, request)})

    return app
