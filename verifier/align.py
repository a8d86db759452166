"""Alignment: claims into batch-level entities and, within each entity, questions.

Two documents contradict each other only if their claims meet, and claims about one
thing are written many ways: "MuseSpark" and "Meta's Muse Spark model", "strike length"
and "how long the walkout lasted". This stage decides which claims are about the same
entity and answer the same question, so that comparison looks at the right pairs and
only those. Data flows one way: grounded claims in, an `Alignment` out.

- **Entities.** Code folds what it can (case, punctuation, possessives, leading and
  trailing descriptors, a subject that contains another's name, surnames, acronyms, the
  aliases file). With an LLM, one call per batch (split above `ENTITY_CALL_LIMIT`
  subject strings) proposes groups; code checks the answer and keeps what holds.
- **Questions.** Claims with one attribute key always share a question. Beyond that, code
  blocks with bounded neighbours (shared rare words and embedding buckets, at most
  `NEIGHBOURS` per claim) and merges by average linkage above measured thresholds, never
  across incompatible kinds of value (a count is not a duration). With an LLM, one call
  per entity with claims from two or more documents (small entities share a call, a large
  one is split above `QUESTION_CALL_LIMIT` claims) assigns claims to questions; code checks
  the answer.

Claims arrive placed in time (`framing`): the question call shows each claim's stated time.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import heapq
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from . import lexicon
from .embed import Embedder, EmbeddingsUnavailable, Vectors
from .features import FUNCTION_WORDS, ValueKind, content_stems, name_stems, stem, value_kind, words
from .keys import KeyMaker, fold, split_parenthetical, squash
from .models import (
    Entity,
    EntityClaims,
    EntityGrouping,
    EntityKind,
    GroundedClaim,
    Question,
    QuestionAssignment,
    SubjectGroup,
)
from .pairing import pair_figures

ENTITY_CALL_LIMIT = 150
QUESTION_CALL_LIMIT = 60
NEIGHBOURS = 8
MAX_QUESTION_NODES = 40
# Thresholds of the offline merge, measured on tests/fixtures/align/attribute_pairs.jsonl
# (436 labelled pairs from 22 kinds of news; `bench/align_pairs.py` prints the curve).
# Figures merge only when they measure one named thing or the same words name the measure
# (`_same_measure`: precision 0.5, recall 0.013 on the 208 figure pairs, as the script prints:
# static embeddings cannot tell "homes damaged" from "homes destroyed", and a wrong merge of two
# figures is a false alarm). Text merges more readily, since the judge reads every claim of a
# question and says which pairs disagree: at 0.35, precision 0.544 and recall 0.209 on the pairs.
# The curve is not monotonic (at 0.2: 0.72 and 0.52), because the pairs' hardest negatives contain one
# another ("affected models" / "number of models affected"); 0.35 is where no labelled
# different-question pair of tests/fixtures/align/batches/ meets, which the tests keep.
NUMERIC_THRESHOLD = 0.5
TEXT_THRESHOLD = 0.35


# Each LLM call of alignment answers a checked value, or the one line saying why it failed (None: no reason).
EntityGrouper = Callable[[list[SubjectGroup]], EntityGrouping | str | None]
QuestionGrouper = Callable[[list[EntityClaims]], QuestionAssignment | str | None]


@dataclass
class Grouper:
    """What an LLM offers alignment: the two structured calls (`llm.Calls` makes them)."""

    entities: EntityGrouper
    questions: QuestionGrouper


@dataclass
class Alignment:
    """Entities and questions of a batch, and the claims with their times."""

    claims: list[GroundedClaim]
    entities: list[Entity]
    questions: list[Question]
    entity_of: dict[str, str] = field(default_factory=dict)
    question_of: dict[str, str] = field(default_factory=dict)
    aligner: str = "code"
    notes: list[str] = field(default_factory=list)  # what fell back to code, for the user
    failures: list[str] = field(default_factory=list)  # LLM calls that failed, one line each
    safety_net: int = 0  # figures the safety net joined that the grouping had put apart
    paired: int = 0  # figures of two documents that code's pairing put in one question (offline)

    def question(self, question_id: str) -> Question:
        return self._questions[question_id]

    def __post_init__(self) -> None:
        self._questions = {q.id: q for q in self.questions}


def align(
    claims: list[GroundedClaim], keys: KeyMaker, *,
    embedder: Embedder | None = None, grouper: Grouper | None = None, concurrency: int = 1, judged: bool = False,
    words: Mapping[str, frozenset[str]] | None = None,
) -> Alignment:
    """Entities and questions for one batch's claims, already placed in time (both backends come
    through here). When a judge will read the questions (`judged`), a safety net joins figures of
    one measure under related entities that the grouping put apart: the judge then decides. Without
    an LLM grouping, figures of two documents are paired across entities (`pairing`); `words`, each
    document's words (`pairing.vocabulary`), tell it whom a document names."""
    notes: list[str] = []
    failures: list[str] = []
    examples = {c.subject: f"{c.attribute}: {c.value}" for c in reversed(claims)}
    entity_of_subject, entities = resolve_entities([c.subject for c in claims], keys,
                                                   grouper.entities if grouper else None, notes, examples, failures)
    entity_by_id = {e.id: e for e in entities}
    family_of = _families(entities)
    entity_of = {c.id: entity_of_subject[c.subject] for c in claims}
    by_family: dict[str, list[GroundedClaim]] = defaultdict(list)
    for c in claims:
        by_family[family_of[entity_of[c.id]]].append(c)
    blocker = QuestionBlocker(keys, embedder)
    if embedder is not None and claims:
        with contextlib.suppress(EmbeddingsUnavailable):  # one request for the batch's attributes, not per entity
            embedder.embed(list(dict.fromkeys(" ".join(c.attribute.split()) for c in claims)))
    multi = [root for root, group in by_family.items() if len({c.document for c in group}) > 1]
    asked = set(multi) if grouper is not None else set()

    computed: dict[str, list[list[GroundedClaim]]] = {}

    def by_code(root: str) -> list[list[GroundedClaim]]:
        if root not in computed:  # once per family, however many of its calls fail
            computed[root] = _family_questions(blocker, by_family[root], entity_of, entity_by_id)
        return computed[root]

    # code's questions for what the LLM is not asked about (single-document families), and as the
    # fallback of a failed call, worked out only then
    grouped: list[tuple[str | None, list[GroundedClaim]]] = [
        (None, g) for root in by_family if root not in asked for g in by_code(root)]
    if grouper is not None:
        offered = []
        unordered: set[int] = set()  # the EntityClaims whose claims are put in neighbour order only when sent
        for root in multi:
            members = [(eid, [c for c in by_family[root] if entity_of[c.id] == eid])
                       for eid in sorted({entity_of[c.id] for c in by_family[root]}, key=lambda e: (e != root, e))]
            family: list[EntityClaims] = []
            for eid, claims_of in members:
                if len(by_family[root]) > QUESTION_CALL_LIMIT:  # split where the order's links are weakest: now
                    ordered, links = blocker.neighbour_order(claims_of)
                    family.append(EntityClaims(entity_by_id[eid], tuple(ordered), tuple(links)))
                else:
                    family.append(EntityClaims(entity_by_id[eid], tuple(claims_of)))
                    unordered.add(id(family[-1]))
            offered.append(family)

        def in_order(e: EntityClaims) -> EntityClaims:
            if id(e) not in unordered:
                return e
            ordered, links = blocker.neighbour_order(list(e.claims))
            return EntityClaims(e.entity, tuple(ordered), tuple(links))

        grouped += _llm_questions(offered, grouper.questions, keys, by_code, notes, failures, concurrency, in_order)
    joins = paired = 0
    if grouper is None:
        grouped, paired = pair_figures(grouped, embedder, words)
    if judged:
        grouped, joins = _safety_net(grouped, entity_of, entity_by_id, family_of)
    questions = sorted((_question(entity_by_id[_owner_of(group, entity_of, family_of)], group, text)
                        for text, group in grouped), key=lambda q: (entity_by_id[q.entity].name.lower(), q.id))
    question_of = {cid: q.id for q in questions for cid in q.claims}
    return Alignment(
        claims=claims, entities=entities, questions=questions, entity_of=entity_of, question_of=question_of,
        aligner="llm" if grouper is not None else "code", notes=notes, failures=failures, safety_net=joins,
        paired=paired,
    )


