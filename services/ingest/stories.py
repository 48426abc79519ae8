"""Near-duplicate story clustering: versions of one story share a ``story_id``.

The same wire story reaches us from several outlets with small edits: another
URL, a reworded headline, a sentence added. Exact dedupe lets each through;
this module tells that they are one story, so the notifier can throttle.

Similarity is the Jaccard index of word-bigram sets of the normalised title
and the head of the text. Finding similar articles among all those of the
window uses MinHash with LSH banding; every candidate is then *verified* on
the exact Jaccard of the stored shingle sets, so the decision never rests on
a sketch's estimate (a false merge would hide a real alert).

Why MinHash and not SimHash: MinHash estimates Jaccard, an index whose
threshold can be read and justified ("70% of phrases shared"), and LSH bands
turn "similar?" into exact key look-ups in Redis. SimHash needs a Hamming
search over permuted tables and is noisy on texts of 30-50 words.

Why this threshold (0.7): measured on 6,097 real headlines with leads,
pairs at 0.7 and above were the same story; below it appear different
stories sharing boilerplate (a newsletter blurb as lead) and daily reports
from one template with new figures.

Word overlap is not enough: wire copy is a template, and the next missile
launch is reported in the same words with another weekday. A candidate is
therefore also checked against the facts that identify an event (figures,
weekday, date, place, publication time: ``story_facts.different_events``);
versions that contradict each other there are two stories, however similar.

Redis layout, all under the key prefix:

- ``story:buckets:<band>:<generation>``: a hash per band and generation
  (indexing time // window): bucket hash -> ids of the first articles that
  fell into it, space-separated, earliest first, at most ``BAND_MEMBERS``
  (the earliest stay, so later versions find them; more than one, because a
  look-alike kept apart as another event must be found by its own later
  versions). A lookup reads the current and the previous generation, so a
  bucket is found for at least a window; each hash expires at the end of
  the next generation. One field in 16 hashes instead of 16 keys with a TTL
  each: 10,000 articles take about 11 MB less.
- ``story:article:<article id>`` -> "<story id> <shingle ids as hex> <facts>",
  for verifying candidates and handing their story id on; expires after
  the window.
"""

from __future__ import annotations

import hashlib
import random
import re
import struct
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redis.asyncio import Redis
from watchfloor.services.ingest.story_facts import (
    DEFAULT_MAX_GAP_S,
    EventFacts,
    different_events,
    event_facts,
    is_country_name,
    normal_words,
)
from watchfloor.shared.keys import Keys
from watchfloor.shared.logging import get_logger
from watchfloor.shared.redis_client import queue_script
from watchfloor.shared.redis_replies import as_str
from watchfloor.shared.schemas import Article

log = get_logger("watchfloor.ingest")

SHINGLE_WORDS = 2
BANDS = 16
ROWS_PER_BAND = 4
BAND_MEMBERS = 4
# 16 bands of 4: a pair at Jaccard 0.7 becomes a candidate with p = 0.988,
# at 0.8 with p = 0.9999, at 0.3 with p = 0.12 (then rejected by verifying).
# Rows of 4 keep unrelated articles from claiming each other's buckets.
_BINS = BANDS * ROWS_PER_BAND
# One-permutation MinHash: one hash per shingle, the hash space cut into
# _BINS bins, the minimum kept per bin; a bin left empty (short texts) takes
# the value of the first filled bin along its own fixed pseudo-random probe
# order ("optimal densification", Shrivastava 2017), so two texts still agree
# on a bin with probability = their Jaccard. One hash per shingle instead of
# one per (shingle, permutation) is what keeps this cheap in pure Python.
_probe_rng = random.Random(0x5709)
_PROBES = tuple(tuple(_probe_rng.sample(range(_BINS), _BINS)) for _ in range(_BINS))



@dataclass(frozen=True)
class StoryParams:
    """Tuning of the story index (defaults measured; see the module doc)."""

    window_s: int = 72 * 3600
    threshold: float = 0.7
    # Wire versions differ at the tail (outlets trim); the head names the
    # story. Bounding it also bounds cost and Redis memory for long pages.
    max_text_words: int = 150
    # Versions published further apart report two events (a day's news is
    # re-run within hours: the real merges were at most 12.3 h apart).
    max_gap_s: int = DEFAULT_MAX_GAP_S


