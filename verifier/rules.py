"""The rules backend: numeric claims from sentences and tables, without an LLM.

It is the default when no endpoint is configured, so a user gets a useful report on
any machine. It reads only what it can read reliably (figures, with the subject and
the attribute they are given for), and leaves a claim out when it cannot tell what a
figure is about: a missed claim costs recall, a wrongly attributed one raises a false
alarm for a person to dismiss.

Each sentence with a figure is read by a trained parser (parse.py): the figure's governing noun
phrase is its measure, the clause subject, possessor or attached name its owner. The hand
patterns that came before it read the grammar from word shapes and were replaced, measured by
bench/readers.py; what remains of them reads what a parse does not say by itself: a score on a
named scale ("89.5 on GPQA Diamond"), a price per unit, a share of a whole, a change "by" a
percentage, the conditions and the source of a sentence, and the names of a document for its
main entity and for a sentence that names no one.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import dates, lexicon, parse
from .features import FUNCTION_WORDS, stem
from .keys import KeyMaker, split_parenthetical, squash
from .models import CandidateClaim, Document, ExtractedClaim
from .numbers import UNITS, Quantity, may_hold_quantity, parse_quantities
from .text import CLAUSE_BREAK, Span, clause_at, is_headline, paragraphs, sentences

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

# --- names ---------------------------------------------------------------------------------

# quantifiers are bounded (a word of at most 40 characters, a name of at most 9 words): with
# sentences read in pieces, every search stays linear in its text
_CAP = r"(?:[A-Z][\w’'+&.\-]{0,40}[\w+]|[A-Z])"
_NAME = re.compile(
    rf"{_CAP}(?:(?:\s+|-)(?:{_CAP}|\d+(?:\.\d+)?(?=\s+[A-Z]|[\s,.;:)]|$)|(?:of|de|&)(?=\s+[A-Z]))){{0,8}}"
)
# A back-reference: "it", "its", or a definite description opening a clause ("The blaze was 20%
# contained", "the union said"): it stands for the entity the text is about, whatever the noun.
ANAPHORS = re.compile(
    r"\b(?:[Ii]ts?)\b"
    r"|(?:^|(?<=[,;:]\s)|(?<=\bthat\s)|(?<=\band\s)|(?<=\bbut\s))[Tt]he\s+[a-z]{3,20}(?:\s+[a-z]{3,20})?"
    r"(?=['’]s\b|\s+[a-z])",
)
_SENTENCE_STARTERS = lexicon.SENTENCE_STARTERS

# --- attributes ------------------------------------------------------------------------------

_SCORE_VERBS = lexicon.SCORE_VERBS
_CHANGE_VERBS = lexicon.CHANGE_VERBS
_QUALIFIER = lexicon.QUALIFIER
_POSITION_VERBS = lexicon.POSITION_VERBS
_STOP_PHRASE = lexicon.MEASURE_STOPS
# words for how much or how likely, of any thing: "cut the risk of default", "raised the rate of
# growth", "lowered the number of delays" change the thing itself
_HOW_MUCH_OF = lexicon.HOW_MUCH_OF
_REDUCE_VERBS = lexicon.REDUCE_VERBS
_RAISE_VERBS = lexicon.RAISE_VERBS
_DETERMINERS_AND_VERBS = lexicon.DETERMINERS_AND_VERBS
_PERIOD_ADJECTIVES = lexicon.PERIOD_ADJECTIVES
_IRREGULAR_VERBS = lexicon.IRREGULAR_VERBS
_HEDGES = re.compile(rf"\b(?:{lexicon.HEDGES})\b", re.IGNORECASE)
_WHO = (
    r"(?P<who>(?:an? |the )?(?:[A-Z][\w’'.&-]{0,40}\s?){1,5}"
    rf"|(?:an? |the )?[a-z]{{1,30}}(?: [A-Z][\w’'-]{{0,40}})? (?:{lexicon.SOURCE_ROLES})s?"
    r"|[Aa]nalysts at [A-Z][\w&.-]{0,40}(?: [A-Z][\w&.-]{0,40}){0,5}|[Oo]fficials|[Aa]uthorities)"
)
# (pattern, whether the speaker is only a source): "X said ..." reports someone else's figure;
# "X reported revenue of ..." usually states X's own figure, so X stays a candidate subject.
_ASSERTERS = [
    (re.compile(r"\baccording to (?P<who>(?:an? |the )?[^,.;]{2,60}?)(?=[,.;]|$)", re.IGNORECASE), True),
    (re.compile(rf"{_WHO}\s+(?:{lexicon.SOURCE_VERBS})\b"), True),
    (re.compile(rf"{_WHO}\s+(?:{lexicon.OWN_REPORT_VERBS})\b"), False),
]
_DATED = re.compile(
    rf"\b(?:{lexicon.DATING_PREPOSITIONS})\s+(?:(?:early|late|mid)\s+)?(?:{dates.DATE_PATTERN})"
    rf"(?:\s+(?:{lexicon.PARTS_OF_DAY}))?",
    re.IGNORECASE,
)
# when a sentence's figures were read: it covers every figure of the sentence
_READ_AT = re.compile(
    rf"\b(?:as of|(?:{lexicon.READING_VERBS})(?:\s+on)?)\s+(?:(?:early|late|mid)\s+)?"
    rf"(?:{dates.DATE_PATTERN})(?:\s+(?:{lexicon.PARTS_OF_DAY}))?",
    re.IGNORECASE,
)
_FORECAST = re.compile(rf"\b(?:{lexicon.FORECAST_WORDS})\b", re.IGNORECASE)
# how a figure was obtained: "without tools", "with assistance", "no subsidies", "in turbo mode" (a
# parenthetical after the figure is a condition too, whatever it says). What follows "with", "without"
# or "no" is read as a noun phrase of one or two words that are not function words; a comparative
# after "no" is a bound ("no more than 100"), not a condition.
_CONDITION_WORD = rf"(?!(?:{'|'.join(sorted(FUNCTION_WORDS, key=len, reverse=True))})\b)[a-z][a-z-]+"
_MODE_WORDS = re.compile(
    rf"\b(?!{lexicon.NOT_ABOVE}|{lexicon.NOT_BELOW})(?:with|without|no)\s+{_CONDITION_WORD}(?:\s+{_CONDITION_WORD})?\b"
    r"|\b[A-Za-z]+ mode\b"
)


class _Context:
    """Who the sentences of a paragraph are about, worked out only when a figure needs it."""

    def __init__(self, main: str, keys: KeyMaker, vocabulary: Vocabulary) -> None:
        self.main, self.keys, self.vocabulary = main, keys, vocabulary
        self._previous: Span | None = None
        self._subject: str | None = None

    def follow(self, sentence: Span) -> None:
        """Move on to `sentence`; the one before it becomes the previous sentence."""
        self._previous, self._subject = sentence, None

    def subject_was(self, subject: str) -> None:
        self._subject = subject

    def previous_subject(self) -> Callable[[], str]:
        """Who the previous sentence was about (its last figure's subject, else its last name,
        else the main entity), worked out only if asked."""
        sentence, subject = self._previous, self._subject

        def ask() -> str:
            if subject is None and sentence is not None:
                return _last_subject(sentence, self.keys, self.vocabulary) or self.main
            return subject or self.main

        return ask


@dataclass
class _Mention:
    text: str
    start: int
    end: int
    anaphor: bool = False


KeepGoing = Callable[[int, int], bool]  # (claims found so far, offset about to be read) -> read on?


def _always(*_: int) -> bool:
    return True




class RulesExtractor:
    """Extract numeric claims from one document: sentences read by a parser, and tables."""

    def __init__(self, keys: KeyMaker | None = None) -> None:
        self.keys = keys or KeyMaker()

    def extract(self, doc: Document, keep_going: KeepGoing | None = None) -> list[CandidateClaim]:
        """All numeric claims of `doc`, each with its quote's offset as a grounding hint.

        No input may stall it: tokens longer than any word (an inline image, a base64 blob)
        are masked, offsets kept, and a sentence longer than MAX_SENTENCE is read in pieces,
        so every pattern runs on bounded text and the work grows linearly with the document.
        Linear is still minutes for a 15 MB line of figures: `keep_going(claims so far, offset)`
        is asked before each table and each piece of a sentence, and False stops the reading
        there (a cap on claims or seconds; it may also raise to cancel).
        """
        doc = doc.model_copy(update={"text": mask_long_tokens(doc.text)})
        common = common_words(doc.text)
        title = _TITLE_STEMS.set(frozenset(stem(w) for w in re.findall(r"[A-Za-z]{3,}", doc.title)))
        try:
            return self._extract(doc, common, keep_going or _always)
        finally:
            _TITLE_STEMS.reset(title)

    def _extract(self, doc: Document, common: Vocabulary, keep_going: KeepGoing) -> list[CandidateClaim]:
        main = named_most(doc, self.keys, common) or main_entity(doc, self.keys, common)
        table_lines, tables = find_tables(doc.text)
        found = _Unique(self.keys)
        for table in tables:
            if not keep_going(len(found.claims), table[0][0].start if table[0] else 0):
                return found.claims
            found.extend(self._table_claims(doc, table, main))
        for para in paragraphs(doc.text):
            if para.start in table_lines:
                continue
            context = _Context(main, self.keys, common)
            for batch in _batches(piece for sentence in sentences(para) for piece in pieces(sentence)):
                # parsed together, a batch at a time: spaCy's cost is mostly per call
                parse.parse_all([p.text for p in batch if may_hold_quantity(p.text)])
                for piece in batch:
                    if not keep_going(len(found.claims), piece.start):
                        return found.claims
                    found.extend([u for c in self._sentence_claims(doc, piece, context)
                                  if (u := _unmasked(c)) is not None])
        return found.claims

    # --- sentences ---------------------------------------------------------------------------

    def _sentence_claims(self, doc: Document, sentence: Span, context: _Context) -> list[CandidateClaim]:
        previous = context.previous_subject()
        context.follow(sentence)
        if not may_hold_quantity(sentence.text):
            return []
        figures = parse_quantities(sentence.text)
        quantities = [q for q in figures if not _is_list_number(sentence.text, q)]
        if not quantities:
            return []
        asserted = _asserted_by(sentence.text)
        tree = parse.parse(sentence.text)
        read = self._parsed(tree, quantities, figures, asserted, context, previous)
        claims: list[CandidateClaim] = []
        for q, (attribute, subject) in zip(quantities, read, strict=True):
            if not attribute or not self.keys.attribute(attribute) or not subject:
                continue
            clause = _quote(tree, sentence, q, figures)
            claims.append(
                CandidateClaim(
                    document=doc.id,
                    hint=clause.start,
                    claim=ExtractedClaim(
                        subject=subject,
                        attribute=attribute,
                        value=q.stated,
                        conditions=_conditions(sentence.text, q, attribute, figures, _dated_here(tree, q)),
                        asserted_by=asserted.who if asserted else "",
                        hedged=bool(_HEDGES.search(sentence.text)),
                        quote=clause.text,
                    ),
                )
            )
        if claims:
            context.subject_was(claims[-1].claim.subject)
        return claims

    def _parsed(self, tree: Doc, quantities: list[Quantity], figures: list[Quantity], asserted: _Source | None,
                context: _Context, previous: Callable[[], str]) -> list[tuple[str, str]]:
        """(attribute, subject) of each figure, read off the sentence's dependency parse."""
        text, main, common = tree.text, context.main, context.vocabulary
        out = []
        for q in quantities:
            attribute, span = _named_test(text, q, *_window(text, q, figures), text[:q.start]) or ("", None)
            if span and _not_a_scale(tree, span):
                attribute, span = "", None  # "£1,649 in the UK" is a price in a place, not a score on a scale
            if _starting_point(tree, q):
                out.append(("", ""))
                continue
            reading = _opener_as_measure(
                parse.read_figure(tree, q.start, q.end, bare=q.dimension == "number" and not q.unit), common)
            if not attribute:
                attribute = _parsed_attribute(text, q, figures, reading)
            blocked = [span] if span else []
            if asserted and asserted.only_source:
                blocked.append((asserted.start, asserted.end))
            out.append((attribute, _parsed_subject(tree, q, reading, blocked, main, previous, common)
                        if attribute else ""))
        return out


    # --- tables --------------------------------------------------------------------------------

    def _rows_are_subjects(self, doc: Document, header: list[Span], rows: list[list[Span]]) -> bool:
        """Which way a table reads: the labels the prose names as things are the subjects; with
        one figure column, its header is what the rows measure ('| Company | Revenue |')."""
        prose = " ".join(p.text for p in paragraphs(doc.text[:SCAN_CHARS]) if not p.text.startswith("|"))
        named = {self.keys.subject(m.text) for m in _mentions(prose, self.keys) if not m.anaphor}
        def share(cells: list[Span]) -> float:
            return sum(self.keys.subject(split_parenthetical(c.text)[0]) in named for c in cells) / max(len(cells), 1)

        row_share, column_share = share([r[0] for r in rows if r]), share(header[1:])
        if abs(row_share - column_share) > 0.25:
            return row_share > column_share
        return len(header) == 2

    def _table_claims(self, doc: Document, table: list[list[Span]], main: str) -> list[CandidateClaim]:
        header, rows = table[0], table[1:]
        if len(header) < 2 or not rows:
            return []
        columns_are_periods = all(dates.periods(h.text) and len(h.text) < 30 for h in header[1:])
        rows_are_subjects = self._rows_are_subjects(doc, header, rows)
        claims = []
        for row in rows:
            if len(row) < 2:
                continue
            for col, cell in enumerate(row[1:], start=1):
                if col >= len(header):
                    break
                quantities = parse_quantities(cell.text)
                if len(quantities) != 1 or len(quantities[0].text) < len(cell.text.strip()) - 2:
                    continue
                if columns_are_periods:
                    subject, attribute, extra = main, row[0].text, [header[col].text]
                elif rows_are_subjects:
                    subject, attribute, extra = row[0].text, header[col].text, []
                else:
                    subject, attribute, extra = header[col].text, row[0].text, []
                subject_name, subject_conditions = split_parenthetical(subject)
                attribute_name, attribute_conditions = split_parenthetical(attribute)
                claims.append(
                    CandidateClaim(
                        document=doc.id,
                        hint=cell.start,
                        claim=ExtractedClaim(
                            subject=subject_name,
                            attribute=attribute_name,
                            value=cell.text,
                            conditions=subject_conditions + attribute_conditions + extra,
                            quote=cell.text,
                        ),
                    )
                )
        return claims