def _families(entities: list[Entity]) -> dict[str, str]:
    """Each entity's family: the entity at the top of its `part_of` links (an owner and its parts,
    aspects, events and products), whose questions are formed together."""
    union = _Union()
    for e in entities:
        union.find(e.id)
        if e.part_of:
            union.union(e.part_of, e.id)
    owned = {e.id for e in entities if e.part_of}
    top: dict[str, str] = {}
    for e in sorted(entities, key=lambda e: (e.id in owned, e.id)):
        top.setdefault(union.find(e.id), e.id)  # an entity that is part of nothing names the family
    return {e.id: top[union.find(e.id)] for e in entities}


def _owner_of(group: list[GroundedClaim], entity_of: dict[str, str], family_of: dict[str, str]) -> str:
    """The entity a question belongs to: its claims' entity, or their family's head when they span two."""
    found = {entity_of[c.id] for c in group}
    return found.pop() if len(found) == 1 else family_of[entity_of[group[0].id]]


def _family_questions(blocker: QuestionBlocker, claims: list[GroundedClaim], entity_of: dict[str, str],
                      entity_by_id: dict[str, Entity]) -> list[list[GroundedClaim]]:
    """Code's questions over a family's claims. An aspect or event of the owner (its shares, its
    strike ballot, its cost) is read as the owner: "members voting yes" in the ballot meets the
    union's "members voting yes". A unit of it (its freight arm, a division) has figures of its own:
    they are read with the unit's name in front ("freight arm revenue"), so the owner's revenue
    stays apart."""
    parts = {eid: _descriptor(entity_by_id[eid], entity_by_id) for eid in {entity_of[c.id] for c in claims}}
    proxies = {c.id: c for c in claims}
    read = [c.model_copy(update={"attribute": f"{parts[entity_of[c.id]]} {c.attribute}".strip()}) for c in claims]
    return [[proxies[c.id] for c in group] for group in blocker.questions(read)]


def _descriptor(entity: Entity, entity_by_id: dict[str, Entity]) -> str:
    """The common nouns that name a unit of an organisation beside its owner's name ('freight arm' of
    "Kestrel's freight arm"); nothing for an aspect or event of the owner, and never its names or
    figures (they would make two measures look like one named thing)."""
    owner = entity_by_id.get(entity.part_of or "")
    if owner is None:
        return ""
    known = {squash(t) for name in owner.aliases for t in _tokens(name)}
    name = min(entity.aliases, key=len)
    nouns = [t for t in _tokens(name) if squash(t) not in known and fold(t) not in FUNCTION_WORDS
             and t.isalpha() and t.islower()]
    return " ".join(nouns) if set(map(fold, nouns)) & _PART_NOUNS else ""


SAFETY_NET_LIMIT = 64  # claims in one bucket of the safety net; beyond it a measure is too common to mean one thing


def _safety_net(grouped: list[tuple[str | None, list[GroundedClaim]]], entity_of: dict[str, str],
                entity_by_id: dict[str, Entity], family_of: dict[str, str],
                ) -> tuple[list[tuple[str | None, list[GroundedClaim]]], int]:
    """Figures from different documents with the same measure words and kind of value, under
    entities of one family or sharing a word of their name, share a question even when the grouping
    put them apart (the judge then decides); returns the questions and how many joins it made."""
    union = _Union()
    buckets: dict[tuple[frozenset[str], str, str], list[tuple[int, GroundedClaim]]] = defaultdict(list)
    for n, (_, group) in enumerate(grouped):
        union.find(str(n))
        for c in group:
            if c.number is None:
                continue
            measure = content_stems(c.attribute) - _MEASURE_HEADS
            kind = value_kind(c.value, words=c.number is not None)
            if measure:
                buckets[(measure, kind.kind, kind.unit)].append((n, c))
    joins = 0
    for members in buckets.values():
        if len(members) > SAFETY_NET_LIMIT or len({c.document for _, c in members}) < 2:
            continue
        for (i, a), (j, b) in ((x, y) for k, x in enumerate(members) for y in members[k + 1:]):
            if a.document == b.document or union.find(str(i)) == union.find(str(j)):
                continue
            if _related(entity_of[a.id], entity_of[b.id], entity_by_id, family_of):
                union.union(str(i), str(j))
                joins += 1
    if not joins:
        return grouped, 0
    merged: dict[str, list[tuple[str | None, list[GroundedClaim]]]] = defaultdict(list)
    for n, pair in enumerate(grouped):
        merged[union.find(str(n))].append(pair)
    out = []
    for parts in merged.values():  # the joined question keeps the text of its most documented part
        texts = sorted(((len({c.document for c in g}), t) for t, g in parts if t), key=lambda x: -x[0])
        out.append((texts[0][1] if texts else None, [c for _, g in parts for c in g]))
    return out, joins