# --- signatures (pure) -------------------------------------------------------


_words = normal_words


def _first_words(text: str, count: int) -> list[str]:
    """``_words(text)[:count]`` without normalising a long text to its end:
    the words of a prefix cut at a space (so no word, "U.S." or "60,000",
    is cut short), once it holds ``count`` of them. Normalising and matching
    never reach across whitespace, so a prefix's words are the text's first
    words. A 1,000-word article costs its first ~150 words, not all."""
    if count <= 0:
        return []
    chars = count * 16
    while chars < len(text):
        head = text[:chars]
        if not text[chars].isspace():
            head, space, _ = head.rpartition(" ")
            if not space:  # no whitespace to cut at yet: a longer prefix
                chars *= 4
                continue
        found = _words(head)
        if len(found) >= count:
            return found[:count]
        chars *= 4
    return _words(text)[:count]


# " - Reuters", " | BBC News", " — The Guardian": an outlet's name after the
# headline (aggregators add them), which two outlets' copies never share
_OUTLET_SUFFIX = re.compile(r"\s+[-|–—]\s+(?:\S+\s+){0,3}\S+\s*$")


def story_words(title: str, text: str, max_text_words: int = 150) -> list[str]:
    """Normalised words of the title (without an outlet's name after it) and
    the first ``max_text_words`` of the text."""
    return _words(_outlet_tail(title)[0]) + _first_words(text, max_text_words)


def _outlet_tail(title: str) -> tuple[str, str]:
    """(the headline, the outlet's name after it or "")."""
    found = _OUTLET_SUFFIX.search(title)
    if found is None or len(title[:found.start()].split()) < 4:  # too short for both
        return title, ""
    return title[:found.start()], title[found.start():]


def _country_tail(tail: str) -> list[str]:
    """The tail's words if it is a country alone ("- Pakistan": no outlet
    but the event's country), else none: an outlet's name counts for no
    fact ("- FOX 5 DC", "- The Japan Times")."""
    words = _words(tail) if tail else []
    return words if is_country_name(words) else []


def shingles(words: Sequence[str], size: int = SHINGLE_WORDS) -> set[str]:
    """Word n-grams; a text shorter than ``size`` is one shingle."""
    if len(words) <= size:
        return {" ".join(words)} if words else set()
    # the n-grams as zipped offsets, not slices: a quarter faster
    return set(map(" ".join, zip(*(words[i:] for i in range(size)), strict=False)))


@dataclass(frozen=True)
class StoryFingerprint:
    """What is kept of an indexed article to verify a candidate exactly."""

    shingle_ids: frozenset[int]  # 32-bit ids of its shingles
    facts: EventFacts = EventFacts()  # figures, weekdays, dates, places, time


@dataclass(frozen=True)
class StorySignature:
    fingerprint: StoryFingerprint
    bands: tuple[str, ...]  # one LSH bucket name per band


def signature(
    title: str, text: str, max_text_words: int = 150, *, at: datetime | None = None
) -> StorySignature | None:
    """The article's signature, or None when it has no words to compare.
    ``at``: when it was published (else first seen), to tell events apart."""
    text_words = _first_words(text, max_text_words)
    headline_text, tail = _outlet_tail(title)
    headline = _words(headline_text)
    words = headline + text_words
    found = shingles(words)
    if not found:
        return None
    hashes = _hashes64(found)
    minima = _one_permutation_minhash(hashes)
    bands = _band_names(minima)
    # The top 32 bits name a shingle when verifying: the low bits pick its bin.
    lead = " ".join(text.split(None, max_text_words)[:max_text_words])
    fingerprint = StoryFingerprint(
        frozenset(h >> 32 for h in hashes),
        event_facts(words, lead, at, headline=headline + _country_tail(tail)),
    )
    return StorySignature(fingerprint, bands)


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    if not a or not b:
        return 0.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


def similarity(a: StoryFingerprint, b: StoryFingerprint, *,
               max_gap_s: int = DEFAULT_MAX_GAP_S) -> float:
    """Jaccard of the shingle sets; 0 when the two report different events."""
    if different_events(a.facts, b.facts, max_gap_s=max_gap_s):
        return 0.0
    return jaccard(a.shingle_ids, b.shingle_ids)


