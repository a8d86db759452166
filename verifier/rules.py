"""The rules backend: numeric claims from sentences and tables, without an LLM.

It is the default when no endpoint is configured, so a user gets a useful report on
any machine. It reads only what it can read reliably (figures, with the subject and
the attribute they are given for), and leaves a claim out when it cannot tell what a
figure is about: a missed claim costs recall, a wrongly attributed one raises a false
alarm for a person to dismiss.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from . import dates
from .keys import KeyMaker, split_parenthetical, squash
from .models import CandidateClaim, Document, ExtractedClaim
from .numbers import Quantity, parse_quantities
from .text import CLAUSE_BREAK, Span, clause_at, is_headline, paragraphs, sentences

# --- names ---------------------------------------------------------------------------------

_CAP = r"(?:[A-Z][\w’'+&.\-]*[\w+]|[A-Z])"
_NAME = re.compile(
    rf"{_CAP}(?:(?:\s+|-)(?:{_CAP}|\d+(?:\.\d+)?(?=\s+[A-Z]|[\s,.;:)]|$)|(?:of|de|&)(?=\s+[A-Z])))*"
)
ANAPHORS = re.compile(
    r"\b(?:it|its|the (?:model|company|firm|group|drug|treatment|therapy|system|product|"
    r"lab|startup|quake|earthquake|storm|study|trial|bank|maker|carrier|insurer|retailer))\b",
    re.IGNORECASE,
)
_METRIC_WORDS = {
    "index", "exam", "benchmark", "benchmarks", "test", "score", "verified", "bench", "eval",
    "diamond", "reasoning", "pro",
}
_SENTENCE_STARTERS = {
    "the", "a", "an", "on", "in", "at", "for", "by", "with", "from", "as", "after", "before",
    "this", "that", "these", "those", "it", "its", "while", "when", "where", "if", "but", "and",
    "however", "notably", "meanwhile", "according", "despite", "although", "since", "until",
    "perhaps", "still", "yet", "also", "here", "there", "what", "why", "how", "who", "which",
    "initial", "recent", "officials", "analysts", "some", "many", "most", "both", "each", "all",
    "one", "two", "three", "our", "their", "his", "her", "we", "they", "he", "she", "rather",
    "instead", "over", "under", "up", "down", "last", "first", "new", "early", "late",
}

# --- attributes ------------------------------------------------------------------------------

_SCORE_VERBS = (
    r"scores?|scored|scoring|posts?|posted|reach(?:es|ed)?|achiev(?:es|ed|ing)|hits?|gets?|got|"
    r"records?|recorded|earns?|earned|registers?|registered|logs?|logged"
)
_LEVEL_VERBS = (
    r"(?:was|is|were|are|stood at|stands at|rose to|climbed to|reached|hit|totall?ed|fell to|"
    r"dropped to|declined to|came in at|comes in at|lands at|landed at|sits at|sat at|grew to|"
    r"increased to|decreased to|jumped to|amounted to|has risen to|had risen to|rises to|"
    r"climbs to|reaches|totals|surged to|slipped to|edged up to|edged down to|is now|now stands at)"
)
_CHANGE_VERBS = r"(?:rose|fell|grew|increased|decreased|declined|jumped|dropped|climbed|surged|slipped|gained|lost)"
_QUALIFIER = r"(?:(?:about|around|nearly|some|an estimated|just|roughly|approximately)\s+)?"
_POSITION_VERBS = r"(?:lands at|landed at|sits at|sat at|comes in at|came in at|stands at|stood at)"
_MEASURE_NOUNS = {
    "magnitude", "depth", "revenue", "revenues", "sales", "profit", "income", "toll", "score",
    "rating", "temperature", "height", "length", "weight", "capacity", "population", "price",
    "cost", "valuation", "margin", "rate", "growth", "earnings", "eps", "dividend", "loss",
    "deficit", "budget", "funding", "turnover", "output", "wind", "speed", "efficacy", "dose",
}
_STOP_PHRASE = {
    "of", "in", "on", "at", "to", "by", "for", "with", "from", "and", "or", "than", "as", "that",
    "which", "who", "while", "its", "their", "his", "her", "was", "is", "were", "are", "has",
    "have", "had", "be", "been", "will", "would", "could", "may", "might", "this", "these",
    "those", "it", "they", "about", "around", "nearly", "almost", "over", "some", "more",
    "less", "up", "down", "just", "only", "roughly", "approximately", "per", "into", "across",
    "through", "after", "before", "during", "since", "despite", "among", "between",
}
_UNIT_NOUN = re.compile(r"\s*(?:-\s*)?(?P<noun>[a-z][a-z-]*(?:\s+[a-z][a-z-]*){0,2})")
_COUNT_VERBS = {
    "deaths": r"\b(?:killed|killing|dead|died|deaths?|death toll|lost their lives|fatalities)\b",
    "injuries": r"\b(?:injured|injuring|wounded|injuries|hurt)\b",
    "participants": r"\b(?:enroll?ed|enrolling|participants?|randomi[sz]ed|recruited)\b",
    "employees": r"\b(?:employs|employed|employees|staff|workforce)\b",
    "evacuees": r"\b(?:evacuated|evacuees)\b",
}
_GENERIC_NOUNS = {"people", "persons", "residents", "individuals", "patients", "others"}
_HEDGES = re.compile(
    r"\b(?:reportedly|reported|reports|unconfirmed|unverified|could not (?:be )?(?:independently )?"
    r"confirm|unable to (?:independently )?confirm|planned|plans? to|expected|expects|estimated|"
    r"estimates?|projected|forecast|rumou?red|allegedly|may|might|could|preliminary|"
    r"according to|is said to|claims?|claimed)\b",
    re.IGNORECASE,
)
_ASSERTERS = [
    re.compile(r"\baccording to (?P<who>(?:an? |the )?[^,.;]{2,60}?)(?=[,.;]|$)", re.IGNORECASE),
    re.compile(
        r"(?P<who>(?:an? |the )?(?:[A-Z][\w’'.&-]*\s?){1,5}|an? [a-z]+(?: [A-Z][\w’'-]*)? (?:executive|"
        r"official|spokes(?:wo)?man|spokesperson|analyst|source|researcher)s?)\s+"
        r"(?:said|says|reported|reports|told|tells|claims|claimed|estimated|estimates|noted|notes|"
        r"announced|announces|stated|confirmed)\b"
    ),
]
_MODE_WORDS = re.compile(
    r"\b(?:no tools|with tools|without tools|zero-shot|few-shot|\d+-shot|pass@\d+|"
    r"[A-Z][a-z]+ mode|[a-z]+ mode)\b"
)
_ROW_DIMENSION_WORDS = {
    "company", "companies", "model", "models", "country", "countries", "name", "team", "drug",
    "group", "arm", "city", "region", "firm", "product", "provider", "vendor", "player", "site",
    "hospital", "state", "province", "district", "bank", "candidate", "party",
}


@dataclass
class _Mention:
    text: str
    start: int
    end: int
    anaphor: bool = False


class RulesExtractor:
    """Extract numeric claims from one document with patterns over sentences and tables."""

    def __init__(self, keys: KeyMaker | None = None) -> None:
        self.keys = keys or KeyMaker()

    def extract(self, doc: Document) -> list[CandidateClaim]:
        """All numeric claims of `doc`, each with its quote's offset as a grounding hint."""
        common = common_words(doc.text)
        main = main_entity(doc, self.keys, common)
        table_lines, tables = find_tables(doc.text)
        found: list[CandidateClaim] = []
        for table in tables:
            found.extend(self._table_claims(doc, table, main))
        for para in paragraphs(doc.text):
            if para.start in table_lines:
                continue
            previous_subject = main
            for sentence in sentences(para):
                claims, last = self._sentence_claims(doc, sentence, main, previous_subject, common)
                found.extend(claims)
                previous_subject = last or previous_subject
        return _dedupe(found, self.keys)

    # --- sentences ---------------------------------------------------------------------------

    def _sentence_claims(
        self, doc: Document, sentence: Span, main: str, previous: str, common: frozenset[str]
    ) -> tuple[list[CandidateClaim], str | None]:
        quantities = [q for q in parse_quantities(sentence.text) if not _is_list_number(sentence.text, q)]
        if not quantities:
            return [], _last_subject(sentence, self.keys, common)
        attributes = [_attribute_for(sentence.text, q) for q in quantities]
        taken = [span for _, span in attributes if span]
        asserted = _asserted_by(sentence.text)
        claims: list[CandidateClaim] = []
        for q, (attribute, _) in zip(quantities, attributes, strict=True):
            if not attribute or not self.keys.attribute(attribute):
                continue
            subject = self._subject_for(sentence.text, q, taken, asserted, main, previous, common)
            if not subject:
                continue
            clause = clause_at(sentence, sentence.start + q.start)
            claims.append(
                CandidateClaim(
                    document=doc.id,
                    hint=clause.start,
                    claim=ExtractedClaim(
                        subject=subject,
                        attribute=attribute,
                        value=q.text,
                        conditions=_conditions(clause.text, attribute, sentence.start + q.start - clause.start),
                        asserted_by=asserted[0] if asserted else "",
                        hedged=bool(_HEDGES.search(sentence.text)),
                        quote=clause.text,
                    ),
                )
            )
        if claims:
            return claims, claims[-1].claim.subject
        return claims, _last_subject(sentence, self.keys, common)

    def _subject_for(
        self, text: str, q: Quantity, taken: list[tuple[int, int]], asserted: tuple[str, int, int] | None,
        main: str, previous: str, common: frozenset[str],
    ) -> str:
        """The nearest name before the figure that is not the attribute or the source."""
        blocked = list(taken)
        if asserted:
            blocked.append((asserted[1], asserted[2]))
        mentions = [m for m in _mentions(text, self.keys, common) if not _overlaps(m, blocked)]
        before = [m for m in mentions if m.end <= q.start]
        after = [m for m in mentions if m.start >= q.end]
        if before:
            chosen = before[-1]
        elif after and after[0].anaphor:
            chosen = after[0]  # "Scoring 80.5% on X, it proves ..."
        else:
            return previous or main
        if chosen.anaphor:
            return main
        name, _ = split_parenthetical(chosen.text)
        return name

    # --- tables --------------------------------------------------------------------------------

    def _table_claims(self, doc: Document, table: list[list[Span]], main: str) -> list[CandidateClaim]:
        header, rows = table[0], table[1:]
        if len(header) < 2 or not rows:
            return []
        corner = header[0].text.lower()
        columns_are_periods = all(dates.periods(h.text) and len(h.text) < 30 for h in header[1:])
        rows_are_subjects = any(w in _ROW_DIMENSION_WORDS for w in re.findall(r"[a-z]+", corner))
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