def _related(a: str, b: str, entity_by_id: dict[str, Entity], family_of: dict[str, str]) -> bool:
    """One entity, one a part of the other, or names that share a word (of a name, not a function
    word); two parts of one owner (two products of one maker) are not related by that alone."""
    if a == b or entity_by_id[a].part_of == b or entity_by_id[b].part_of == a:
        return True
    words_a = {squash(t) for n in entity_by_id[a].aliases for t in _tokens(n) if fold(t) not in FUNCTION_WORDS}
    words_b = {squash(t) for n in entity_by_id[b].aliases for t in _tokens(n) if fold(t) not in FUNCTION_WORDS}
    return bool(words_a & words_b)


def _question(entity: Entity, claims: list[GroundedClaim], text: str | None = None) -> Question:
    ordered = sorted(claims, key=lambda c: (c.document, c.start, c.id))
    digest = hashlib.sha256((entity.id + "\n" + "\n".join(sorted(c.id for c in ordered))).encode()).hexdigest()[:12]
    return Question(
        id="q" + digest, entity=entity.id, text=text or _question_text(entity, ordered),
        claims=[c.id for c in ordered], documents=len({c.document for c in ordered}),
    )


def _question_text(entity: Entity, claims: list[GroundedClaim]) -> str:
    """Offline, a question is named by its entity and its most common attribute."""
    counts = Counter(" ".join(c.attribute.split()) for c in claims)
    attribute = min(counts, key=lambda a: (-counts[a], len(a), a))
    return f"{entity.name}: {attribute}?"


# --- entities ---------------------------------------------------------------------------------

_ORG_SUFFIX = re.compile(rf"\b(?:{'|'.join(sorted(lexicon.ORG_SUFFIXES, key=len, reverse=True))})\.?$", re.IGNORECASE)
_POSSESSIVE = re.compile(r"['’]s\s+")
_INITIAL_SKIP = lexicon.NAME_PARTICLES


def _tokens(text: str) -> list[str]:
    return [t for t in words(text) if t]


def _is_lower(token: str) -> bool:
    return token[:1].islower() and not any(ch.isdigit() for ch in token)


@dataclass
class _Atom:
    """Subject strings with one folded key: they are one entity whatever else is decided."""

    key: str
    names: list[str]
    core: list[str]  # tokens of the name once possessive owners and determiners are set aside

    @property
    def name(self) -> str:
        return Counter(self.names).most_common(1)[0][0]


class _Union:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


# Nouns for a part of an organisation: "Kestrel's freight arm" is not Kestrel.
_PART_NOUNS = lexicon.PART_NOUNS
_NOT_DESCRIPTORS = _PART_NOUNS | lexicon.NOT_DESCRIPTORS


def _core(subject: str) -> list[str]:
    """The name a subject string is about: the owned thing of a possessive when it is named
    ("Meta's Muse Spark model" -> Muse Spark model), else the owner ("Acme's new study" -> Acme),
    unless the owned thing is a part of the owner ("Acme's freight arm" stays itself)."""
    outer, _ = split_parenthetical(subject)
    parts = _POSSESSIVE.split(outer)
    tokens = _tokens(parts[-1])
    if len(parts) > 1 and all(_is_lower(t) for t in tokens) and not (set(map(fold, tokens)) & _PART_NOUNS):
        tokens = _tokens(parts[-2])
    while tokens and fold(tokens[0]) in FUNCTION_WORDS:
        tokens = tokens[1:]
    return tokens


def resolve_entities(
    subjects: Iterable[str], keys: KeyMaker, grouper: EntityGrouper | None = None, notes: list[str] | None = None,
    examples: dict[str, str] | None = None, failures: list[str] | None = None,
) -> tuple[dict[str, str], list[Entity]]:
    """Map every subject string to an entity: (subject -> entity id, entities)."""
    counted = Counter(subjects)
    atoms: dict[str, _Atom] = {}
    for subject in sorted(counted):
        key = keys.subject(subject) or squash(subject) or subject.lower()
        atom = atoms.setdefault(key, _Atom(key, [], _core(subject)))
        atom.names.extend([subject] * counted[subject])
    union = _Union()
    for key in atoms:
        union.find(key)
    merges = _code_merges(atoms)
    proposed = _llm_entities(atoms, grouper, notes, examples or {}, merges, failures) \
        if grouper is not None else None
    if proposed is not None:
        for members in proposed:
            for other in members[1:]:
                union.union(members[0], other)
    for a, b in merges:
        # code's merge stands unless the LLM saw both in one call and kept them apart
        if proposed is None or proposed.call_of.get(a) is None or proposed.call_of.get(a) != proposed.call_of.get(b):
            union.union(a, b)
    groups: dict[str, list[_Atom]] = defaultdict(list)
    for key, atom in atoms.items():
        groups[union.find(key)].append(atom)
    kinds = proposed.kinds if proposed is not None else {}
    names = proposed.names if proposed is not None else {}
    owners = _owners(atoms, union, proposed)
    entity_of: dict[str, str] = {}
    entities: list[Entity] = []
    for root, members in sorted(groups.items()):
        all_names = sorted({n for a in members for n in a.names})
        main = max(members, key=lambda a: (len(a.names), -len(a.key), a.key))
        name = names.get(root) or main.name
        owner = owners.get(root)
        entities.append(Entity(id=_entity_id(root), name=name, aliases=all_names,
                               kind=kinds.get(root) or _kind_of(all_names),
                               part_of=_entity_id(owner) if owner else None))
        for n in all_names:
            entity_of[n] = _entity_id(root)
    return entity_of, entities


def _entity_id(root: str) -> str:
    return "e" + hashlib.sha256(root.encode()).hexdigest()[:10]


def _owners(atoms: dict[str, _Atom], union: _Union, proposed: _Proposal | None) -> dict[str, str]:
    """Each entity's owner (root -> root): what the LLM said it is a part, aspect, event or product
    of, else the name inside its subject ("Acme's freight arm", "the strike at Kestrel Rail"). An
    owner never owns its owner back: of two such links the first kept wins."""
    # an owner is a plain name ("Kestrel Rail"), never a description of something of its own
    by_core = {tuple(squash(t) for t in a.core): k for k, a in sorted(atoms.items())
               if a.core and not any(_POSSESSIVE.search(n) for n in a.names)}
    found: dict[str, str] = {}
    links = list(proposed.part_of.items()) if proposed is not None else []
    links += [(key, owner) for key, atom in sorted(atoms.items()) if (owner := _named_owner(atom, atoms, by_core))]
    for key, owner in links:
        mine, theirs = union.find(key), union.find(owner)
        if mine != theirs and mine not in found and found.get(theirs) != mine:
            found[mine] = theirs
    return found


