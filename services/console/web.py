"""The console's routes: pages rendered on the server, a live feed over SSE.

``create_console(...)`` gives a ``Console`` whose ``router`` the ingest API
mounts at ``/``; ``await console.close()`` ends the live feeds so the HTTP
server can stop without waiting on them.

- Every page needs a signed-in account (else: to ``/signin``); every POST
  also needs the session's CSRF token and an editor (accounts: admin), and
  a request from another origin is refused. A POST answers with a redirect
  back (``next``, a local path only), so reloading never repeats it.
- Untrusted text (headlines, evidence, names) reaches the page only through
  Jinja's autoescape; links to articles only when they are http(s).
- Pages are sent with a strict Content-Security-Policy: scripts and styles
  come from ``/static`` only.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from redis.asyncio import Redis
from starlette.datastructures import FormData
from starlette.responses import StreamingResponse
from watchfloor.services.console.accounts import (
    ROLES,
    Account,
    AccountError,
    AccountStore,
    Role,
    role_allows,
)
from watchfloor.services.console.actions import SNOOZE_CHOICES, Actions
from watchfloor.services.console.confidence_guide import ConfidenceGuide, load_confidence_guide
from watchfloor.services.console.feed import (
    FILTER_LABELS,
    MODALITIES,
    WITHIN_CHOICES,
    AlertFilter,
    parse_filter,
)
from watchfloor.services.console.history import (
    Entry,
    alerts_after,
    classified_retention,
    find_classified,
    history_stream,
    last_entry_id,
    recent_alerts,
    story_alerts,
    story_versions,
    time_id,
)
from watchfloor.services.console.labels import JudgementError, LabelStore, check_judgement
from watchfloor.services.console.present import evidence_segments, figure_label
from watchfloor.services.console.sent_forms import FORM_ID_FIELD, SentForms, new_form_id
from watchfloor.services.console.session import (
    COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    Session,
    SessionCodec,
    SignedOut,
    csrf_ok,
    signing_key,
)
from watchfloor.services.console.story import build_thread
from watchfloor.services.console.trial import MAX_DAYS, ThrottleWindows, try_watchlist
from watchfloor.services.console.watchlist_form import (
    ACTORS_SCOPE_CHOICES,
    ALERT_ON_CHOICES,
    FormState,
    blank_values,
    validate,
    values_from_form,
    values_of,
)
from watchfloor.services.notifier.silences import story_of
from watchfloor.services.notifier.story_throttle import throttled_alerts
from watchfloor.services.notifier.target_pauses import PausedTarget, paused_targets, resume_target
from watchfloor.services.watchlists.api import MAX_WATCHLIST_BYTES, WatchlistStorage
from watchfloor.services.watchlists.configured import watchlist_actors
from watchfloor.services.watchlists.model import Watchlist
from watchfloor.services.watchlists.store import WatchlistChanged
from watchfloor.shared.errors import InvalidInput
from watchfloor.shared.http import is_foreign_origin, storage_error_route
from watchfloor.shared.keys import Keys
from watchfloor.shared.logging import get_logger
from watchfloor.shared.redis_client import REDIS_FAILURES
from watchfloor.shared.request_body import read_capped, size_text
from watchfloor.shared.schemas import Alert
from watchfloor.shared.settings import Settings

log = get_logger("watchfloor.console")

# A console form holds a few fields; a watchlist's keywords are the most.
# Read whole before anything else (even the session check), so it is bounded.
FORM_MAX_BYTES = 2 * MAX_WATCHLIST_BYTES  # room for a watchlist the API takes, and the form
FORM_MAX_FIELDS = 1000


async def read_form(request: Request) -> FormData:
    """The request's urlencoded form (what the console's pages send); 413 past
    ``FORM_MAX_BYTES``. Any other body reads as an empty form, which no
    check accepts (it has no CSRF token)."""
    body = await read_capped(request, FORM_MAX_BYTES,
                             too_large=f"a console form is at most {size_text(FORM_MAX_BYTES)}")
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != "application/x-www-form-urlencoded":
        return FormData()
    try:
        return FormData(parse_qsl(body.decode("utf-8"), keep_blank_values=True,
                                  max_num_fields=FORM_MAX_FIELDS))
    except (UnicodeDecodeError, ValueError):  # not UTF-8, or too many fields
        return FormData()

PAGE_SIZE = 50
HELD_SHOWN = 200  # held-back alerts listed in one story's thread
HEARTBEAT_S = 15.0
LIVE_BLOCK_MS = 1000
# How the accounts page gives an existing account a new token (the CLI says --replace).
CONSOLE_REPLACE_HINT = ("tick \u201cReplace the token of an existing account\u201d to give it "
                        "a new token")
Handler = Callable[..., Awaitable[Response]]
_ENTRY_ID = re.compile(r"^(\d{1,20})-(\d{1,20})$")
_ID_PART_MAX = 2**64 - 1  # each half of a stream id is an unsigned 64-bit number
_STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                 ".svg": "image/svg+xml", ".png": "image/png"}
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin", "Cache-Control": "no-store", "X-Frame-Options": "DENY",
}


@dataclass(frozen=True)
class Viewer:
    account: Account
    session: Session

    @property
    def can_edit(self) -> bool:
        return role_allows(self.account.role, "editor")

    @property
    def is_admin(self) -> bool:
        return role_allows(self.account.role, "admin")


def safe_url(url: str | None) -> str | None:
    """The URL when it is http(s) (never ``javascript:`` and the like)."""
    if not url:
        return None
    return url if urlsplit(url).scheme in ("http", "https") else None


def entry_id(text: str | None) -> str | None:
    """``text`` as a stream entry id Redis accepts (``ms-seq``, each part
    within 64 bits, written without leading zeros), or None: Redis would
    refuse it."""
    found = _ENTRY_ID.match(text or "")
    if found is None:
        return None
    ms, seq = (int(part) for part in found.groups())
    return f"{ms}-{seq}" if ms <= _ID_PART_MAX and seq <= _ID_PART_MAX else None


def local_path(target: str | None, default: str = "/") -> str:
    """``target`` when it is a path on this site (not ``//host`` nor a URL)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def iso(moment: datetime | None) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else ""


def utc_text(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def _storage_unavailable(request: Request, exc: Exception) -> Response:
    """Redis down: a page saying so (503), nothing changed."""
    log.warning("console_storage_unavailable", path=request.url.path, error=str(exc))
    return PlainTextResponse(
        "Watchfloor's storage (Redis) is not answering; nothing was changed. "
        "Try again in a moment.", status_code=503, headers={"Retry-After": "5"})


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("watchfloor.services.console", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(safe_url=safe_url, iso=iso, utc=utc_text, figure=figure_label,
                       segments=evidence_segments, story_of=story_of)
    env.globals.update(MODALITIES=MODALITIES, WITHIN_CHOICES=WITHIN_CHOICES,
                       FILTER_LABELS=FILTER_LABELS, ROLES=ROLES,
                       SNOOZE_CHOICES=list(SNOOZE_CHOICES), CSRF_FIELD=CSRF_FIELD,
                       MAX_DAYS=MAX_DAYS, ALERT_ON_CHOICES=ALERT_ON_CHOICES,
                       ACTORS_SCOPE_CHOICES=ACTORS_SCOPE_CHOICES)
    return env


def _static_files() -> dict[str, tuple[bytes, str]]:
    folder = resources.files("watchfloor.services.console") / "static"
    files = {}
    for item in folder.iterdir():
        suffix = "." + item.name.rsplit(".", 1)[-1]
        if item.is_file() and suffix in _STATIC_TYPES:
            files[item.name] = (item.read_bytes(), _STATIC_TYPES[suffix])
    return files


class Console:
    def __init__(self, settings: Settings, redis: Redis, *, watchlist_store: WatchlistStorage,
                 file_watchlists: Callable[[], Sequence[Watchlist]],
                 known_tags: Collection[str]) -> None:
        self._redis = redis
        self._settings = settings
        self._keys = Keys.for_settings(settings)
        self._watchlists = watchlist_store
        self._file_watchlists = file_watchlists
        self._known_tags = sorted(known_tags)
        self._accounts = AccountStore(redis, self._keys)
        self._sent_forms = SentForms(redis, self._keys)
        self._signed_out = SignedOut(redis, self._keys.console_signed_out)
        self._actions = Actions(redis, self._keys)
        self._labels = LabelStore(redis, self._keys)
        self._codec: SessionCodec | None = None
        self._closing = asyncio.Event()
        self._env = _environment()
        self._static = _static_files()
        self.router = APIRouter(include_in_schema=False,
                                route_class=storage_error_route(_storage_unavailable))
        self._routes()

    async def close(self) -> None:
        """End the live feeds (each stops within about a second)."""
        self._closing.set()

    # --- sessions -----------------------------------------------------------------

    async def _session_codec(self) -> SessionCodec:
        if self._codec is None:
            self._codec = SessionCodec(await signing_key(self._redis, self._keys.console_session_key))
        return self._codec

    async def _session(self, request: Request) -> Session | None:
        return (await self._session_codec()).loads(request.cookies.get(COOKIE))

    async def _viewer(self, request: Request) -> Viewer | None:
        session = await self._session(request)
        if session is None or session.user is None:
            return None
        account = await self._accounts.get(session.user)
        if account is None or account.generation != session.generation:
            return None
        if await self._signed_out.includes(session):
            return None
        return Viewer(account, session)

    async def _set_cookie(self, response: Response, request: Request, session: Session) -> None:
        codec = await self._session_codec()
        response.set_cookie(COOKIE, codec.dumps(session), max_age=codec.max_age_s, httponly=True,
                            samesite="strict", path="/", secure=request.url.scheme == "https")

    def _to_signin(self, request: Request) -> RedirectResponse:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse("/signin?" + urlencode({"next": here}), status_code=303)

    def _reads(self, path: str) -> Callable[[Handler], Handler]:
        """Register a page for any signed-in account (others go to sign-in):
        ``handler(request, viewer, **path_params)``."""

        def register(handler: Handler) -> Handler:
            async def endpoint(request: Request) -> Response:
                viewer = await self._viewer(request)
                if viewer is None:
                    return self._to_signin(request)
                return await handler(request, viewer, **request.path_params)

            self.router.add_api_route(path, endpoint, methods=["GET"], name=handler.__name__)
            return handler

        return register

    def _writes(self, path: str, needed: Role = "editor") -> Callable[[Handler], Handler]:
        """Register a state-changing POST (see ``_writer``):
        ``handler(request, viewer, form, **path_params)``."""

        def register(handler: Handler) -> Handler:
            async def endpoint(request: Request) -> Response:
                checked = await self._writer(request, needed)
                if isinstance(checked, Response):
                    return checked
                viewer, form = checked
                return await handler(request, viewer, form, **request.path_params)

            self.router.add_api_route(path, endpoint, methods=["POST"], name=handler.__name__)
            return handler

        return register

    async def _writer(self, request: Request, needed: Role = "editor") -> tuple[Viewer, FormData] | Response:
        """The signed-in viewer and the form of a state-changing request, or the refusal."""
        form = await read_form(request)
        viewer = await self._viewer(request)
        if viewer is None:
            return self._page(request, "message.html", None, status=401, title="Signed out",
                              message="You are not signed in (or your session ended): sign in "
                                      "and try again.", link="/signin")
        if is_foreign_origin(request.headers.get("origin"), request.url.scheme,
                             request.url.netloc):
            return self._refuse(request, viewer, "This request came from another site.")
        sent = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
        if not csrf_ok(viewer.session, sent if isinstance(sent, str) else None):
            return self._refuse(request, viewer, "This form is out of date (its security token "
                                "does not match your session): reload the page and try again.")
        if not role_allows(viewer.account.role, needed):
            return self._lacks_role(request, viewer, needed)
        return viewer, form

    def _lacks_role(self, request: Request, viewer: Viewer, needed: Role) -> HTMLResponse:
        return self._refuse(request, viewer, f"This needs the {needed} role; your account "
                            f"{viewer.account.name!r} is a {viewer.account.role}.")

    def _confirm(self, request: Request, viewer: Viewer, **context: str) -> HTMLResponse:
        """A page asking to confirm what cannot be undone; nothing is changed yet."""
        return self._page(request, "confirm.html", viewer, **context)

    def _refuse(self, request: Request, viewer: Viewer | None, message: str) -> HTMLResponse:
        log.warning("console_refused", path=request.url.path,
                    user=viewer.account.name if viewer else None, reason=message)
        return self._page(request, "message.html", viewer, status=403, title="Not allowed",
                          message=message, link="/")

    # --- rendering ----------------------------------------------------------------

    def _render(self, template: str, **context: Any) -> str:
        return self._env.get_template(template).render(**context)

    def _page(self, request: Request, template: str, viewer: Viewer | None, *, status: int = 200,
              **context: Any) -> HTMLResponse:
        html = self._render(template, viewer=viewer, request=request, known_tags=self._known_tags,
                            csrf=viewer.session.csrf if viewer else context.pop("csrf", ""),
                            here=request.url.path + (f"?{request.url.query}"
                                                     if request.url.query else ""),
                            **context)
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

    @staticmethod
    def _back(form: FormData, default: str, anchor: str = "") -> RedirectResponse:
        target = local_path(str(form.get("next") or ""), default)
        return RedirectResponse(target + (f"#{anchor}" if anchor else ""), status_code=303)

    def _all_watchlists(self, stored: Sequence[Watchlist]) -> list[tuple[Watchlist, str]]:
        from_file = list(self._file_watchlists())
        ids = {w.id for w in from_file}
        return [(w, "file") for w in from_file] + [(w, "api") for w in stored if w.id not in ids]

    async def _card_context(self, entries: Sequence[Entry[Alert]]) -> dict[str, Any]:
        now = datetime.now(UTC)
        return {
            "acks": await self._actions.acks([e.message.id for e in entries]),
            "silences": await self._actions.silences(now),
        }

    # --- routes -------------------------------------------------------------------

    def _routes(self) -> None:
        router = self.router

        @router.get("/static/{name}")
        async def static(name: str) -> Response:
            found = self._static.get(name)
            if found is None:
                return PlainTextResponse("not found", status_code=404)
            return Response(found[0], media_type=found[1],
                            headers={"Cache-Control": "public, max-age=300",
                                     "X-Content-Type-Options": "nosniff"})

        @router.get("/signin")
        async def signin_form(request: Request) -> Response:
            session = await self._session(request) or Session.anonymous()
            response = self._page(request, "signin.html", None, csrf=session.csrf,
                                  next=local_path(request.query_params.get("next")),
                                  no_accounts=await self._accounts.count() == 0)
            await self._set_cookie(response, request, session)
            return response

        @router.post("/signin")
        async def signin(request: Request) -> Response:
            form = await read_form(request)
            session = await self._session(request)
            name, token = str(form.get("name") or ""), str(form.get("token") or "")
            target = local_path(str(form.get("next") or ""))
            if not csrf_ok(session, str(form.get(CSRF_FIELD) or "")):
                fresh = Session.anonymous()
                response = self._page(request, "signin.html", None, status=403, csrf=fresh.csrf,
                                      next=target, name=name, error="The sign-in form had "
                                      "expired: please sign in again.")
                await self._set_cookie(response, request, fresh)
                return response
            account = await self._accounts.authenticate(name, token)
            if account is None:
                # a name that is no account may be a token typed in the wrong box
                known = await self._accounts.get(name.strip()) is not None
                log.warning("console_signin_failed", user=name.strip() if known else "<unknown>")
                return self._page(request, "signin.html", None, status=401, csrf=session.csrf,
                                  next=target, name=name,
                                  error="That name and token do not match an account.")
            log.info("console_signed_in", user=account.name, role=account.role)
            response = RedirectResponse(target, status_code=303)
            await self._set_cookie(response, request, session.signed_in(account.name,
                                                                        account.generation))
            return response

        @router.post("/signout")
        async def signout(request: Request) -> Response:
            form = await read_form(request)
            session = await self._session(request)
            if not csrf_ok(session, str(form.get(CSRF_FIELD) or "")):
                return self._refuse(request, None, "This form is out of date: reload the page.")
            if session is not None and session.user is not None:
                # a copy of the cookie must not stay signed in
                codec = await self._session_codec()
                await self._signed_out.record(session, codec.remaining_s(session))
                log.info("console_signed_out", user=session.user)
            response = RedirectResponse("/signin", status_code=303)
            response.delete_cookie(COOKIE, path="/")
            return response

        @self._reads("/")
        async def feed(request: Request, viewer: Viewer) -> Response:
            flt, problems = parse_filter(request.query_params)
            before = entry_id(request.query_params.get("before"))
            if before == "0-0":  # nothing is older; Redis refuses it as an exclusive end
                before = None
            now = datetime.now(UTC)
            newest = await last_entry_id(self._redis, history_stream(self._keys))
            since = flt.since(now)
            entries, more = await recent_alerts(
                self._redis, self._keys, accept=lambda a: flt.matches(a, now), limit=PAGE_SIZE,
                before=before, oldest=time_id(since) if since else "-")
            stored = await self._watchlists.list()
            return self._page(
                request, "feed.html", viewer, entries=entries, filter=flt, problems=problems,
                live=before is None, after=newest,
                older=("/?" + flt.query(before=more)) if more else None,
                watchlists=self._all_watchlists(stored), **await self._card_context(entries))

        @router.get("/events")
        async def events(request: Request) -> Response:
            viewer = await self._viewer(request)
            if viewer is None:
                return PlainTextResponse("sign in first", status_code=401)
            flt, _ = parse_filter(request.query_params)
            start = request.headers.get("last-event-id") or request.query_params.get("after", "")
            if entry_id(start) is None:
                start = await last_entry_id(self._redis, history_stream(self._keys))
            return StreamingResponse(self._live(viewer, flt, start), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-store",
                                              "X-Accel-Buffering": "no"})

        @self._reads("/story/{story_id}")
        async def story(request: Request, viewer: Viewer, story_id: str) -> Response:
            versions = await story_versions(self._redis, self._keys, story_id)
            alerts = await story_alerts(self._redis, self._keys, story_id)
            held = await throttled_alerts(self._redis, self._keys, story_id=story_id,
                                          limit=HELD_SHOWN)
            # apart, with a limit of their own: many outlets' reports of a big
            # event would otherwise push the story's own held versions out
            reports = await throttled_alerts(
                self._redis, self._keys, repeating={a.message.id for a in alerts},
                limit=HELD_SHOWN) if alerts else []
            thread = build_thread([v.message for v in versions], [a.message for a in alerts],
                                  held, elsewhere=[h for h in reports if h.story_id != story_id])
            context = await self._card_context(alerts)
            return self._page(request, "story.html", viewer, story_id=story_id, thread=thread,
                              held_cut=len(held) == HELD_SHOWN,
                              reports_cut=len(reports) == HELD_SHOWN, shown_at_most=HELD_SHOWN,
                              status=200 if thread else 404, **context)

        @self._writes("/alerts/{alert_id}/ack")
        async def acknowledge(request: Request, viewer: Viewer, form: FormData, alert_id: str) -> Response:
            await self._actions.acknowledge(alert_id, viewer.account.name, datetime.now(UTC))
            log.info("alert_acknowledged", alert_id=alert_id, user=viewer.account.name)
            return self._back(form, "/", f"alert-{alert_id}")

        @self._writes("/stories/{story_id}/mute")
        async def mute(request: Request, viewer: Viewer, form: FormData, story_id: str) -> Response:
            await self._actions.mute_story(story_id, viewer.account.name, datetime.now(UTC))
            log.info("story_muted", story_id=story_id, user=viewer.account.name)
            return self._back(form, f"/story/{story_id}")

        @self._writes("/stories/{story_id}/unmute")
        async def unmute(request: Request, viewer: Viewer, form: FormData, story_id: str) -> Response:
            await self._actions.unmute_story(story_id)
            log.info("story_unmuted", story_id=story_id, user=viewer.account.name)
            return self._back(form, f"/story/{story_id}")

        @self._writes("/watchlists/{watchlist_id}/snooze")
        async def snooze(request: Request, viewer: Viewer, form: FormData, watchlist_id: str) -> Response:
            duration = SNOOZE_CHOICES.get(str(form.get("duration") or ""))
            if duration is None:
                return self._page(request, "message.html", viewer, status=422, title="Snooze",
                                  message="Choose how long to snooze: "
                                          + ", ".join(SNOOZE_CHOICES) + ".", link="/watchlists")
            await self._actions.snooze_watchlist(watchlist_id, viewer.account.name,
                                                 datetime.now(UTC), duration)
            log.info("watchlist_snoozed", watchlist_id=watchlist_id, user=viewer.account.name,
                     seconds=duration.total_seconds())
            return self._back(form, "/watchlists")

        @self._writes("/watchlists/{watchlist_id}/unsnooze")
        async def unsnooze(request: Request, viewer: Viewer, form: FormData, watchlist_id: str) -> Response:
            await self._actions.unsnooze_watchlist(watchlist_id)
            log.info("watchlist_unsnoozed", watchlist_id=watchlist_id, user=viewer.account.name)
            return self._back(form, "/watchlists")

        @self._writes("/judge")
        async def judge(request: Request, viewer: Viewer, form: FormData) -> Response:
            article_id = str(form.get("article_id") or "").strip()
            if not article_id:  # the page always sends one: a record needs its article
                return self._page(request, "message.html", viewer, status=400,
                                  title="Judgement not stored",
                                  message="No article was named: judge from an alert or a "
                                          "story version.", link="/")
            try:
                judgement = check_judgement(str(form.get("kind") or ""),
                                            str(form.get("tag") or ""), self._known_tags)
            except JudgementError as exc:
                return self._page(request, "message.html", viewer, status=422,
                                  title="Judgement not stored", message=str(exc), link="/")
            classified = await find_classified(self._redis, self._keys, article_id)
            if classified is not None:
                classifier_tags = classified.classification.tag_ids
            else:  # trimmed from the stream: what the alert showed is all we know
                classifier_tags = [t for t in form.getlist("shown_tags") if isinstance(t, str)]
            record = await self._labels.judge(article_id, viewer.account.name, judgement,
                                              classifier_tags=classifier_tags,
                                              now=datetime.now(UTC))
            log.info("tag_judged", article_id=article_id, user=viewer.account.name,
                     judgement=judgement.describe(), labels=record["labels"])
            return self._back(form, "/labels", str(form.get("anchor") or ""))

        @self._reads("/labels")
        async def labels(request: Request, viewer: Viewer) -> Response:
            return self._page(request, "labels.html", viewer, records=await self._labels.records())

        @self._reads("/labels.jsonl")
        async def labels_export(request: Request, viewer: Viewer) -> Response:
            return Response(await self._labels.export(), media_type="application/x-ndjson",
                            headers={"Content-Disposition": 'attachment; filename="console-labels.jsonl"',
                                     "Cache-Control": "no-store"})

        @self._reads("/watchlists")
        async def watchlists(request: Request, viewer: Viewer) -> Response:
            now = datetime.now(UTC)
            paused: dict[str, list[PausedTarget]] = {}
            for target in await paused_targets(self._redis, self._keys):
                paused.setdefault(target.watchlist_id, []).append(target)
            return self._page(request, "watchlists.html", viewer,
                              watchlists=self._all_watchlists(await self._watchlists.list()),
                              silences=await self._actions.silences(now), paused=paused)

        @self._writes("/watchlists/{watchlist_id}/targets/{target}/resume")
        async def resume(request: Request, viewer: Viewer, form: FormData, watchlist_id: str,
                         target: str) -> Response:
            try:
                moved = await resume_target(self._redis, self._keys, watchlist_id, target)
            except InvalidInput as exc:
                return self._page(request, "message.html", viewer, status=409,
                                  title="Not resumed", message=str(exc), link="/watchlists")
            log.info("target_resumed", watchlist_id=watchlist_id, target=target,
                     user=viewer.account.name, deliveries=moved)
            return self._back(form, "/watchlists")

        @self._reads("/watchlists/new")
        async def new_watchlist(request: Request, viewer: Viewer) -> Response:
            return await self._watchlist_page(request, viewer, FormState(blank_values()), None)

        @self._reads("/watchlists/{watchlist_id}/edit")
        async def edit_watchlist(request: Request, viewer: Viewer, watchlist_id: str) -> Response:
            found = await self._find_watchlist(watchlist_id)
            if found is None:
                return self._page(request, "message.html", viewer, status=404, title="Watchlists",
                                  message=f"There is no watchlist {watchlist_id!r}.",
                                  link="/watchlists")
            watchlist, source = found
            # what the editor starts from: saving replaces only that
            revision = (await self._watchlists.get_with_revision(watchlist_id))[1] \
                if source == "api" else None
            return await self._watchlist_page(request, viewer, FormState(values_of(watchlist)),
                                              watchlist_id, read_only=source == "file",
                                              revision=revision)

        # "Try it" changes nothing, so viewers may; saving needs an editor
        @self._writes("/watchlists/save", "viewer")
        async def save_watchlist(request: Request, viewer: Viewer, form: FormData) -> Response:
            if form.get("action") != "try" and not role_allows(viewer.account.role, "editor"):
                return self._lacks_role(request, viewer, "editor")
            return await self._save_watchlist(request, viewer, form)

        @self._writes("/watchlists/{watchlist_id}/delete")
        async def delete_watchlist(request: Request, viewer: Viewer, form: FormData, watchlist_id: str) -> Response:
            if any(w.id == watchlist_id for w in self._file_watchlists()):
                return self._refuse(request, viewer, f"Watchlist {watchlist_id!r} is defined in "
                                    "the watchlists file: edit the file instead.")
            if form.get("confirm") != "yes":  # one click next to Save deleted it at once
                found = await self._watchlists.get(watchlist_id)
                named = f"{watchlist_id!r}" + (f" ({found.name})" if found else "")
                return self._confirm(
                    request, viewer, title="Delete this watchlist?",
                    message=f"Watchlist {named} will stop alerting and be removed. Its "
                            "targets' secrets are never shown, so making it again means "
                            "entering them again.",
                    action=f"/watchlists/{quote(watchlist_id, safe='')}/delete",
                    button=f"Delete {watchlist_id}",
                    cancel=f"/watchlists/{quote(watchlist_id, safe='')}/edit")
            await self._watchlists.delete(watchlist_id)
            log.info("watchlist_deleted", watchlist_id=watchlist_id, user=viewer.account.name)
            return RedirectResponse(f"/watchlists?deleted={quote(watchlist_id, safe='')}",
                                    status_code=303)

        @self._reads("/accounts")
        async def accounts(request: Request, viewer: Viewer) -> Response:
            if not viewer.is_admin:
                return self._refuse(request, viewer, "Accounts are managed by an admin.")
            return self._page(request, "accounts.html", viewer,
                              accounts=await self._accounts.list(), form_id=new_form_id())

        @self._writes("/accounts", "admin")
        async def add_account(request: Request, viewer: Viewer, form: FormData) -> Response:
            name, role = str(form.get("name") or "").strip(), str(form.get("role") or "")
            if name == viewer.account.name and role != viewer.account.role:
                # replacing one's own token with a lower role could leave no admin
                return await self._accounts_error(
                    request, viewer, "You cannot change your own role: ask another admin.", 409,
                    name=name, role=role)
            form_id = str(form.get(FORM_ID_FIELD) or "")
            if not await self._sent_forms.claim(form_id):
                return await self._accounts_error(
                    request, viewer, "This form was sent already (the page was reloaded?): "
                    "nothing was changed, and the token shown then is still the one to use. "
                    "To add or replace another, fill in the form below.", 409)
            try:
                account, token = await self._accounts.add(
                    name, role, created_by=viewer.account.name,
                    replace=form.get("replace") == "yes", exists_hint=CONSOLE_REPLACE_HINT)
            except BaseException as exc:  # nothing was changed: the form may be sent again
                with contextlib.suppress(Exception):  # (Redis down: it may be down here too)
                    await self._sent_forms.release(form_id)
                if isinstance(exc, AccountError):
                    return await self._accounts_error(request, viewer, str(exc), 422,
                                                      name=name, role=role)
                raise
            log.info("console_account_added", user=account.name, role=account.role,
                     by=viewer.account.name)
            # The one time the token is shown; never logged, never stored in clear.
            return self._page(request, "accounts.html", viewer, accounts=await self._accounts.list(),
                              new_account=account, new_token=token, form_id=new_form_id())

        @self._writes("/accounts/{name}/remove", "admin")
        async def remove_account(request: Request, viewer: Viewer, form: FormData, name: str) -> Response:
            # The console never locks itself out; the CLI can still remove anyone.
            if name == viewer.account.name:
                return await self._accounts_error(
                    request, viewer, "You cannot remove your own account: ask another admin "
                    "(or use `watchfloor console user remove`).", 409)
            if form.get("confirm") != "yes":
                return self._confirm(
                    request, viewer, title="Remove this account?",
                    message=f"Account {name!r} will be signed out everywhere and its token "
                            "will stop working.",
                    action=f"/accounts/{quote(name, safe='')}/remove",
                    button=f"Remove {name}", cancel="/accounts")
            try:
                await self._accounts.remove_keeping_an_admin(name)
            except AccountError as exc:
                return await self._accounts_error(request, viewer, str(exc), 409)
            log.info("console_account_removed", user=name, by=viewer.account.name)
            return RedirectResponse("/accounts", status_code=303)

    async def _accounts_error(self, request: Request, viewer: Viewer, error: str, status: int,
                              **form: str) -> Response:
        """The accounts page saying why a change was refused."""
        return self._page(request, "accounts.html", viewer, status=status,
                          accounts=await self._accounts.list(), error=error,
                          form_id=new_form_id(), **form)

    # --- watchlists ------------------------------------------------------------------

    @functools.cached_property
    def _confidence_guide(self) -> ConfidenceGuide | None:
        """Read from the model file when a watchlist form is first shown."""
        return load_confidence_guide(self._settings)

    async def _find_watchlist(self, watchlist_id: str) -> tuple[Watchlist, str] | None:
        for watchlist in self._file_watchlists():
            if watchlist.id == watchlist_id:
                return watchlist, "file"
        stored = await self._watchlists.get(watchlist_id)
        return (stored, "api") if stored is not None else None

    async def _watchlist_page(self, request: Request, viewer: Viewer, state: FormState,
                              original_id: str | None, *, read_only: bool = False,
                              status: int = 200, revision: str | None = None,
                              **context: Any) -> Response:
        return self._page(request, "watchlist_form.html", viewer, status=status, form=state,
                          original_id=original_id, read_only=read_only, revision=revision,
                          confidence_guide=self._confidence_guide,
                          retention=await classified_retention(self._redis, self._keys),
                          days=context.pop("days", 7), **context)

    async def _save_watchlist(self, request: Request, viewer: Viewer, form: FormData) -> Response:
        original_id = str(form.get("original_id") or "") or None
        # the stored version the form was opened on ("": none, a new
        # watchlist); a form without the field (a page from before it) saves
        # as before, whatever is stored
        sent_revision = form.get("revision")
        revision = str(sent_revision or "") or None
        values = values_from_form(form, {k: form.getlist(k) for k in form})
        if original_id:
            values["id"] = original_id  # the id of a saved watchlist does not change here
        in_file = {w.id for w in self._file_watchlists()}
        if form.get("action") == "try":
            # only what matching needs is checked: a draft, or a watchlist of
            # the file (read-only here), is tried without what saving needs
            return await self._try(request, viewer, form, values, original_id,
                                   read_only=original_id in in_file, revision=revision)
        existing, stored_revision = (await self._watchlists.get_with_revision(original_id)
                                     if original_id else (None, None))
        if original_id and sent_revision is not None and revision != stored_revision:
            # before validating: the form would be judged against what is
            # stored now ("secret is required" for a target it never showed)
            return await self._watchlist_page(
                request, viewer, FormState(dict(values)), original_id, status=409,
                revision=revision, conflict="deleted" if stored_revision is None else "changed")
        watchlist, state = validate(values, known_tags=self._known_tags, existing=existing,
                                    addresses=self._settings.address_policy,
                                    known_actors=watchlist_actors(self._settings))
        if values["id"] in in_file:
            state.errors.setdefault("id", "is defined in the watchlists file: edit the file "
                                          "instead, or choose another id")
            watchlist = None
        if not original_id and watchlist is not None and existing is None:
            taken, stored_revision = await self._watchlists.get_with_revision(watchlist.id)
            if taken is not None:
                state.errors.setdefault("id", "is taken by another watchlist: choose another id")
                watchlist = None
            else:
                # none there, or one that no longer validates (skipped everywhere,
                # and not editable here): a new watchlist may take its place
                revision = stored_revision
        if watchlist is None:
            return await self._watchlist_page(request, viewer, state, original_id, status=422,
                                              revision=str(form.get("revision") or "") or None)
        try:
            created, _ = await self._watchlists.save(
                watchlist, "*" if sent_revision is None else revision or "")
        except WatchlistChanged:
            _, now = await self._watchlists.get_with_revision(watchlist.id)
            return await self._watchlist_page(
                request, viewer, state, original_id, status=409, revision=revision,
                conflict="deleted" if now is None else "changed")
        log.info("watchlist_saved", watchlist_id=watchlist.id, created=created,
                 user=viewer.account.name)
        return RedirectResponse(f"/watchlists?saved={watchlist.id}", status_code=303)

    async def _try(self, request: Request, viewer: Viewer, form: FormData,
                   values: dict[str, Any], original_id: str | None, *,
                   read_only: bool, revision: str | None) -> Response:
        """Run the match part against stored articles (targets play no part)."""
        # id, name and targets play no part in matching: a draft without them can be tried
        trial_values = {**values, "targets": "[]", "id": "trial",
                        "name": values.get("name") or "trial"}
        trial_watchlist, trial_state = validate(trial_values, known_tags=self._known_tags,
                                                existing=None,
                                                known_actors=watchlist_actors(self._settings))
        state = FormState(dict(values), dict(trial_state.errors))
        raw_days = str(form.get("days") or "7").strip()
        # ASCII digits only: "²" is a digit to str.isdigit, not to int()
        days = int(raw_days) if raw_days and set(raw_days) <= set("0123456789") else 0
        if not 1 <= days <= MAX_DAYS:
            state.errors["days"] = f"must be a whole number of days from 1 to {MAX_DAYS}"
        result = None
        if trial_watchlist is not None and "days" not in state.errors:
            started = time.monotonic()
            result = await try_watchlist(
                self._redis, self._keys, trial_watchlist, days=days, now=datetime.now(UTC),
                windows=ThrottleWindows(self._settings.story_alert_window_s,
                                        self._settings.event_alert_window_s))
            log.info("watchlist_tried", watchlist_id=trial_watchlist.id, days=days,
                     matched=result.matched, scanned=result.scanned,
                     seconds=round(time.monotonic() - started, 3), user=viewer.account.name)
        return await self._watchlist_page(request, viewer, state, original_id, trial=result,
                                          days=raw_days, read_only=read_only,
                                          revision=revision, status=200 if result else 422)

    # --- the live feed ----------------------------------------------------------------

    async def _live(self, viewer: Viewer, flt: AlertFilter, after: str) -> Any:
        """Server-sent events: each new alert the filter accepts, as the
        card's HTML; a comment every ``HEARTBEAT_S``; ends when the console
        closes, the account is gone or signed out (checked before each
        alert sent and at each heartbeat) or Redis fails (the page's EventSource
        then reconnects, ``retry: 1000``, from the last id it got)."""
        yield "retry: 1000\n\n"
        last_beat = time.monotonic()
        # where a card's actions lead back to: the feed with the viewer's filters
        filters = flt.query()
        here = f"/?{filters}" if filters else "/"
        try:
            while not self._closing.is_set():
                entries, after = await alerts_after(self._redis, self._keys, after,
                                                    block_ms=LIVE_BLOCK_MS)
                now = datetime.now(UTC)
                shown = [e for e in entries if flt.matches(e.message, now)]
                if shown:
                    # not only at the heartbeat: a removed account or a
                    # signed-out session gets no alert more
                    if not await self._viewer_still_valid(viewer):
                        return
                    context = await self._card_context(shown)
                    for entry in shown:
                        html = self._render("alert_card.html", entry=entry, alert=entry.message,
                                            viewer=viewer, csrf=viewer.session.csrf,
                                            known_tags=self._known_tags, here=here, **context)
                        data = "".join(f"data: {line}\n" for line in html.splitlines())
                        yield f"id: {entry.entry_id}\nevent: alert\n{data}\n"
                elif entries:
                    yield f"id: {after}\n\n"  # the reconnect point moves past filtered ones
                if time.monotonic() - last_beat >= HEARTBEAT_S:
                    if not await self._viewer_still_valid(viewer):
                        return
                    yield ": still here\n\n"
                    last_beat = time.monotonic()
        except REDIS_FAILURES as exc:
            log.warning("console_live_feed_interrupted", error=str(exc))

    async def _viewer_still_valid(self, viewer: Viewer) -> bool:
        account = await self._accounts.get(viewer.account.name)
        return (account is not None and account.generation == viewer.account.generation
                and not await self._signed_out.includes(viewer.session))


def create_console(settings: Settings, redis: Redis, *, watchlist_store: WatchlistStorage,
                   file_watchlists: Sequence[Watchlist] | Callable[[], Sequence[Watchlist]] = (),
                   known_tags: Collection[str] | None = None) -> Console:
    """The console for the ingest API to mount (``app.include_router(console.router)``)."""
    current = file_watchlists if callable(file_watchlists) else (lambda: file_watchlists)
    return Console(settings, redis, watchlist_store=watchlist_store, file_watchlists=current,
                   known_tags=watchlist_store.known_tags if known_tags is None else known_tags)