# --- helpers -------------------------------------------------------------------------------------

MASK = "\u2063"  # an invisible separator, matched by no pattern: stands in for the characters of a long token
LONGEST_TOKEN = 64
MAX_SENTENCE = 600
_LONG_TOKEN = re.compile(rf"\S{{{LONGEST_TOKEN + 1},}}")


def mask_long_tokens(text: str) -> str:
    """The text with every run of more than LONGEST_TOKEN non-space characters masked, same length."""
    return _LONG_TOKEN.sub(lambda m: MASK * len(m.group(0)), text)










def _unmasked(candidate: CandidateClaim) -> CandidateClaim | None:
    """A claim whose quote runs into a masked token keeps the unmasked stretch that holds its figure."""
    quote = candidate.claim.quote
    if MASK not in quote:
        return candidate
    for m in re.finditer(rf"[^{MASK}]+", quote):
        stretch = m.group(0).strip()
        figure = parse_quantities(candidate.claim.value)
        if stretch and figure and figure[0].text in stretch:
            hint = (candidate.hint or 0) + m.start() + m.group(0).index(stretch)
            return candidate.model_copy(update={"hint": hint, "claim": candidate.claim.model_copy(
                update={"quote": stretch})})
    return None


def pieces(sentence: Span) -> list[Span]:
    """A sentence, or for a long one its pieces of at most MAX_SENTENCE characters, cut at a space."""
    if len(sentence.text) <= MAX_SENTENCE:
        return [sentence]
    out, begin, text = [], 0, sentence.text
    while begin < len(text):
        end = min(begin + MAX_SENTENCE, len(text))
        if end < len(text):
            cut = text.rfind(" ", begin + MAX_SENTENCE // 2, end)
            end = cut if cut > begin else end
        piece = text[begin:end]
        if piece.strip():
            stripped = piece.strip()
            out.append(Span(stripped, sentence.start + begin + piece.index(stripped)))
        begin = end
    return out


@dataclass(frozen=True)
class Vocabulary:
    """How a document writes its words, to tell a name from a capitalised sentence opener.

    `lower` holds the words it also writes in lower case; `names` the capitalised words it
    writes mid-sentence or at least twice. "Net income" opening a sentence is not a name;
    "Zentrava" opening two is.
    """

    lower: frozenset[str]
    names: frozenset[str]
    mid: frozenset[str] = frozenset()  # capitalised words written inside a sentence

    def named_inside_sentences(self, word: str) -> bool:
        """Whether the document capitalises the word where no sentence start does it for it."""
        return re.sub(r"['’]s$", "", word) in self.mid

    def is_name(self, word: str) -> bool:
        word = re.sub(r"['’]s$", "", word)
        return word.lower() not in self.lower and (word in self.names or not word[1:].islower())


SCAN_CHARS = 200_000  # how much of a long document tells its vocabulary and main entity


def common_words(text: str) -> Vocabulary:
    """The document's vocabulary (from its first SCAN_CHARS): lower-case words, and names."""
    text = text[:SCAN_CHARS]
    tokens = [t.strip(".,;:!?\"“”‘’'()[]") for t in text.split()]
    lower = frozenset(t for t in tokens if t.isalpha() and t.islower())
    counts: Counter[str] = Counter()
    mid: set[str] = set()
    for line in text.splitlines():
        previous = "."  # a line opens like a sentence: titles and list items start new ones
        for raw in line.split():
            word = re.sub(r"['’]s$", "", raw.strip(".,;:!?\"“”‘’'()[]"))
            if word[:1].isupper():
                counts[word] += 1
                if not previous.endswith((".", "!", "?", ":", "-", "•", "#", "|")):
                    mid.add(word)
            previous = raw
    names = frozenset(mid | {w for w, n in counts.items() if n >= 2})
    return Vocabulary(lower, names, frozenset(mid))


def main_entity(doc: Document, keys: KeyMaker, common: Vocabulary | None = None) -> str:
    """The name a document is mostly about: the most frequent name, the title counting extra."""
    counts: Counter[str] = Counter()
    spelled: dict[str, str] = {}
    title_key = squash(doc.title)
    title_mentions = [m for m in _mentions(doc.title, keys) if not m.anaphor]
    body = [m for para in paragraphs(doc.text[:SCAN_CHARS])
            if not is_headline(para.text) and not para.text.startswith("|")
            for sentence in sentences(para) for m in _mentions(sentence.text, keys, common) if not m.anaphor]
    for m in title_mentions + body:
        for part in _possessive_parts(m.text):
            key = keys.subject(part)
            if key:
                counts[key] += 1
                spelled.setdefault(key, split_parenthetical(part)[0])
    for key in counts:
        if key in title_key:
            counts[key] += 2
    if not counts:
        return ""
    best = max(counts.items(), key=lambda kv: (kv[1], len(kv[0])))[0]
    return spelled[best]


MAIN_SCAN_CHARS = 20_000  # the opening of a story names what it is about


def named_most(doc: Document, keys: KeyMaker, common: Vocabulary) -> str:
    """The name a document is mostly about, read by the parser: the name its sentences give most
    often, two more when the title names it, the longer on a tie. Titles are not parsed for names:
    headline capitals make any word look like one ("Fleet anger as haddock allowance slashed")."""
    counts: Counter[str] = Counter()
    spelled: dict[str, str] = {}
    title_key = squash(doc.title)
    texts = [sentence.text for para in paragraphs(doc.text[:MAIN_SCAN_CHARS])
             if not is_headline(para.text) and not para.text.startswith("|")
             for sentence in sentences(para) if len(sentence.text) <= MAX_SENTENCE]
    for tree in parse.parse_all(texts):
        for name in parse.names(tree):
            bare = _bare_name(name.text)
            if _sentence_case(name, common):
                continue  # "Blackbirds turned up": a capital the sentence gives, not a name
            if parse.is_speaker(name.head) and parse.label(name.head) == "PERSON":
                continue  # '"...," said Donnie Morrison': a person quoted, not what the story is about
            key = keys.subject(bare)
            if key and not _is_calendar(bare):
                counts[key] += 1
                spelled.setdefault(key, bare)
    totals = {key: counts[key] + 2 * (key in title_key) for key in counts}
    if not totals:
        return ""
    return spelled[max(totals, key=lambda k: (totals[k], len(k)))]


def _possessive_parts(name: str) -> list[str]:
    parts = re.split(r"['’]s\s+", name)
    return [p for p in parts if p] if len(parts) > 1 else [name]


def _sentence_start(text: str, start: int) -> int:
    prefix = text[:start]
    return start if not prefix.strip(" -•*\"“'‘") else -1


def _mentions(text: str, keys: KeyMaker, vocabulary: Vocabulary | None = None) -> list[_Mention]:
    """Names and anaphors in a sentence, sentence-initial common words left out."""
    found = []
    for m in _NAME.finditer(text):
        name, start = m.group(0), m.start()
        if _ADJECTIVE_COMPOUND.search(name) or (dates.periods(name) and len(dates.periods(name)[0]) >= len(name) - 1):
            continue  # "PhD-level" is an adjective, "Q3" a period
        if _inside_closed_parenthesis(text, start):
            continue
        words = name.split()
        while words and re.sub(r"['’]s$", "", words[0].lower()) in _SENTENCE_STARTERS:
            start += len(words[0]) + 1
            words = words[1:]
            name = " ".join(words)
        if not words or ((start == 0 or text[:start].rstrip().endswith((".", ":"))) and len(words) == 1 \
                and words[0].lower().endswith("ing")):
            continue
        if words and re.sub(r"['’]s$", "", words[0].lower()).rstrip(".") in _CALENDAR_WORDS:
            continue  # "Oct 29", "Monday's"
        while len(words) > 1 and (dates.periods(words[-1]) or words[-1].isdigit()) \
                and re.search(r"['’]s$", words[-2]):
            words = words[:-1]  # "Northwind's Q3" is about Northwind
            words[-1] = re.sub(r"['’]s$", "", words[-1])
            name = " ".join(words)
        if len(words) == 1 and start == _sentence_start(text, start) and vocabulary \
                and not vocabulary.is_name(words[0]) and not re.search(r"['’]s$", words[0]) \
                and not text[start + len(name):].startswith(",") and not _acts(text[start + len(name):]):
            continue  # a common word that opens the sentence ("Watch also for ...", "Operating profit fell")
        if words and keys.subject(name):
            found.append(_Mention(name, start, start + len(name)))
    for m in ANAPHORS.finditer(text):
        found.append(_Mention(m.group(0), m.start(), m.end(), anaphor=True))
    return sorted(found, key=lambda x: x.start)


# verbs that put a figure on the word before them: "Turnout was 61%", "Sales rose 4%"
_STATES_A_FIGURE = re.compile(rf"(?:{lexicon.BE_VERBS}|{_CHANGE_VERBS}|{lexicon.LEVEL_VERB_FORMS})$")
def _acts(rest: str) -> bool:
    """Whether a sentence's one capitalised opening word is followed by a verb it does ("Acme
    reported revenue of ...", "Velmora employs 1,000 people"): then it is the doer, a name, even
    when the document writes it only there. A verb that states a figure ("Turnout was 61%")
    makes the opening word the measure instead."""
    m = re.match(r"\s+([a-z]{2,20})\s+\S", rest)  # a verb has something after it; "Quarterly results" ends
    if not m or _STATES_A_FIGURE.match(m.group(1)):
        return False
    verb = m.group(1)
    return verb in _IRREGULAR_VERBS or verb.endswith("ed") or (verb.endswith("s") and not verb.endswith("ss"))


_ADJECTIVE_COMPOUND = re.compile(rf"-(?:{lexicon.ADJECTIVE_COMPOUND_ENDS})\b")
_CALENDAR_WORDS = (
    set(dates.MONTHS) | set(dates.WEEKDAYS) | {m[:3] for m in dates.MONTHS} | {"sept", "tues", "thurs"}
)


def _inside_closed_parenthesis(text: str, start: int) -> bool:
    """A name inside '(...)' is an aside: not what a figure after the ')' is about."""
    open_at = text.rfind("(", 0, start)
    return open_at >= 0 and text.find(")", open_at) > start and text.rfind(")", 0, start) < open_at


def _last_subject(sentence: Span, keys: KeyMaker, common: Vocabulary) -> str | None:
    """The last non-metric name of a sentence: who a following bare figure is about."""
    names = [m for m in _mentions(sentence.text, keys, common) if not m.anaphor]
    return split_parenthetical(names[-1].text)[0] if names else None












def _is_list_number(text: str, q: Quantity) -> bool:
    """'1.' or '2)' at the start of a line is numbering, not a figure."""
    return q.start == 0 and bool(re.match(r"\d+[.)]\s", text))




Found = tuple[str, tuple[int, int] | None] | None


def _named_test(text: str, q: Quantity, before: str, after: str, before_all: str) -> Found:
    """A named scale: '89.5 on GPQA Diamond', 'On X, S scores N', 'X assigned S a score of N', 'X lands at N'."""
    m = re.match(rf"\s*(?:points?\s+|(?:performance|scores?|results?|accuracy|marks)\s+)?(?:on|in)\s+(?:the\s+)?"
                 rf"(?:[a-z-]+\s+){{0,2}}(?P<name>{_NAME.pattern})", text[q.end:])
    if m and not _is_calendar(m.group("name")) and not re.search(r"\b(?:the\s+)?[a-z]+\s+of\s+$",
                                                                 text[q.end:q.end + m.start("name")]):
        begin = q.end + m.start("name")
        return m.group("name"), (begin, begin + len(m.group("name")))
    m = re.match(rf"\s*(?:On|In|For)\s+(?:the\s+)?(?:[a-z-]+\s+){{0,3}}(?P<name>{_NAME.pattern}),", text)
    if m and m.end() <= q.start and not _is_calendar(m.group("name")) \
            and not CLAUSE_BREAK.search(text, m.end(), q.start):
        return m.group("name"), (m.start("name"), m.end("name"))
    m = re.search(rf"(?P<name>{_NAME.pattern})\s+(?:{lexicon.SCORE_GIVING_VERBS})\s+.{{1,60}}?(?:score|rating)"
                  r"\s+of\s*$", before_all)
    if m:
        return m.group("name"), (m.start("name"), m.end("name"))
    m = re.search(rf"(?P<name>{_NAME.pattern})(?:,[^,]{{1,60}},)?\s+{_POSITION_VERBS}\s+{_QUALIFIER}$", before_all)
    if m and not _is_calendar(m.group("name")) and _is_metric_like(m.group("name"), text):
        return m.group("name"), (m.start("name"), m.end("name"))
    return None




_QUALIFIER_WORDS = lexicon.QUALIFIER_WORDS
def _noun_like(word: str, determined: bool) -> bool:
    """A word that can head a noun phrase: no function word or known verb form; a word in -s only
    after a determiner ('its sales', not 'employs')."""
    if word in _STOP_PHRASE or word in _DETERMINERS_AND_VERBS or word in _IRREGULAR_VERBS or word in FUNCTION_WORDS \
            or word in _QUALIFIER_WORDS:
        return False
    if word.endswith(("ed", "ing")) or re.fullmatch(_SCORE_VERBS, word) or re.fullmatch(_CHANGE_VERBS, word):
        return False
    return determined or not word.endswith("s")


def _qualified(measure: str, after: str) -> str:
    m = re.match(r"\s*(?P<noun>[a-z]{3,20})\b", after)
    if not m or not _noun_like(m.group("noun"), True) or m.group("noun") in UNITS:
        return measure
    noun = m.group("noun")
    if stem(noun) in _TITLE_STEMS.get():
        return measure  # the event the document is about: "a category 4 hurricane" in a hurricane report
    return f"{noun.rstrip('s') if noun.endswith('s') and len(noun) > 4 else noun} {measure}"


_TITLE_STEMS: ContextVar[frozenset[str]] = ContextVar("title_stems", default=frozenset())


_PER_UNIT = re.compile(r"\s*(?:a|an|per)\s+(?:[a-z]{3,15}ed\s+)?(?P<noun>[a-z]{3,15})\b")


def _per_unit(text: str, q: Quantity, before: str, after: str, before_all: str) -> Found:
    """'$1.52 per diluted share', '€40 a night', '$3.10 per gallon': money per something is an
    amount per that thing, whatever the sentence calls it."""
    m = _PER_UNIT.match(after)
    if q.dimension == "money" and m and m.group("noun") not in _STOP_PHRASE:
        return f"amount per {m.group('noun')}", None
    return None








def _change_by(text: str, q: Quantity, before: str, after: str, before_all: str) -> Found:
    """'cut the cost of shipping by 15%': the change in what was reduced or raised."""
    m = re.search(
        rf"\b(?P<verb>{_REDUCE_VERBS}|{_RAISE_VERBS})\s+(?:the\s+)?(?:{_HOW_MUCH_OF}\s+of\s+)?"
        rf"(?P<np>[a-z][\w-]*(?:\s+[a-z][\w-]*){{0,2}}?)\s+by\s+{_QUALIFIER}$",
        before,
    )
    if not m or q.dimension not in ("percent", "points"):
        return None
    direction = "reduction" if re.fullmatch(_REDUCE_VERBS, m.group("verb")) else "increase"
    phrase = _clean_phrase(m.group("np"))
    return (f"{phrase} {direction}", None) if phrase else None










def _share_of(text: str, q: Quantity, before: str, after: str, before_all: str) -> Found:
    """'52.4% of the vote', 'half of the patients': a share of what the phrase after it names."""
    if q.dimension != "percent":
        return None
    m = re.match(r"\s+of\s+(?:the\s+|its\s+|their\s+|all\s+)?(?P<np>[a-z][\w-]{0,30}(?:\s+[a-z][\w-]{0,30}){0,2})",
                 after)
    if not m:
        return None
    phrase = _clean_phrase(_until_function_word(m.group("np")))
    return (f"share of {phrase}", None) if phrase else None




def _until_function_word(phrase: str) -> str:
    words: list[str] = []
    for w in phrase.split():
        if w in _STOP_PHRASE or w in {"the", "a", "an"}:
            break
        words.append(w)
    return " ".join(words)




def _is_calendar(name: str) -> bool:
    """Weekdays, months, dates and periods name a time, never a measured thing."""
    first = re.sub(r"['’]s$", "", name.lower().split()[0]).rstrip(".")
    return bool(dates.periods(name) or dates.point_dates(name) or first in _CALENDAR_WORDS)






def _is_metric_like(name: str, text: str) -> bool:
    """A name that reads as a scale rather than a speaker: nothing says it said or reported anything."""
    return not re.search(rf"\b{re.escape(name)}\s+(?:said|says|reported)", text)


def _clean_phrase(phrase: str) -> str:
    """Trim a noun phrase to its head: no function words, possessors, verbs or period words.

    "posted second-half sales" -> "sales"; "The river's peak level" -> "level";
    "Revenue for the quarter" -> "Revenue"; "the number of dead" -> "dead".
    """
    words = phrase.split()
    cut = max((i for i, w in enumerate(words) if w.lower() in _STOP_PHRASE - _PREPOSITIONS), default=-1)
    words = _head(words[cut + 1:])
    while words and (words[0].lower() in _DETERMINERS_AND_VERBS or re.search(r"['’]s$", words[0])):
        words = words[1:]
    words = [w for w in words if not dates.periods(w) and w.lower() not in _PERIOD_ADJECTIVES]
    if not words or any(re.fullmatch(_SCORE_VERBS, w.lower()) for w in words):
        return ""
    if not all(re.fullmatch(r"[A-Za-z][\w’'-]*", w) for w in words):
        return ""  # digits or symbols are not a measured thing
    return " ".join(words)


_PREPOSITIONS = lexicon.QUALIFIER_PREPOSITIONS
_COUNTING_NOUNS = lexicon.COUNTING_NOUNS
def _head(words: list[str]) -> list[str]:
    """A noun phrase without the qualifiers that do not change what is measured.

    'Revenue for the quarter' and 'revenue at Acme' are revenue; 'the death toll from
    Monday's earthquake' is the death toll; 'the number of dead' is the dead. 'Sales at the
    cloud unit' stays as it is: a unit's sales are not the company's. A phrase that starts
    with a preposition keeps what follows its last one.
    """
    at = next((i for i, w in enumerate(words) if w.lower() in _PREPOSITIONS), None)
    if at is None:
        return words
    if at == 0:
        last = max(i for i, w in enumerate(words) if w.lower() in _PREPOSITIONS)
        return words[last + 1:]
    head, qualifier = words[:at], words[at + 1:]
    if head[-1].lower() in _COUNTING_NOUNS and words[at].lower() == "of":
        end = next((i for i, w in enumerate(qualifier) if w.lower() in _PREPOSITIONS), len(qualifier))
        return qualifier[:end] or head
    # a time ("for the quarter"), a name ("at Acme") or an origin ("from the quake") says when, whose or
    # why, not what; a scope ("at the cloud unit", "in the north") changes what is measured
    if words[at].lower() in ("from", "since", "during") or any(
            w[:1].isupper() or _TIME_WORD.fullmatch(w.lower().strip(".,")) for w in qualifier):
        return head
    return words


_TIME_WORD = re.compile(lexicon.TIME_NOUNS)
@dataclass(frozen=True)
class _Source:
    """Who a sentence says asserts its figures, where, and whether they are only the source."""

    who: str
    start: int
    end: int
    only_source: bool


def _asserted_by(text: str) -> _Source | None:
    """Who the sentence says asserts its figures ('according to X', 'X told Y', 'X reported')."""
    for pattern, only_source in _ASSERTERS:
        m = pattern.search(text)
        if m:
            who = m.group("who").strip()
            if who and who.lower() not in lexicon.SOURCE_PRONOUNS:
                return _Source(who, m.start("who"), m.start("who") + len(who), only_source)
    return None


def _window(text: str, q: Quantity, figures: list[Quantity]) -> tuple[str, str]:
    """The text around one figure, cut at its neighbouring figures: (before it, after it)."""
    begin = max((f.end for f in figures if f.end <= q.start), default=0)
    end = min((f.start for f in figures if f.start >= q.end), default=len(text))
    return text[begin:q.start], text[q.end:end]


def _conditions(sentence: str, q: Quantity, attribute: str, figures: list[Quantity],
                dated_here: Callable[[int, int], bool] = _always) -> list[str]:
    """Modes, settings, periods and dates stated around a figure, not around its neighbours.

    `dated_here(start, end)` says whether a date at those characters is the figure's own (the
    parser: "priced at £1,499 and goes on sale on May 1" dates the sale, not the price)."""
    before, after = _window(sentence, q, figures)
    around = before + " " + after
    begin, end = q.start - len(before), q.end + len(after)
    found = [m.group(0) for m in _MODE_WORDS.finditer(around)]
    found += [m.strip() for m in re.findall(r"\(([^()]*)\)", after)
              if m.strip() and not parse_quantities(m) and m not in attribute]
    found += [m.group(0) for m in _DATED.finditer(sentence, begin, end) if dated_here(m.start(), m.end())]
    found += [m.group(0) for m in _READ_AT.finditer(sentence)]
    if _FORECAST.search(before):
        found.append("forecast")
    found += [p for p in dates.periods(around) if not any(p in f.lower() for f in found)]
    unique: list[str] = []
    for c in found:
        if c not in unique:
            unique.append(c)
    return unique


def find_tables(text: str) -> tuple[set[int], list[list[list[Span]]]]:
    """Pipe tables, one-line rows or one cell a line: (paragraph starts used, tables as rows of cells)."""
    used: set[int] = set()
    tables: list[list[list[Span]]] = []
    rows: list[list[Span]] = []
    previous_end = 0
    for para in paragraphs(text):
        line = para.text
        if rows and "\n\n" in text[previous_end:para.start].replace(" ", "").replace("\t", ""):
            tables.append(rows)  # a blank line ends a table
            rows = []
        previous_end = para.end
        if line.startswith("|"):
            used.add(para.start)
            if re.fullmatch(r"[|\s:\-]+", line):
                if len(rows) > 1:  # a separator under a row: that row heads a new table
                    tables.append(rows[:-1])
                    rows = rows[-1:]
                continue
            rows.append(_cells(para))
        elif line.endswith("|") and rows:
            used.add(para.start)
            rows[-1].extend(_cells(para))
        else:
            if rows:
                tables.append(rows)
            rows = []
    if rows:
        tables.append(rows)
    return used, tables


def _cells(para: Span) -> list[Span]:
    cells = []
    for m in re.finditer(r"[^|]+", para.text):
        raw = m.group(0)
        if raw.strip():
            cells.append(Span(raw.strip(), para.start + m.start() + raw.index(raw.strip())))
    return cells


class _Unique:
    """One claim per subject, attribute, value and conditions in a document, kept as found,
    so a long repetitive document does not hold every repetition in memory."""

    def __init__(self, keys: KeyMaker) -> None:
        self.keys = keys
        self.claims: list[CandidateClaim] = []
        self._seen: set[tuple[str, str, str, tuple[str, ...]]] = set()

    def extend(self, claims: list[CandidateClaim]) -> None:
        for c in claims:
            key = (*self.keys.pair(c.claim.subject, c.claim.attribute), c.claim.value, tuple(c.claim.conditions))
            if key not in self._seen:
                self._seen.add(key)
                self.claims.append(c)


# --- reading off the parse ------------------------------------------------------------------------

def _parsed_attribute(text: str, q: Quantity, figures: list[Quantity], reading: parse.Reading | None) -> str:
    """What a figure measures, from the parse: a share's whole, a price per unit, a count and what
    happened to it, a change's direction, else the figure's governing noun phrase."""
    before, after = _window(text, q, figures)
    for finder in (_per_unit, _share_of, _change_by):
        found = finder(text, q, before, after, text[:q.start])
        if found is not None:
            return found[0]
    if q.dimension == "rank":  # "48th place" is a rank; "12th in the teaching table" the table's rank
        ranked = reading.measure if reading is not None else None
        if ranked is None or ranked.head.lemma_.lower() in lexicon.RANK_NOUNS:
            return "rank"
        return f"{_clean_phrase(ranked.text) or ranked.text} rank"
    if reading is None:
        return ""
    verb = reading.verb
    direction = _direction(reading, q)
    if reading.counted is not None:
        counted = reading.counted.text
        counted_head = reading.counted.head  # "3,000 residents were evacuated", not "a ban for 1.4 million customers"
        acted_on = verb is not None and counted_head.head.i == verb.i and counted_head.dep_ in parse.ACTED_ON
        if verb is not None and verb.tag_ in ("VBN", "VBD") and acted_on \
                and verb.lemma_ not in ("be", "have") and not (reading.measure and parse.states_a_level(verb)):
            done = f"{counted} {verb.text}"  # "killed 140 people", "3,000 residents were evacuated"
            return f"{done} {thing}" if (thing := _what_they_did(verb, counted_head)) else done
        if verb is not None and acted_on and verb.lemma_ not in ("be", "have") and reading.measure is None \
                and (thing := _what_they_did(verb, counted_head)):
            return f"{counted} {verb.text} {thing}"  # "900 workers will lose their jobs", in any tense
        if reading.measure is None:
            return _clean_phrase(counted) or counted
    if reading.measure is None and direction and (reading.owner is not None or reading.refers):
        return direction  # "Brightwater Foods fell 7%": the name's own change
    if reading.measure is None and q.unit and (stuff := _stuff_of(text[q.end:])):
        # "harvested 4.9 million tonnes of wheat", "pumped 1,500 litres of water": the amount is of the stuff
        acted = verb is not None and verb.lemma_ not in ("be", "have") and verb.idx < q.start
        return f"{stuff} {verb.text}" if acted and verb is not None else stuff
    if reading.measure is None:
        attached = reading.relation.startswith("prep:") or (reading.relation == "dobj" and q.unit != "")
        if verb is not None and (reading.owner is not None or reading.refers) and verb.lemma_ not in ("be", "have") \
                and attached:
            thing = _thing_the_verb_tells_of(reading)  # "the new bridge cost $3 million": "bridge cost"
            return f"{thing} {verb.text}" if thing else verb.text  # "the City 3 is priced at £1,499"
        thing = _thing_the_verb_tells_of(reading)
        if thing and attached and q.unit and verb is not None and verb.lemma_ not in ("be", "have"):
            return f"{thing} {verb.text}"  # "a standard weekend pass cost 249 euros": "weekend pass cost"
        return lexicon.DIMENSION_MEASURES.get(q.dimension, "")  # "It was 17 degrees Celsius": a temperature
    measure = _clean_phrase(reading.measure.text) or reading.measure.text
    change = _change_noun(reading.measure)
    if change and q.dimension in ("percent", "points"):
        return change  # "a gain of 2.1%", "a 22% reduction": a change, named by its direction
    if reading.qualifier is not None:
        measure = _qualified(measure, " " + reading.qualifier.text)
    return f"{measure} {direction}" if direction else measure


def _what_they_did(verb: Token, counted: Token) -> str:
    """The object of what a counted subject did, a noun: "400 runners received treatment",
    "1,150 workers lost their jobs"; without it "received" and "lost" say too little to tell
    one count from another."""
    if counted.dep_ != "nsubj":
        return ""
    return next((t.text.lower() for t in verb.children if t.dep_ == "dobj" and t.pos_ == "NOUN"), "")


def _thing_the_verb_tells_of(reading: parse.Reading) -> str:
    """The common noun a figure's verb tells of, with its compound words: the clause's subject
    ("a standard weekend pass cost 249 euros": "weekend pass") or the noun the verb describes
    ("passes sold at €219": "passes"); '' for a name, a pronoun or no noun (the owner's case)."""
    verb = reading.verb
    noun = reading.clause_subject
    if noun is None and verb is not None and verb.dep_ == "acl":
        noun = verb.head
    if noun is None or noun.pos_ != "NOUN":
        return ""
    words = [t.text for t in noun.lefts if t.dep_ == "compound" and t.pos_ == "NOUN" and t.is_alpha]
    return " ".join([*words, noun.text]).lower()


_OF_STUFF = re.compile(rf"^\s+of\s+(?:(?:{'|'.join(sorted(lexicon.DETERMINERS, key=len, reverse=True))})\s+)?"
                       r"(?P<words>[A-Za-z][A-Za-z-]*(?:\s+[A-Za-z][A-Za-z-]*){0,2})")


def _stuff_of(after: str) -> str:
    """What an amount with a unit is of, as its noun phrase ("tonnes of winter wheat": "winter
    wheat", "litres of drinking water were pumped": "drinking water"), or ''. The phrase ends at a
    function word, and a participle after the noun ("wheat harvested") is the verb's, not the stuff's."""
    m = _OF_STUFF.match(after)
    if m is None:
        return ""
    words: list[str] = []
    for word in m.group("words").split():
        if word.lower() in lexicon.FUNCTION_WORDS:
            break
        words.append(word.lower())
    while len(words) > 1 and words[-1].endswith(("ed", "ing")):
        words.pop()
    return " ".join(words)


def _change_noun(measure: parse.Phrase) -> str:
    """A measure whose head names a change: 'rise' or 'fall' with the words before it ('price growth'
    is 'price rise'), else ''."""
    lemma = measure.head.lemma_.lower()
    if lemma not in lexicon.RISE_NOUNS and lemma not in lexicon.FALL_NOUNS:
        return ""
    words = [t.text for t in measure.head.lefts if t.dep_ == "compound" and t.pos_ == "NOUN" and t.is_alpha]
    return " ".join([*words, "rise" if lemma in lexicon.RISE_NOUNS else "fall"])


def _dated_here(tree: Doc, q: Quantity) -> Callable[[int, int], bool]:
    """Whether a date at given characters belongs to the figure's clause, by the parse: it hangs
    from the figure's verb or from a verb above it ("said on Tuesday" dates what was said)."""
    verb = parse.verb_of(tree, q.start, q.end)

    def here(start: int, end: int) -> bool:
        dated_verb = parse.verb_of(tree, start, end)
        return verb is None or dated_verb is None or dated_verb.i == verb.i or dated_verb in verb.ancestors

    return here


PARSE_AHEAD = 48  # pieces of a paragraph parsed in one batch; the bounds are asked before each is read


def _batches(spans: Iterator[Span]) -> Iterator[list[Span]]:
    """The pieces of a paragraph, PARSE_AHEAD at a time."""
    batch: list[Span] = []
    for span in spans:
        batch.append(span)
        if len(batch) == PARSE_AHEAD:
            yield batch
            batch = []
    if batch:
        yield batch


def _quote(tree: Doc, sentence: Span, q: Quantity, figures: list[Quantity]) -> Span:
    """The tight quote of one figure: its clause, cut before a neighbouring figure's apposition and
    where a coordinated clause starts."""
    clause = clause_at(sentence, sentence.start + q.start)
    clause = _own_stretch(clause, sentence.start + q.start, sentence.start + q.end, figures, sentence.start)
    cut = parse.clause_end(tree, q.start, q.end)
    if cut is not None and clause.start < sentence.start + cut < clause.end:
        clause = Span(clause.text[:sentence.start + cut - clause.start].rstrip(" ,"), clause.start)
    return clause


def _own_stretch(clause: Span, start: int, end: int, figures: list[Quantity], offset: int) -> Span:
    """The clause cut at a comma that stands between the figure and a neighbouring figure:
    "$52 per share, a premium of 28%" quotes each figure without the other, so that two documents
    agreeing on one figure are not read as agreeing on its neighbour."""
    begin, stop = clause.start, clause.end
    for f in figures:
        f_start, f_end = offset + f.start, offset + f.end
        if f_start >= end and f_end <= stop:
            comma = clause.text.find(", ", end - clause.start, f_start - clause.start)
            stop = clause.start + comma if comma >= 0 else stop
        elif f_end <= start and f_start >= begin:
            comma = clause.text.rfind(", ", f_end - clause.start, start - clause.start)
            begin = clause.start + comma + 2 if comma >= 0 else begin
    return Span(clause.text[begin - clause.start:stop - clause.start], begin)


def _starting_point(tree: Doc, q: Quantity) -> bool:
    """'narrowed to $45 million from $80 million': the figure a change started from is the earlier
    level, said in passing; the claim is the figure it went to."""
    reading = parse.read_figure(tree, q.start, q.end, bare=False)
    verb = reading.verb if reading is not None else None
    return bool(reading and verb is not None and reading.relation == "prep:from"
                and any(c.dep_ == "prep" and c.lower_ == "to" for c in verb.children))


def _sentence_case(name: parse.Phrase, common: Vocabulary, plural: bool = False) -> bool:
    """One capitalised word opening its sentence that the document never capitalises inside one:
    a capital the sentence gives, not a name. With `plural`, only a plural one ("Reservoirs were
    38% full"): a singular one may be a name the document writes once ("Brindle announced ...")."""
    if plural and not (name.head.tag_ in ("NNS", "NNPS") or re.search(r"[^s']s$", name.text)):
        return False
    return parse.opens_sentence(name.head) and " " not in name.text and not common.named_inside_sentences(name.text)


def _opener_as_measure(reading: parse.Reading | None, common: Vocabulary) -> parse.Reading | None:
    """'Turnout was 61%': one capitalised word opening the sentence, that the document never
    capitalises inside a sentence, is no name: the measure the copula gives a value, or, when the
    figure has its own measure ('Reservoirs were 38% full'), owned by whoever the text is about."""
    if reading is None or reading.owner is None:
        return reading
    owner = reading.owner
    if not _sentence_case(owner, common):
        return reading
    if reading.measure is not None:
        return dataclasses.replace(reading, owner=None) if _sentence_case(owner, common, plural=True) else reading
    stated = reading.relation in ("attr", "acomp", "npadvmod", "prep:to", "prep:at") or (
        reading.relation == "dobj" and reading.verb is not None and parse.states_a_level(reading.verb))
    if not stated or reading.counted is not None:
        return reading  # "Kelder reported 4,100 complaints": a name doing something, not a measure
    return dataclasses.replace(reading, measure=owner, owner=None)


def _direction(reading: parse.Reading, q: Quantity) -> str:
    """'rise' or 'fall' when a percentage is a change: the verb it hangs from ('fell 7%') or the
    comparative it measures ('1.4% higher'); '' for a level."""
    if q.dimension not in ("percent", "points"):
        return ""
    if reading.comparative is not None:
        word = reading.comparative.lower_
        return "rise" if word in lexicon.RISE_WORDS else "fall" if word in lexicon.FALL_WORDS else ""
    verb = reading.verb
    if verb is None or (reading.measure is not None and reading.measure.head.i == verb.i):
        return ""
    if reading.relation not in ("dobj", "npadvmod", "prep:by", "advmod", ""):
        return ""
    lemma = verb.lemma_.lower()
    return "rise" if lemma in lexicon.RISE_WORDS else "fall" if lemma in lexicon.FALL_WORDS else ""


def _parsed_subject(tree: Doc, q: Quantity, reading: parse.Reading | None, blocked: list[tuple[int, int]],
                    main: str, previous: Callable[[], str], common: Vocabulary) -> str:
    """Whose figure it is: the owner the parse gives, else whoever a pronoun stands for, else the
    nearest name of the sentence (not a place, a source or the measure), else the previous subject."""
    if reading is not None and reading.owner is not None \
            and not _overlaps_span(reading.owner, [*blocked, (q.start, q.end)]):
        return _bare_name(reading.owner.text)  # (the figure's own words are never its owner: "degrees Celsius")
    if reading is not None and reading.refers:
        if reading.pronoun in lexicon.PERSONAL_PRONOUNS:
            return previous()  # "He scored 31 goals": whom the sentence before was about
        return main or previous()
    measure = reading.measure if reading is not None else None
    taken = [*blocked, (q.start, q.end)] + ([(measure.start, measure.end)] if measure else [])
    candidates = [p for p in parse.names(tree) if not _overlaps_span(p, taken)
                  and parse.label(p.head) not in parse.PLACE_LABELS and not _sentence_case(p, common, plural=True)]
    opener = parse.root_subject(tree, q.start)
    if opener is not None and measure is not None and measure.start <= opener.idx < measure.end:
        opener = None  # the sentence's subject is the figure's measure ("Turnout was 61%")
    if opener is not None and _sentence_case(parse.name_phrase(opener), common, plural=True):
        opener = None  # "Reservoirs supplying Lanmere were 38% full": a capital the sentence gives
    if opener is not None and (opener.pos_ == "PRON" or parse.is_name(opener) or any(
            c.dep_ == "det" and c.lower_ == "the" for c in opener.children)):
        # the figure hangs from no clause of its own ("The model posts strong results: 89.5 on X"):
        # the sentence's subject, or what it stands for
        if parse.is_name(opener) and not _overlaps_span(parse.name_phrase(opener), blocked):
            return _bare_name(parse.name_phrase(opener).text)
        if not parse.is_name(opener) and (reading is None or reading.clause_subject is None):
            return main or previous()
    before = [p for p in candidates if p.end <= q.start]
    if before:
        return _bare_name(before[-1].text)
    return previous()


def _not_a_scale(tree: Doc, span: tuple[int, int]) -> bool:
    """A name after "on" or "in" that is a place or a time ("in the UK", "on Monday"), or after "in"
    that the parser does not take for an organisation, a product or a work ("34°C in Lanmere"): not
    the scale a figure is a score on."""
    labels = {e.label_ for e in tree.ents if e.start_char < span[1] and span[0] < e.end_char}
    if labels & (parse.PLACE_LABELS | parse.TIME_LABELS):
        return True
    said_in = re.search(r"\bin\s+(?:the\s+)?(?:[a-z-]+\s+){0,2}$", tree.text[:span[0]]) is not None
    return said_in and not labels & {"ORG", "PRODUCT", "WORK_OF_ART", "EVENT", "LAW"}


def _overlaps_span(p: parse.Phrase, spans: list[tuple[int, int]]) -> bool:
    return any(p.start < e and s < p.end for s, e in spans)


def _bare_name(text: str) -> str:
    """A name without its article, possessive ending, brackets or list marks."""
    name, _ = split_parenthetical(text)
    return re.sub(r"^(?:the|The)\s+|['’]s$", "", name.strip().lstrip("•*-–—·> "))
