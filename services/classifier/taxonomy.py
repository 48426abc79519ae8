"""Load and validate the tag taxonomy (a YAML file analysts edit).

The file is validated on its YAML node tree (``yaml.compose``) rather than on
the loaded dict, so every error can name the file and line it comes from.

Shape (see taxonomy.yaml for the documented default)::

    version: taxonomy-2026.11.2
    emit_threshold: 0.5
    lexicons: {name: [term, ...]}          # reusable term lists, used as "@name"
    modality: {denied: {before: [...], any: [...]}, ...}
    background: {before: [...], any: [...]}  # history/capability, not an event
    tags:
      tag_id:
        description: ...
        without: [...]                     # vetoes every rule of the tag, same sentence
        without_in_item: [...]             # vetoes the tag if anywhere in the item
        hypothetical_counts: true          # a possible/called-for event is the event
        rules:
          - id: rule-name
            confidence: 0.8
            trigger: [...]                 # one of these must occur
            near: [...]                    # one of these within near_chars (default 40) of a trigger
            with: [[...], "@lexicon"]      # each group must also occur, same sentence
            without: [...]                 # none of these in the sentence
            without_near: [...]            # none of these within near_chars of the trigger

A term is a phrase matched on lowercased text with hyphens read as spaces; a
trailing ``*`` matches any word ending ("deploy*" matches "deployed"); a term
with capital letters matches case-sensitively ("US" but not "us").
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from watchfloor.services.classifier import yaml_nodes
from watchfloor.shared.errors import ConfigError
from watchfloor.shared.text_cleaning import normalise_line
from watchfloor.shared.text_files import NotUTF8, read_utf8

DEFAULT_TAXONOMY_PATH = Path(__file__).with_name("taxonomy.yaml")
MODALITIES = ("denied", "hypothetical", "planned", "reported")  # priority order
CUE_POSITIONS = ("before", "any", "attribution", "negation", "stop")
_TAG_ID = re.compile(r"^[a-z][a-z0-9_]{1,48}$")
_RULE_KEYS = {
    "id",
    "confidence",
    "trigger",
    "near",
    "near_chars",
    "with",
    "without",
    "without_in_item",
    "without_near",
}
DEFAULT_NEAR_CHARS = 40
_TAG_KEYS = {"description", "rules", "without", "without_in_item", "hypothetical_counts"}
_TOP_KEYS = {"version", "emit_threshold", "lexicons", "modality", "background", "tags"}
BACKGROUND_POSITIONS = ("before", "any")


class TaxonomyError(ConfigError, ValueError):
    """A problem in a taxonomy file, with the file and 1-based line it is on."""

    def __init__(self, file: str | Path, line: int | None, message: str) -> None:
        self.file = str(file)
        self.line = line
        self.message = message
        where = f"{self.file}:{line}" if line else self.file
        super().__init__(f"{where}: {message}")


class TaxonomyErrors(TaxonomyError):
    """Several problems found in one pass; ``errors`` lists each of them."""

    def __init__(self, errors: list[TaxonomyError]) -> None:
        self.errors = errors
        first = errors[0]
        super().__init__(first.file, first.line, first.message)
        self.args = ("\n".join(str(e) for e in errors),)


@dataclass(frozen=True)
class Rule:
    id: str
    confidence: float
    trigger: tuple[str, ...]
    near: tuple[str, ...] = ()
    near_chars: int = DEFAULT_NEAR_CHARS
    with_groups: tuple[tuple[str, ...], ...] = ()
    without: tuple[str, ...] = ()
    without_in_item: tuple[str, ...] = ()
    without_near: tuple[str, ...] = ()


@dataclass(frozen=True)
class TagDefinition:
    id: str
    description: str
    rules: tuple[Rule, ...]
    without: tuple[str, ...] = ()
    without_in_item: tuple[str, ...] = ()
    # the tag covers threats and calls ("sanctions threatened"): a hypothetical
    # event ("a mission that could see Sudan hit with sanctions") scores as planned
    hypothetical_counts: bool = False


@dataclass(frozen=True)
class Taxonomy:
    version: str
    tags: tuple[TagDefinition, ...]
    # modality -> position ("before" the trigger, or "any" place in the sentence) -> terms
    modality_cues: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    # position ("before" the trigger, or "any" place in the sentence) -> terms of
    # generic background (history, capability) that is not a specific event
    background_cues: dict[str, tuple[str, ...]] = field(default_factory=dict)
    emit_threshold: float = 0.5
    source: str = "<memory>"

    @property
    def tag_ids(self) -> list[str]:
        return [t.id for t in self.tags]

    @property
    def rule_count(self) -> int:
        return sum(len(t.rules) for t in self.tags)

    def term_lists(self) -> list[tuple[str, tuple[str, ...]]]:
        """Every term list of the taxonomy, named for messages (lexicons are
        expanded into the lists that use them)."""
        lists: list[tuple[str, tuple[str, ...]]] = []
        for tag in self.tags:
            lists += [(f"tag {tag.id} without", tag.without)]
            lists += [(f"tag {tag.id} without_in_item", tag.without_in_item)]
            for rule in tag.rules:
                where = f"tag {tag.id} rule {rule.id}"
                lists += [
                    (f"{where} trigger", rule.trigger),
                    (f"{where} near", rule.near),
                    (f"{where} without", rule.without),
                    (f"{where} without_in_item", rule.without_in_item),
                    (f"{where} without_near", rule.without_near),
                ]
                lists += [(f"{where} with-group", group) for group in rule.with_groups]
        for modality, positions in self.modality_cues.items():
            lists += [(f"modality {modality}.{pos}", terms) for pos, terms in positions.items()]
        lists += [(f"background.{pos}", terms) for pos, terms in self.background_cues.items()]
        return [(name, terms) for name, terms in lists if terms]

    def warnings(self) -> list[str]:
        """Likely mistakes that are not errors. A wildcard stem that keeps a
        final "e" misses the forms that drop it: "modernize*" matches
        "modernized" but not "modernizing" or "modernization". Write the stem
        without the "e" ("moderniz*"), or list the "-ing" form next to it
        where the shorter stem would catch other words ("secure*, securing":
        "secur*" is also "security")."""
        out: list[str] = []
        seen: set[str] = set()
        for name, terms in self.term_lists():
            stems = [t.rstrip("*").strip() for t in terms if t.endswith("*")]
            whole = {t for t in terms if not t.endswith("*")}
            for term in terms:
                stem = term.rstrip("*").strip()
                if not term.endswith("*") or not stem.endswith("e") or stem.endswith("ee"):
                    continue
                ing = stem[:-1] + "ing"
                if ing in whole or any(ing.startswith(s) for s in stems if s != stem):
                    continue
                if term not in seen:
                    seen.add(term)
                    out.append(
                        f"{name}: {term!r} misses {ing!r} (write {stem[:-1] + '*'!r}, "
                        f"or add {ing!r} to the list)"
                    )
        for tag in self.tags:
            for rule in tag.rules:
                vetoes = (*rule.without, *rule.without_in_item, *tag.without, *tag.without_in_item)
                for trigger in rule.trigger:
                    veto = next((v for v in vetoes if _always_within(v, trigger)), None)
                    if veto is not None:
                        out.append(
                            f"tag {tag.id} rule {rule.id}: trigger {trigger!r} brings its own "
                            f"veto {veto!r} (a without term), so it never fires"
                        )
        return out

    def wildcard_warnings(
        self, text: str | None = None, common_words: Sequence[str] | None = None
    ) -> list[str]:
        """Wildcard stems that also match common English words outside their
        own family: "mig*" is meant for MiG jets and also matches "might",
        "migrants" and "migration"; "f 15*" also matches "F-150". A word is in
        the stem's family when it is the stem with inflections and usual
        endings ("missil*": "missile", "missiles"; "ban*": "bans", "banned");
        the rest are listed, most common first, as "FILE:LINE: ..." with the
        line where the term is written (``text``: the taxonomy's YAML, read
        from ``source`` when not given). ``common_words``: most frequent first,
        by default the 50,000 commonest English words of ``wordfreq``.

        Only one-word stems are compared with the words (the other words of a
        phrase make a stray match unlikely), and phrases whose last word is one
        or two letters ("airbus a*"). A stem ending in a number of two or more
        digits matches longer numbers ("f 15*": "f 150")."""
        if text is None:
            try:
                text = Path(self.source).read_text(encoding="utf-8")
            except (OSError, ValueError):
                text = None
        written = _wildcard_lines(text) if text is not None else {}
        for _, terms in self.term_lists():
            for term in terms:
                if term.endswith("*"):
                    written.setdefault(term, [])
        index = _CommonWords.of(common_words)
        out: list[str] = []
        for term, lines in sorted(written.items(), key=lambda item: (item[1][:1] or [0], item[0])):
            strays = _stray_matches(term, index)
            if not strays:
                continue
            where = f"{self.source}:{lines[0]}" if lines else self.source
            shown = ", ".join(strays[:5])
            count = f" ({len(strays)} in all)" if len(strays) > 5 else ""
            also = f"; also on line(s) {', '.join(map(str, lines[1:]))}" if len(lines) > 1 else ""
            out.append(
                f"{where}: wildcard {term!r} also matches common words outside its family: "
                f"{shown}{count}{also}"
            )
        return out

    def term_count(self) -> int:
        terms: set[str] = set()
        for tag in self.tags:
            terms.update(tag.without, tag.without_in_item)
            for rule in tag.rules:
                terms.update(
                    rule.trigger, rule.near, rule.without, rule.without_in_item, rule.without_near
                )
                for group in rule.with_groups:
                    terms.update(group)
        return len(terms)


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Read and validate a taxonomy file; raise TaxonomyError(s) naming file and line."""
    file = Path(path) if path else DEFAULT_TAXONOMY_PATH
    try:
        text = read_utf8(file)
    except OSError as exc:
        raise TaxonomyError(file, None, f"cannot read file: {exc.strerror or exc}") from exc
    except NotUTF8 as exc:
        raise TaxonomyError(file, None, exc.detail) from None
    return parse_taxonomy(text, source=str(file))


