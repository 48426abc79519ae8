"""Console accounts: a name, a role and the scrypt hash of a sign-in token.

Roles, each allowing what the one before does: ``viewer`` reads, ``editor``
also acts (acknowledge, mute, snooze, judge, edit watchlists), ``admin``
also manages accounts. A token is made by ``watchfloor console user add``
(or the admin page) and shown once; only its hash is kept (scrypt from the
standard library, salted, with its parameters stored beside it). Replacing a
token bumps the account's ``generation``, which ends its open sessions.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from redis.exceptions import WatchError
from watchfloor.shared.errors import InvalidInput
from watchfloor.shared.keys import Keys
from watchfloor.shared.schemas import utcnow

if TYPE_CHECKING:
    import redis.asyncio as aioredis

Role = Literal["viewer", "editor", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "editor", "admin")
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$"

# How to give an existing account a new token, said where it is refused: the
# CLI's flag by default; the console names its checkbox instead.
REPLACE_HINT = "use --replace to give it a new token"

# scrypt cost: about 0.1 s and 16 MiB per sign-in on the 2-core development machine.
SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_LEN = 2**14, 8, 1, 32


class AccountError(InvalidInput):
    """An account cannot be made or found as asked (the message says why)."""


def role_allows(role: str, needed: Role) -> bool:
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)  # type: ignore[arg-type]


def new_token() -> str:
    """A sign-in token: 32 random bytes, URL-safe text."""
    return secrets.token_urlsafe(32)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_token(token: str, *, salt: bytes | None = None) -> str:
    """``scrypt$n$r$p$salt$hash``: what is stored instead of the token."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(token.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                            dklen=SCRYPT_LEN, maxmem=64 << 20)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_token(token: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = _unb64(digest)
        got = hashlib.scrypt(token.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(expected), maxmem=64 << 20)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


# Compared against when the name is unknown, so a wrong name costs the same
# time as a wrong token.
_DUMMY_HASH = hash_token("not a token", salt=b"watchfloor-dummy")


class Account(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str = Field(pattern=NAME_PATTERN)
    role: Role
    token_hash: str = Field(repr=False)
    generation: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = ""


def _accounts(stored: dict[Any, Any]) -> list[Account]:
    """The accounts that decode, by name."""
    accounts = []
    for raw in stored.values():
        try:
            accounts.append(Account.model_validate_json(raw))
        except ValidationError:
            continue
    return sorted(accounts, key=lambda a: a.name)


def _first_generation() -> int:
    """Random, not 1: sessions of an account removed and made again under the
    same name must not match the new one."""
    return secrets.randbelow(2**40) + 1


class AccountStore:
    """Accounts in one Redis hash (``keys.console_accounts``)."""

    def __init__(self, redis: aioredis.Redis, keys: Keys) -> None:
        self._redis = redis
        self._key = keys.console_accounts

    async def add(self, name: str, role: str, *, created_by: str = "", replace: bool = False,
                  exists_hint: str = REPLACE_HINT) -> tuple[Account, str]:
        """A new account (or a new token for an existing one with ``replace``)
        and its one-time token; ``exists_hint`` ends the refusal of an
        existing name without ``replace``."""
        if role not in ROLES:
            raise AccountError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        token = new_token()
        existing = await self.get(name)
        if existing is not None and not replace:
            raise AccountError(f"account {name!r} exists: {exists_hint}")
        try:
            account = Account(name=name, role=role, token_hash=await asyncio.to_thread(hash_token, token),
                              generation=(existing.generation + 1) if existing else _first_generation(),
                              created_by=created_by)
        except ValidationError:
            raise AccountError(
                f"account name {name!r} is not allowed: letters, digits and . _ @ -, "
                "at most 64, starting with a letter or digit") from None
        await self._redis.hset(self._key, name, account.model_dump_json())
        return account, token

    async def get(self, name: str) -> Account | None:
        raw = await self._redis.hget(self._key, name)
        if raw is None:
            return None
        try:
            return Account.model_validate_json(raw)
        except ValidationError:
            return None

    async def list(self) -> list[Account]:
        return _accounts(await self._redis.hgetall(self._key))

    async def remove(self, name: str) -> bool:
        """Remove any account, even the last admin (the CLI: the way back)."""
        return bool(await self._redis.hdel(self._key, name))

    async def remove_keeping_an_admin(self, name: str) -> bool:
        """Remove the account unless it is the last admin (AccountError):
        the console must keep someone who can manage accounts."""
        async with self._redis.pipeline(transaction=True) as pipe:
            while True:  # optimistic: two admins removing each other cannot both succeed
                try:
                    await pipe.watch(self._key)
                    admins = {a.name for a in _accounts(await pipe.hgetall(self._key))
                              if a.role == "admin"}
                    if admins == {name}:
                        raise AccountError(f"account {name!r} is the last admin: make another "
                                           "admin first")
                    pipe.multi()
                    pipe.hdel(self._key, name)
                    [removed] = await pipe.execute()
                    return bool(removed)
                except WatchError:
                    continue

    async def count(self) -> int:
        return int(await self._redis.hlen(self._key))

    async def authenticate(self, name: str, token: str) -> Account | None:
        # scrypt takes tens of milliseconds: off the event loop
        account = await self.get(name.strip())
        if account is None:
            await asyncio.to_thread(verify_token, token, _DUMMY_HASH)
            return None
        ok = await asyncio.to_thread(verify_token, token, account.token_hash)
        return account if ok else None