def _named_owner(atom: _Atom, atoms: dict[str, _Atom], by_core: dict[tuple[str, ...], str]) -> str | None:
    """The entity a subject names as its owner: the owner of a possessive ("Acme's freight arm"), or a
    name after a preposition ("the strike at Kestrel Rail", "the cost of the Halden bridge")."""
    for name in dict.fromkeys(atom.names):
        outer, _ = split_parenthetical(name)
        parts = _POSSESSIVE.split(outer)
        candidates = [_tokens(parts[-2])] if len(parts) > 1 else []
        tokens = _tokens(outer)
        # "the strike at Kestrel Rail" is the strike's; "Museum of London", "Bank of Japan" are names
        after = [i for i, t in enumerate(tokens) if fold(t) in _PREPOSITIONS and i > 0 and _is_lower(tokens[i - 1])]
        candidates += [tokens[i + 1:] for i in after]
        for owner in candidates:
            while owner and fold(owner[0]) in FUNCTION_WORDS:
                owner = owner[1:]
            key = _known_name(owner, atoms, by_core)
            if key is not None and key != atom.key:
                return key
    return None


_PREPOSITIONS = lexicon.DESCRIPTOR_PREPOSITIONS


def _known_name(tokens: list[str], atoms: dict[str, _Atom], by_core: dict[tuple[str, ...], str]) -> str | None:
    """The atom a run of words names: exactly, or as the one name it is the short form of."""
    if not tokens or not tokens[0][:1].isupper():
        return None
    squashed = tuple(squash(t) for t in tokens)
    if squashed in by_core:
        return by_core[squashed]
    longer = [k for core, k in by_core.items() if core[:len(squashed)] == squashed and len(core) > len(squashed)]
    return longer[0] if len(longer) == 1 else None


def _kind_of(names: list[str]) -> EntityKind:
    """Offline the kind is known only from a company suffix; the LLM's answer says more."""
    return "organisation" if any(_ORG_SUFFIX.search(n.strip()) for n in names) else "other"


def _code_merges(atoms: dict[str, _Atom]) -> list[tuple[str, str]]:
    """Pairs of atoms code can tell name one thing: containment with descriptors, surnames, acronyms."""
    merges: list[tuple[str, str]] = []
    by_core: dict[tuple[str, ...], str] = {}
    for key, atom in atoms.items():
        if atom.core:
            by_core.setdefault(tuple(squash(t) for t in atom.core), key)
    initials = _initials_index(atoms)
    last_words: dict[str, set[str]] = defaultdict(set)
    for key, atom in atoms.items():
        if len(atom.core) in (2, 3) and all(t[:1].isupper() and t.isalpha() for t in atom.core):
            last_words[squash(atom.core[-1])].add(key)
    by_shape: dict[tuple[int, str], list[tuple[str, _Atom]]] = defaultdict(list)
    for key, atom in atoms.items():
        if atom.core:
            by_shape[(len(atom.core), squash(atom.core[-1]))].append((key, atom))
    by_words: dict[frozenset[str], str] = {}
    first_words: dict[str, set[str]] = defaultdict(set)
    for key, atom in atoms.items():
        words_key = frozenset(squash(t) for t in atom.core if fold(t) not in FUNCTION_WORDS)
        if len(words_key) > 1:
            by_words.setdefault(words_key, key)
        squashed = [squash(t) for t in atom.core]
        if len(atom.core) > 1 and squashed.count(squashed[0]) == 1 and not {"and", "or", "&"} & set(squashed) \
                and all(t[:1].isupper() or fold(t) in _INITIAL_SKIP for t in atom.core):
            first_words[squashed[0]].add(key)  # a single proper name that starts with its short form
    for key, atom in atoms.items():
        words_key = frozenset(squash(t) for t in atom.core if fold(t) not in FUNCTION_WORDS)
        if by_words.get(words_key, key) != key:
            merges.append((key, by_words[words_key]))  # "Court of Appeal for Tessby", "Tessby Court of Appeal"
            continue
        initialled = _initialled_match(atom, by_shape)
        if initialled:
            merges.append((key, initialled))  # "Judge P. Sollen" and "Judge Per Sollen", when only one fits
            continue
        same_core = by_core.get(tuple(squash(t) for t in atom.core))
        target = same_core if same_core not in (None, key) else _contained_name(atom, by_core) \
            or _prefixed_name(atom, by_core)
        if target and target != key:
            merges.append((key, target))
            continue
        if len(atom.core) == 1:
            token = atom.core[0]
            if token.isupper() and 2 <= len(token) <= 6 and len(initials.get(token, ())) == 1:
                merges.append((key, next(iter(initials[token]))))
                continue
            owners = last_words.get(squash(token), set()) - {key}
            if len(owners) == 1 and token[:1].isupper():
                merges.append((key, next(iter(owners))))  # "Wang" and "Alexandr Wang", when only one Wang
                continue
            target = _parent_name(first_words.get(squash(token), set()) - {key}, atoms)
            if target and token[:1].isupper():
                merges.append((key, target))  # "Brennmark" and "Brennmark Chemicals", when only one
    for key, atom in atoms.items():
        for name in atom.names:
            _, inner = split_parenthetical(name)
            for acronym in inner:
                target = by_core.get((squash(acronym),))
                if target and acronym.isupper() and _initials(atom.core) == acronym:
                    merges.append((target, key))  # "Epoch Capabilities Index (ECI)" names "ECI"
    return merges


def _parent_name(longer: set[str], atoms: dict[str, _Atom]) -> str | None:
    """The one longer name a short form stands for: the only one, or the one every other extends
    ("Kestrel" is "Kestrel Rail" when the rest are "Kestrel Rail Freight" and the like, i.e. its parts)."""
    if len(longer) == 1:
        return next(iter(longer))
    cores = {key: [squash(t) for t in atoms[key].core] for key in sorted(longer)}
    for key, core in cores.items():
        if all(other[:len(core)] == core for k, other in cores.items() if k != key):
            return key
    return None


def _initialled_match(atom: _Atom, by_shape: dict[tuple[int, str], list[tuple[str, _Atom]]]) -> str | None:
    """The one other atom this name matches when its initials stand for given names ("P. Sollen"):
    looked for among names of the same length and last word only, never all names."""
    tokens = atom.core
    if not tokens or not any(_is_initial(t) for t in tokens[:-1]):
        return None
    found = []
    for key, other in by_shape.get((len(tokens), squash(tokens[-1])), [])[:64]:
        if other is atom:
            continue
        if all(squash(a) == squash(b) or (_is_initial(a) and b[:1].upper() == a[0].upper() and not _is_initial(b))
               for a, b in zip(tokens, other.core, strict=True)):
            found.append(key)
    return found[0] if len(found) == 1 else None


def _is_initial(token: str) -> bool:
    return len(token.rstrip(".")) == 1 and token[:1].isupper()


