"""Word classes the verifier generalises over: "pact", "accord" and "deal"
are one AGREEMENT to it, so a phrasing no rule foresaw ("sealed an accord")
still looks like one it has seen ("signed a treaty"). Features are the
classes a sentence holds and the pairs of them it holds together.

Entries ending in ``*`` match any word they start ("deploy*": deploys,
deployed, deployment). These are broad on purpose: the learned weights,
not the lists, decide what a co-occurrence is worth.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from itertools import combinations

CONCEPTS: dict[str, tuple[str, ...]] = {
    "AGREE": ("sign", "signs", "signed", "signing", "agree", "agreed", "agrees", "ratif*",
              "renew*", "extend*", "reaffirm*", "strike", "strikes", "struck", "reach",
              "reached", "reaches", "seal*", "finalis*", "finaliz*", "conclude*", "pledge*",
              "commit*", "join", "joins", "joined", "rejoin*", "forge*", "ink", "inks", "inked"),
    "AGREEMENT": ("deal", "deals", "pact", "pacts", "treaty", "treaties", "accord", "accords",
                  "agreement", "agreements", "alliance", "alliances", "partnership*",
                  "memorandum", "ceasefire", "truce", "accession", "cooperation", "aukus",
                  "nato", "framework"),
    "FORCES": ("troops", "troop", "soldiers", "forces", "marines", "paratroopers",
               "battalion*", "brigade*", "warship*", "carrier", "carriers", "destroyer*",
               "frigate*", "submarine*", "fleet", "navy", "army", "armies", "units",
               "peacekeep*", "reservists", "military", "tanks", "armour", "armor", "jets",
               "bombers", "squadron*", "vessels", "ships"),
    "MOVE": ("deploy*", "send", "sends", "sent", "sending", "dispatch*", "station*",
             "reinforc*", "withdr*", "pull", "pulls", "pulled", "pullout", "arriv*", "move",
             "moved", "moves", "moving", "mass", "massed", "massing", "head", "heads",
             "headed", "sail*", "bolster*", "rotat*", "evacuat*", "mobilis*", "mobiliz*",
             "build-up", "buildup", "transit*", "enter*", "relocat*", "redeploy*", "retreat*"),
    "MISSILE": ("missile", "missiles", "ballistic", "icbm", "icbms", "rocket", "rockets",
                "projectile*", "hypersonic", "slbm", "cruise", "hwasong*", "warhead*"),
    "LAUNCH": ("test", "tests", "tested", "testing", "test-fire*", "test-fired", "fire",
               "fires", "fired", "firing", "launch", "launches", "launched", "launching"),
    "ARMS": ("weapons", "weapon", "arms", "tanks", "fighter*", "f-16*", "f-35*", "howitzer*",
             "himars", "ammunition", "drones", "drone", "missiles", "artillery", "munitions",
             "patriot", "leopard*", "abrams", "air-defence", "interceptors", "equipment",
             "submarines", "aid"),
    "SUPPLY": ("send", "sends", "sent", "sending", "supply", "supplies", "supplied",
               "supplying", "deliver*", "sell", "sells", "sale", "sales", "sold", "provide*",
               "providing", "transfer*", "approve*", "buy", "buys", "bought", "purchas*",
               "donat*", "give", "gives", "gave", "pledge*", "ship", "ships", "shipped",
               "shipment*", "package", "acquir*", "receiv*", "lease*", "arm", "arming",
               "armed"),
    "VISIT": ("visit*", "meet", "meets", "met", "meeting", "talks", "summit*", "trip",
              "arriv*", "travel*", "host", "hosts", "hosted", "hosting", "tour*", "welcom*",
              "landed", "lands", "sidelines", "state-visit", "counterpart*"),
    "OFFICIAL": ("president", "minister", "pm", "premier", "chancellor", "secretary", "king",
                 "leader", "leaders", "envoy", "foreign", "diplomat*", "delegation",
                 "officials", "crown", "pope", "emperor", "ambassador"),
    "NUCLEAR": ("nuclear", "uranium", "enrich*", "plutonium", "iaea", "centrifuge*", "atomic",
                "warhead*", "nuke*", "jcpoa", "denuclear*"),
    "SANCTION": ("sanction*", "embargo*", "blacklist*", "freeze", "froze", "frozen",
                 "export-control*", "restrictions", "penalties", "tariffs"),
    "DRILL": ("drill", "drills", "exercise", "exercises", "wargame*", "war-game*",
              "manoeuv*", "maneuv*", "games", "live-fire", "rehears*"),
    "STOP": ("not", "no", "never", "deny", "denies", "denied", "refus*", "suspend*", "halt*",
             "paus*", "block*", "veto*", "reject*", "fail*", "scrap*", "cancel*", "delay*",
             "quit", "quits", "exit*", "withdraws", "postpone*", "without"),
    "MAYBE": ("could", "may", "might", "would", "if", "consider*", "threat*", "threaten*",
              "urge*", "call", "calls", "called", "hope*", "wants", "want", "seek*", "push*",
              "possible", "possibly", "warn*", "fear*", "plan", "plans", "proposal*", "propos*",
              "talks", "negotiat*"),
    "PAST": ("history", "anniversary", "years", "decades", "since", "former", "ago"),
    "FIGHT": ("attack*", "strike", "strikes", "struck", "shell*", "bomb*", "killed", "kill",
              "war", "battle*", "fighting", "offensive", "invasion", "clash*", "shot",
              "intercept*"),
    "SPORT": ("game", "season", "coach", "nba", "league", "score*", "win", "wins", "cup",
              "championship*", "team"),
    "SPACE": ("nasa", "spacex", "satellite*", "orbit*", "space", "moon", "astronaut*",
              "spacecraft", "esa", "blue"),
    "COMPANY": ("company", "companies", "firm", "firms", "shares", "investor*", "ceo", "merger",
                "billion", "million", "corp", "inc", "bank", "market*"),
    "DOMESTIC": ("parliament", "coalition", "party", "parties", "opposition", "lawmakers",
                 "senate", "congress", "election*", "governor", "province", "state's",
                 "domestic", "union*", "strike"),
}

_EXACT: dict[str, frozenset[str]] = {}
_PREFIXES: dict[str, frozenset[str]] = {}
for _concept, _words in CONCEPTS.items():
    for _word in _words:
        if _word.endswith("*"):
            _PREFIXES[_word[:-1]] = _PREFIXES.get(_word[:-1], frozenset()) | {_concept}
        else:
            _EXACT[_word] = _EXACT.get(_word, frozenset()) | {_concept}
_PREFIX_LENGTHS = sorted({len(p) for p in _PREFIXES})
_NONE: frozenset[str] = frozenset()


@functools.lru_cache(maxsize=65536)
def concepts_of(word: str) -> frozenset[str]:
    found = _EXACT.get(word, _NONE)
    for length in _PREFIX_LENGTHS:
        if length > len(word):
            break
        extra = _PREFIXES.get(word[:length])
        if extra:
            found = found | extra
    return found


def concept_features(sentences: Iterable[Sequence[str]], title_words: Iterable[str]) -> dict[str, float]:
    """``c:X`` per class in the item, ``cc:X+Y`` per pair in one sentence,
    ``tc:X`` per class in the headline."""
    found: dict[str, float] = {}
    for word in title_words:
        for concept in concepts_of(word):
            found["tc:" + concept] = 1.0
    for words in sentences:
        present: set[str] = set()
        for word in words:
            present |= concepts_of(word)
        for concept in present:
            found["c:" + concept] = 1.0
        for a, b in combinations(sorted(present), 2):
            found[f"cc:{a}+{b}"] = 1.0
    return found
