"""Sign-in without a browser: token hashing, accounts, signed sessions, CSRF."""

from __future__ import annotations

import pytest
from fakeredis import FakeAsyncRedis
from watchfloor.services.console.accounts import (
    AccountError,
    AccountStore,
    hash_token,
    role_allows,
    verify_token,
)
from watchfloor.services.console.session import Session, SessionCodec, csrf_ok, signing_key
from watchfloor.shared.keys import Keys

KEYS = Keys("t")


def test_a_token_is_stored_as_a_salted_scrypt_hash_and_verified() -> None:
    stored = hash_token("s3cret-token")
    assert stored.startswith("scrypt$") and "s3cret-token" not in stored
    assert hash_token("s3cret-token") != stored  # salted
    assert verify_token("s3cret-token", stored)
    assert not verify_token("s3cret-tokeN", stored)
    assert not verify_token("s3cret-token", "garbage")


def test_roles_include_the_ones_below() -> None:
    assert role_allows("admin", "editor") and role_allows("editor", "viewer")
    assert not role_allows("viewer", "editor") and not role_allows("editor", "admin")
    assert not role_allows("intruder", "viewer")


async def test_accounts_are_made_authenticated_and_their_tokens_replaced() -> None:
    store = AccountStore(FakeAsyncRedis(), KEYS)
    account, token = await store.add("ada", "editor")
    assert token not in account.model_dump_json() and token not in repr(account)
    assert await store.authenticate("ada", token) == account
    assert await store.authenticate("ada", token + "x") is None
    assert await store.authenticate("nobody", token) is None

    with pytest.raises(AccountError, match="exists"):
        await store.add("ada", "viewer")
    renewed, new_token = await store.add("ada", "admin", replace=True)
    assert renewed.generation == account.generation + 1 and renewed.role == "admin"
    assert await store.authenticate("ada", token) is None
    assert await store.authenticate("ada", new_token) is not None
    assert [a.name for a in await store.list()] == ["ada"]
    assert await store.remove("ada") and await store.authenticate("ada", new_token) is None


@pytest.mark.parametrize(("name", "role", "message"), [
    ("bad name", "editor", "not allowed"), ("ada", "boss", "role must be one of"),
])
async def test_a_bad_account_is_refused_with_the_reason(name, role, message) -> None:
    with pytest.raises(AccountError, match=message):
        await AccountStore(FakeAsyncRedis(), KEYS).add(name, role)


def test_a_session_cookie_round_trips_and_a_forged_or_expired_one_is_refused() -> None:
    codec = SessionCodec(b"k" * 32)
    session = Session.anonymous().signed_in("ada", 3)
    cookie = codec.dumps(session)
    assert codec.loads(cookie) == session
    assert codec.loads(cookie[:-2] + "xx") is None
    assert SessionCodec(b"other" * 8).loads(cookie) is None
    assert codec.loads(None) is None and codec.loads("") is None
    expired = SessionCodec(b"k" * 32, max_age_s=-1)
    assert expired.loads(cookie) is None


def test_a_signed_in_session_ends_twelve_hours_after_sign_in_not_after_its_last_signing() -> None:
    codec = SessionCodec(b"k" * 32)
    old = Session.anonymous().signed_in("ada", 3, now=1_000_000.0)
    loaded = codec.loads(codec.dumps(old))  # freshly signed, but signed in long ago
    assert loaded is not None and loaded.user is None and loaded.csrf == old.csrf
    recent = Session.anonymous().signed_in("ada", 3)
    assert codec.loads(codec.dumps(recent)) == recent
    assert 0 < codec.remaining_s(recent) <= 12 * 3600


def test_signing_in_gives_a_new_csrf_token() -> None:
    before = Session.anonymous()
    after = before.signed_in("ada", 1)
    assert after.csrf != before.csrf and after.user == "ada"


def test_csrf_token_must_match_the_session() -> None:
    session = Session.anonymous()
    assert csrf_ok(session, session.csrf)
    assert not csrf_ok(session, session.csrf + "x")
    assert not csrf_ok(session, None) and not csrf_ok(session, "")
    assert not csrf_ok(None, session.csrf)


async def test_the_signing_key_is_made_once_and_shared() -> None:
    redis = FakeAsyncRedis()
    first = await signing_key(redis, "t:key")
    assert len(first) == 64 and await signing_key(redis, "t:key") == first


async def test_the_last_admin_is_kept_but_the_plain_remove_takes_anyone() -> None:
    store = AccountStore(FakeAsyncRedis(), KEYS)
    await store.add("ada", "admin")
    await store.add("bob", "admin")
    await store.add("cy", "viewer")
    assert await store.remove_keeping_an_admin("bob")
    assert await store.remove_keeping_an_admin("cy")
    with pytest.raises(AccountError, match="last admin"):
        await store.remove_keeping_an_admin("ada")
    assert not await store.remove_keeping_an_admin("nobody")
    assert await store.remove("ada")  # the CLI's way back


async def test_the_caller_says_how_to_replace_an_existing_account() -> None:
    store = AccountStore(FakeAsyncRedis(), KEYS)
    await store.add("ada", "editor")
    with pytest.raises(AccountError, match="exists: use --replace"):
        await store.add("ada", "editor")  # the CLI's wording by default
    with pytest.raises(AccountError, match="exists: tick the box"):
        await store.add("ada", "editor", exists_hint="tick the box")