def _initials(tokens: list[str]) -> str:
    return "".join(t[0].upper() for t in tokens if fold(t) not in _INITIAL_SKIP and t[:1].isalpha())


def _initials_index(atoms: dict[str, _Atom]) -> dict[str, set[str]]:
    index: dict[str, set[str]] = defaultdict(set)
    for key, atom in atoms.items():
        if len(atom.core) >= 2 and all(t[:1].isupper() or fold(t) in _INITIAL_SKIP for t in atom.core):
            index[_initials(atom.core)].add(key)
    return index


def _contained_name(atom: _Atom, by_core: dict[tuple[str, ...], str]) -> str | None:
    """The entity whose whole name this subject contains, when everything else is a lowercase
    descriptor ("Nordvik's Halden bridge project" -> "Halden bridge", "the Muse Spark release").

    Any other name-shaped word (a capital, a digit: "Llama 4", "Orca Lite turbo mode")
    or a list ("OpenAI and Anthropic") makes it a different thing.
    """
    tokens = atom.core
    if len(tokens) < 2:
        return None
    squashed = [squash(t) for t in tokens]
    best: tuple[int, str] | None = None
    for size in range(len(tokens) - 1, 0, -1):
        for start in range(0, len(tokens) - size + 1):
            target = by_core.get(tuple(squashed[start:start + size]))
            if target is None:
                continue
            rest = tokens[:start] + tokens[start + size:]
            # lowercase words around the name describe it ("the Tarsk programme"); a preposition makes the
            # name an attachment of something else ("the strike at Kestrel Rail" is a strike)
            descriptors = all(_is_lower(t) and fold(t) not in _NOT_DESCRIPTORS for t in rest)
            if descriptors and (best is None or size > best[0]):
                best = (size, target)
        if best is not None:
            break
    return best[1] if best else None


def _prefixed_name(atom: _Atom, by_core: dict[tuple[str, ...], str]) -> str | None:
    """The name this one is with a short prefix in capitals ("MV Grey Heron" is "Grey Heron"), when
    the batch has the name without it."""
    tokens = atom.core
    if len(tokens) < 3 or not (tokens[0].isupper() and tokens[0].isalpha() and 2 <= len(tokens[0]) <= 4):
        return None
    return by_core.get(tuple(squash(t) for t in tokens[1:]))


@dataclass
class _Proposal:
    groups: list[list[str]]
    names: dict[str, str]
    kinds: dict[str, EntityKind]
    call_of: dict[str, int]  # the call in which the LLM placed an atom
    part_of: dict[str, str] = field(default_factory=dict)  # an atom of a group -> an atom of its owner

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.groups)


def _llm_entities(atoms: dict[str, _Atom], grouper: EntityGrouper, notes: list[str] | None,
                  examples: dict[str, str], merges: list[tuple[str, str]],
                  failures: list[str] | None = None) -> _Proposal | None:
    """The LLM's groups of atoms, checked: each atom placed once, unknown numbers ignored, and
    groups that join two different versions or two people of one surname split again.

    Above ENTITY_CALL_LIMIT atoms, the calls are cut with what code already joins kept together
    ("ECB" beside "European Central Bank"), so a split does not part them.
    """
    ordered = sorted(atoms)
    if len(ordered) > ENTITY_CALL_LIMIT:
        union = _Union()
        for a, b in merges:
            union.union(a, b)
        ordered.sort(key=lambda k: (union.find(k), k))
    groups: list[list[str]] = []
    names: dict[str, str] = {}
    kinds: dict[str, EntityKind] = {}
    call_of: dict[str, int] = {}
    part_of: dict[str, str] = {}
    answered = False
    for start in range(0, len(ordered), ENTITY_CALL_LIMIT):
        part = ordered[start:start + ENTITY_CALL_LIMIT]
        offered = [SubjectGroup(k, tuple(sorted(set(atoms[k].names))), examples.get(atoms[k].name, "")) for k in part]
        answer = grouper(offered)
        if not isinstance(answer, EntityGrouping):
            if answer and failures is not None:
                failures.append(answer)
            continue
        answered = True
        placed: set[str] = set()
        for group in answer.groups:
            members = [part[i - 1] for i in dict.fromkeys(group.members) if 1 <= i <= len(part)
                       and part[i - 1] not in placed]
            placed.update(members)
            call_of.update((m, start) for m in members)
            if members and group.part_of is not None and 1 <= group.part_of <= len(part):
                part_of[members[0]] = part[group.part_of - 1]
            for kept in _split_conflicts(members, atoms, notes):
                groups.append(kept)
                root = min(kept)
                names[root] = group.name.strip() if _names_it(group.name, [atoms[k] for k in kept]) else ""
                kinds[root] = group.kind
    if not answered:
        if notes is not None:
            notes.append("entity grouping by the LLM failed; entities were grouped by code")
        return None
    return _Proposal(groups, {k: v for k, v in names.items() if v}, kinds, call_of, part_of)


def _names_it(name: str, members: list[_Atom]) -> bool:
    """Keep the LLM's canonical name only if it is a spelling of the group's own names (or one
    of them contains it): a model must not rename Orbis 'The Vega rover'."""
    key = squash(name)
    return bool(key) and any(key in squash(n) or squash(n) in key for a in members for n in a.names)


def _split_conflicts(members: list[str], atoms: dict[str, _Atom], notes: list[str] | None = None) -> list[list[str]]:
    """Keep apart what one group must not join: names that differ only in a version number
    ("Llama 3" and "Llama 4") and people who share only a surname ("Ana Ruiz", "Luis Ruiz"),
    saying which and why. A spelling with a prefix or suffix more ("MV Grey Heron", "Grey
    Heron") is never a reason to part them."""
    kept: list[list[str]] = []
    for key in members:
        for group in kept:
            reasons = [r for other in group if (r := _conflict(atoms[key].core, atoms[other].core))]
            if not reasons:
                group.append(key)
                break
        else:
            kept.append([key])
            if len(kept) > 1 and notes is not None:
                other = next(o for g in kept[:-1] for o in g if _conflict(atoms[key].core, atoms[o].core))
                notes.append(f"kept {atoms[key].name!r} apart from {atoms[other].name!r}, which the entity grouping "
                             f"joined: {_conflict(atoms[key].core, atoms[other].core)}")
    return kept


