"""The labelled corpus: label files in this package joined with the item
texts from the data directory at run time."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from watchfloor.services.training.split import is_locked_test
from watchfloor.shared.errors import ConfigError
from watchfloor.shared.text_files import NotUTF8, read_utf8

LABELS_DIR = Path(__file__).with_name("labels")
CORPUS_FILE = LABELS_DIR / "corpus.jsonl"
SECOND_ANNOTATOR_FILE = LABELS_DIR / "second_annotator.jsonl"
# The whole corpus labelled again, blind, under one guide version, then a
# third blind label where the two disagreed: an item's labels are the votes'
# majority, tag by tag.
SECOND_PASS_FILE = LABELS_DIR / "second_pass.jsonl"
THIRD_PASS_FILE = LABELS_DIR / "third_pass.jsonl"
MORE_ANNOTATION_FILES = (SECOND_ANNOTATOR_FILE, SECOND_PASS_FILE, THIRD_PASS_FILE)
# Where the repository's sibling data folder is, relative to a checkout.
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[3] / "shared" / "data"
POOL_FILES = ("news_pool.jsonl", "news_pool_ext.jsonl")
GUIDE_VERSION = "5"  # labels/GUIDE.md
DEV_FILE = "dev_labeled.jsonl"


class CorpusError(ConfigError):
    """The labels or the data directory cannot be read."""


@dataclass(frozen=True)
class LabelRecord:
    id: str
    labels: frozenset[str]
    annotator: str
    guide: str
    sample: str


@dataclass(frozen=True)
class LabelledItem:
    id: str
    title: str
    text: str
    labels: frozenset[str]
    sample: str = "dev"
    annotator: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def locked_test(self) -> bool:
        return is_locked_test(self.id)

    @property
    def random_stream(self) -> bool:
        """Drawn at random from a pool: the natural stream, not keyword-enriched."""
        return self.sample.startswith("random")


def read_label_records(path: Path = CORPUS_FILE) -> list[LabelRecord]:
    records = []
    try:
        lines = read_utf8(path).splitlines()
    except OSError as exc:
        raise CorpusError(f"cannot read labels {path}: {exc.strerror or exc}") from None
    except NotUTF8 as exc:
        raise CorpusError(f"labels {exc}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            labels = data["labels"]
            if not isinstance(labels, list) or not all(isinstance(t, str) for t in labels):
                # a string would be read as its letters: {"m", "i", "s", ...}
                raise ValueError("labels must be a list of tag ids")
            records.append(LabelRecord(
                id=data["id"], labels=frozenset(labels), annotator=data["annotator"],
                guide=str(data["guide"]), sample=data.get("sample", ""),
            ))
        except (ValueError, KeyError, TypeError) as exc:
            raise CorpusError(f"{path}:{number}: not a label record ({exc})") from None
    return records


def check_known_labels(items: Iterable[LabelledItem], known_tags: Collection[str]) -> None:
    """CorpusError naming the first items whose labels are no tag of the
    taxonomy (a typo such as "missle_test" was trained on silently, and
    scored as a tag of its own)."""
    unknown = sorted({(item.id, tag) for item in items for tag in item.labels
                      if tag not in known_tags})
    if unknown:
        shown = ", ".join(f"{tag!r} on {item_id}" for item_id, tag in unknown[:5])
        raise CorpusError(f"{len(unknown)} labels are no tag of the taxonomy: {shown}"
                          f"{' ...' if len(unknown) > 5 else ''} (known tags: "
                          f"{', '.join(sorted(known_tags))})")


def already_labelled(labels_file: Path, data_dir: Path) -> set[str]:
    """Ids no one should be asked to label: those in ``labels_file`` and in
    the project's corpus, and the data folder's dev sample. The dev items
    are in the pools too, labelled by the data's providers; a project label
    for one would silently take the place of theirs in training."""
    done: set[str] = set()
    for path in {labels_file, CORPUS_FILE}:
        if path.exists():
            done |= {r.id for r in read_label_records(path)}
    if (data_dir / DEV_FILE).is_file():
        done |= {raw["id"] for raw in iter_pool(data_dir, [DEV_FILE])}
    return done


def iter_pool(data_dir: Path, files: Iterable[str] = POOL_FILES) -> Iterator[dict]:
    """Every item of the news pools (id, title, text, ...)."""
    for name in files:
        path = data_dir / name
        try:
            handle = path.open(encoding="utf-8")
        except OSError as exc:
            raise CorpusError(
                f"cannot read {path}: {exc.strerror or exc} (set --data-dir to the folder "
                f"holding {', '.join(POOL_FILES)})"
            ) from None
        with handle:
            for number, line in enumerate(handle, 1):
                if line.strip():
                    try:
                        yield json.loads(line)
                    except ValueError as exc:  # a truncated copy, an edit gone wrong
                        raise CorpusError(f"{path}:{number}: not a JSON item ({exc})") from None


def latest_records(path: Path) -> dict[str, LabelRecord]:
    """Each id's label in one file (a later line for an id replaces an earlier
    one: a corrected label); none when the file does not exist yet."""
    return {r.id: r for r in read_label_records(path)} if path.exists() else {}


def read_annotations(paths: Iterable[Path]) -> dict[str, list[LabelRecord]]:
    """Every independent label of each id, file by file."""
    annotations: dict[str, list[LabelRecord]] = {}
    for path in paths:
        for record in latest_records(path).values():
            annotations.setdefault(record.id, []).append(record)
    return annotations


def majority_labels(votes: list[LabelRecord]) -> frozenset[str]:
    """Tags more than half the annotators gave; a tie (two who disagree and
    no third yet) keeps the first annotator's answer."""
    tags = set().union(*(v.labels for v in votes))
    half = len(votes) / 2
    return frozenset(
        tag for tag in tags
        if (count := sum(tag in v.labels for v in votes)) > half
        or (count == half and tag in votes[0].labels)
    )


