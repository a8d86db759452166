"""The values that flow between stages, and the public formats (report, gold).

Every stage takes the previous stage's values and returns its own, so these models
are the contract between modules; `schemas/*.json` are generated from the public ones
(`Report`, `Gold`) and a test keeps the files in sync.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

# Where a document's date was read: its publication line, its page's metadata, a dateline or byline
# (with a year, or a month and day alone), its file name; or a dateline's month and day with the year
# of the batch's other documents ('batch') or of a full date in its first lines ('head').
DateSource = Literal["published", "metadata", "dateline", "filename", "batch", "head"]


class Document(BaseModel):
    """One readable input file, as text with offsets that every later stage refers to."""

    id: str
    path: str
    sha256: str
    title: str
    text: str
    replaced_bytes: int = 0
    date: str | None = None
    date_source: DateSource | None = None
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


class AsOf(BaseModel):
    """When a claim holds: a day or a range of days, and where that was read.

    `stated` times come from the claim's conditions or quote ("as of Tuesday morning",
    "by Q3 2023"), resolved against the document's date when relative; `document` means no
    time was stated and the document's own date stands in; a weekday with no date to
    anchor it keeps its name in `text` and leaves `start`/`end` empty.
    """

    start: str | None = Field(default=None, description="First day, YYYY-MM-DD.")
    end: str | None = Field(default=None, description="Last day, YYYY-MM-DD.")
    source: Literal["stated", "document"]
    text: str = Field(default="", description="The expression the time was read from.")
    label: str | None = Field(
        default=None, description="A weekday ('monday') or month-day ('03-03') with no date to anchor it."
    )


Status = Literal["reported", "estimate", "partial", "provisional", "final", "revised", "forecast", "expectation",
                 "target", "plan"]


class Frame(BaseModel):
    """What a figure holds for, read by code from its conditions and the words around it in its quote.

    Two figures contradict each other only when their frames match: the same moment or period,
    the same status (a forecast is not an outcome, a partial count not the final one) and the
    same basis (a rate per week is not a rate per year, a cumulative total not one period's).
    `words` keeps what each part was read from, so a reviewer can check it.
    """

    moment: str | None = Field(default=None, description="A part of the day or of a trading session: "
                               "'overnight', 'morning', 'early trading', 'intraday', 'at the close', 'evening'.")
    period: str | None = Field(default=None, description="The period a figure covers: 'February 2026', 'Q3 2026', "
                               "'2025'.")
    status: Status = "reported"
    counted: str | None = Field(default=None, description="How much a partial count covers: '60% of sites counted'.")
    basis: str | None = Field(default=None, description="'per week', 'per year', 'per share', 'per capita', "
                              "'cumulative'; none for a figure of its own period.")
    words: list[str] = Field(default_factory=list, description="The words each part was read from.")

    def describe(self) -> str:
        """The frame in a few words, for reports and the judge: 'final count; per week; at the close'."""
        parts = [] if self.status == "reported" else [_STATUS_WORDS[self.status]]
        if self.counted:
            parts.append(self.counted)
        parts += [x for x in (self.period, self.moment, self.basis) if x]
        return "; ".join(parts)


_STATUS_WORDS = {
    "reported": "reported", "estimate": "estimate", "partial": "partial count", "provisional": "provisional figure",
    "final": "final figure", "revised": "revised figure", "forecast": "forecast", "expectation": "expectation",
    "target": "target", "plan": "plan",
}


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
    as_of: AsOf | None = Field(default=None, description="When the claim holds (set by the time stage).")
    frame: Frame | None = Field(default=None, description="What the figure holds for (set by the time stage).")


# --- alignment: entities and questions across documents ---------------------------------

EntityKind = Literal["organisation", "person", "product", "place", "event", "other"]


class Entity(BaseModel):
    """One thing the batch talks about, under every subject string that names it."""

    id: str
    name: str
    aliases: list[str] = Field(default_factory=list, description="Every subject string mapped to this entity.")
    kind: EntityKind = "other"
    part_of: str | None = Field(default=None, description="The entity this one is a part, aspect, event or product "
                                "of (a company for its shares, a union for its ballot): claims about the two meet "
                                "in the owner's questions, while each keeps its identity.")


class Question(BaseModel):
    """Claims about one entity that answer the same question, from one or more documents."""

    id: str
    entity: str
    text: str
    claims: list[str]
    documents: int = Field(default=0, description="How many documents the claims come from.")


class EntityGroup(BaseModel):
    """One group of the entity-grouping answer: subject strings that name one thing."""

    name: str
    kind: EntityKind
    members: list[int]
    part_of: int | None = Field(default=None, description="The number of a string naming what this group is a part, "
                                "aspect, event or product of; null when none.")


class EntityGrouping(BaseModel):
    """The response model of the entity-grouping call; code checks it before use."""

    model_config = ConfigDict(extra="forbid")

    groups: list[EntityGroup]


@dataclass(frozen=True)
class SubjectGroup:
    """Subject strings that code already knows name one thing, offered to the LLM as one item."""

    key: str
    names: tuple[str, ...]
    example: str


@dataclass(frozen=True)
class EntityClaims:
    """The claims of one entity, as offered to the LLM's question call; `links` says, for each
    claim, how related it is to those before it (where a split call may cut)."""

    entity: Entity
    claims: tuple[GroundedClaim, ...]
    links: tuple[float, ...] = ()


class QuestionGroup(BaseModel):
    """One question of the question-assignment answer."""

    question: str
    claims: list[int]


class QuestionAssignment(BaseModel):
    """The response model of the question-assignment call; code checks it before use."""

    model_config = ConfigDict(extra="forbid")

    questions: list[QuestionGroup]


# --- comparison and findings --------------------------------------------------------


class PairVerdict(BaseModel):
    """Two claims of one question that cannot both be true, as the judge sees it."""

    a: int
    b: int
    conditions_match: bool
    rationale: str


class PairDifference(BaseModel):
    """Two claims that differ, and can both be true, as the judge sees it: another time, status, basis
    or scope."""

    a: int
    b: int
    reason: str


class GroupVerdict(BaseModel):
    """The response model of the judge for the claims of one call (one or several questions)."""

    model_config = ConfigDict(extra="forbid")

    contradictions: list[PairVerdict]
    explained: list[PairDifference] = Field(default_factory=list)
    agreements: list[list[int]]


@dataclass(frozen=True)
class JudgeItem:
    """One question (or part of a large one) as the judge is shown it: its claims, and for each
    claim code's reading of its figure and frame, with code's arithmetic on the figures that differ."""

    question: Question
    claims: list[GroundedClaim]
    readings: list[str]
    gaps: list[str]


class Contradiction(BaseModel):
    """A flag for a person to review: two grounded claims from different documents."""

    id: str
    kind: Literal["numeric", "textual"]
    severity: Literal["major", "minor"]
    rationale: str
    conditions_differ: bool = False
    question_id: str = ""
    question: str = Field(default="", description="The question both claims answer.")
    claims: list[GroundedClaim] = Field(min_length=2, max_length=2)


class Explained(BaseModel):
    """Two claims that differ where their stated conditions say why: not a flag."""

    id: str
    question_id: str
    question: str
    reason: str
    claims: list[GroundedClaim] = Field(min_length=2, max_length=2)


class TimelinePoint(BaseModel):
    """One reading of a figure or statement at a time."""

    claim: str
    document: str
    value: str
    as_of: AsOf | None = None


class Timeline(BaseModel):
    """Readings of one question at different times: an update, not a contradiction."""

    id: str
    question_id: str
    question: str
    points: list[TimelinePoint]


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
    calls_by_stage: dict[str, int] = Field(
        default_factory=dict, description="LLM calls made per stage (extract, align, judge), cache hits excluded."
    )


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
    entities: int = 0
    questions: int = 0
    questions_compared: int = Field(default=0, description="Questions with claims from two or more documents.")
    judge_groups: int = Field(default=0, description="Questions (or parts of large ones) sent to the judge.")
    judge_calls: int = Field(default=0, description="Judge calls: several small questions share one.")
    safety_net: int = Field(default=0, description="Figures of one measure under related entities that the "
                            "grouping put apart and the safety net joined before judging.")
    paired: int = Field(default=0, description="Joins made by pairing: questions holding figures of two documents "
                        "that code merged, across entities or within one (without an LLM grouping: the rules "
                        "backend or --align code).")
    explained: int = 0
    timelines: int = 0


class ReportDocument(BaseModel):
    """A document as the report lists it (its text stays in the database)."""

    id: str
    path: str
    sha256: str
    title: str
    replaced_bytes: int = 0
    date: str | None = None
    date_source: DateSource | None = Field(
        default=None, description="Where the document's date was read: its publication line, its page's metadata, a "
        "dateline or byline, its file name, or a dateline's month and day with the year of the batch's other documents "
        "('batch') or of a full date in its first lines ('head')."
    )
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
    aligner: Literal["code", "llm"] = Field(
        default="code", description="Who grouped claims into entities and questions: code, or code checking the LLM."
    )
    model: str | None
    prompt_hashes: dict[str, str] = Field(default_factory=dict)
    documents: list[ReportDocument]
    unprocessed: list[str] = Field(
        default_factory=list, description="Documents not processed because the budget would have been exceeded."
    )
    skipped: list[SkippedFile] = Field(default_factory=list)
    claims: list[GroundedClaim]
    entities: list[Entity] = Field(default_factory=list)
    questions: list[Question] = Field(default_factory=list)
    contradictions: list[Contradiction]
    explained: list[Explained] = Field(
        default_factory=list, description="Differences that the stated conditions explain: not flags."
    )
    timelines: list[Timeline] = Field(
        default_factory=list, description="Questions answered at different times: updates, not flags."
    )
    corroborations: list[Corroboration]
    single_source: list[str] = Field(
        default_factory=list, description="Ids of claims that no other document states."
    )
    failures: list[str] = Field(default_factory=list, description="Calls and chunks that failed, and why.")
    notes: list[str] = Field(default_factory=list, description="What the stages want a reader to know: documents "
                             "whose own dates disagree, a judge's answer that code overruled.")
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


def first_error(exc: ValidationError, whole: str = "") -> str:
    """The first validation error with where it is, e.g. `contradictions.0.sides: Field required`;
    an error of the whole input is named `whole` when given."""
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error.get("loc", ())) or whole
    message = error.get("msg", "invalid")
    return f"{where}: {message}" if where else str(message)