def _conflict(a: list[str], b: list[str]) -> str:
    """Why two names of one proposed group must stay apart, or '' when nothing does."""
    squashed_a, squashed_b = [squash(t) for t in a], [squash(t) for t in b]
    shorter, longer = sorted((squashed_a, squashed_b), key=len)
    if shorter and (longer[-len(shorter):] == shorter or longer[:len(shorter)] == shorter):
        return ""  # one spelling with a prefix or suffix more: one name
    letters_a = [squash(t) for t in a if not any(ch.isdigit() for ch in t)]
    letters_b = [squash(t) for t in b if not any(ch.isdigit() for ch in t)]
    digits_a = {squash(t) for t in a if any(ch.isdigit() for ch in t)}
    digits_b = {squash(t) for t in b if any(ch.isdigit() for ch in t)}
    if letters_a == letters_b and digits_a and digits_b and digits_a != digits_b:
        return "they differ only in a version number"
    person_a = len(a) in (2, 3) and all(t[:1].isupper() and t.isalpha() for t in a)
    person_b = len(b) in (2, 3) and all(t[:1].isupper() and t.isalpha() for t in b)
    if person_a and person_b and squash(a[-1]) == squash(b[-1]) and squash(a[0]) != squash(b[0]):
        return "they are two people who share only a surname"
    return ""


# --- questions (code) ---------------------------------------------------------------------------


@dataclass
class _Node:
    """Claims of one entity with one attribute key: they answer one question whatever else happens."""

    claims: list[GroundedClaim]
    attribute: str
    stems: frozenset[str]
    names: frozenset[str]
    value_stems: frozenset[str]
    kinds: tuple[ValueKind, ...]
    numeric: bool
    vector: Vectors | None = None


class QuestionBlocker:
    """Code's questions within one entity: key groups, bounded neighbours, average-linkage merges."""

    def __init__(self, keys: KeyMaker, embedder: Embedder | None = None,
                 numeric_threshold: float = NUMERIC_THRESHOLD, text_threshold: float = TEXT_THRESHOLD) -> None:
        self.keys = keys
        self.embedder = embedder
        self.numeric_threshold = numeric_threshold
        self.text_threshold = text_threshold

    def nodes(self, claims: list[GroundedClaim]) -> list[_Node]:
        by_key: dict[str, list[GroundedClaim]] = defaultdict(list)
        for c in claims:
            by_key[self.keys.attribute(c.attribute) or squash(c.attribute)].append(c)
        nodes = []
        for group in by_key.values():
            attribute = Counter(" ".join(c.attribute.split()) for c in group).most_common(1)[0][0]
            text_values = [c.value for c in group if c.number is None]
            nodes.append(_Node(
                claims=group, attribute=attribute, stems=content_stems(attribute), names=name_stems(attribute),
                value_stems=frozenset().union(*(content_stems(v) for v in text_values)) if text_values else frozenset(),
                kinds=tuple(dict.fromkeys(value_kind(c.value, words=c.number is not None) for c in group)),
                numeric=all(c.number is not None for c in group),
            ))
        if self.embedder is not None and nodes:
            try:
                vectors = self.embedder.embed([n.attribute for n in nodes])
            except EmbeddingsUnavailable:
                return nodes  # lexical features alone
            for node, vector in zip(nodes, vectors, strict=True):
                node.vector = vector
        return nodes

    def questions(self, claims: list[GroundedClaim]) -> list[list[GroundedClaim]]:
        """Groups of claims that answer one question, in a stable order."""
        nodes = self.nodes(claims)
        weights = _rarity(nodes)
        edges = self._edges(nodes, weights)
        groups = self._merge(nodes, edges, weights)
        out = [[c for i in sorted(g) for c in nodes[i].claims] for g in groups]
        return sorted(out, key=lambda g: min((c.document, c.start, c.id) for c in g))

    def similarity(self, a: _Node, b: _Node, weights: dict[str, float]) -> float:
        """How likely two key groups answer one question, from 0 to 1 (0 when they cannot)."""
        if not all(x.compatible(y) for x in a.kinds for y in b.kinds):
            return 0.0
        if a.numeric and b.numeric:
            return _same_measure(a, b)
        lexical = _weighted_overlap(a.stems, b.stems, weights)
        if a.value_stems or b.value_stems:
            value_side = _weighted_overlap(a.stems | a.value_stems, b.stems | b.value_stems, weights)
            lexical = max(lexical, 0.8 * value_side)
        semantic = float(a.vector @ b.vector) if a.vector is not None and b.vector is not None else 0.0
        return min(1.0, max(lexical, 0.6 * lexical + 0.55 * max(semantic, 0.0)))

    def relatedness(self, a: _Node, b: _Node, weights: dict[str, float]) -> float:
        """How near two key groups are in topic, whatever their kinds: what orders a split call."""
        lexical = _weighted_overlap(a.stems | a.value_stems, b.stems | b.value_stems, weights)
        semantic = float(a.vector @ b.vector) if a.vector is not None and b.vector is not None else 0.0
        return max(lexical, semantic)

    def neighbour_order(self, claims: list[GroundedClaim]) -> tuple[list[GroundedClaim], list[float]]:
        """An entity's claims in an order that keeps related ones together, and for each claim how
        strongly it links to those before it, so a call split at QUESTION_CALL_LIMIT claims can cut
        where the link is weakest: between topics, not through them.

        Prim's order over the key groups' most related neighbours (bounded candidates, as in
        blocking, made symmetric): next comes the group most related to one already placed.
        One key's claims stay adjacent.
        """
        nodes = self.nodes(claims)
        weights = _rarity(nodes)
        adjacency: dict[int, dict[int, float]] = defaultdict(dict)
        for i, near in self._neighbours(nodes, weights, self.relatedness).items():
            for s, j in near:
                adjacency[i][j] = max(s, adjacency[i].get(j, 0.0))
                adjacency[j][i] = max(s, adjacency[j].get(i, 0.0))
        starts = sorted(range(len(nodes)), key=lambda i: (-len(nodes[i].claims), nodes[i].attribute.lower(), i))
        placed: set[int] = set()
        order: list[tuple[int, float]] = []
        for start in starts:
            if start in placed:
                continue
            heap: list[tuple[float, int]] = [(0.0, start)]
            while heap:
                negative, i = heapq.heappop(heap)
                if i in placed:
                    continue
                placed.add(i)
                order.append((i, -negative))
                for j, s in adjacency[i].items():
                    if j not in placed:
                        heapq.heappush(heap, (-s, j))
        ordered: list[GroundedClaim] = []
        links: list[float] = []
        for i, link in order:
            for n, c in enumerate(sorted(nodes[i].claims, key=lambda c: (c.document, c.start, c.id))):
                ordered.append(c)
                links.append(link if n == 0 else 1.0)
        return ordered, links

    def threshold(self, a: _Node, b: _Node) -> float:
        return self.numeric_threshold if a.numeric and b.numeric else self.text_threshold

    def _neighbours(self, nodes: list[_Node], weights: dict[str, float],
                    score: Callable[[_Node, _Node, dict[str, float]], float]) -> dict[int, list[tuple[float, int]]]:
        """Each node's best NEIGHBOURS by `score` among bounded candidates: shared stems (postings
        capped) and, with embeddings, the same random-hyperplane bucket; never all pairs."""
        index: dict[str, list[int]] = defaultdict(list)
        for i, node in enumerate(nodes):
            for s in node.stems | node.value_stems:
                index[s].append(i)
        buckets = _buckets(nodes)
        out: dict[int, list[tuple[float, int]]] = {}
        for i, node in enumerate(nodes):
            near: set[int] = set()
            for s in sorted(node.stems | node.value_stems, key=lambda t: -weights.get(t, 0.0)):
                near.update(index[s][:64])
            for bucket in buckets.get(i, ()):
                near.update(bucket[:64])
            near.discard(i)
            scored = sorted(((score(node, nodes[j], weights), j) for j in near), key=lambda t: (-t[0], t[1]))
            out[i] = [(s, j) for s, j in scored[:NEIGHBOURS] if s > 0]
        return out

    def _edges(self, nodes: list[_Node], weights: dict[str, float]) -> dict[tuple[int, int], float]:
        """Scores of each node's best neighbours, as undirected edges."""
        edges: dict[tuple[int, int], float] = {}
        for i, near in self._neighbours(nodes, weights, self.similarity).items():
            for s, j in near:
                edges[(min(i, j), max(i, j))] = s
        return edges

    def _merge(self, nodes: list[_Node], edges: dict[tuple[int, int], float],
               weights: dict[str, float]) -> list[set[int]]:
        """Average linkage over the candidate edges: two groups merge when their members are, on
        average, above the threshold; any pair that cannot share a question blocks the merge."""
        cluster_of = {i: i for i in range(len(nodes))}
        members: dict[int, set[int]] = {i: {i} for i in range(len(nodes))}
        for (i, j), score in sorted(edges.items(), key=lambda e: (-e[1], e[0])):
            a, b = cluster_of[i], cluster_of[j]
            if a == b or score < min(self.numeric_threshold, self.text_threshold):
                continue
            if len(members[a]) + len(members[b]) > MAX_QUESTION_NODES:
                continue
            pairs = [(x, y) for x in members[a] for y in members[b]]
            scores = [edges.get((min(x, y), max(x, y))) or self.similarity(nodes[x], nodes[y], weights)
                      for x, y in pairs]
            if min(scores) <= 0.0:
                continue
            needed = max(self.threshold(nodes[x], nodes[y]) for x, y in pairs)
            if sum(scores) / len(scores) < needed:
                continue
            members[a] |= members.pop(b)
            for x in members[a]:
                cluster_of[x] = a
        return list(members.values())