@dataclass(frozen=True)
class StoryChoice:
    """Which story a new version joins, and the look-alikes it was kept from."""

    story_id: str | None  # None: a story of its own
    kept_apart: tuple[tuple[str, str], ...] = ()  # (candidate article id, why)


def choose_story(
    fingerprint: StoryFingerprint,
    candidates: Mapping[str, tuple[str, StoryFingerprint]],
    params: StoryParams,
) -> StoryChoice:
    """Pure: the story of the most similar candidate at or above the
    threshold that reports the same event, in a story no candidate of which
    reports another (ties: smallest article id, so the answer does not depend
    on order). ``candidates``: article id -> (its story id, its fingerprint)."""
    joinable: list[tuple[float, str]] = []
    kept_apart: list[tuple[str, str]] = []
    for candidate in sorted(candidates):
        story_id, other = candidates[candidate]
        score = jaccard(fingerprint.shingle_ids, other.shingle_ids)
        if score < params.threshold:
            continue
        why = different_events(fingerprint.facts, other.facts, max_gap_s=params.max_gap_s)
        if why is not None:
            kept_apart.append((candidate, why))
        else:
            joinable.append((score, story_id))
    # A story one of whose versions reports another event is not joined
    # through a version that leaves the difference out (a trimmed re-run
    # without "on Monday" is no bridge from Tuesday's launch to Monday's).
    apart = {candidates[candidate][0] for candidate, _ in kept_apart}
    best = max(((score, story_id) for score, story_id in joinable if story_id not in apart),
               key=lambda pair: pair[0], default=None)
    return StoryChoice(best[1] if best else None, tuple(kept_apart))


# A record is one line of space-separated fields; empty facts stay as empty
# fields, so positions never shift.
def encode_record(story_id: str, fingerprint: StoryFingerprint) -> str:
    """'<story id> <shingle ids, 8 hex digits each> <figures> <weekdays>
    <dates> <places> <unix time> <states> <lead states> <weapons> <repeat>',
    each set comma-separated, repeat "1" or "0". Text, not bytes: readable in redis-cli, and safe with
    decode_responses."""
    ids = sorted(fingerprint.shingle_ids)
    hex_ids = struct.pack(f">{len(ids)}I", *ids).hex()  # 8 hex digits each
    facts = fingerprint.facts
    sets = (facts.figures, facts.weekdays, facts.dates, facts.places)
    at = "" if facts.at is None else str(facts.at)
    return " ".join([story_id, hex_ids, *(",".join(sorted(s)) for s in sets), at,
                     ",".join(sorted(facts.states)), ",".join(sorted(facts.lead_states)),
                     ",".join(sorted(facts.weapons)),
                     "" if facts.repeat is None else str(int(facts.repeat))])


def decode_record(value: str) -> tuple[str, StoryFingerprint]:
    """Also reads records written before facts beyond figures (or states, or
    weapons, or repeats) were kept ('<story id> <hex> <figures>'): they
    contradict nothing on the rest."""
    story_id, hex_ids, *rest = value.split(" ")
    raw = bytes.fromhex(hex_ids)
    ids = frozenset(struct.unpack(f">{len(raw) // 4}I", raw))
    figures, weekdays, dates, places, at, states, lead_states, weapons, repeat = (
        rest + [""] * 9)[:9]

    def parse(field: str) -> frozenset[str]:
        return frozenset(field.split(",")) - {""}

    facts = EventFacts(parse(figures), parse(weekdays), parse(dates), parse(places),
                       parse(states), int(at) if at else None, parse(lead_states),
                       parse(weapons), None if repeat == "" else repeat == "1")
    return story_id, StoryFingerprint(ids, facts)


def _hashes64(shingles: Iterable[str]) -> list[int]:
    """A 64-bit hash of each shingle, stable across processes and machines
    (unlike hash()): copies of the ingest worker must put one text into the
    same buckets."""
    blake2b, from_bytes = hashlib.blake2b, int.from_bytes
    return [from_bytes(blake2b(s.encode(), digest_size=8).digest(), "little") for s in shingles]