def common_words(text: str) -> frozenset[str]:
    """Words the document also writes in lower case: capitalised, they only open a sentence."""
    tokens = (t.strip(".,;:!?\"“”‘’'()[]") for t in text.split())
    return frozenset(t for t in tokens if t.isalpha() and t.islower())


def main_entity(doc: Document, keys: KeyMaker, common: frozenset[str] = frozenset()) -> str:
    """The name a document is mostly about: the most frequent name, the title counting extra."""
    counts: Counter[str] = Counter()
    spelled: dict[str, str] = {}
    title_key = squash(doc.title)
    for para in paragraphs(doc.text):
        if is_headline(para.text):
            continue
        for sentence in sentences(para):
            for m in _mentions(sentence.text, keys, common):
                if m.anaphor:
                    continue
                for part in _possessive_parts(m.text):
                    key = keys.subject(part)
                    if not key or _is_metric_name(part):
                        continue
                    counts[key] += 1
                    spelled.setdefault(key, split_parenthetical(part)[0])
    for key in counts:
        if key in title_key:
            counts[key] += 2
    if not counts:
        return ""
    best = max(counts.items(), key=lambda kv: (kv[1], len(kv[0])))[0]
    return spelled[best]


def _possessive_parts(name: str) -> list[str]:
    parts = re.split(r"['’]s\s+", name)
    return [p for p in parts if p] if len(parts) > 1 else [name]