@functools.cache
def _packaged_taxonomy() -> Taxonomy:
    return load_taxonomy(DEFAULT_TAXONOMY_PATH)


@functools.cache
def _tag_ids_of(path: Path) -> frozenset[str]:
    return frozenset(tag.id for tag in load_taxonomy(path).tags)


def known_tag_ids(path: str | Path | None = None) -> frozenset[str]:
    """The tag ids watchlists may name: the packaged taxonomy's, plus those of
    a custom taxonomy file when one is configured. The one source of truth."""
    packaged = _tag_ids_of(DEFAULT_TAXONOMY_PATH)
    return packaged | _tag_ids_of(Path(path)) if path else packaged


def borrowed_version(taxonomy: Taxonomy) -> str | None:
    """A warning when a taxonomy carries the packaged rules' version but other
    rules (an edited copy): alerts name the rules that made them by that
    version (``classifier_version``), so it would name the wrong ones."""
    try:
        packaged = _packaged_taxonomy()
    except (TaxonomyError, OSError):
        return None
    if taxonomy is packaged or taxonomy.version != packaged.version:
        return None
    if dataclasses.replace(taxonomy, source="") == dataclasses.replace(packaged, source=""):
        return None
    return (f"version {taxonomy.version!r} is the packaged rules' version, but these rules "
            "differ from them: give the file a version of its own (alerts carry it as "
            "classifier_version)")