def _one_permutation_minhash(hashes: Iterable[int]) -> list[int]:
    bins: list[int | None] = [None] * _BINS
    for h in hashes:
        index = h % _BINS
        current = bins[index]
        if current is None or h < current:
            bins[index] = h
    if None not in bins:
        return bins  # type: ignore[return-value]  # every bin filled
    out: list[int] = []
    for i, value in enumerate(bins):
        if value is None:  # the first filled bin along its probe order
            for j in _PROBES[i]:
                value = bins[j]
                if value is not None:
                    break
        out.append(value)  # type: ignore[arg-type]  # some bin is filled: hashes were given
    return out


def _band_names(minima: Sequence[int]) -> tuple[str, ...]:
    """One bucket name per band: a hash of the band's rows (packed once)."""
    packed = struct.pack(f"<{len(minima)}Q", *minima)
    width = ROWS_PER_BAND * 8
    blake2b = hashlib.blake2b
    return tuple(f"{band}:{blake2b(packed[band * width:(band + 1) * width], digest_size=8).hexdigest()}"
                 for band in range(BANDS))


# --- bucket names ----------------------------------------------------------------


def split_band(band: str) -> tuple[int, str]:
    """A signature's bucket name "<band>:<hash>" as (band number, hash)."""
    number, _, digest = band.partition(":")
    return int(number), digest


# --- the index ------------------------------------------------------------------


@dataclass(frozen=True)
class _Indexed:
    story_id: str
    fingerprint: StoryFingerprint


def _parse_record(raw: bytes | str | None) -> _Indexed | None:
    if raw is None:
        return None
    return _Indexed(*decode_record(as_str(raw)))


# One command for the whole batch's writes. Records are set NX: an article
# indexed meanwhile by another ingest copy keeps that copy's answer. A bucket
# keeps its earliest claimants: an id is appended while there are fewer than
# ARGV[2]. KEYS: the records, then the bucket hashes of this generation;
# ARGV: TTL of a record (s), members per bucket, how many KEYS are records,
# when the bucket hashes expire (unix s), each record's value, then per
# bucket claim (the index of its hash in KEYS, the bucket hash, the id).
# (A function, so that ingest's single round trip for new stories can run it
# too: ``publisher._PUBLISH_NEW_STORIES``.)
INDEX_FUNCTION = """
local function story_index(KEYS, ARGV)
local ttl, cap, records, expire_at = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
for i = 1, records do
  redis.call('SET', KEYS[i], ARGV[4 + i], 'NX', 'EX', ttl)
end
for at = 5 + records, #ARGV, 3 do
  local key, bucket, id = KEYS[tonumber(ARGV[at])], ARGV[at + 1], ARGV[at + 2]
  -- most buckets are new: one command then
  if redis.call('HSETNX', key, bucket, id) == 0 then
    local current = redis.call('HGET', key, bucket)
    local count, present = 0, false
    for member in string.gmatch(current, '%S+') do
      count = count + 1
      if member == id then present = true end
    end
    if not present and count < cap then
      redis.call('HSET', key, bucket, current .. ' ' .. id)
    end
  end
end
for i = records + 1, #KEYS do
  redis.call('EXPIREAT', KEYS[i], expire_at)
end
return #KEYS
end
"""
_INDEX = INDEX_FUNCTION + "return story_index(KEYS, ARGV)\n"


# One command for the whole batch's reads (a pipeline of one HMGET per band
# and generation costs the client as many replies to parse: most of a single
# POST's CPU). KEYS: the bucket hashes, then the records to read; ARGV: how
# many KEYS are bucket hashes, then per hash the number of its fields and the
# fields. Returns per hash its HMGET reply, then the records' MGET reply.
# (In slices: Lua's unpack takes a few thousand values at most.)
LOOKUP_FUNCTION = """
local function story_lookup(KEYS, ARGV)
local hashes, out, at = tonumber(ARGV[1]), {}, 2
local function sliced(command, key, list, from, to)
  local replies = {}
  for first = from, to, 1000 do
    local part
    if key then
      part = redis.call(command, key, unpack(list, first, math.min(first + 999, to)))
    else
      part = redis.call(command, unpack(list, first, math.min(first + 999, to)))
    end
    for _, value in ipairs(part) do replies[#replies + 1] = value end
  end
  return replies
end
for i = 1, hashes do
  local fields = tonumber(ARGV[at])
  out[i] = sliced('HMGET', KEYS[i], ARGV, at + 1, at + fields)
  at = at + 1 + fields
end
out[hashes + 1] = sliced('MGET', nil, KEYS, hashes + 1, #KEYS)
return out
end
"""
_LOOKUP = LOOKUP_FUNCTION + "return story_lookup(KEYS, ARGV)\n"


