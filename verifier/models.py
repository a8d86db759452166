"""The values that flow between stages, and the public formats (report, gold).

Every stage takes the previous stage's values and returns its own, so these models
are the contract between modules; `schemas/*.json` are generated from the public ones
(`Report`, `Gold`) and a test keeps the files in sync.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Document(BaseModel):
    """One readable input file, as text with offsets that every later stage refers to."""

    id: str
    path: str
    sha256: str
    title: str
    text: str
    replaced_bytes: int = 0
    date: str | None = None
    copy_of: str | None = None


class SkippedFile(BaseModel):
    """A file the batch went on without, and why, so the report can say so."""

    path: str
    reason: str


# --- extraction: what a backend returns, before anything is trusted -------------------


class ExtractedClaim(BaseModel):
    """A claim as an extractor states it; nothing here is trusted until grounded."""

    subject: str = Field(description="The entity the claim is about, with pronouns resolved to it.")
    attribute: str = Field(description="What is said about the subject, e.g. 'GPQA Diamond score'.")
    value: str = Field(description="The value as stated in the text.")
    conditions: list[str] = Field(
        default_factory=list,
        description="Mode, setting, period or date the value holds under, e.g. 'no tools', 'Q2 2026'.",
    )
    asserted_by: str = Field(
        default="", description="Who the text says asserts it; empty when the author asserts it."
    )
    hedged: bool = Field(
        default=False, description="True when reported, unconfirmed, planned or expected."
    )
    quote: str = Field(description="A verbatim span of the document that states the claim.")


class ExtractedClaims(BaseModel):
    """The response model of one extraction call; any other shape is rejected and re-asked."""

    model_config = ConfigDict(extra="forbid")

    claims: list[ExtractedClaim]


class CandidateClaim(BaseModel):
    """An extracted claim bound to its document, with an optional offset hint.

    The rules backend knows where its quote is; the hint lets grounding pick the right
    one of several identical spans (a table cell such as "58.3" may occur twice).
    """

    document: str
    claim: ExtractedClaim
    hint: int | None = None
    origin: Literal["llm", "rules"] = "rules"


def statement_of(subject: str, attribute: str, value: str, conditions: list[str]) -> str:
    """A claim in one line of words: what gold terms and reviewers read."""
    statement = f"{subject} {attribute}: {value}"
    return statement + (f" ({', '.join(conditions)})" if conditions else "")


class GroundedClaim(BaseModel):
    """A claim whose quote was found in its document; only these become evidence."""

    id: str
    document: str
    subject: str
    attribute: str
    value: str
    number: float | None = None
    unit: str | None = None
    conditions: list[str] = Field(default_factory=list)
    asserted_by: str = ""
    hedged: bool = False
    quote: str
    start: int
    end: int
    match: Literal["exact", "normalized", "fuzzy"] = "exact"
    statement: str = ""


# --- comparison and findings --------------------------------------------------------


class JudgeVerdict(BaseModel):
    """The response model of the LLM judge for two non-numeric claims."""

    relation: Literal["contradicts", "agrees", "unrelated"]
    conditions_match: bool = Field(description="Whether both claims hold under the same conditions.")
    rationale: str = Field(description="One sentence that says why.")


class Contradiction(BaseModel):
    """A flag for a person to review: two grounded claims from different documents."""

    id: str
    kind: Literal["numeric", "textual"]
    severity: Literal["major", "minor"]
    rationale: str
    conditions_differ: bool = False
    claims: list[GroundedClaim] = Field(min_length=2, max_length=2)


class Corroboration(BaseModel):
    """Two or more independent documents that agree on the same subject and attribute."""

    id: str
    subject: str
    attribute: str
    value: str
    documents: list[str]
    claims: list[GroundedClaim]


class Usage(BaseModel):
    """What a batch cost: LLM calls, tokens, cache hits and time."""

    llm_calls: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    failed_chunks: int = 0
    seconds: float = 0.0
    cost_usd: float | None = Field(default=None, description="From the price table, when --max-cost is used.")


class Counts(BaseModel):
    """The numbers a reader checks first: how much went in, what was dropped."""

    documents: int
    skipped_files: int
    claims: int
    ungrounded_dropped: int
    candidate_pairs: int
    contradictions: int
    corroborations: int
    single_source: int


class ReportDocument(BaseModel):
    """A document as the report lists it (its text stays in the database)."""

    id: str
    path: str
    sha256: str
    title: str
    replaced_bytes: int = 0
    date: str | None = None
    copy_of: str | None = Field(
        default=None, description="A near-identical earlier document (a syndicated copy): not an independent source."
    )


class Report(BaseModel):
    """The public result of `verifier run`: what `report.json` holds."""

    model_config = ConfigDict(title="VerifierReport")

    version: Literal[1] = 1
    batch: str
    created: str
    backend: Literal["llm", "rules"]
    model: str | None
    prompt_hashes: dict[str, str] = Field(default_factory=dict)
    documents: list[ReportDocument]
    unprocessed: list[str] = Field(
        default_factory=list, description="Documents not processed because the budget would have been exceeded."
    )
    skipped: list[SkippedFile] = Field(default_factory=list)
    claims: list[GroundedClaim]
    contradictions: list[Contradiction]
    corroborations: list[Corroboration]
    single_source: list[str] = Field(
        default_factory=list, description="Ids of claims that no other document states."
    )
    failures: list[str] = Field(default_factory=list, description="Chunks that failed, and why.")
    counts: Counts
    usage: Usage


# --- gold --------------------------------------------------------------------------------


class GoldSide(BaseModel):
    """One side of a labelled pair: which documents and which words identify the claim."""

    docs: list[str]
    terms: list[str]


class GoldItem(BaseModel):
    """A labelled contradiction or a known-consistent pair."""

    id: str
    note: str = ""
    severity: Literal["major", "minor"] | None = None
    sides: list[GoldSide] = Field(min_length=2, max_length=2)


class Gold(BaseModel):
    """A hand-labelled answer key for one corpus, in the format of tests/gold/seeds.json."""

    model_config = ConfigDict(title="VerifierGold")

    corpus: str
    about: str = ""
    documents: list[str] = Field(default_factory=list)
    contradictions: list[GoldItem]
    consistent: list[GoldItem] = Field(default_factory=list)
