"""Tuning knobs: typed, with the measured defaults, built once and passed in (never patched as module globals).

These change how fast or how thoroughly the index is written and searched, not what it means, so they are not
recorded in the manifest (what is, and forces a rebuild when changed, lives in ChunkerSettings, TokenizerSettings
and ContextSettings). Figures behind each default: benchmarks/README.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Device = Literal["auto", "cpu", "cuda"]  # where an encoder runs: "auto" is a GPU when there is one


class _Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class VectorSettings(_Settings):
    """How vectors are indexed (flat or HNSW by size) and searched."""

    # Up to this many vectors an exact scan costs about a millisecond (3 ms at 20k, measured); above it HNSW.
    exact_max: int = Field(10_000, ge=0)
    # A filter leaving at most this many vectors is answered exactly from the stored vectors: cheaper than walking
    # a graph whose neighbours are mostly filtered out, and never short of results.
    subset_exact_max: int = Field(20_000, ge=0)
    hnsw_m: int = Field(32, ge=4)
    ef_construction: int = Field(80, ge=1)
    ef_search: int = Field(128, ge=1)
    # efSearch for a query is at least this many times the number of vectors it asks for.
    ef_factor: float = Field(1.0, gt=0)
    # Vectors asked of FAISS per passage wanted, in units of the segment's mean vectors per passage.
    candidate_factor: float = Field(1.5, gt=0)
    # A segment of more vectors than this keeps them compact ("sq8": one byte a dimension, per-dimension ranges;
    # "fp16": two), searched through HNSW over the codes and scored from them. Memory, not speed: chosen by recall@10
    # against exact float32 scores (benchmarks/README.md, "Compact vectors").
    compact_above: int = Field(200_000, ge=0)
    compact: Literal["sq8", "fp16"] = "sq8"


class KeywordSettings(_Settings):
    """How the best BM25 scores are picked out of a long list of matches."""

    # Above this many matches, candidates come from a sampled threshold instead of listing every match.
    sparse_max: int = Field(20_000, ge=0)
    sample_stride: int = Field(16, ge=1)


class SearchSettings(_Settings):
    """What a searcher needs besides the index: retrieval depths and the two retrievers' settings."""

    vectors: VectorSettings = VectorSettings()
    keyword: KeywordSettings = KeywordSettings()
    # Each retriever returns at least this many passages (more when a page reaches past them).
    min_depth: int = Field(100, ge=1)
    # Hybrid fuses the top this-many of each ranking (tuned on the dev sets: "Fusion" in benchmarks/README.md).
    hybrid_window: int = Field(100, ge=1)


class RaySettings(_Settings):
    """Embedding on a Ray cluster: where it is and how its actor pool is shaped."""

    # None: start a local cluster on this machine; "auto": join the cluster running here; else HOST:PORT or
    # ray://HOST:PORT (a Ray client server).
    address: str | None = None
    # Actors in the pool (None: one per GPU when the cluster has GPUs, else the cluster's CPUs / threads).
    actors: int | None = Field(None, ge=1)
    # Texts per batch an actor encodes; CPU threads per actor (its reservation of the cluster's CPUs).
    batch_size: int = Field(32, ge=1)
    threads: int = Field(1, ge=1)


class ExtractSettings(_Settings):
    """Reading documents (PDF, scans, Word, web pages): the limits that keep one file from stalling a build, and OCR.

    A file past a limit is skipped with one line naming the limit (and listed as failed); the rest is indexed.
    """

    # Pages of one PDF, TIFF or EPUB (a 2,000-page scan would take an hour of OCR: raise it on purpose).
    max_pages: int = Field(1_000, ge=1)
    # Pixels of one image or rendered page (a decompression bomb is a few KB that claims billions).
    max_pixels: int = Field(100_000_000, ge=1_000_000)
    # Seconds one file may take to extract, OCR included; past it the worker is stopped and the file skipped.
    max_seconds: float = Field(600.0, gt=0)
    # Bytes of one document file, and of everything a zip-based document (DOCX, EPUB) unpacks to.
    max_bytes: int = Field(200 * 1024 * 1024, ge=1024)
    max_unpacked_bytes: int = Field(500 * 1024 * 1024, ge=1024)
    # Memory one extraction worker may use (its address space), so a hostile file fails alone.
    max_memory_mb: int = Field(4096, ge=256)
    # OCR for scans, photos and pages whose text layer is missing or garbled; False skips such files.
    ocr: bool = True
    # Resolution PDF pages are rendered at for OCR (150 dpi: 14-point text is 29 pixels high).
    ocr_dpi: int = Field(150, ge=72, le=600)
    # Worker processes extracting at once (None: one per core).
    workers: int | None = Field(None, ge=1)


# The extraction settings a deployment sets by environment (the CLI's options read the same variables).
EXTRACT_ENVIRONMENT = {"max_pages": "WENKU_MAX_PAGES", "max_seconds": "WENKU_MAX_SECONDS", "ocr": "WENKU_OCR"}


def extract_settings_from(environment: Mapping[str, str]) -> ExtractSettings:
    """Extraction settings from environment variables (unset ones keep their defaults)."""
    return ExtractSettings.model_validate({field: environment[name] for field, name in EXTRACT_ENVIRONMENT.items()
                                           if environment.get(name, "") != ""})


class WriterSettings(_Settings):
    """How the writer embeds, lays out segments and keeps superseded generations."""

    # Where the encoder runs: "auto" is a GPU when there is one (sentence-transformers models; the bundled engine is
    # CPU-only). A Ray cluster, when given, embeds passages instead of this process.
    device: Device = "auto"
    ray: RaySettings | None = None
    extract: ExtractSettings = ExtractSettings()
    vectors: VectorSettings = VectorSettings()
    # Merge the smallest segments past this many; rewrite a segment once this share of its passages is deleted.
    max_segments: int = Field(8, ge=1)
    max_deleted_share: float = Field(0.3, gt=0, le=1)
    # Generations kept besides the published one's predecessors, and how long any superseded one stays, so a
    # reader that opened one just before a swap can finish with it.
    keep_generations: int = Field(2, ge=1)
    grace_seconds: float = Field(60.0, ge=0)


DEFAULT_VECTORS = VectorSettings()
DEFAULT_KEYWORD = KeywordSettings()
DEFAULT_SEARCH = SearchSettings()
DEFAULT_EXTRACT = ExtractSettings()
DEFAULT_WRITER = WriterSettings()
