"""HTTP API of the ingest service.

- ``POST /v1/articles``: one article object, a JSON array of them, or
  ``{"articles": [...]}``. All or nothing: if any item is invalid, nothing
  is ingested and the answer names every problem with its batch index, so
  the sender fixes and resends the batch (resending is safe: what was
  already ingested comes back as duplicate).

  - 202 ``{"accepted", "new", "duplicate", "results": [{"id", "status"}]}``
  - 400 body is not JSON (or nested deeper than 64 levels), or not an
    object/array; 413 too many articles, or a body over ``max_body_bytes``
    (refused while streaming, never buffered whole); 422 invalid articles;
    503 Redis unavailable. A write sent by a web page on another site
    (``Origin``) is refused with 403, a body declared as anything but JSON
    with 415 (``cross_site``).

  A body over ``INLINE_PARSE_MAX_BYTES`` is parsed and validated in a
  thread, at most ``parse_concurrency`` at a time (each holds its place until
  published), so big bodies neither stall the event loop nor pile up in
  memory. A small body (one article, a short batch) is parsed on the loop
  (the hop to a thread would cost more) and needs no place: the in-flight
  limit bounds them. Publishes of concurrent requests go to Redis together
  (``grouping.GroupedSink``).

- ``GET /healthz``: 200 when Redis answers a ping, else 503.

- ``/v1/watchlists``: watchlist management, see
  ``services.watchlists.api``. With ``api_token`` set it needs
  ``Authorization: Bearer <token>``; so does ``POST /v1/articles`` when
  ``api_token_for_ingest`` is also set.

Every error has the same shape:
``{"error": {"message": ..., "problems": [{"index", "field", "message"}]}}``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.exceptions import HTTPException as StarletteHTTPException
from watchfloor.services.console.web import create_console
from watchfloor.services.ingest.backpressure import (
    RESEND_IS_SAFE,
    InFlightLimit,
    busy_response,
)
from watchfloor.services.ingest.cross_site import CrossSiteGuard
from watchfloor.services.ingest.files import has_own_content
from watchfloor.services.ingest.grouping import GroupedSink
from watchfloor.services.ingest.prepare import prepare_article
from watchfloor.services.ingest.problems import ArticleRejected, json_type_name
from watchfloor.services.ingest.publisher import (
    PUBLISH_CHUNK,
    ArticlePublisher,
    ArticleSink,
    IngestOutcome,
)
from watchfloor.services.ingest.raw import RawArticle
from watchfloor.services.watchlists.api import (
    WatchlistStorage,
    create_watchlist_router,
    require_token,
)
from watchfloor.services.watchlists.configured import watchlist_tags
from watchfloor.services.watchlists.model import Watchlist
from watchfloor.services.watchlists.store import WatchlistStore
from watchfloor.shared.errors import InvalidInput
from watchfloor.shared.http import error_body
from watchfloor.shared.keys import Keys
from watchfloor.shared.logging import get_logger
from watchfloor.shared.redis_client import REDIS_FAILURES, pool_exhausted
from watchfloor.shared.request_body import (
    BoundedWork,
    RequestBodyError,
    is_blank,
    parse_json,
    read_capped,
)
from watchfloor.shared.schemas import Article
from watchfloor.shared.settings import Settings
from watchfloor.shared.streams.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from watchfloor.shared.streams.metrics import render_metrics
from watchfloor.shared.streams.status import pipeline_status
from watchfloor.shared.urls import redact_url

log = get_logger("watchfloor.ingest.api")

HEALTH_TIMEOUT_S = 2.0
# Bodies up to this size are parsed on the event loop (about a millisecond at
# most); larger ones in a thread.
INLINE_PARSE_MAX_BYTES = 64 << 10


class ApiError(InvalidInput):
    def __init__(self, status: int, message: str, problems: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.problems = problems or []


class ArticleResult(BaseModel):
    id: str
    status: Literal["new", "duplicate"]
    duplicate_of: str | None = None


class IngestResponse(BaseModel):
    accepted: int
    new: int
    duplicate: int
    results: list[ArticleResult]


def _request_body_doc() -> dict[str, Any]:
    article = RawArticle.model_json_schema()
    batch = {"type": "array", "items": article}
    wrapper = {"type": "object", "properties": {"articles": batch}, "required": ["articles"]}
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"oneOf": [article, batch, wrapper]}}},
        }
    }


def _parse_items(body: bytes | bytearray, max_articles: int) -> tuple[list[Any], bool]:
    """The items of the request and whether it was a batch."""
    if is_blank(body):
        raise ApiError(
            400,
            'request body is empty: send an article object, an array of them, or {"articles": [...]}',
        )
    payload = parse_json(body)
    if isinstance(payload, dict) and "articles" in payload and not has_own_content(payload):
        payload = payload["articles"]
        if not isinstance(payload, list):
            raise ApiError(400, f'"articles" must be an array, got {json_type_name(payload)}')
    if isinstance(payload, dict):
        return [payload], False
    if not isinstance(payload, list):
        raise ApiError(
            400, f"request body must be a JSON object or array, got {json_type_name(payload)}"
        )
    if not payload:
        raise ApiError(422, "the batch is empty: send at least one article")
    if len(payload) > max_articles:
        raise ApiError(
            413,
            f"the batch has {len(payload)} articles; at most {max_articles} are accepted per "
            "request: split it",
        )
    return payload, True


def _prepare_all(
    items: list[Any], is_batch: bool
) -> tuple[list[Article], list[dict[str, Any]], int]:
    """Articles, problems (with batch index) and the number of bad items."""
    articles: list[Article] = []
    problems: list[dict[str, Any]] = []
    bad_items = 0
    for index, item in enumerate(items):
        try:
            articles.append(prepare_article(item))
        except ArticleRejected as exc:
            bad_items += 1
            problems.extend(
                {"index": index if is_batch else None, "field": p.field, "message": p.message}
                for p in exc.problems
            )
    return articles, problems, bad_items


@dataclass
class _Prepared:
    articles: list[Article]
    problems: list[dict[str, Any]]
    bad_items: int
    total: int
    is_batch: bool


def _parse_and_prepare(body: bytes | bytearray, max_articles: int) -> _Prepared:
    """All the CPU work of a POST (parse, validate, normalise): run in a thread."""
    items, is_batch = _parse_items(body, max_articles)
    articles, problems, bad_items = _prepare_all(items, is_batch)
    return _Prepared(articles, problems, bad_items, len(items), is_batch)


def _rejection_message(
    problems: list[dict[str, Any]], bad_items: int, total: int, is_batch: bool
) -> str:
    first = problems[0]
    where = f"{first['field']}: " if first["field"] else ""
    if not is_batch:
        return f"the article is invalid: {where}{first['message']}"
    return (
        f"{bad_items} of {total} articles are invalid, nothing was ingested; "
        f"first: item {first['index']}: {where}{first['message']}"
    )


def _install_error_handlers(app: FastAPI, redis_url: str) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.message, exc.problems), status_code=exc.status)

    @app.exception_handler(RequestBodyError)
    async def _body_error(_: Request, exc: RequestBodyError) -> JSONResponse:
        return JSONResponse(error_body(exc.message), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's default body ({"detail": [...]}) in our shape: location
        # ("body", 3, "title") becomes index 3, field "title".
        problems = []
        for err in exc.errors():
            loc = [part for part in err.get("loc", ()) if part != "body"]
            index = loc.pop(0) if loc and isinstance(loc[0], int) else None
            field = ".".join(str(part) for part in loc) or None
            problems.append({"index": index, "field": field, "message": err.get("msg", "invalid")})
        return JSONResponse(error_body("the request is invalid", problems), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            error_body(str(exc.detail)), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(RedisError)
    async def _redis_error(_: Request, exc: RedisError) -> JSONResponse:
        if pool_exhausted(exc):  # overloaded here, Redis is fine: back off
            log.warning("redis_pool_busy", error=str(exc))
            return busy_response(started=True)
        # Transient: the client should retry. A batch is published in chunks:
        # the chunks before the failure are in, and a resend finds them.
        log.warning("redis_unavailable", redis_url=redis_url, error=str(exc))
        return JSONResponse(
            error_body(f"storage is unavailable: retry later ({RESEND_IS_SAFE})"),
            status_code=503,
            headers={"Retry-After": "5"},
        )


def create_api(
    settings: Settings,
    redis: Redis,
    *,
    publisher: ArticleSink | None = None,
    watchlist_store: WatchlistStorage | None = None,
    file_watchlists: Sequence[Watchlist] = (),
) -> FastAPI:
    """The ingest HTTP app. ``publisher`` defaults to an ``ArticlePublisher``
    on ``redis``; tests pass a fake. ``redis`` is also what /healthz pings.

    ``watchlist_store`` defaults to a ``WatchlistStore`` on ``redis`` that
    knows the configured taxonomy's tags.
    ``file_watchlists`` (those of WATCHFLOOR_WATCHLISTS_FILE) are listed and
    read-only through the API."""
    keys = Keys.for_settings(settings)
    sink = GroupedSink(publisher or ArticlePublisher(redis, keys, settings), PUBLISH_CHUNK)
    store = watchlist_store
    if store is None:
        store = WatchlistStore(redis, keys, known_tags=watchlist_tags(settings))
    redis_url = redact_url(settings.resolved_redis_url)
    app = FastAPI(title="Watchfloor ingest", version="1")
    _install_error_handlers(app, redis_url)
    app.add_middleware(InFlightLimit, path="/v1/articles", limit=settings.ingest_max_in_flight)
    # outermost: refused before taking a place
    token_paths = () if settings.api_token is None else (
        ("/v1/watchlists", "/v1/articles") if settings.api_token_for_ingest
        else ("/v1/watchlists",))
    app.add_middleware(CrossSiteGuard, token_paths=token_paths,
                       host_names=settings.api_host_names)
    ingest_auth = [Depends(require_token(settings))] if settings.api_token_for_ingest else []
    work = BoundedWork(settings.parse_concurrency)

    @app.post(
        "/v1/articles",
        status_code=202,
        response_model=IngestResponse,
        response_model_exclude_none=True,
        openapi_extra=_request_body_doc(),
        summary="Ingest one article or a batch",
        dependencies=ingest_auth,
    )
    async def post_articles(request: Request) -> Response:
        declared = request.headers.get("content-length", "")
        # A body declared large, or not declared (chunked), is read once it has
        # its parse place, so such posts do not pile up in memory; a small one
        # (and one over the limit: refused at once) is read first.
        large = not declared.isdigit() or (
            INLINE_PARSE_MAX_BYTES < int(declared) <= settings.max_body_bytes)

        async def read_body() -> bytes:
            return await read_capped(request, settings.max_body_bytes,
                                     idle_timeout_s=settings.body_idle_timeout_s)

        body = None if large else await read_body()
        if body is not None and len(body) <= INLINE_PARSE_MAX_BYTES:
            outcomes = await _ingest(sink, _parse_and_prepare(body, settings.max_batch_articles))
        else:
            # parsed in a thread and published a bounded number at a time:
            # big posts neither stall the loop (/healthz) nor pile up in memory
            async with work.slot():
                if body is None:
                    body = await read_body()
                prepared = await work.in_thread(
                    _parse_and_prepare, body, settings.max_batch_articles)
                del body
                outcomes = await _ingest(sink, prepared)
        results = [
            ArticleResult(id=o.article_id, status=o.status, duplicate_of=o.duplicate_of)
            for o in outcomes
        ]
        new = sum(1 for o in outcomes if o.status == "new")
        log.info("articles_received", accepted=len(outcomes), new=new)
        # Returned as a response, not a model: FastAPI would validate and
        # serialise a returned model a second time (the model stays the
        # route's documented response_model).
        answer = IngestResponse(
            accepted=len(outcomes), new=new, duplicate=len(outcomes) - new, results=results
        )
        return Response(answer.model_dump_json(exclude_none=True), status_code=202,
                        media_type="application/json")

    # HEAD too: probes that use it got 405 here (the health port answers it)
    @app.api_route("/metrics", methods=["GET", "HEAD"],
                   summary="Prometheus metrics of the whole pipeline")
    async def metrics() -> Response:
        try:
            status = await pipeline_status(redis, Keys.for_settings(settings))
        except REDIS_FAILURES as exc:
            return JSONResponse(
                {"status": "unavailable", "redis": f"{redis_url}: {exc or type(exc).__name__}"},
                status_code=503,
            )
        return Response(render_metrics(status), media_type=METRICS_CONTENT_TYPE)

    @app.api_route("/healthz", methods=["GET", "HEAD"],
                   summary="200 when Redis answers, else 503")
    async def healthz() -> JSONResponse:
        try:
            await asyncio.wait_for(redis.ping(), timeout=HEALTH_TIMEOUT_S)
        except (*REDIS_FAILURES, TimeoutError) as exc:
            return JSONResponse(
                {"status": "unavailable", "redis": f"{redis_url}: {exc or type(exc).__name__}"},
                status_code=503,
            )
        return JSONResponse({"status": "ok"})

    app.include_router(
        create_watchlist_router(store, settings=settings, file_watchlists=file_watchlists)
    )
    # The console (pages for officers) at "/": app.state.console.close() ends its live feeds.
    app.state.console = create_console(settings, redis, watchlist_store=store,
                                       file_watchlists=file_watchlists)
    app.include_router(app.state.console.router)
    return app


async def _ingest(sink: ArticleSink, prepared: _Prepared) -> list[IngestOutcome]:
    """Publish the prepared articles, or refuse them all (422) if any is invalid."""
    if prepared.problems:
        await _count_rejected(sink, prepared.bad_items)
        message = _rejection_message(
            prepared.problems, prepared.bad_items, prepared.total, prepared.is_batch
        )
        log.info("articles_rejected", rejected=prepared.bad_items, reason=message)
        raise ApiError(422, message, prepared.problems)
    return await _publish_in_chunks(sink, prepared.articles)


async def _publish_in_chunks(sink: ArticleSink, articles: list[Article]) -> list[IngestOutcome]:
    """Publish a validated batch a chunk at a time, emptying ``articles`` as
    it goes: what a chunk costs (its encoded copy, the loop time of its
    story signatures) is paid for that chunk only. A Redis error part way
    leaves the earlier chunks published; resending them is safe (duplicate)."""
    outcomes: list[IngestOutcome] = []
    while articles:
        chunk = articles[:PUBLISH_CHUNK]
        del articles[:PUBLISH_CHUNK]
        outcomes += await sink.publish(chunk)
    return outcomes


async def _count_rejected(sink: ArticleSink, count: int) -> None:
    # Best effort: a metrics hiccup must not turn a 422 into a 503.
    try:
        await sink.record_rejected(count)
    except REDIS_FAILURES as exc:
        log.warning("rejected_count_not_recorded", error=str(exc))