# Words that qualify when or where a figure holds: a figure with one of them on one side only
# is for another period or scope ("pass rate last year", "units recalled in the US").
_TIME_WORDS = frozenset(stem(w) for w in lexicon.QUALIFYING_WORDS)
# Words that name "a measured value" without saying of what: 'Brixley Index rating' and
# 'score on the Brixley Index' measure the same named thing.
_MEASURE_HEADS = frozenset(stem(w) for w in lexicon.MEASURE_HEADS)


def _same_measure(a: _Node, b: _Node) -> float:
    """Two figures answer one question when they measure one named thing, or the same words
    name the measure, and no word of time, scope or change sits on one side only.

    Conservative by design: two figures put in one question and found to differ become a
    flag, so a wrong merge costs a reviewer's time; a missed merge costs a finding.
    """
    extra = (a.stems ^ b.stems) - _MEASURE_HEADS
    if extra & _TIME_WORDS:
        return 0.0
    nouns_a, nouns_b = {k.noun for k in a.kinds if k.noun}, {k.noun for k in b.kinds if k.noun}
    if nouns_a and nouns_b and not nouns_a & nouns_b:
        return 0.0  # counts of different things: "4,000 workers", "52,000 households"
    if (a.names or b.names) and a.names <= b.stems and b.names <= a.stems:
        # one named thing ("investment in Scale AI", "amount spent acquiring Scale AI", "SWE-bench
        # Verified score"): other words may describe it, as long as none of them is a name
        return 0.9
    core_a, core_b = a.stems - _MEASURE_HEADS, b.stems - _MEASURE_HEADS
    if core_a and core_a == core_b:
        return 0.9
    return 0.0


def _rarity(nodes: list[_Node]) -> dict[str, float]:
    """Weight of each stem: rare stems among the entity's attributes say more."""
    counts: Counter[str] = Counter()
    for n in nodes:
        counts.update(n.stems | n.value_stems)
    total = max(len(nodes), 1)
    return {s: math.log(1 + total / c) for s, c in counts.items()}


def _weighted_overlap(a: frozenset[str], b: frozenset[str], weights: dict[str, float]) -> float:
    """Shared weight over the smaller side's weight: a short attribute inside a longer one counts."""
    if not a or not b:
        return 0.0
    shared = sum(weights.get(t, 1.0) for t in a & b)
    smaller = min(sum(weights.get(t, 1.0) for t in a), sum(weights.get(t, 1.0) for t in b))
    union = sum(weights.get(t, 1.0) for t in a | b)
    return 0.5 * shared / smaller + 0.5 * shared / union if smaller else 0.0


@functools.cache
def _planes(dims: int) -> Vectors:
    """4 tables of 10 random hyperplanes for embeddings of `dims` dimensions, the same every run."""
    width = max(dims, 512)  # up to 512 dimensions, the first columns of one fixed draw
    planes: Vectors = np.random.default_rng(20261125 if width == 512 else 20261125 + dims).standard_normal(
        (4, 10, width)).astype(np.float32)[:, :, :dims]
    return planes


def _buckets(nodes: list[_Node]) -> dict[int, list[list[int]]]:
    """Random-hyperplane buckets of the attribute embeddings (4 tables of 10 bits): each node's
    bucket-mates, found without comparing all pairs."""
    if not nodes or nodes[0].vector is None or len(nodes) <= 2 * NEIGHBOURS:
        return {i: [list(range(len(nodes)))] for i in range(len(nodes))} if nodes and nodes[0].vector is not None \
            else {}
    matrix = np.stack([n.vector for n in nodes if n.vector is not None])
    dims = matrix.shape[1]
    tables: list[dict[int, list[int]]] = []
    for planes in _planes(dims):
        bits = (matrix @ planes.T) > 0
        codes = bits.astype(np.int64) @ (1 << np.arange(bits.shape[1], dtype=np.int64))
        table: dict[int, list[int]] = defaultdict(list)
        for i, code in enumerate(codes.tolist()):
            table[code].append(i)
        tables.append(table)
    out: dict[int, list[list[int]]] = defaultdict(list)
    for table in tables:
        for members in table.values():
            for i in members:
                out[i].append(members)
    return out


