"""What the workers and the CLI need of a classifier: swap the rules for a
learned model (or anything else) without touching them."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from watchfloor.shared.schemas import Article, Classification


@runtime_checkable
class TagClassifier(Protocol):
    @property
    def version(self) -> str:
        """Goes into every classification: which rules and model decided."""
        ...

    def classify(self, title: str, text: str) -> Classification: ...

    def classify_article(self, article: Article) -> Classification: ...