def _is_metric_name(name: str) -> bool:
    return any(w.lower() in _METRIC_WORDS for w in re.findall(r"[A-Za-z]+", name))


def _sentence_start(text: str, start: int) -> int:
    prefix = text[:start]
    return start if not prefix.strip(" -•*\"“'‘") else -1


def _mentions(text: str, keys: KeyMaker, common_words: frozenset[str] = frozenset()) -> list[_Mention]:
    """Names and anaphors in a sentence, sentence-initial common words left out."""
    found = []
    for m in _NAME.finditer(text):
        name, start = m.group(0), m.start()
        if _ADJECTIVE_COMPOUND.search(name) or (dates.periods(name) and len(dates.periods(name)[0]) >= len(name) - 1):
            continue  # "PhD-level" is an adjective, "Q3" a period
        if _inside_closed_parenthesis(text, start):
            continue
        words = name.split()
        while words and words[0].lower().strip("’'") in _SENTENCE_STARTERS:
            start += len(words[0]) + 1
            words = words[1:]
            name = " ".join(words)
        if not words or ((start == 0 or text[:start].rstrip().endswith((".", ":"))) and len(words) == 1 \
                and words[0].lower().endswith("ing")):
            continue
        if len(words) == 1 and words[0].lower() in _CALENDAR_WORDS:
            continue
        if len(words) == 1 and start == _sentence_start(text, start) and words[0].lower() in common_words:
            continue  # an imperative or common word that opens the sentence ("Watch also for ...")
        if words and keys.subject(name):
            found.append(_Mention(name, start, start + len(name)))
    for m in ANAPHORS.finditer(text):
        found.append(_Mention(m.group(0), m.start(), m.end(), anaphor=True))
    return sorted(found, key=lambda x: x.start)


