"""Reading corpus files into articles: text files directly, documents through the extraction cache and a pool of
worker processes (one file's failure, hang or crash costs that file only), with a progress bar of pages."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from ..errors import ArticleError
from ..schema import FileProblem
from ..settings import DEFAULT_EXTRACT, ExtractSettings
from .article import Article, document_article, parse_article
from .extract import kind_of, versions
from .extract.cache import ExtractionCache
from .extract.document import Extracted
from .extract.pool import Task, extract_all
from .files import TEXT_SUFFIXES, iter_article_files


@dataclass(frozen=True)
class Source:
    """A file to read: its corpus-relative name, and its bytes or where they are."""

    name: str
    path: Path | None = None
    data: bytes | None = None

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        assert self.path is not None
        return self.path.read_bytes()


class ArticleReader:
    """Reads files into articles with one extraction cache (None: none) and the extraction limits."""

    def __init__(self, cache_dir: Path | None, settings: ExtractSettings = DEFAULT_EXTRACT,
                 progress: bool = False) -> None:
        self.cache_dir = cache_dir
        self.settings = settings
        self.progress = progress
        # Documents hashed by this reader, by (path, size, mtime): a build's locked read after its warm-up pass
        # reads no document again.
        self._hashes: dict[tuple[str, int, int], str] = {}

    def read(self, sources: Sequence[Source]) -> list[Article | FileProblem]:
        """Each source as an article, or as the problem that kept it out, in the order given."""
        results: list[Article | FileProblem | None] = [None] * len(sources)
        documents: list[tuple[int, str, bytes | None]] = []  # (position, sha256, bytes when not on disk)
        for position, source in enumerate(sources):
            text = Path(source.name).suffix.lower() in TEXT_SUFFIXES
            try:
                if not text and source.path is not None:
                    documents.append((position, self._sha256(source.path), None))
                    continue
                raw = source.read()
            except OSError as exc:
                results[position] = FileProblem(path=source.name, reason=f"unreadable: {exc.strerror or exc}")
                continue
            if text:
                try:
                    results[position] = parse_article(raw, source.name)
                except ArticleError as exc:
                    results[position] = FileProblem(path=source.name, reason=str(exc))
                continue
            documents.append((position, hashlib.sha256(raw).hexdigest(), raw))
        if documents:
            self._extract(sources, documents, results)
        assert all(r is not None for r in results)
        return [r for r in results if r is not None]

    def _sha256(self, path: Path) -> str:
        """A document file's SHA-256, hashed once per reader while its size and mtime hold."""
        status = path.stat()
        key = (str(path), status.st_size, status.st_mtime_ns)
        if key not in self._hashes:
            digest = hashlib.sha256()
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            self._hashes[key] = digest.hexdigest()
        return self._hashes[key]

    def _extract(self, sources: Sequence[Source], documents: list[tuple[int, str, bytes | None]],
                 results: list[Article | FileProblem | None]) -> None:
        """Documents from the cache, the rest through the worker pool (and into the cache)."""
        cache = ExtractionCache(self.cache_dir, versions(self.settings), self.settings) if self.cache_dir else None
        todo: list[tuple[int, str]] = []
        try:
            for position, sha, _ in documents:
                found = cache.get(sha) if cache else None
                if found is None:
                    todo.append((position, sha))
                else:
                    results[position] = self._outcome(sources[position].name, sha, found)
            if not todo:
                return
            held = {position: data for position, _, data in documents}
            with tempfile.TemporaryDirectory(prefix="wenku-extract-") as scratch:
                tasks = []
                for position, _ in todo:
                    name = sources[position].name
                    path = sources[position].path
                    if path is None:  # bytes in memory (an upload): the extractors read files
                        path = Path(scratch) / f"{position}{Path(name).suffix.lower()}"
                        path.write_bytes(held[position] or b"")
                    tasks.append(Task(str(path), Path(name).suffix.lower()))
                failed = 0
                with tqdm(desc="extracting", unit="page", disable=not self.progress, leave=False,
                          postfix={"files": f"0/{len(tasks)}", "failed": 0}) as bar:
                    for done, (number, result) in enumerate(extract_all(tasks, self.settings, bar.update), start=1):
                        position, sha = todo[number]
                        if cache is not None:
                            cache.put(sha, result, kind_of(Path(sources[position].name).suffix))
                        results[position] = self._outcome(sources[position].name, sha, result)
                        failed += isinstance(results[position], FileProblem)
                        bar.set_postfix({"files": f"{done}/{len(tasks)}", "failed": failed})
        finally:
            if cache is not None:
                cache.close()

    @staticmethod
    def _outcome(name: str, sha: str, result: object) -> Article | FileProblem:
        if isinstance(result, str):
            return FileProblem(path=name, reason=result)
        assert isinstance(result, Extracted)
        return document_article(result, sha, name)

    def warm(self, corpus: Path) -> None:
        """Extract the corpus's documents that are not in the cache yet (into the cache)."""
        if self.cache_dir is None:
            return
        documents = [Source(path.relative_to(corpus).as_posix(), path=path) for path in iter_article_files(corpus)
                     if path.suffix.lower() not in TEXT_SUFFIXES]
        self.read(documents)

    def read_corpus(self, corpus: Path) -> tuple[list[Article], list[FileProblem]]:
        """Every readable article under corpus, plus the files skipped with their reasons."""
        sources = [Source(path.relative_to(corpus).as_posix(), path=path) for path in iter_article_files(corpus)]
        articles: list[Article] = []
        skipped: list[FileProblem] = []
        seen: dict[str, str] = {}
        for result in self.read(sources):
            if isinstance(result, FileProblem):
                skipped.append(result)
            elif result.id in seen:
                skipped.append(FileProblem(path=result.path, reason=f"duplicate article id {result.id!r} "
                                                                    f"(also {seen[result.id]})"))
            else:
                seen[result.id] = result.path
                articles.append(result)
        return articles, skipped


def read_corpus(corpus: Path, cache_dir: Path | None = None,
                settings: ExtractSettings = DEFAULT_EXTRACT) -> tuple[list[Article], list[FileProblem]]:
    """Every readable article under corpus, plus the files skipped with their reasons."""
    return ArticleReader(cache_dir, settings).read_corpus(corpus)
