"""The index manifest: what an index holds and how it was made, checked whenever an index is opened."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pydantic import BaseModel, ValidationError

from ..analysis.analyzer import TokenizerSettings
from ..embed.encoders import ModelInfo
from ..embed.floor import SemanticFloor
from ..errors import IndexCorrupt, IndexOutdated
from ..formats import FORMAT_VERSION, MANIFEST_FILE
from ..ingest.chunk import ChunkerSettings
from ..ingest.context import ContextSettings
from ..schema import FileProblem
from .integrity import FileSum


class Counts(BaseModel):
    """Live (not deleted) articles and passages across all segments."""

    articles: int
    passages: int


class SegmentRef(BaseModel):
    """A segment in this generation and where its deletions are recorded."""

    id: str
    articles: int
    passages: int
    tombstones: str | None = None
    tombstones_sha256: str | None = None
    deleted_articles: int = 0
    deleted_passages: int = 0
    files: dict[str, FileSum] = {}


class Tombstones(BaseModel):
    """Deleted passages (segment-local numbers) and articles of one segment."""

    passages: list[int] = []
    articles: list[str] = []

    @classmethod
    def read(cls, path: Path | None, sha256: str | None = None) -> Tombstones:
        """A tombstones file (none given: nothing deleted), checked against its recorded hash if there is one."""
        if path is None:
            return cls()
        try:
            data = path.read_bytes()
            if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
                raise IndexCorrupt(f"tombstones {path.name} do not match their checksum")
            return cls.model_validate_json(data)
        except (OSError, ValueError) as exc:
            raise IndexCorrupt(f"tombstones {path.name} unreadable: {str(exc).splitlines()[0]}") from exc


class Manifest(BaseModel):
    """Everything needed to open and trust one index generation."""

    format_version: int = FORMAT_VERSION
    generation: int
    created_at: str
    corpus: str
    counts: Counts
    tokenizer: TokenizerSettings
    chunker: ChunkerSettings
    context: ContextSettings
    model: ModelInfo | None
    model_unavailable_reason: str | None = None
    semantic_floor: SemanticFloor | None = None
    segments: list[SegmentRef]
    failed: list[FileProblem] = []

    def same_settings(self, tokenizer: TokenizerSettings, chunker: ChunkerSettings, context: ContextSettings,
                      model: ModelInfo | None) -> bool:
        """Whether new passages made with these settings may join this index (else: full rebuild)."""
        return (self.tokenizer == tokenizer and self.chunker == chunker and self.context == context
                and (self.model.fingerprint if self.model else None) == (model.fingerprint if model else None))

    def write(self, directory: Path) -> None:
        """Write manifest.json into a generation directory."""
        (directory / MANIFEST_FILE).write_text(self.model_dump_json(indent=2), encoding="utf-8")

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        """Read and validate manifest.json; raise IndexCorrupt if missing, malformed or of another format."""
        path = directory / MANIFEST_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexCorrupt(f"cannot read {path}: {exc}") from exc
        if data.get("format_version") != FORMAT_VERSION:
            raise IndexOutdated(f"{path} has format version {data.get('format_version')!r}; "
                                f"this Wenku reads version {FORMAT_VERSION} (run `wenku build` to rebuild it)")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise IndexCorrupt(f"{path} is invalid: {exc.errors()[0]['loc']} {exc.errors()[0]['msg']}") from exc