def parse_taxonomy(text: str, source: str = "<string>") -> Taxonomy:
    try:
        root = yaml_nodes.compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise TaxonomyError(source, line, f"invalid YAML: {exc.problem or exc}") from exc
    except yaml.YAMLError as exc:
        raise TaxonomyError(source, None, f"invalid YAML: {exc}") from exc
    return _Validator(source).taxonomy(root)


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


class _Validator:
    """Walks the node tree, collecting every error before raising."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.errors: list[TaxonomyError] = []
        self.lexicons: dict[str, tuple[str, ...]] = {}

    def error(self, node: yaml.Node | None, message: str) -> None:
        self.errors.append(TaxonomyError(self.source, _line(node) if node else None, message))

    def mapping(self, node: yaml.Node, what: str, allowed: set[str]) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{what} must be a mapping")
            return {}
        out: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                self.error(key_node, f"{what}: keys must be plain names")
            elif key in out:
                self.error(key_node, f"{what}: duplicate key {key!r}")
            elif allowed and key not in allowed:
                self.error(
                    key_node, f"{what}: unknown key {key!r} (allowed: {', '.join(sorted(allowed))})"
                )
            else:
                out[key] = value_node
        return out

    def string(self, node: yaml.Node, what: str) -> str | None:
        if (
            not isinstance(node, yaml.ScalarNode)
            or node.tag != "tag:yaml.org,2002:str"
            or not node.value.strip()
        ):
            got = (
                f" (got {node.value!r}, which YAML reads as a {node.tag.rsplit(':', 1)[-1]}; quote it)"
                if isinstance(node, yaml.ScalarNode) and node.value
                and node.tag != "tag:yaml.org,2002:str"
                else " (got blanks only)" if isinstance(node, yaml.ScalarNode) and node.value
                else ""
            )
            self.error(node, f"{what} must be a non-empty string{got}")
            return None
        return node.value.strip()

    def flag(self, node: yaml.Node, what: str) -> bool:
        if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:bool":
            self.error(node, f"{what} must be true or false")
            return False
        return node.value.lower() in ("true", "yes", "on")

    def number(self, node: yaml.Node, what: str, low: float, high: float) -> float | None:
        try:
            value = float(node.value) if isinstance(node, yaml.ScalarNode) else None
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            self.error(node, f"{what} must be a number between {low} and {high}")
            return None
        return value

    def terms(self, node: yaml.Node, what: str, allow_refs: bool = True) -> tuple[str, ...]:
        """A list of terms (or a single "@lexicon"); lexicon references are expanded."""
        items = (
            [node]
            if isinstance(node, yaml.ScalarNode)
            else node.value
            if isinstance(node, yaml.SequenceNode)
            else None
        )
        if items is None:
            self.error(node, f"{what} must be a list of terms")
            return ()
        out: list[str] = []
        for item in items:
            term = self.string(item, f"{what}: each term")
            if term is None:
                continue
            # as ingest cleans the text it is matched on (NFC, one plain space
            # for every run of spaces, no-break ones included): a term pasted
            # from a page or in decomposed form still matches
            term = normalise_line(term)
            if term.startswith("@"):
                if not allow_refs:
                    self.error(item, f"{what}: lexicons cannot refer to other lexicons ({term})")
                elif term[1:] not in self.lexicons:
                    self.error(item, f"{what}: unknown lexicon {term!r}")
                else:
                    out.extend(self.lexicons[term[1:]])
                continue
            if term.strip("*").strip() == "" or "*" in term.rstrip("*"):
                self.error(item, f"{what}: '*' is only allowed at the end of a term ({term!r})")
                continue
            out.append(term)
        if not out and items:
            return ()
        if not items:
            self.error(node, f"{what} must not be empty")
        return tuple(dict.fromkeys(out))

    def taxonomy(self, root: yaml.Node | None) -> Taxonomy:
        if root is None:
            raise TaxonomyError(self.source, None, "file is empty")
        top = self.mapping(root, "taxonomy", _TOP_KEYS)
        version = self.string(top["version"], "version") if "version" in top else None
        if "version" not in top:
            self.error(root, "missing required key 'version'")
        threshold = 0.5
        if "emit_threshold" in top:
            given = self.number(top["emit_threshold"], "emit_threshold", 0.0, 1.0)
            threshold = threshold if given is None else given  # 0 is a threshold too
        if "lexicons" in top:
            for name, value in self.mapping(top["lexicons"], "lexicons", set()).items():
                self.lexicons[name] = self.terms(value, f"lexicon {name!r}", allow_refs=False)
        cues = self.modality(top["modality"]) if "modality" in top else {}
        background: dict[str, tuple[str, ...]] = {}
        if "background" in top:
            positions = self.mapping(top["background"], "background", set(BACKGROUND_POSITIONS))
            background = {pos: self.terms(v, f"background.{pos}") for pos, v in positions.items()}
        tags: list[TagDefinition] = []
        if "tags" not in top:
            self.error(root, "missing required key 'tags'")
        else:
            for tag_id, tag_node in self.mapping(top["tags"], "tags", set()).items():
                tag = self.tag(tag_id, tag_node)
                if tag:
                    tags.append(tag)
            if not tags and not self.errors:
                self.error(top["tags"], "tags: at least one tag is required")
        if self.errors:
            raise self.errors[0] if len(self.errors) == 1 else TaxonomyErrors(self.errors)
        return Taxonomy(
            version=version or "",
            tags=tuple(sorted(tags, key=lambda t: t.id)),
            modality_cues=cues,
            background_cues=background,
            emit_threshold=threshold,
            source=self.source,
        )

    def modality(self, node: yaml.Node) -> dict[str, dict[str, tuple[str, ...]]]:
        cues: dict[str, dict[str, tuple[str, ...]]] = {}
        for name, value in self.mapping(node, "modality", set(MODALITIES)).items():
            positions = self.mapping(value, f"modality {name!r}", set(CUE_POSITIONS))
            cues[name] = {
                pos: self.terms(v, f"modality {name}.{pos}") for pos, v in positions.items()
            }
        return cues

    def tag(self, tag_id: str, node: yaml.Node) -> TagDefinition | None:
        if not _TAG_ID.match(tag_id):
            self.error(node, f"tag id {tag_id!r} must be 2 to 49 lowercase letters, digits "
                                  "and '_', starting with a letter")
        fields = self.mapping(node, f"tag {tag_id!r}", _TAG_KEYS)
        description = (
            self.string(fields["description"], f"tag {tag_id!r} description")
            if "description" in fields
            else ""
        )
        if "rules" not in fields:
            self.error(node, f"tag {tag_id!r}: missing required key 'rules'")
            return None
        rules_node = fields["rules"]
        if not isinstance(rules_node, yaml.SequenceNode) or not rules_node.value:
            self.error(rules_node, f"tag {tag_id!r}: rules must be a non-empty list")
            return None
        rules = []
        seen: set[str] = set()
        for index, rule_node in enumerate(rules_node.value, start=1):
            rule = self.rule(tag_id, index, rule_node)
            if rule and rule.id in seen:
                self.error(rule_node, f"tag {tag_id!r}: duplicate rule id {rule.id!r}")
            elif rule:
                seen.add(rule.id)
                rules.append(rule)
        return TagDefinition(
            id=tag_id,
            description=description or "",
            rules=tuple(rules),
            without=self.terms(fields["without"], f"tag {tag_id!r} without")
            if "without" in fields
            else (),
            without_in_item=self.terms(fields["without_in_item"], f"tag {tag_id!r} without_in_item")
            if "without_in_item" in fields
            else (),
            hypothetical_counts=self.flag(
                fields["hypothetical_counts"], f"tag {tag_id!r} hypothetical_counts"
            )
            if "hypothetical_counts" in fields
            else False,
        )

    def rule(self, tag_id: str, index: int, node: yaml.Node) -> Rule | None:
        where = f"tag {tag_id!r} rule {index}"
        fields = self.mapping(node, where, _RULE_KEYS)
        missing = [k for k in ("confidence", "trigger") if k not in fields]
        if missing:
            self.error(node, f"{where}: missing required key(s) {', '.join(missing)}")
            return None
        rule_id = self.string(fields["id"], f"{where} id") if "id" in fields else f"rule-{index}"
        confidence = self.number(fields["confidence"], f"{where} confidence", 0.0, 1.0)
        trigger = self.terms(fields["trigger"], f"{where} trigger")
        groups: list[tuple[str, ...]] = []
        if "with" in fields:
            with_node = fields["with"]
            if not isinstance(with_node, yaml.SequenceNode) or not with_node.value:
                self.error(with_node, f"{where}: 'with' must be a non-empty list of term groups")
            else:
                for group_node in with_node.value:
                    group = self.terms(group_node, f"{where} with-group")
                    if group:
                        groups.append(group)
        near = self.terms(fields["near"], f"{where} near") if "near" in fields else ()
        near_chars = DEFAULT_NEAR_CHARS
        if "near_chars" in fields:
            near_chars = int(
                self.number(fields["near_chars"], f"{where} near_chars", 1, 1000) or near_chars
            )
            if "near" not in fields and "without_near" not in fields:
                self.error(
                    fields["near_chars"],
                    f"{where}: near_chars needs a 'near' or 'without_near' list",
                )
        if confidence is None or not trigger:
            return None
        return Rule(
            id=rule_id or f"rule-{index}",
            confidence=confidence,
            trigger=trigger,
            near=near,
            near_chars=near_chars,
            with_groups=tuple(groups),
            without=self.terms(fields["without"], f"{where} without")
            if "without" in fields
            else (),
            without_in_item=self.terms(fields["without_in_item"], f"{where} without_in_item")
            if "without_in_item" in fields
            else (),
            without_near=self.terms(fields["without_near"], f"{where} without_near")
            if "without_near" in fields
            else (),
        )


# ---- wildcard stems against common English words (taxonomy check) ----------

# Endings that keep a word in its stem's family: inflections and the usual
# derivations ("deploy*": deployed, deployment; "russia*": russian).
_ENDING_WORDS = """s es ed ing er ers or ors est y ly ally al als ial ive ives ively ion ions ation
    ations ition itions tion tions atory ity ities ies ied ier iers iest ily ance ances ence
    ences ant ants ent ents ancy ency ism isms ist ists ise ize ises izes ised ized ising
    izing isation ization isations izations se ze ses zes sed zed sing zing sation zation
    able ible ably ibly ability ibility abilities ful less ness ship ships an ans ian ians
    ia ese ic ics ical ically ary aries ery eries ory ories ry age ages ure ures ee ees th
    ths ate ates ated ating ator ators ative atives en ment ments ement ements me mes man
    men"""
_ENDINGS = sorted(_ENDING_WORDS.split(), key=len, reverse=True)
_ENDING = "(?:" + "|".join(_ENDINGS) + ")"
_FAMILY_REST = re.compile(f"{_ENDING}{{0,3}}")
# a doubled last consonant before a vowel ending: "banned", "rebellion"
_DOUBLED_REST = re.compile(
    f"(?:ed|ing|er|ers|able|en|ion|ions|ation|ations|ance|ances){_ENDING}{{0,2}}"
)
# after a final "e" of the stem: "produce*" -> "produced", "urge*" -> "urges"
_AFTER_E_REST = re.compile(f"(?:d|s|r|rs|st){_ENDING}{{0,2}}")
# after a final "a" of a name: "russia*" -> "russian", "cuba*" -> "cubans"
_AFTER_A_REST = re.compile(f"(?:n|ns){_ENDING}{{0,1}}")
# a stem that is no word by itself is completed by a letter: "missil*" ->
# "missile", "casualt*" -> "casualty" (not "quit*" -> "quite")
_COMPLETED_REST = re.compile(f"[eyi]{_ENDING}{{0,3}}")
# a stem that is among this many commonest words is a word by itself
_WORD_RANK = 20_000
# Domain words the endings above do not foresee, per stem family.
_FAMILY_WORDS: dict[str, frozenset[str]] = {
    "battl": frozenset({"battlefield", "battlefields", "battlefront", "battlefronts"}),
    "build": frozenset({"buildup", "buildups"}),  # a military buildup
    "flood": frozenset({"floodwaters", "floodgates", "floodplain"}),
    "criticis": frozenset({"criticism", "criticisms"}),
    "disarm": frozenset({"disarmament"}),
    "jihadi": frozenset({"jihadist", "jihadists"}),
    "kill": frozenset({"killin"}),  # "killin'"
    "lift": frozenset({"liftoff", "liftoffs"}),  # a rocket's lift-off
    "pharma": frozenset(
        {"pharmaceutical", "pharmaceuticals", "pharmacy", "pharmacies", "pharmacist", "pharmacists"}
    ),
    "program": frozenset({"programmatic"}),
    "pursu": frozenset({"pursuit", "pursuits"}),
    "rebel": frozenset({"rebellious"}),
    "resum": frozenset({"resumption"}),
    "telecom": frozenset({"telecommunication", "telecommunications"}),
}
_COMMON_WORDS_COUNT = 50_000
_LEADING_WORD = re.compile(r"[a-z0-9]+")
_TRAILING_NUMBER = re.compile(r"[0-9]{2,}$")


class _CommonWords:
    """Common words (lowercase, most frequent first) indexed for prefix look-up."""

    def __init__(self, words: Sequence[str]) -> None:
        ranks: dict[str, int] = {}
        for word in words:
            # the matcher reads a word up to its first non-alphanumeric ("might've")
            match = _LEADING_WORD.match(word.lower())
            if match:
                ranks.setdefault(match.group(), len(ranks))
        self.ranks = ranks
        self.sorted = sorted(ranks)

    @classmethod
    def of(cls, words: Sequence[str] | None) -> _CommonWords:
        return cls(words) if words is not None else _default_common_words()

    def starting_with(self, prefix: str) -> list[str]:
        """Words that begin with ``prefix`` and are longer, most common first."""
        start = bisect.bisect_right(self.sorted, prefix)
        end = bisect.bisect_left(self.sorted, prefix + "\uffff")
        return sorted(self.sorted[start:end], key=self.ranks.__getitem__)


@functools.cache
def _default_common_words() -> _CommonWords:
    import wordfreq  # only the check needs it

    return _CommonWords(wordfreq.top_n_list("en", _COMMON_WORDS_COUNT))


def _in_family(stem: str, word: str, index: _CommonWords) -> bool:
    rest = word[len(stem) :]
    if _FAMILY_REST.fullmatch(rest):
        return True
    if rest[:1] == stem[-1:] and stem[-1:] not in "aeiouy" and _DOUBLED_REST.fullmatch(rest[1:]):
        return True
    if stem.endswith("e") and _AFTER_E_REST.fullmatch(rest):
        return True
    if stem.endswith("a") and _AFTER_A_REST.fullmatch(rest):
        return True
    if stem.endswith("w") and rest == "n":  # "grown", "withdrawn"
        return True
    if index.ranks.get(stem, _WORD_RANK) >= _WORD_RANK and _COMPLETED_REST.fullmatch(rest):
        return True
    return any(stem.startswith(key) and word in words for key, words in _FAMILY_WORDS.items())


def _stray_matches(term: str, index: _CommonWords) -> list[str]:
    """The common words (or numbers) a wildcard term matches outside its family."""
    words = term.rstrip("*").strip().lower().replace("-", " ").split()
    if not words:
        return []
    head, last = " ".join(words[:-1]), words[-1]
    number = _TRAILING_NUMBER.search(last)
    if number:
        # a model number ("F-15", "S-400") continued is another number ("F-150")
        return [f"{head} {last}{tail}".strip() for tail in ("0", "00")]
    if len(words) > 1 and (len(last) > 2 or not last.isalpha()):
        return []
    strays = [w for w in index.starting_with(last) if not _in_family(last, w, index)]
    return [f"{head} {w}".strip() for w in strays]


def _wildcard_lines(text: str) -> dict[str, list[int]]:
    """Each wildcard term written in a taxonomy's YAML, with the lines it is on."""
    try:
        root = yaml_nodes.compose(text)
    except yaml.YAMLError:
        return {}
    lines: dict[str, list[int]] = {}
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            value = str(node.value).strip()
            if value.endswith("*") and not value.startswith("@"):
                lines.setdefault(value, []).append(_line(node))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            stack.extend(value for _, value in node.value)
    return {term: sorted(set(found)) for term, found in lines.items()}


_TERM_SPLIT = re.compile(r"[\s\-\u2010\u2011\u2013\u2014]+")  # dashes read as spaces


def _always_within(veto: str, trigger: str) -> bool:
    """Whether every text the trigger matches also holds the veto term: its
    words, in order, within the trigger's ("cyber*" within "cyber
    espionage"). A veto written with capitals matches only that case."""
    if veto != veto.lower():
        if trigger == trigger.lower():
            return False  # the trigger also matches the other cases
    else:
        trigger = trigger.lower()
    v_prefix, t_prefix = veto.endswith("*"), trigger.endswith("*")
    v_words = _TERM_SPLIT.split(veto.rstrip("*").strip())
    t_words = _TERM_SPLIT.split(trigger.rstrip("*").strip())
    for start in range(len(t_words) - len(v_words) + 1):
        for offset, word in enumerate(v_words):
            at = start + offset
            text_word_longer = t_prefix and at == len(t_words) - 1  # "attack*": "attacks"
            if v_prefix and offset == len(v_words) - 1:
                matched = t_words[at].startswith(word)
            else:
                matched = t_words[at] == word and not text_word_longer
            if not matched:
                break
        else:
            return True
    return False
