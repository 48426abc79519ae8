"""HTTP API for watchlists: watch officers manage them without editing the file.

Routes (mounted by ``services.ingest.api.create_api``):

- ``GET /v1/watchlists`` -> 200 ``{"watchlists": [...], "version": n}``: the
  file-defined ones (``"source": "file"``) then the API-managed ones
  (``"source": "api"``), each redacted.
- ``GET /v1/watchlists/{id}`` -> 200 the watchlist, 404 unknown.
- ``PUT /v1/watchlists/{id}`` -> 201 created / 200 replaced, with the stored
  watchlist (redacted). The body is one watchlist as in the YAML file, in
  JSON; its ``id`` is the path's or omitted. 409 when the id is defined in
  the file (read-only here), 422 with one problem per field, 400 not JSON
  (or nested deeper than 64 levels), 413 over 1 MiB (refused while streaming).
- ``DELETE /v1/watchlists/{id}`` -> 204; 404 unknown; 409 file-defined. An
  id in both (the file gained it after the API stored it) is the file's, shown
  with ``"hides_api_copy": true``; DELETE then removes the API's copy (200,
  saying so), which would otherwise come back if the file dropped the id.

Responses never carry a secret: a webhook target shows its URL (without a
userinfo password) and ``"secret_set": true``; a Slack target, whose URL is
the credential, shows ``"url_set": true`` only. Problems name the field and
never echo a value.

When ``settings.api_token`` is set every route here needs
``Authorization: Bearer <token>`` (401 otherwise). ``require_token`` is the
same check as a reusable dependency.

Errors have the ingest API's shape:
``{"error": {"message": ..., "problems": [{"field", "message"}]}}``.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from fastapi import APIRouter, Depends, HTTPException, Request, Security
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError
from watchfloor.services.targets import carry_over, redacted
from watchfloor.services.targets.base import ADDRESS_POLICY
from watchfloor.services.watchlists.configured import watchlist_actors
from watchfloor.services.watchlists.model import (
    KNOWN_ACTORS,
    Watchlist,
    error_message,
    field_location,
    field_path,
)
from watchfloor.services.watchlists.store import WatchlistChanged
from watchfloor.shared.http import error_body, storage_error_route
from watchfloor.shared.logging import get_logger
from watchfloor.shared.request_body import (
    BoundedWork,
    RequestBodyError,
    is_blank,
    parse_json,
    read_capped,
    size_text,
)
from watchfloor.shared.settings import Settings

log = get_logger("watchfloor.watchlists.api")

MAX_WATCHLIST_BYTES = 1 << 20


class WatchlistStorage(Protocol):
    """What the API needs from a store (``WatchlistStore`` or a test fake)."""

    known_tags: frozenset[str]

    async def list(self) -> list[Watchlist]: ...
    async def get(self, watchlist_id: str) -> Watchlist | None: ...
    async def put(self, watchlist: Watchlist) -> bool: ...
    async def save(self, watchlist: Watchlist, expected: str = "*") -> tuple[bool, str]: ...
    async def get_with_revision(
        self, watchlist_id: str) -> tuple[Watchlist | None, str | None]: ...
    async def delete(self, watchlist_id: str) -> bool: ...
    async def version(self) -> int: ...


# --- authentication -----------------------------------------------------------


def require_token(settings: Settings) -> Callable[..., Awaitable[None]]:
    """A dependency requiring ``Authorization: Bearer <settings.api_token>``.

    With no token configured it lets every request through (local use).
    Decided once, here: settings are built once at start-up.
    """
    token = settings.api_token
    if token is None:

        async def no_token_configured() -> None:
            return None

        return no_token_configured

    expected = token.get_secret_value().encode()
    bearer = HTTPBearer(
        auto_error=False,
        description="The API token (WATCHFLOOR_API_TOKEN).",
    )

    async def check_token(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Security(bearer),  # noqa: B008
    ) -> None:
        if credentials is None:
            if request.headers.get("authorization"):
                reason = "the Authorization header must use the Bearer scheme"
            else:
                reason = "this endpoint needs an API token: send 'Authorization: Bearer <token>'"
            _refuse(request, reason, error=None)
        elif not hmac.compare_digest(credentials.credentials.encode(), expected):
            _refuse(request, "the API token is not valid", error="invalid_token")

    return check_token


def _refuse(request: Request, reason: str, *, error: str | None) -> None:
    log.warning("api_unauthorized", method=request.method, path=request.url.path, reason=reason)
    challenge = 'Bearer realm="watchfloor"' + (f', error="{error}"' if error else "")
    raise HTTPException(401, detail=reason, headers={"WWW-Authenticate": challenge})


# --- presentation ---------------------------------------------------------------


def redact_watchlist(watchlist: Watchlist, source: str) -> dict[str, Any]:
    """The watchlist as shown by the API: everything but credentials.

    Each target is shown by its type's ``redacted`` view, field by field (an
    allow-list): what a type shows is decided where its secrets are known.
    """
    return {
        "id": watchlist.id,
        "name": watchlist.name,
        "match": watchlist.match.model_dump(mode="json"),
        "alert_on": watchlist.alert_on,
        "targets": [redacted(target) for target in watchlist.targets],
        "source": source,
    }


def _error(
    status: int,
    message: str,
    problems: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(error_body(message, problems), status_code=status, headers=headers)


def _field_name(loc: Sequence[str | int]) -> str | None:
    return field_path(loc) or None


def _validation_problems(exc: ValidationError) -> list[dict[str, Any]]:
    problems = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = field_location(err["loc"])
        if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            loc = [*loc, "type"]
        problems.append({"field": _field_name(loc), "message": error_message(err)})
    return problems


def _storage_unavailable(_request: Request, exc: Exception) -> Response:
    log.warning("watchlist_storage_unavailable", error=str(exc))
    return _error(503, "watchlist storage is unavailable, nothing was changed: retry later",
                  headers={"Retry-After": "5"})


# --- routes -----------------------------------------------------------------------


def create_watchlist_router(
    store: WatchlistStorage,
    *,
    settings: Settings,
    file_watchlists: Sequence[Watchlist] | Callable[[], Sequence[Watchlist]] = (),
) -> APIRouter:
    """Routes under /v1/watchlists. ``file_watchlists`` (a list, or a function
    giving the current ones: the file is re-read when it changes) are listed
    and read-only."""

    def file_view() -> dict[str, Watchlist]:
        current = file_watchlists() if callable(file_watchlists) else file_watchlists
        return {w.id: w for w in current}

    work = BoundedWork(settings.parse_concurrency)
    actors = watchlist_actors(settings)
    router = APIRouter(
        prefix="/v1/watchlists",
        tags=["watchlists"],
        dependencies=[Depends(require_token(settings))],
        route_class=storage_error_route(_storage_unavailable),
    )

    def file_conflict(watchlist_id: str, action: str) -> JSONResponse:
        return _error(
            409,
            f"watchlist {watchlist_id!r} is defined in the watchlists file and cannot be "
            f"{action} through the API: edit the file instead",
        )

    @router.get("", summary="All watchlists: file-defined and API-managed (no secrets)")
    async def list_watchlists() -> JSONResponse:
        stored = await store.list()
        version = await store.version()
        from_file = file_view()
        hidden = {w.id for w in stored if w.id in from_file}
        # An id in both (the file gained it later) is the file's: it wins, and
        # says so (the API's copy would come back if the file dropped the id).
        shown = [{**redact_watchlist(w, "file"), **({"hides_api_copy": True}
                                                     if w.id in hidden else {})}
                 for w in from_file.values()]
        shown += [redact_watchlist(w, "api") for w in stored if w.id not in from_file]
        return JSONResponse({"watchlists": shown, "version": version})

    @router.get("/{watchlist_id}", summary="One watchlist (no secrets)")
    async def get_watchlist(watchlist_id: str) -> JSONResponse:
        from_file = file_view()
        if watchlist_id in from_file:
            shown = redact_watchlist(from_file[watchlist_id], "file")
            if await store.get(watchlist_id) is not None:
                shown["hides_api_copy"] = True
            return JSONResponse(shown)
        watchlist, revision = await store.get_with_revision(watchlist_id)
        if watchlist is None:
            return _error(404, f"no watchlist {watchlist_id!r}")
        # PUT with If-Match: this ETag replaces only what was read
        return JSONResponse(redact_watchlist(watchlist, "api"),
                            headers={"ETag": f'"{revision}"'})

    @router.put(
        "/{watchlist_id}",
        summary="Create or replace an API-managed watchlist",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": Watchlist.model_json_schema()}},
            }
        },
        responses={201: {"description": "Created"}, 409: {"description": "Defined in the file"}},
    )
    async def put_watchlist(watchlist_id: str, request: Request) -> JSONResponse:
        if watchlist_id in file_view():
            return file_conflict(watchlist_id, "replaced")
        data = await _read_json_object(request, work)
        if isinstance(data, JSONResponse):
            return data
        body_id = data.setdefault("id", watchlist_id)
        if body_id != watchlist_id:
            return _error(
                422,
                "the watchlist is invalid: id differs from the id in the path",
                [{"field": "id", "message": f"must be {watchlist_id!r} (the path's) or omitted"}],
            )
        data = carry_over_secrets(data, await store.get(watchlist_id))
        try:
            watchlist = Watchlist.model_validate(
                data,
                context={
                    "known_tags": frozenset(store.known_tags),
                    KNOWN_ACTORS: actors,
                    # literal non-public addresses are refused (422 naming the field)
                    ADDRESS_POLICY: settings.address_policy,
                },
            )
        except ValidationError as exc:
            problems = _validation_problems(exc)
            first = problems[0]
            where = f"{first['field']}: " if first["field"] else ""
            return _error(422, f"the watchlist is invalid: {where}{first['message']}", problems)
        expected = _expected_revision(request)
        if isinstance(expected, JSONResponse):
            return expected
        try:
            created, revision = await store.save(watchlist, expected)
        except WatchlistChanged:
            return _error(412, f"watchlist {watchlist_id!r} was changed or removed since the "
                               "version this request names (If-Match / If-None-Match): read it "
                               "again, then send the change")
        log.info("watchlist_saved", watchlist_id=watchlist.id, created=created)
        headers = {"ETag": f'"{revision}"'}
        if created:
            headers["Location"] = f"/v1/watchlists/{watchlist.id}"
        return JSONResponse(
            redact_watchlist(watchlist, "api"), status_code=201 if created else 200, headers=headers
        )

    @router.delete(
        "/{watchlist_id}",
        status_code=204,
        summary="Delete an API-managed watchlist",
        responses={404: {"description": "Unknown"}, 409: {"description": "Defined in the file"}},
    )
    async def delete_watchlist(watchlist_id: str) -> Response:
        if watchlist_id in file_view():
            # the copy the file hides, not the file's
            if await store.get(watchlist_id) is not None and await store.delete(watchlist_id):
                log.info("watchlist_deleted", watchlist_id=watchlist_id, hidden_by_file=True)
                return JSONResponse({
                    "deleted": "the API's copy of this watchlist, hidden by the watchlists "
                               "file's (it would have come back had the file dropped the id)",
                    "kept": "the watchlists file's: edit the file to change it"})
            return file_conflict(watchlist_id, "deleted")
        if not await store.delete(watchlist_id):
            return _error(404, f"no watchlist {watchlist_id!r}")
        log.info("watchlist_deleted", watchlist_id=watchlist_id)
        return Response(status_code=204)

    return router


def _expected_revision(request: Request) -> str | JSONResponse:
    """What a PUT may replace, as ``WatchlistStore.save`` takes it:
    ``If-Match: "<etag>"`` that revision only, ``If-None-Match: *`` nothing
    ("": create only), neither whatever is there ("*")."""
    if_match = request.headers.get("if-match")
    if_none_match = request.headers.get("if-none-match")
    if if_match is not None and if_none_match is not None:
        return _error(400, "send If-Match or If-None-Match, not both")
    if if_none_match is not None:
        if if_none_match.strip() != "*":
            return _error(400, "If-None-Match takes only * on a PUT (create, never replace)")
        return ""
    if if_match is None:
        return "*"
    tags = [t.strip() for t in if_match.split(",") if t.strip()]
    if len(tags) != 1 or tags[0] == "*":
        return _error(400, 'If-Match takes one ETag, as GET gave it ("...")')
    return tags[0].removeprefix("W/").strip('"')


async def _read_json_object(
    request: Request, work: BoundedWork
) -> dict[str, Any] | JSONResponse:
    try:
        body = await read_capped(
            request, MAX_WATCHLIST_BYTES,
            too_large=f"a watchlist is at most {size_text(MAX_WATCHLIST_BYTES)}",
        )
        if is_blank(body):
            return _error(400, "request body is empty: send the watchlist as a JSON object")
        # parse_json's errors give the position only: the document may hold secrets.
        # a key given twice is refused: last-wins, a second "match" widened a watchlist
        data = await work.run(functools.partial(parse_json, unique_keys=True), body)
    except RequestBodyError as exc:
        return _error(exc.status, exc.message)
    if not isinstance(data, dict):
        return _error(400, "request body must be a JSON object (one watchlist)")
    return data


def carry_over_secrets(data: dict[str, Any], existing: Watchlist | None) -> dict[str, Any]:
    """Let a client PUT back what it read: responses never show secrets, so
    each target type puts the stored ones back where the body leaves them out
    (a webhook by its URL, a Slack target by its place; see each type's
    ``carry_over``), and the markers responses show (``secret_set``) are dropped."""
    targets = data.get("targets")
    if not isinstance(targets, list):
        return data
    stored = existing.targets if existing else []
    return {**data, "targets": carry_over(targets, stored)}