# --- questions (LLM) ------------------------------------------------------------------------------

Grouped = list[tuple[str | None, list[GroundedClaim]]]  # (question text when the LLM gave one, claims)


def _llm_questions(
    families: list[list[EntityClaims]], grouper: QuestionGrouper, keys: KeyMaker,
    fallback: Callable[[str], list[list[GroundedClaim]]], notes: list[str], failures: list[str],
    concurrency: int = 1, in_order: Callable[[EntityClaims], EntityClaims] = lambda e: e,
) -> list[tuple[str | None, list[GroundedClaim]]]:
    """Questions the LLM assigns, checked: each claim once, questions within one family (an entity
    and its parts), kinds that fit, one attribute key of one entity never split; claims of a failed
    call keep code's questions. A family's first entity is its head (`fallback` takes its id).

    Calls are packed by their claims' number; `in_order` puts each entity's claims in the order they
    are offered in just before its call is sent, so the first calls wait on the endpoint while later
    ones are ordered (ordering every family first left the endpoint idle for 1.3 s of a
    10,000-document batch), and answers are read in the calls' order as each arrives."""
    out: dict[str, Grouped] = defaultdict(list)
    entity_of: dict[str, str] = {}
    packed = _calls(families)
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(packed) or 1))) as pool:
        sent = []
        for call in packed:
            ready = [(root, in_order(e)) for root, e in call]
            sent.append((ready, pool.submit(grouper, [e for _, e in ready])))
        for call, future in sent:
            _place(call, future.result(), out, entity_of, fallback, notes, failures)
    return [pair for groups in out.values() for pair in _join_keys(groups, keys, entity_of)]


def _place(call: list[tuple[str, EntityClaims]], answer: QuestionAssignment | str | None, out: dict[str, Grouped],
           entity_of: dict[str, str], fallback: Callable[[str], list[list[GroundedClaim]]], notes: list[str],
           failures: list[str]) -> None:
    """One question call's answer, checked, added to `out` (its family's questions)."""
    numbered = [(root, e.entity.id, c) for root, e in call for c in e.claims]
    entity_of.update((c.id, eid) for _, eid, c in numbered)
    if not isinstance(answer, QuestionAssignment):
        if answer:
            failures.append(answer)
        notes.append("question assignment by the LLM failed for " + ", ".join(e.entity.name for _, e in call)
                     + "; code grouped their claims")
        mine = {c.id for _, _, c in numbered}
        for root in dict.fromkeys(root for root, _ in call):
            out[root] += [(None, part) for group in fallback(root) if (part := [c for c in group if c.id in mine])]
        return
    placed: set[int] = set()
    for question in answer.questions:
        chosen = [i for i in dict.fromkeys(question.claims) if 1 <= i <= len(numbered) and i not in placed]
        placed.update(chosen)
        per_family: dict[str, list[GroundedClaim]] = defaultdict(list)
        for i in chosen:
            root, _, claim = numbered[i - 1]
            per_family[root].append(claim)
        for root, group in per_family.items():
            text = " ".join(question.question.split())[:200] or None
            out[root] += [(text, part) for part in _split_by_kind(group)]
    for i, (root, _, claim) in enumerate(numbered, start=1):
        if i not in placed:
            out[root].append((None, [claim]))


def _calls(families: list[list[EntityClaims]]) -> list[list[tuple[str, EntityClaims]]]:
    """Pack small families into shared calls (a family whole when it fits) and split a large entity,
    at most QUESTION_CALL_LIMIT claims a call; each part is tagged with its family's head."""
    units: list[list[tuple[str, EntityClaims]]] = []
    for family in families:
        root = family[0].entity.id
        if sum(len(e.claims) for e in family) <= QUESTION_CALL_LIMIT:
            units.append([(root, e) for e in family])
            continue
        for e in family:
            claims, links = list(e.claims), list(e.links) or [1.0] * len(e.claims)
            while len(claims) > QUESTION_CALL_LIMIT:
                cut = _weakest_link(links, QUESTION_CALL_LIMIT)
                units.append([(root, EntityClaims(e.entity, tuple(claims[:cut])))])
                claims, links = claims[cut:], links[cut:]
            units.append([(root, EntityClaims(e.entity, tuple(claims)))])
    calls: list[list[tuple[str, EntityClaims]]] = []
    current: list[tuple[str, EntityClaims]] = []
    size = 0
    for unit in sorted(units, key=lambda u: (sum(len(e.claims) for _, e in u), u[0][1].entity.name)):
        weight = sum(len(e.claims) for _, e in unit)
        if size + weight > QUESTION_CALL_LIMIT and current:
            calls.append(current)
            current, size = [], 0
        current += unit
        size += weight
    if current:
        calls.append(current)
    return calls


def _weakest_link(links: list[float], limit: int) -> int:
    """Where to cut a long list: at the weakest link among the last third before `limit`."""
    window = range(max(1, limit - limit // 3), limit + 1)
    return min(window, key=lambda i: (links[i] if i < len(links) else 0.0, -i))


def _split_by_kind(claims: list[GroundedClaim]) -> list[list[GroundedClaim]]:
    """Figures of different kinds never share a question; text claims stay with the largest group."""
    parts: list[tuple[ValueKind, list[GroundedClaim]]] = []
    text: list[GroundedClaim] = []
    for c in claims:
        kind = value_kind(c.value, words=c.number is not None)
        if kind.kind == "text":
            text.append(c)
            continue
        for seen, part in parts:
            if kind.compatible(seen):
                part.append(c)
                break
        else:
            parts.append((kind, [c]))
    if not parts:
        return [text]
    groups = [part for _, part in parts]
    max(groups, key=len).extend(text)
    return groups


def _join_keys(groups: Grouped, keys: KeyMaker, entity_of: dict[str, str] | None = None) -> Grouped:
    """Claims of one entity with one attribute key share a question: join the groups an answer split
    them into (a part's "revenue" is not its owner's)."""
    union = _Union()
    owner: dict[str, str] = {}
    for n, (_, group) in enumerate(groups):
        union.find(str(n))
        for c in group:
            key = (entity_of or {}).get(c.id, "") + "\n" + (keys.attribute(c.attribute) or squash(c.attribute))
            if key in owner:
                union.union(owner[key], str(n))
            else:
                owner[key] = str(n)
    joined: dict[str, tuple[str | None, list[GroundedClaim]]] = {}
    for n, (text, group) in enumerate(groups):
        root = union.find(str(n))
        if root in joined:
            kept_text, kept = joined[root]
            joined[root] = (kept_text or text, kept + group)
        else:
            joined[root] = (text, list(group))
    return list(joined.values())