def load_corpus(
    data_dir: Path = DEFAULT_DATA_DIR, *, with_dev: bool = True, labels_file: Path = CORPUS_FILE,
    more_annotations: Iterable[Path] | None = None, known_tags: Collection[str] | None = None,
) -> list[LabelledItem]:
    """The project's labels joined with their texts, plus the data folder's
    300-item dev sample (labelled by its providers) when ``with_dev``.
    ``labels_file`` says which items are in the corpus and how each was drawn;
    ``more_annotations`` hold other annotators' blind labels of those items,
    and each item's labels are the majority of all its votes (by default the
    project's other passes, when ``labels_file`` is the project's corpus).
    With ``known_tags``, a label that is none of them is refused
    (``check_known_labels``)."""
    records = {r.id: r for r in read_label_records(labels_file)}
    if more_annotations is None:
        more_annotations = MORE_ANNOTATION_FILES if labels_file == CORPUS_FILE else ()
    votes = read_annotations(more_annotations)
    strays = votes.keys() - records.keys()
    if strays:
        raise CorpusError(f"{len(strays)} ids have a second label but none in {labels_file} "
                          f"(e.g. {min(strays)})")
    items: list[LabelledItem] = []
    for raw in iter_pool(data_dir):
        record = records.get(raw["id"])
        if record is not None:
            labels = majority_labels([record, *votes.get(record.id, ())])
            items.append(LabelledItem(raw["id"], raw["title"], raw.get("text", ""),
                                      labels, record.sample, record.annotator))
    missing = len(records) - len(items)
    if missing:
        raise CorpusError(f"{missing} labelled ids are not in {data_dir}: wrong data folder?")
    if with_dev and (data_dir / DEV_FILE).is_file():
        for raw in iter_pool(data_dir, [DEV_FILE]):
            if raw["id"] not in records:
                items.append(LabelledItem(raw["id"], raw["title"], raw.get("text", ""),
                                          frozenset(raw["labels"]), "dev", "shared-dev"))
    items.sort(key=lambda item: item.id)
    if known_tags is not None:
        check_known_labels(items, known_tags)
    return items