_ADJECTIVE_COMPOUND = re.compile(
    r"-(?:level|based|style|like|class|grade|scale|size|sized|led|backed|owned|focused|related|"
    r"specific|wide|free|era|year-old|old|made|driven|powered|first|only|native|friendly)\b"
)
_CALENDAR_WORDS = set(dates.MONTHS) | set(dates.WEEKDAYS)


def _inside_closed_parenthesis(text: str, start: int) -> bool:
    """A name inside '(...)' is an aside: not what a figure after the ')' is about."""
    open_at = text.rfind("(", 0, start)
    return open_at >= 0 and text.find(")", open_at) > start and text.rfind(")", 0, start) < open_at


def _last_subject(sentence: Span, keys: KeyMaker, common: frozenset[str]) -> str | None:
    """The last non-metric name of a sentence: who a following bare figure is about."""
    names = [m for m in _mentions(sentence.text, keys, common) if not m.anaphor and not _is_metric_name(m.text)]
    return split_parenthetical(names[-1].text)[0] if names else None


def _overlaps(m: _Mention, spans: list[tuple[int, int]]) -> bool:
    return any(m.start < e and s < m.end for s, e in spans)


def _is_list_number(text: str, q: Quantity) -> bool:
    """'1.' or '2)' at the start of a line is numbering, not a figure."""
    return q.start == 0 and bool(re.match(r"\d+[.)]\s", text))


def _attribute_for(text: str, q: Quantity) -> tuple[str, tuple[int, int] | None]:
    """What a figure measures, from the patterns news text uses; ('', None) when unclear."""
    after = text[q.end:]
    before = text[:q.start]
    # "89.5 on GPQA Diamond", "80.5% on the MMMU-Pro benchmark"
    m = re.match(rf"\s*(?:points?\s+)?(?:on|in)\s+(?:the\s+)?(?:[a-z-]+\s+){{0,2}}(?P<name>{_NAME.pattern})", after)
    if m and not _is_calendar(m.group("name")):
        start = q.end + m.start("name")
        return m.group("name"), (start, start + len(m.group("name")))
    # "On the notoriously difficult Humanity's Last Exam, Muse Spark reaches 58%"
    m = re.match(rf"\s*(?:On|In|For)\s+(?:the\s+)?(?:[a-z-]+\s+){{0,3}}(?P<name>{_NAME.pattern}),", text)
    if m and m.end() <= q.start and not _is_calendar(m.group("name")) \
            and not CLAUSE_BREAK.search(text, m.end(), q.start):
        return m.group("name"), (m.start("name"), m.end("name"))
    # "Epoch's index assigned X a score of 154": the giver is the scale
    m = re.search(
        rf"(?P<name>{_NAME.pattern})\s+(?:assigned|gave|awarded|rated)\s+.{{1,60}}?(?:score|rating)\s+of\s*$",
        before,
    )
    if m:
        return m.group("name"), (m.start("name"), m.end("name"))
    # "revenue of $4.2 billion", "a depth of 10 km"
    m = re.search(rf"(?P<np>(?:[a-z][\w-]*\s+){{0,2}}[a-z][\w-]*)\s+of\s+{_QUALIFIER}$", before)
    if m:
        phrase = _clean_phrase(m.group("np"))
        if phrase:
            return phrase, None
    # "ARC AGI 2 lands at 42.5": a named test sitting at a score
    m = re.search(rf"(?P<name>{_NAME.pattern})(?:,[^,]{{1,60}},)?\s+{_POSITION_VERBS}\s+(?:just\s+|about\s+)?$", before)
    if m and not _is_calendar(m.group("name")):
        return m.group("name"), (m.start("name"), m.end("name"))
    # "The death toll rose to 1,200", "Acme's revenue was $4.2 billion"
    m = re.search(rf"(?P<np>(?:[\w’'-]+\s+){{0,3}}[\w’'-]+)\s+{_LEVEL_VERBS}\s+{_QUALIFIER}$", before)
    if m:
        phrase = _clean_phrase(m.group("np"))
        if phrase and not phrase[0].isupper():
            return phrase, None
    # "Meta's stock rose 9%": a change, not a level
    m = re.search(rf"(?P<np>(?:[\w’'-]+\s+){{0,2}}[\w’'-]+)\s+{_CHANGE_VERBS}\s+(?:by\s+)?$", before)
    if m and q.dimension == "percent":
        phrase = _clean_phrase(m.group("np"))
        if phrase and not phrase[0].isupper():
            return f"{phrase} change", None
    # "1,200 people were killed", "3.3B daily active users", "a 7.1-magnitude quake"
    noun = _unit_noun(after)
    if noun:
        return _count_attribute(noun, text), None
    # "magnitude 7.1", "revenue $4.2 billion"
    m = re.search(r"\b(?P<noun>[a-z]{3,})\s+$", before)
    if m and m.group("noun") in _MEASURE_NOUNS:
        return m.group("noun"), None
    return "", None


