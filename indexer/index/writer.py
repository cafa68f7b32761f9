"""The index writer: turns article additions and deletions into a new generation, at a cost set by the change.

New articles become a new segment; replaced and deleted ones become tombstones on the old segments. Existing
segment files are never rewritten by an update; a merge policy keeps the number of segments and the share of
deleted passages bounded, merging without re-embedding (vectors are read back from FAISS) or re-tokenising.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from ..analysis.copies import SETTINGS as COPIES
from ..analysis.copies import signatures
from ..analysis.dictionary import Entry
from ..analysis.vocabulary import Vocabulary
from ..embed.embedder import Embedder, PublishedFloor
from ..embed.encoders import Encoder, ModelInfo
from ..embed.floor import DEFAULT_PERCENTILE, FloorScorer
from ..errors import IndexCorrupt, ModelMismatch
from ..formats import GENERATIONS_DIR, SEGMENTS_DIR, STORE_FILE, tombstones_name
from ..ingest.article import Article
from ..ingest.chunk import ChunkerSettings, Passage, chunk_article
from ..ingest.context import ContextSettings, embedding_inputs, passage_context
from ..schema import FileProblem
from ..settings import DEFAULT_WRITER, WriterSettings
from .crash import reached
from .integrity import file_sums, verify_files
from .keyword import KeywordIndex
from .layout import IndexLayout
from .manifest import Counts, Manifest, SegmentRef, Tombstones
from .merge import SegmentState, gather, victims
from .segment import PreparedSegment, new_segment_id, read_segment_info, write_segment
from .store import Store

Log = Callable[[str], None]


@dataclass
class UpdateReport:
    """What one update did (`manifest` is the published one, or the unchanged base if nothing changed)."""

    manifest: Manifest | None = None
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    passages_added: dict[str, int] = field(default_factory=dict)
    embedded: int = 0
    reused_vectors: int = 0
    merged_segments: int = 0


class IndexWriter:
    """Applies changes under the writer lock (held by the caller) and publishes a new generation."""

    def __init__(self, layout: IndexLayout, base: Manifest | None, encoder: Encoder | None, *,
                 unavailable: str | None = None, log: Log = print, progress: bool = False,
                 context: ContextSettings | None = None, floor_percentile: float = DEFAULT_PERCENTILE,
                 window_chars: int | None = None, dictionary: Sequence[Entry] | None = None,
                 settings: WriterSettings = DEFAULT_WRITER) -> None:
        self.layout = layout
        self.settings = settings
        self.encoder = encoder
        self.unavailable = unavailable
        self.log = log
        self.progress = progress
        self.embedder = Embedder(layout.cache_dir, encoder, progress) if encoder is not None else None
        self.words = Vocabulary(layout.root, layout.write_durably, base.tokenizer if base else None, dictionary)
        limit = encoder.max_passage_chars() if encoder else None
        # Only the flags of a given `context` count: its budget always follows the model.
        self.context = ContextSettings.for_model(limit, *((context.keyword, context.semantic) if context else ()))
        # An embedded context line takes room from the passage: together they must fit the model's input.
        room = limit - self.context.max_chars if limit and self.context.semantic else limit
        defaults = ChunkerSettings()
        self.chunker = ChunkerSettings(max_chars=min(defaults.max_chars, room) if room else defaults.max_chars,
                                       window_chars=defaults.window_chars if window_chars is None else window_chars,
                                       copies=COPIES)
        self.floor_percentile = floor_percentile
        self.model: ModelInfo | None = encoder.info if encoder else None
        self.base = base

    @property
    def incremental(self) -> bool:
        """True when the published index was made with the same tokenizer, chunker and model."""
        return self.base is not None and self.base.same_settings(self.words.tokenizer, self.chunker, self.context,
                                                                     self.model)

    def live_articles(self, ids: Sequence[str] | None = None) -> dict[str, tuple[str, str, str]]:
        """Article id → (segment id, sha256, path) for live articles of the published index (given ids or all)."""
        found: dict[str, tuple[str, str, str]] = {}
        if self.base is None:
            return found
        for ref in self.base.segments:
            dead = set(self._tombstones(ref).articles)
            store = Store(self.layout.segment_dir(ref.id) / STORE_FILE)
            for article_id, (sha, path) in store.articles_by_id(ids).items():
                if article_id not in dead:
                    found[article_id] = (ref.id, sha, path)
        return found

    def _tombstones(self, ref: SegmentRef) -> Tombstones:
        return Tombstones.read(self.layout.tombstones_file(ref.tombstones), ref.tombstones_sha256)

    def verify_base(self) -> None:
        """Refuse to build on a damaged published index: every segment's files and tombstones must check out."""
        for ref in self.base.segments if self.base else []:
            directory = self.layout.segment_dir(ref.id)
            if not ref.files:
                raise IndexCorrupt(f"segment {ref.id} has no recorded checksums")
            verify_files(directory, ref.files)
            info = read_segment_info(directory)
            if info.passages != ref.passages or info.articles != ref.articles:
                raise IndexCorrupt(f"segment {ref.id}: its info disagrees with the manifest")
            self._tombstones(ref)

    def apply(self, corpus: Path, upserts: Sequence[Article], deletes: Sequence[str], *, rebuild: bool = False,
              failed: Sequence[FileProblem] | None = None) -> UpdateReport:
        """Publish a generation with `upserts` added or replaced and `deletes` removed (everything when rebuilding).

        `failed` replaces the manifest's list of unreadable files (None keeps it). Nothing changed: nothing published.
        """
        if not rebuild and self.base is not None and not self.incremental:
            raise ModelMismatch("the index was made with another model, tokenizer or chunker; run `wenku build` "
                               "to rebuild it before adding or removing articles")
        states = [] if rebuild or self.base is None else [
            SegmentState(ref.model_copy(), self._tombstones(ref)) for ref in self.base.segments]
        by_segment = {state.ref.id: state for state in states}
        live = {} if rebuild else self.live_articles([a.id for a in upserts] + list(deletes))
        fresh = [a for a in upserts if a.id not in live or live[a.id][1] != a.sha256]
        removed = [article_id for article_id in deletes if article_id in live]
        for article_id in [a.id for a in fresh if a.id in live] + removed:
            self._bury(by_segment[live[article_id][0]], article_id)
        failures = None if failed is None else list(failed)
        report = UpdateReport(unchanged=len(upserts) - len(fresh), removed=removed)
        if not (fresh or removed or rebuild or (failures is not None and self.base and failures != self.base.failed)):
            report.manifest = self.base
            return report
        if fresh:
            ref, report.passages_added, report.embedded, report.reused_vectors = self._new_segment(fresh)
            states.append(SegmentState(ref, Tombstones()))
            report.added = [a.id for a in fresh]
            report.replaced = [a.id for a in fresh if a.id in live]
        report.merged_segments = self._merge(states)
        report.manifest = self._publish(corpus, states, failures)
        return report

    def _bury(self, state: SegmentState, article_id: str) -> None:
        """Tombstone an article and its passages in one segment."""
        store = Store(self.layout.segment_dir(state.ref.id) / STORE_FILE)
        state.tombstones.articles.append(article_id)
        state.tombstones.passages.extend(store.passage_nums(article_id))
        state.changed = True

    def _chunk(self, articles: Sequence[Article]) -> list[Passage]:
        return [p for a in articles for p in chunk_article(a, self.chunker)]

    def _new_segment(self, articles: Sequence[Article]) -> tuple[SegmentRef, dict[str, int], int, int]:
        """Chunk, analyse and embed new articles into a new segment (cost proportional to them alone)."""
        passages = self._chunk(articles)
        self.words.settle(passages)
        titles = {a.id: a.title for a in articles}
        term_lists = [self._terms(titles[p.article_id], p) for p in
                      tqdm(passages, desc="analysing", unit="passage", disable=not self.progress, leave=False)]
        vectors, owners, embedded, reused = None, None, 0, 0
        if self.encoder is not None:
            texts, owners = embedding_inputs(titles, passages, self.context, self.chunker.window_chars)
            assert self.embedder is not None
            vectors, embedded, reused = self.embedder.embed(texts)
        ref = self._write(PreparedSegment(articles, passages, KeywordIndex.build(term_lists), vectors, owners,
                                          signatures([p.text for p in passages])), "segment")
        counts: dict[str, int] = {a.id: 0 for a in articles}
        for p in passages:
            counts[p.article_id] += 1
        return ref, counts, embedded, reused

    def _terms(self, title: str, passage: Passage) -> list[str]:
        """A passage's keyword terms: its text's, then its context's when the settings say so."""
        terms = self.words.analyzer.terms(passage.text)
        if self.context.keyword:
            terms += self.words.analyzer.terms(passage_context(title, passage))
        return terms

    def _write(self, prepared: PreparedSegment, kind: str) -> SegmentRef:
        """Write a segment in staging, record its files' checksums, then rename it into place."""
        segment_id = new_segment_id()
        with self.layout.staging(SEGMENTS_DIR) as staging:
            info = write_segment(staging, segment_id, prepared, self.settings.vectors)
            sums = file_sums(staging)
            reached(f"{kind}-staged")
            self.layout.commit_dir(staging, self.layout.segment_dir(segment_id))
            reached(f"{kind}-committed")
        return SegmentRef(id=segment_id, articles=info.articles, passages=info.passages, files=sums)

    def _merge(self, states: list[SegmentState]) -> int:
        """Rewrite the segments the merge policy picks as one; return how many were merged."""
        chosen = victims(states, self.settings)
        if not chosen:
            return 0
        prepared = gather(self.layout, chosen, self.encoder is not None)
        for state in chosen:
            states.remove(state)
        if prepared.articles:
            states.append(SegmentState(self._write(prepared, "merge"), Tombstones()))
        return len(chosen)

    def publish_prepared(self, corpus: Path, prepared: PreparedSegment, floor: FloorScorer | None = None) -> Manifest:
        """Publish a generation that adds one segment prepared outside the writer (benchmarks: synthetic text and
        vectors at sizes we cannot embed), with the semantic floor given (None: none); call under the lock."""
        states = [SegmentState(ref.model_copy(), self._tombstones(ref)) for ref in self.base.segments] \
            if self.base else []
        states.append(SegmentState(self._write(prepared, "segment"), Tombstones()))
        return self._publish(corpus, states, None, floor, calibrate=False)

    def _publish(self, corpus: Path, states: list[SegmentState], failures: list[FileProblem] | None,
                 floor: FloorScorer | None = None, calibrate: bool = True) -> Manifest:
        """Write changed tombstones and the manifest, swap CURRENT, then clean up what nothing uses."""
        self.words.settle([])  # a full build with nothing to index still settles its word list
        generation = self.layout.next_generation()
        for state in states:
            if state.changed:
                name = tombstones_name(state.ref.id, generation)
                path = self.layout.tombstones_file(name)
                assert path is not None
                data = state.tombstones.model_dump_json().encode()
                self.layout.write_durably(path, data)
                state.ref.tombstones = name
                state.ref.tombstones_sha256 = hashlib.sha256(data).hexdigest()
                state.ref.deleted_articles = len(state.tombstones.articles)
                state.ref.deleted_passages = len(state.tombstones.passages)
        reached("tombstones-written")
        refs = [s.ref for s in states]
        if calibrate and self.embedder is not None:
            floor = self.embedder.floor(self._published_floor(), self.floor_percentile)
        if failures is None:
            failures = self.base.failed if self.base else []
        manifest = Manifest(
            generation=generation,
            created_at=dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            corpus=str(corpus.resolve()),
            counts=Counts(articles=sum(r.articles - r.deleted_articles for r in refs),
                          passages=sum(r.passages - r.deleted_passages for r in refs)),
            tokenizer=self.words.tokenizer,
            chunker=self.chunker,
            context=self.context,
            model=self.model,
            model_unavailable_reason=self.unavailable,
            semantic_floor=floor.floor if floor else None,
            segments=refs,
            failed=failures,
        )
        with self.layout.staging(GENERATIONS_DIR) as staging:
            if floor is not None:
                floor.save(staging)
            manifest.write(staging)
            reached("manifest-staged")
            self.layout.publish(staging, generation)
        self.base = manifest
        self._clean(generation)
        return manifest

    def _published_floor(self) -> PublishedFloor | None:
        """The base generation's semantic floor, which a new generation may keep."""
        base = self.base
        if base is None or base.semantic_floor is None or base.model is None:
            return None
        return PublishedFloor(base.semantic_floor, base.model.fingerprint, self.layout.generation_dir(base.generation))

    def _clean(self, current: int) -> None:
        """Delete generations, segments and tombstones that no kept generation references."""
        referenced: set[str] = set()
        generations = self.layout.prune(current, self.settings.keep_generations, self.settings.grace_seconds)
        reached("generations-pruned")
        for generation in generations:
            try:
                kept = Manifest.read(self.layout.generation_dir(generation))
            except IndexCorrupt:
                continue
            for ref in kept.segments:
                referenced.add(ref.id)
                if ref.tombstones:
                    referenced.add(ref.tombstones)
        self.layout.sweep(referenced)
        reached("files-swept")