@dataclass(frozen=True)
class StoryLookup:
    """An assignment between its lookup and its writes (``StoryIndex.begin``)."""

    articles: list[Article]
    signatures: list[StorySignature | None]
    generation: int
    digests: dict[int, dict[str, None]]  # band number -> its bucket hashes, in order
    keys: list[str]  # the lookup's KEYS and ARGV
    args: list[str | int]


class StoryIndex:
    """``await index.assign(articles)``: copies with ``story_id`` set.

    A constant number of round trips per batch (read buckets, read candidate
    records, write), never one per article. Assigning an article again (a
    retry) finds its own record and gives the same answer. Two ingest copies
    that see two versions of a new story at the same instant may both start
    a story: the cost is one extra alert, never a lost one.
    """

    def __init__(self, redis: Redis, keys: Keys, params: StoryParams | None = None,
                 *, clock: Callable[[], float] = time.time) -> None:
        self._redis = redis
        self._keys = keys
        self._params = params or StoryParams()
        self._index = redis.register_script(_INDEX)
        self._read = redis.register_script(_LOOKUP)
        self._clock = clock

    async def assign(self, articles: list[Article], *, writes_on: Any = None) -> list[Article]:
        """``writes_on``: a pipeline to queue the index's writes on (they go
        with the caller's, before them), instead of a round trip of their own."""
        pending = self.begin(articles)
        return await self.finish(pending, await self.lookup(pending), writes_on=writes_on)

    def begin(self, articles: list[Article]) -> StoryLookup:
        """The signatures, and the lookup that ``finish`` needs the reply of."""
        params = self._params
        signatures = [
            signature(a.title, a.text, params.max_text_words, at=a.published_at or a.ingested_at)
            for a in articles
        ]
        generation = int(self._clock()) // params.window_s
        digests: dict[int, dict[str, None]] = {}  # band number -> its bucket hashes, in order
        for sig in signatures:
            for band in sig.bands if sig else ():
                number, digest = split_band(band)
                digests.setdefault(number, {})[digest] = None
        keys: list[str] = []
        args: list[str | int] = [len(digests) * 2]
        for number, found in digests.items():
            for gen in (generation - 1, generation):
                keys.append(self._keys.story_buckets(number, gen))
                args += [len(found), *found]
        # Own records too: an article indexed before (a retry) keeps its answer.
        keys += [self._keys.story_article(a.id) for a in articles]
        return StoryLookup(articles, signatures, generation, digests, keys, args)

    async def lookup(self, pending: StoryLookup) -> list[Any]:
        """The lookup's reply (``_LOOKUP``): one command."""
        return await self._read(keys=pending.keys, args=pending.args) if pending.keys else [[]]

    def new_story_writes(self, pending: StoryLookup) -> tuple[list[str], list[str | int]] | None:
        """The index's writes (keys, args of ``INDEX_FUNCTION``) for when the
        lookup finds nothing: each article starts its own story. None when two
        articles of the batch share a bucket (one may be a version of the
        other: ``finish`` decides)."""
        bands = [b for sig in pending.signatures if sig for b in sig.bands]
        if len(bands) != len(set(bands)):
            return None
        writes = [(a.id, _Indexed(a.id, sig.fingerprint), sig.bands)
                  for a, sig in zip(pending.articles, pending.signatures, strict=True) if sig]
        return self._write_request(writes, pending.generation)

    async def finish(self, pending: StoryLookup, reply: list[Any], *,
                     writes_on: Any = None) -> list[Article]:
        """Copies of the articles with ``story_id`` set, from the lookup's
        reply; their index writes queued on ``writes_on`` (else sent)."""
        claimants, records = self._parse_lookup(pending, reply)
        records.update(await self._records(
            c for by_band in claimants for ids in by_band.values() for c in ids
            if c not in records))

        # Earlier articles of this batch count as seen, after those in Redis.
        batch_claims: dict[str, list[str]] = {}
        writes: list[tuple[str, _Indexed, tuple[str, ...]]] = []
        assigned: list[Article] = []
        for article, sig, by_band in zip(pending.articles, pending.signatures, claimants,
                                         strict=True):
            if sig is None:
                assigned.append(article)
                continue
            record = records.get(article.id)
            if record is None:
                candidates = {c for ids in by_band.values() for c in ids}
                candidates |= {c for b in sig.bands for c in batch_claims.get(b, ())}
                story_id = self._best_story(article.id, sig, candidates, records)
                record = records[article.id] = _Indexed(story_id, sig.fingerprint)
                writes.append((article.id, record, sig.bands))
            for band in sig.bands:
                claims = batch_claims.setdefault(band, [])
                if len(claims) < BAND_MEMBERS and article.id not in claims:
                    claims.append(article.id)
            assigned.append(self._with_story(article, record.story_id))
        if writes:
            keys, args = self._write_request(writes, pending.generation)
            if writes_on is not None:
                queue_script(writes_on, self._index, keys=keys, args=args)
            else:
                await self._index(keys=keys, args=args)
        return assigned

    @staticmethod
    def _with_story(article: Article, story_id: str) -> Article:
        if story_id == article.id:
            return article  # its own story: story_id stays None
        return article.model_copy(update={"story_id": story_id})

    def _best_story(
        self, article_id: str, sig: StorySignature, candidates: Iterable[str],
        records: dict[str, _Indexed],
    ) -> str:
        found = {c: (r.story_id, r.fingerprint) for c in candidates if (r := records.get(c))}
        # (a candidate missing from records expired between the two reads)
        choice = choose_story(sig.fingerprint, found, self._params)
        for candidate, why in choice.kept_apart:
            # Near-identical text, another event: why this version alerts again.
            log.info("story_kept_apart", article_id=article_id, look_alike=candidate,
                     look_alike_story=found[candidate][0], reason=why)
        return choice.story_id or article_id

    def _parse_lookup(
        self, pending: StoryLookup, reply: list[Any],
    ) -> tuple[list[dict[str, list[str]]], dict[str, _Indexed]]:
        """Per article: band -> ids of the articles that claimed it earlier
        (previous generation first); and the records of the articles."""
        buckets, own = reply[:-1], reply[-1]
        owners: dict[str, list[str]] = {}
        replies = iter(buckets)
        for number, found in pending.digests.items():
            for _ in range(2):  # the previous generation, then this one
                for digest, value in zip(found, next(replies), strict=True):
                    if value is not None:
                        ids = owners.setdefault(f"{number}:{digest}", [])
                        ids += [i for i in as_str(value).split() if i not in ids]
        claimants = [{b: owners[b] for b in sig.bands if b in owners} if sig else {}
                     for sig in pending.signatures]
        parsed = {a.id: _parse_record(raw) for a, raw in zip(pending.articles, own, strict=True)}
        return claimants, {i: record for i, record in parsed.items() if record is not None}

    async def _records(self, article_ids: Iterable[str]) -> dict[str, _Indexed]:
        ids = sorted(set(article_ids))
        if not ids:
            return {}
        found = await self._redis.mget([self._keys.story_article(i) for i in ids])
        parsed = {i: _parse_record(raw) for i, raw in zip(ids, found, strict=True)}
        return {i: record for i, record in parsed.items() if record is not None}

    def _write_request(self, writes: list[tuple[str, _Indexed, tuple[str, ...]]],
                       generation: int) -> tuple[list[str], list[str | int]]:
        """KEYS and ARGV of ``_INDEX`` for these records and bucket claims."""
        keys = [self._keys.story_article(article_id) for article_id, _, _ in writes]
        values: list[str | int] = [encode_record(r.story_id, r.fingerprint) for _, r, _ in writes]
        bucket_keys: dict[int, int] = {}  # band number -> its hash's place in KEYS (from 1)
        for article_id, _, bands in writes:
            for band in bands:
                number, digest = split_band(band)
                if number not in bucket_keys:
                    keys.append(self._keys.story_buckets(number, generation))
                    bucket_keys[number] = len(keys)
                values += [bucket_keys[number], digest, article_id]
        window = self._params.window_s
        return keys, [window, BAND_MEMBERS, len(writes), (generation + 2) * window, *values]