def _is_calendar(name: str) -> bool:
    """Weekdays, months, dates and periods name a time, never a measured thing."""
    return bool(dates.periods(name) or dates.point_dates(name) or name.lower().split()[0] in _CALENDAR_WORDS)


def _clean_phrase(phrase: str) -> str:
    """Trim a noun phrase to its head words, leaving out function words and possessors."""
    words = phrase.split()
    for i, w in enumerate(words):
        if w.lower() in _STOP_PHRASE:
            words = words[i + 1:] if i + 1 < len(words) else []
    words = [w for w in words if w.lower() not in {"the", "a", "an"}]
    if words and re.search(r"['’]s$", words[0]):
        words = words[1:]
    if not words or any(re.fullmatch(_SCORE_VERBS, w.lower()) for w in words):
        return ""
    if not all(re.fullmatch(r"[A-Za-z][\w’'-]*", w) for w in words):
        return ""  # digits or symbols are not a measured thing
    return " ".join(words)


def _unit_noun(after: str) -> str:
    """The counted noun after a figure: '1,200 people', '58 million output tokens'."""
    hyphenated = re.match(r"-(?P<word>[a-z]+(?:-[a-z]+)*)\b", after)
    if hyphenated:
        return hyphenated.group("word")
    m = _UNIT_NOUN.match(after)
    if not m:
        return ""
    words = []
    for w in m.group("noun").split():
        if w in _STOP_PHRASE or w in {"the", "a", "an"} or w.endswith(("ing", "ed")):
            break
        words.append(w)
    return " ".join(words)


def _count_attribute(noun: str, text: str) -> str:
    """Map generic counted nouns to what was counted, from the verbs around them."""
    head = noun.split()[-1]
    if head in _GENERIC_NOUNS or noun in _GENERIC_NOUNS:
        for attribute, pattern in _COUNT_VERBS.items():
            if re.search(pattern, text, re.IGNORECASE):
                return attribute
    return noun


def _asserted_by(text: str) -> tuple[str, int, int] | None:
    """Who the sentence says asserts its figures ('according to X', 'X told Y')."""
    for pattern in _ASSERTERS:
        m = pattern.search(text)
        if m:
            who = m.group("who").strip()
            if who and who.lower() not in {"it", "he", "she", "they", "the company"}:
                return who, m.start("who"), m.end("who")
    return None


def _window(clause: str, value_at: int) -> tuple[str, str]:
    """The clause around one figure, cut at its neighbouring figures: (before, after)."""
    figures = parse_quantities(clause)
    begin = max((q.end for q in figures if q.end <= value_at), default=0)
    end = min((q.start for q in figures if q.start > value_at), default=len(clause))
    return clause[begin:value_at], clause[value_at:end]


def _conditions(clause: str, attribute: str, value_at: int) -> list[str]:
    """Modes, settings, periods and dates stated around a figure, not around its neighbours."""
    before, after = _window(clause, value_at)
    around = before + after
    found = [m.group(0) for m in _MODE_WORDS.finditer(around)]
    found += [m.strip() for m in re.findall(r"\(([^()]*)\)", after)
              if m.strip() and not parse_quantities(m) and m not in attribute]
    found += [m.group(0) for m in re.finditer(r"\b(?:as of|by|on|since)\s+[^,;.]{2,30}", around)
              if dates.point_dates(m.group(0)) or dates.periods(m.group(0))]
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
    for para in paragraphs(text):
        line = para.text
        if line.startswith("|"):
            used.add(para.start)
            if re.fullmatch(r"[|\s:\-]+", line):
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


def _dedupe(claims: list[CandidateClaim], keys: KeyMaker) -> list[CandidateClaim]:
    """One claim per subject, attribute, value and conditions in a document."""
    seen: set[tuple[str, str, str, tuple[str, ...]]] = set()
    unique = []
    for c in claims:
        key = (*keys.pair(c.claim.subject, c.claim.attribute), c.claim.value, tuple(c.claim.conditions))
        if key not in seen:
            seen.add(key)
            unique.append(c)
    return unique
