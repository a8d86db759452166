"""Every word list the code reads, in one place, each tagged with what kind of list it is.

- **grammar**: words of English that belong to no topic: function words, approximators ("about",
  "more than"), reporting verbs, verbs and nouns of rising and falling, words of time and status.
- **unit**: what a figure is counted in: units of measure, scale words, currencies (ISO codes,
  symbols, names), ordinals and ranks. Reading a figure is code's job (numbers.py); these are its
  tables.
- **domain**: words of one topic (a sport, a trade, a disease). There is none: a list that only
  works for one kind of news is the kind of fix that made the extractor fail on every other kind,
  and `tests/test_lexicon.py` fails if one is added.

A list is registered with `grammar(...)` or `unit(...)`; `KINDS` maps every list's name to its
kind. Lists that the llm backend's readings depend on (frames, numbers) are moved here verbatim:
their content is what the recorded cassettes were made with.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal, TypeVar

Kind = Literal["grammar", "unit", "domain"]
KINDS: dict[str, Kind] = {}

T = TypeVar("T")


def _register(name: str, kind: Kind, value: T) -> T:
    if name in KINDS:
        raise ValueError(f"lexicon: {name} is registered twice")
    KINDS[name] = kind
    return value


def grammar(name: str, words: Iterable[str]) -> frozenset[str]:
    """A set of words of English that belong to no topic."""
    return _register(name, "grammar", frozenset(words))


def grammar_map(name: str, mapping: Mapping[str, T]) -> dict[str, T]:
    """Words of English mapped to what they mean to the code."""
    return _register(name, "grammar", dict(mapping))


def grammar_phrases(name: str, phrases: T) -> T:
    """Phrases (or alternations of them, as regular-expression text) of English of no topic."""
    return _register(name, "grammar", phrases)


def unit(name: str, mapping: Mapping[str, T]) -> dict[str, T]:
    """A table of units, scales or currencies."""
    return _register(name, "unit", dict(mapping))


def unit_phrases(name: str, phrases: T) -> T:
    """Unit words as an alternation of regular-expression text."""
    return _register(name, "unit", phrases)


def unit_words(name: str, words: Iterable[str]) -> frozenset[str]:
    """A set of words that name what a figure is counted in."""
    return _register(name, "unit", frozenset(words))


# --- grammar: the words every other list is read against --------------------------------------------

FUNCTION_WORDS = grammar("function words", {
    "a", "an", "the", "this", "that", "these", "those", "its", "their", "his", "her", "our", "my", "your",
    "of", "in", "on", "at", "to", "by", "for", "with", "from", "into", "onto", "over", "under", "about",
    "around", "across", "through", "after", "before", "during", "since", "until", "between", "among",
    "per", "via", "than", "as", "vs", "versus", "against", "within", "without", "up", "down", "out", "off",
    "and", "or", "but", "nor", "so", "yet", "if", "whether", "while",
    "is", "are", "was", "were", "be", "been", "being", "has", "have", "had", "do", "does", "did", "will",
    "would", "could", "should", "may", "might", "can", "shall",
    "it", "they", "them", "he", "she", "we", "who", "whom", "whose", "which", "what", "when", "where",
    "why", "how", "many", "much", "there", "here", "also", "not", "no", "any", "some", "each", "every",
    "all", "both", "other", "such", "own", "s",
})
# words that say "a figure of" without saying of what
GENERIC_MEASURE_WORDS = grammar("generic measure words", {
    "number", "amount", "count", "figure", "value", "level", "total", "overall", "reported", "stated", "official",
    "current", "latest",
})
ARTICLES = grammar("articles", {"the", "a", "an"})
DETERMINERS = grammar("determiners", {"the", "a", "an", "its", "their", "his", "her", "this", "that", "these",
                                      "those"})
# legal forms and the words any kind of organisation adds to its name, of no one trade:
# "Acme Corp." and "Acme Labs" are Acme
ORG_SUFFIXES = grammar("organisation suffixes", {
    "inc", "incorporated", "corp", "corporation", "ltd", "limited", "plc", "llc", "co",
    "company", "group", "holdings", "sa", "ag", "nv", "se", "gmbh", "labs", "laboratories", "industries",
    "international", "systems", "technologies", "technology", "networks", "solutions", "services",
    "ab", "asa", "oy", "oyj", "srl", "bv", "kk", "pty", "llp", "sarl", "pte",
})
# words that say "a figure of" without saying of what: "GPQA Diamond score" is "GPQA Diamond"
GENERIC_ATTRIBUTE_WORDS = grammar("generic attribute words", {
    "score", "scores", "result", "results", "rating", "figure", "figures", "number", "reported", "overall",
    "total", "official", "latest", "new", "current", "estimated", "level", "value",
})

# --- grammar: what the parser's reading of a sentence leans on ----------------------------------------

# the lemmas of verbs of saying: their subject is a source, not what a figure is about
REPORTING_VERBS = grammar("reporting verbs", {"say", "tell", "add", "explain", "note", "warn", "argue", "insist",
                                              "recall", "write"})
# nouns that count something else: "the number of dead" counts the dead
COUNTING_NOUNS = grammar("counting nouns", {"number", "total", "amount", "count", "tally", "sum"})
# a percentage hanging from one of these is a change, named by its direction
RISE_WORDS = grammar("words of rising", {
    "rise", "climb", "grow", "increase", "gain", "jump", "surge", "soar", "advance", "rally", "add", "higher", "up",
    "more", "above",
})
FALL_WORDS = grammar("words of falling", {
    "fall", "drop", "decline", "decrease", "slip", "lose", "sink", "slide", "plunge", "tumble", "shrink", "ease",
    "dip", "shed", "lower", "down", "less", "fewer", "below",
})
# verbs whose object is the level of their subject ("revenue hit $5 billion", "turnout reached 58%");
# any other verb's object is what the subject did ("the plant pumped 5,000 litres")
LEVEL_VERBS = grammar("verbs of level", {
    "be", "stand", "reach", "hit", "total", "come", "remain", "amount", "stay", "sit", "top", "exceed", "near",
    "hover", "average", "number", "peak", "equal", "represent", "touch", "settle", "close", "finish", "end", "open",
})
RISE_NOUNS = grammar("nouns of rising", {"rise", "gain", "growth", "increase", "jump", "surge", "climb", "advance",
                                         "rally", "uplift"})
FALL_NOUNS = grammar("nouns of falling", {"fall", "drop", "decline", "decrease", "cut", "reduction", "slump", "slide",
                                          "dip", "plunge", "contraction"})
# pronouns that stand for a person: the sentence before says whom
PERSONAL_PRONOUNS = grammar("personal pronouns", {"he", "she", "him", "his", "her", "hers"})
# prepositions that attach an owner to a measure ("the price of the City 3", "volunteers in the Watch")
OWNER_PREPOSITIONS = grammar("owner prepositions", {"of", "for", "at", "in", "from", "by", "aboard"})
# prepositions that attach the reference of a comparison ("a 34% premium to Brightline's last close")
REFERENCE_PREPOSITIONS = grammar("reference prepositions", {"to", "over", "against"})

# --- units ---------------------------------------------------------------------------------------------

SCALES = unit("scale words", {
    "thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "m": 1e6, "mln": 1e6,
    "billion": 1e9, "bn": 1e9, "b": 1e9, "trillion": 1e12, "tn": 1e12, "t": 1e12, "lakh": 1e5, "crore": 1e7,
})
# scale words written out (the one-letter ones are read only beside a currency or a digit)
WORD_SCALES = unit_words("scale words written out", ("thousand", "million", "billion", "trillion", "bn", "mn", "mln",
                                                     "tn", "lakh", "crore"))
# the codes read in any case, as they always were ("usd 5"); every other code in capitals only
CURRENCY_CODES_ANY_CASE = unit_words("currency codes in any case", {"USD", "EUR", "GBP", "JPY", "CNY"})
# ISO 4217 codes of the currencies in use, matched in capitals only ("ALL" and "TOP" are words too)
CURRENCY_CODES = unit_words("currency codes", {
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BHD", "BIF",
    "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF", "CLP", "CNY", "COP", "CRC",
    "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS",
    "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD",
    "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL",
    "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MYR", "MZN", "NAD",
    "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD",
    "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SYP", "SZL",
    "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS", "VES", "VND",
    "VUV", "WST", "XAF", "XCD", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG"
})
# symbols written before a figure; the dollar sign alone is read as US dollars
CURRENCY_SYMBOLS = unit("currency symbols", {
    "US$": "USD", "$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "A$": "AUD", "AU$": "AUD", "C$": "CAD",
    "CA$": "CAD", "NZ$": "NZD", "HK$": "HKD", "S$": "SGD", "R$": "BRL", "NT$": "TWD", "MX$": "MXN", "₹": "INR",
    "₩": "KRW", "₽": "RUB", "₺": "TRY", "₪": "ILS", "₫": "VND", "₦": "NGN", "₱": "PHP", "฿": "THB", "₴": "UAH",
    "₸": "KZT", "₵": "GHS", "₡": "CRC", "₲": "PYG", "₭": "LAK", "₮": "MNT", "₼": "AZN", "₾": "GEL", "zł": "PLN",
})
# currency names written after a figure ("85 million pounds", "1.2 billion rupees")
CURRENCY_NAMES = unit("currency names", {
    "dollars": "USD", "dollar": "USD", "euros": "EUR", "euro": "EUR", "pounds": "GBP", "yuan": "CNY",
    "renminbi": "CNY", "yen": "JPY", "rupees": "INR", "rupee": "INR", "roubles": "RUB",
    "rubles": "RUB", "naira": "NGN", "reais": "BRL", "zlotys": "PLN", "zloty": "PLN",
    "liras": "TRY", "lira": "TRY", "shekels": "ILS", "dirhams": "AED", "riyals": "SAR", "ringgit": "MYR",
    "baht": "THB", "hryvnias": "UAH", "francs": "CHF", "kronor": "SEK", "kroner": "NOK", "forints": "HUF",
})
# unit word -> (canonical unit, dimension, factor to canonical)
UNITS = unit("units of measure", {
    "%": ("%", "percent", 1.0), "percent": ("%", "percent", 1.0), "per cent": ("%", "percent", 1.0),
    "percentage points": ("pp", "points", 1.0), "percentage point": ("pp", "points", 1.0),
    "basis points": ("pp", "points", 0.01), "basis point": ("pp", "points", 0.01), "bps": ("pp", "points", 0.01),
    "bp": ("pp", "points", 0.01),
    "km": ("m", "length", 1000.0), "kilometers": ("m", "length", 1000.0),
    "kilometres": ("m", "length", 1000.0), "kilometer": ("m", "length", 1000.0),
    "kilometre": ("m", "length", 1000.0), "miles": ("m", "length", 1609.344),
    "mile": ("m", "length", 1609.344), "meters": ("m", "length", 1.0), "metres": ("m", "length", 1.0),
    "meter": ("m", "length", 1.0), "metre": ("m", "length", 1.0), "feet": ("m", "length", 0.3048),
    "ft": ("m", "length", 0.3048), "foot": ("m", "length", 0.3048), "kg": ("kg", "mass", 1.0),
    "kilograms": ("kg", "mass", 1.0), "kilogram": ("kg", "mass", 1.0), "kilogrammes": ("kg", "mass", 1.0),
    "tonnes": ("kg", "mass", 1000.0), "tonne": ("kg", "mass", 1000.0), "tons": ("kg", "mass", 907.18474),
    "ton": ("kg", "mass", 907.18474), "lb": ("kg", "mass", 0.45359237), "grams": ("kg", "mass", 1e-3),
    "pounds": ("kg", "mass", 0.45359237), "mg": ("kg", "mass", 1e-6), "g": ("kg", "mass", 1e-3),
    "seconds": ("s", "time", 1.0), "minutes": ("s", "time", 60.0), "hours": ("s", "time", 3600.0),
    "days": ("s", "time", 86400.0), "weeks": ("s", "time", 604800.0), "second": ("s", "time", 1.0),
    "minute": ("s", "time", 60.0), "hour": ("s", "time", 3600.0), "day": ("s", "time", 86400.0),
    "week": ("s", "time", 604800.0),
    "months": ("month", "months", 1.0), "years": ("year", "years", 1.0), "month": ("month", "months", 1.0),
    "year": ("year", "years", 1.0),
    # speeds (canonical m/s), areas (m²), smaller lengths, power and energy: the units news uses
    "km/h": ("m/s", "speed", 1 / 3.6), "kph": ("m/s", "speed", 1 / 3.6), "kmh": ("m/s", "speed", 1 / 3.6),
    "kilometres per hour": ("m/s", "speed", 1 / 3.6), "kilometers per hour": ("m/s", "speed", 1 / 3.6),
    "mph": ("m/s", "speed", 0.44704), "miles per hour": ("m/s", "speed", 0.44704),
    "knots": ("m/s", "speed", 0.514444), "knot": ("m/s", "speed", 0.514444),
    "hectares": ("m2", "area", 1e4), "hectare": ("m2", "area", 1e4), "acres": ("m2", "area", 4046.8564224),
    "acre": ("m2", "area", 4046.8564224), "square kilometres": ("m2", "area", 1e6),
    "square kilometers": ("m2", "area", 1e6), "square kilometre": ("m2", "area", 1e6),
    "square kilometer": ("m2", "area", 1e6), "sq km": ("m2", "area", 1e6), "km2": ("m2", "area", 1e6),
    "square miles": ("m2", "area", 2589988.110336), "square mile": ("m2", "area", 2589988.110336),
    "mm": ("m", "length", 1e-3), "millimetres": ("m", "length", 1e-3), "millimeters": ("m", "length", 1e-3),
    "cm": ("m", "length", 1e-2), "centimetres": ("m", "length", 1e-2), "centimeters": ("m", "length", 1e-2),
    "inches": ("m", "length", 0.0254), "inch": ("m", "length", 0.0254),
    "kw": ("W", "power", 1e3), "mw": ("W", "power", 1e6), "gw": ("W", "power", 1e9),
    "megawatts": ("W", "power", 1e6), "gigawatts": ("W", "power", 1e9),
    "kwh": ("Wh", "energy", 1e3), "mwh": ("Wh", "energy", 1e6), "gwh": ("Wh", "energy", 1e9),
    "twh": ("Wh", "energy", 1e12),
    # volumes (canonical litres)
    "litres": ("l", "volume", 1.0), "liters": ("l", "volume", 1.0), "litre": ("l", "volume", 1.0),
    "liter": ("l", "volume", 1.0), "millilitres": ("l", "volume", 1e-3), "milliliters": ("l", "volume", 1e-3),
    "ml": ("l", "volume", 1e-3), "megalitres": ("l", "volume", 1e6), "megaliters": ("l", "volume", 1e6),
    "cubic metres": ("l", "volume", 1e3), "cubic meters": ("l", "volume", 1e3), "m3": ("l", "volume", 1e3),
    "m³": ("l", "volume", 1e3), "gallons": ("l", "volume", 3.785411784), "gallon": ("l", "volume", 3.785411784),
    "barrels": ("l", "volume", 158.987294928), "barrel": ("l", "volume", 158.987294928),
    # temperatures (canonical °C; Fahrenheit is converted with its offset in numbers.py)
    "°c": ("°C", "temperature", 1.0), "degrees celsius": ("°C", "temperature", 1.0),
    "degrees centigrade": ("°C", "temperature", 1.0), "celsius": ("°C", "temperature", 1.0),
    "°f": ("°C", "temperature", 5 / 9), "degrees fahrenheit": ("°C", "temperature", 5 / 9),
    "fahrenheit": ("°C", "temperature", 5 / 9),
})
# a temperature's zero: °F counts from 32 below the freezing point °C counts from
# what a figure in a unit of one quantity measures when no noun says ("It was 17 degrees Celsius");
# a length may be a depth, a height or a distance, so only units that measure one thing are here
DIMENSION_MEASURES = unit("measures named by their unit", {"temperature": "temperature", "speed": "speed"})
UNIT_OFFSETS = unit("unit offsets", {"°f": -32.0, "degrees fahrenheit": -32.0, "fahrenheit": -32.0})
# nouns and verbs that make an ordinal a rank: "48th place", "ranked 12th", "finished third"
RANK_NOUNS = unit_words("rank nouns", {"place", "position", "spot", "rank", "ranking", "seed"})
RANK_VERBS = unit_words("rank verbs", {"ranked", "ranks", "rank", "finished", "finishes", "placed", "came", "comes",
                                       "slipped to", "climbed to", "rose to", "fell to", "dropped to"})
ORDINAL_WORDS = unit("ordinal words", {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
                                       "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10})

# --- grammar and units numbers.py reads around a figure (moved verbatim: cassettes depend on them) ---

APPROXIMATORS = grammar_phrases("approximators", r"(?:about|around|approximately|roughly|some|an estimated|"
                                                 r"estimated|nearly|almost|close to|circa|~)")
LOWER_BOUNDS = grammar_phrases("lower bounds", r"(?:more than|over|at least|upwards of|in excess of|exceeding|above)")
# "nearly 5,000" is at most 5,000 and loosely so (4,962 fits); "fewer than 1,000" is strictly below
UPPER_BOUNDS = grammar_phrases("upper bounds", r"(?:less than|under|fewer than|up to|at most|below)")
NEARLY = grammar_phrases("nearly", r"(?:nearly|almost)")
# a negated comparative turns the bound round: "no more than 100" is at most 100
NOT_ABOVE = grammar_phrases("negated lower comparatives",
                            r"(?:no|not|never)\s+(?:more|greater|higher|larger|bigger|over|above)(?:\s+than)?"
                            r"|not\s+exceeding")
NOT_BELOW = grammar_phrases("negated upper comparatives",
                            r"(?:no|not|never)\s+(?:fewer|less|lower|smaller|under|below)(?:\s+than)?")
ORDINAL_NOUNS = grammar_phrases("nouns numbered by a figure", (
    "phase|stage|grade|level|tier|type|version|series|round|class|category|step|article|section|chapter|page|"
    "line|gate|terminal|flight|route|highway|no\\.|number|week|day|game|match|season|act|paragraph|item|rule"
))
NOT_NAMES = grammar("words before a figure that are no name", {
    "a", "an", "on", "in", "at", "of", "to", "by", "for", "and", "or", "the", "with", "from", "was", "is",
    "about", "around", "nearly", "almost", "over", "under", "some", "just", "only", "exactly",
    "roughly", "approximately", "than", "reached", "scored", "scores", "posted", "hit", "totaled", "between",
})
WORD_SHARES = unit("shares in words", {
    "perfect": (100.0, 100.0), "near-perfect": (95.0, 100.0), "near perfect": (95.0, 100.0),
    "nearly perfect": (95.0, 100.0), "almost perfect": (95.0, 100.0), "nearly all": (90.0, 100.0),
    "almost all": (90.0, 100.0), "virtually all": (90.0, 100.0), "a majority": (50.0, 100.0),
    "the majority": (50.0, 100.0), "half": (47.5, 52.5), "one-half": (47.5, 52.5), "a third": (31.0, 35.5),
    "one-third": (31.0, 35.5), "one in three": (31.0, 35.5), "two-thirds": (64.0, 69.0),
    "a quarter": (23.0, 27.0), "one-quarter": (23.0, 27.0), "one in four": (23.0, 27.0),
    "three-quarters": (73.0, 77.0), "one in five": (18.0, 22.0), "one in ten": (9.0, 11.0),
})
SMALL_NUMBERS = unit("numbers in words", {
    "a": 1.0, "one": 1.0, "two": 2.0, "three": 3.0, "four": 4.0, "five": 5.0, "six": 6.0, "seven": 7.0,
    "eight": 8.0, "nine": 9.0, "ten": 10.0, "eleven": 11.0, "twelve": 12.0, "fifteen": 15.0, "twenty": 20.0,
    "thirty": 30.0, "forty": 40.0, "fifty": 50.0, "a hundred": 100.0,
})
FRACTIONS = unit("fractions in words", {
    "a quarter of a": 0.25, "quarter of a": 0.25, "a third of a": 1 / 3, "half a": 0.5, "a half": 0.5,
    "three quarters of a": 0.75, "three-quarters of a": 0.75, "two-thirds of a": 2 / 3,
})

# --- grammar frames.py reads next to a figure (moved verbatim: the cassettes' readings depend on them) ---

# how much of a count is in: "with 60% of sites counted", "with most precincts reporting"
COVERAGE = grammar_phrases("how much of a count is in", (
             r"\bwith\s+(?:about\s+|nearly\s+|almost\s+|more\s+than\s+|over\s+|just\s+|only\s+)?"
             r"(?:[\d.,]+\s?(?:%|per\s?cent)|most|half|two[-\s]thirds|three[-\s]quarters|a\s+third|a\s+quarter|"
             r"all\s+but\s+\w+|the\s+(?:majority|bulk))\s+(?:of\s+)?(?:the\s+|all\s+)?[\w\s-]{0,40}?\b(?:counted|"
             r"reporting|in|tallied|declared|processed|returned|surveyed|checked|verified|complete)\b"))
STATUS_WORDS = grammar_phrases("words of a figure's status", (
    ("partial", COVERAGE
                + r"|\b(?:partial|incomplete|early)\s+(?:results?|returns|counts?|tall(?:y|ies)|figures|data)\b"
                r"|\b(?:count(?:ing)?|tally|tallying)\s+(?:is|was|were)\s+(?:still\s+)?(?:continuing|under\s?way|"
                r"ongoing|in\s+progress|incomplete)\b|\bstill\s+being\s+counted\b|\bpartial\b"),
    ("provisional", r"\b(?:provisional(?:ly)?|preliminary|flash|unaudited|advance\s+estimate|first\s+estimate|"
                    r"initial(?:ly)?\s+(?:estimated?|figures?|counts?|results?|data|readings?|tall(?:y|ies)|reports?)|"
                    r"early\s+estimates?)\b"),
    # a figure revised, not a "revised timetable": the verb, or the adjective on a word for a figure
    ("revised", r"\b(?:revised\s+(?:up|down|upwards?|downwards?|higher|lower|to|from)|(?:was|were|been|be)\s+"
                r"(?:revised|restated|corrected|downgraded|upgraded)|revised\s+(?:figures?|estimates?|data|counts?|"
                r"totals?|numbers?|tall(?:y|ies))|revisions?|restated)\b"),
    ("final", r"\b(?:final(?:ised|ized)?|certified|audited|official\s+(?:results?|counts?|tall(?:y|ies)|figures?|"
              r"totals?)|(?:full|complete)\s+(?:count|results?|tall(?:y|ies)|totals?|figures?)|"
              r"all\s+(?:[\w-]+\s+){0,2}(?:counted|declared|reporting))\b"),
    ("expectation", r"\b(?:analysts?|economists?|forecasters?|traders?|investors?|markets?|consensus|polls?|"
                    r"the\s+market)\b[\w\s,'’-]{0,40}?\b(?:expect(?:ed|s|ing)?|forecast(?:s|ed)?|predict(?:s|ed)?|"
                    r"anticipat(?:e|ed|es)|pencil(?:l)?ed\s+in|estimated?|projected|polled|surveyed)\b"
                    r"|\b(?:expectations?|consensus(?:\s+(?:estimate|forecast|view))?|(?:had\s+)?been\s+expected|"
                    r"(?:was|were)\s+expected|expected|anticipated)\b"),
    ("forecast", r"\b(?:forecasts?|forecasting|predictions?|projections?|outlook|guidance|by\s+(?:the\s+end\s+of\s+)?"
                 r"(?:19|20)\d\d)\b"),
    ("target", r"\b(?:targets?|targeted|ambitions?|capped\s+at|cap\s+of)\b"),
    ("plan", r"\b(?:planned|scheduled|proposed|proposals?|budgeted|earmarked|allocated)\b"),
    ("estimate", r"\b(?:an?\s+estimated|estimated|estimates?|roughly|approximately)\b"),
))
STATUS_VERBS = grammar_phrases("verbs of a figure's status", (
    ("forecast", r"\b(?:expects?|expecting|anticipates?|predict(?:s|ed)?|projects?|projected|forecasts?|"
                 r"(?:is|are|was|were)\s+(?:expected|set|due|likely|poised|on\s+(?:course|track))\s+to|"
                 r"(?:will|'ll)\s+(?!have\b|not\b)[a-z]+|(?:would|could|might)\s+(?:reach|rise|fall|hit|total|"
                 r"top|cost|be|grow|climb|drop|exceed|increase|decrease|double|halve|need|require))\b"),
    ("target", r"\b(?:aims?\s+(?:to|for|at)|aimed\s+(?:to|for|at)|aiming\s+(?:to|for|at)|pledg(?:e|es|ed)\s+to|"
               r"targeting)\b"),
    ("plan", r"\b(?:plans?\s+to|planning\s+to|intends?\s+to|promis(?:e|es|ed)\s+to|(?:is|are)\s+to\s+[a-z]+)\b"),
))
MOMENT_WORDS = grammar_phrases("words of a moment in a day or a session", (
    ("early trading", r"\b(?:in\s+early\s+(?:trading|trade|deals|dealings)|at\s+the\s+open(?:ing)?(?:\s+bell)?|"
                      r"(?:shortly\s+)?after\s+the\s+open(?:ing)?|opened\s+(?:up|down|higher|lower|at|flat)|"
                      r"in\s+(?:pre|pre-market)\s*trading|premarket|pre-market)\b"),
    # a market's close, not any "closing" ("closing the gap"): a direction, a level or the session follows
    ("at the close", r"\b(?:at\s+(?:the|\w+['’]s)\s+(?:close|closing\s+bell|end\s+of\s+(?:trading|the\s+"
                     r"(?:session|day)))|(?:closed|closing|settled|finished|ended)\s+(?:up|down|higher|lower|at|flat|"
                     r"unchanged)|closing\s+(?:price|level|bell)|(?:ended|finished|closed)\s+(?:the\s+|\w+['’]s\s+)?"
                     r"(?:day|session|trading))\b"),
    ("intraday", r"\b(?:intraday|at\s+one\s+point|during\s+the\s+(?:session|day)|in\s+(?:afternoon|midday|morning)\s+"
                 r"(?:trading|trade|deals)|at\s+(?:its|their)\s+(?:low|lowest|high|highest|worst|peak))\b"),
    ("overnight", r"\bovernight\b"),
    ("morning", r"\b(?:morning|dawn|daybreak|a\.m\.?)\b"),
    ("midday", r"\b(?:midday|noon|lunchtime)\b"),
    ("afternoon", r"\bafternoon\b"),
    ("evening", r"\b(?:evening|tonight|dusk|p\.m\.?)\b"),
    ("night", r"\b(?:night|midnight)\b"),
))
MOMENT_ORDER = grammar_map("the order of a day", {
    "overnight": 0, "early trading": 1, "morning": 1, "midday": 2, "intraday": 2, "afternoon": 3, "at the close": 4,
    "evening": 5, "night": 6,
})
PER_TIME = unit("periods a rate is per, per year", {
    "hour": 8766.0, "day": 365.25, "week": 52.18, "fortnight": 26.09, "month": 12.0, "quarter": 4.0, "year": 1.0,
    "annum": 1.0,
})
RATE_ADVERBS = grammar_map("adverbs of a rate", {
    "hourly": "hour", "daily": "day", "weekly": "week", "fortnightly": "fortnight", "monthly": "month",
    "quarterly": "quarter", "annual": "year", "annually": "year", "yearly": "year", "annualised": "year",
    "annualized": "year",
})
RATE_ABBREVIATIONS = unit("periods abbreviated after a slash", {"hr": "hour", "wk": "week", "mo": "month",
                                                                 "yr": "year"})
PER_PERSON = grammar("nouns of a figure per person", {"capita", "person", "head", "resident", "inhabitant"})

# --- grammar text.py splits sentences and clauses with ------------------------------------------------

# words written with a stop that does not end a sentence ("Dr. Smith", "Acme Corp. said")
ABBREVIATIONS = grammar("abbreviations with a stop", {
    "mr", "mrs", "ms", "dr", "prof", "inc", "corp", "ltd", "co", "jr", "sr", "st", "vs", "no", "fig", "u.s", "e.g",
    "i.e", "approx", "est", "gov", "sen", "rep",
})
# words that open a new clause after a comma: the quote for one figure stops there
CLAUSE_OPENERS = grammar_phrases("words opening a clause after a comma", "which|while|whereas|but|although|though")

# --- grammar of the calendar (dates.py, timing.py) -----------------------------------------------------

# month and weekday names in order (a month's number is its place)
MONTHS = grammar_phrases("months", [
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
])
WEEKDAYS = grammar_phrases("weekdays", ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                                        "sunday"])
# month names and their abbreviations as written, capitalised ("may" and "march" are words too)
MONTH_NAMES = grammar_phrases("month names and abbreviations", (
    r"Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?"))
# words before the date a document gives for itself ("Published March 3, 2026")
PUBLICATION_WORDS = grammar_phrases("words of publication", "published|updated|last updated|posted|dated|modified")
# what may stand before the date on a dateline or byline, besides names in capitals and punctuation
BYLINE_WORDS = grammar_phrases("words of a byline",
                               "by|on|at|and|of|the|de|la|del|da|van|von|published|updated|posted|modified|dated|"
                               "first|last")
# what makes a line with a date a dateline or byline: a byline or publication word, or a weekday
BYLINE_MARKS = grammar_phrases("marks of a byline", (
    r"By|by|Published|published|Updated|updated|Posted|posted|Modified|modified|Dated|dated"))
WEEKDAY_NAMES = grammar_phrases("weekday names and abbreviations",
                                r"(?:Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)(?:day|nesday|sday|urday|rsday)?")
# parts of a day a time may name ("Tuesday morning")
PARTS_OF_DAY = grammar_phrases("parts of a day", "morning|afternoon|evening|night")
# a time relative to a document's date: today, yesterday, a weekday, last week, two days ago, by 5 p.m.
RELATIVE_TIMES = grammar_phrases("relative times", (
    rf"\b(?P<today>today|tonight|this\s+(?:{PARTS_OF_DAY}|midday|noon)|earlier\s+today|so\s+far\s+today)\b"
    r"|\b(?P<yesterday>yesterday|last\s+night|overnight)\b"
    rf"|\b(?P<weekday>{'|'.join(WEEKDAYS)})(?:\s+(?:{PARTS_OF_DAY}|midday|noon))?\b"
    r"|\b(?P<lastweek>last\s+week|the\s+previous\s+week|a\s+week\s+ago)\b"
    r"|\b(?P<thisweek>this\s+week|earlier\s+this\s+week)\b"
    r"|\b(?P<lastmonth>last\s+month|the\s+previous\s+month)\b"
    r"|\b(?P<thismonth>this\s+month|earlier\s+this\s+month)\b"
    r"|\b(?P<lastyear>last\s+year|the\s+previous\s+year|a\s+year\s+(?:ago|earlier))\b"
    r"|\b(?P<thisyear>this\s+year|so\s+far\s+this\s+year)\b"
    r"|\b(?P<ago>\d{1,2}|two|three|four|five|six|seven)\s+(?P<unit>day|week)s?\s+ago\b"
    r"|\b(?:by|at|before|until)\s+(?P<clock>\d{1,2}(?::\d\d)?\s?(?:a\.?m\.?|p\.?m\.?)|noon|midday|midnight)"))
# a part of a year before a year: "early 2026", "the end of 2025"
PARTS_OF_A_YEAR = grammar_phrases("parts of a year", r"early|late|mid|the\s+end\s+of|the\s+start\s+of")
# a time after one of these opens a span rather than dates a reading: "since it opened on Friday"
SPAN_OPENERS = grammar_phrases("words opening a span", "since|from|started|starting|began|beginning|broke out|after")
# words of a report: a time attached to one ("officials said on Tuesday") dates the report, not the figure
REPORTING_WORDS = grammar_phrases("words of reporting", (
    r"said|says|say|told|tells|reported|reports|announced|announces|released|published|"
    r"issued|confirmed|added|stated|according\s+to|statement|update[sd]?"))
# words without which a quote states no time (a cheap first look)
TIME_WORDS = grammar_phrases("words that may state a time", (
    rf"{'|'.join(WEEKDAYS)}|today|tonight|yesterday|overnight|"
    r"this|last|earlier|ago|morning|afternoon|evening|night|noon|midday|midnight|week|month|year"))
# how a note names where a document's date came from
DATE_SOURCE_NAMES = grammar_map("names of where a date came from", {
    "published": "publication line", "metadata": "page metadata", "dateline": "dateline", "filename": "file name",
    "batch": "dateline", "head": "dateline"})

# --- grammar compare.py tells a running figure by ----------------------------------------------------

# the perfect ("has flooded", "have been rescued"): a figure read at a moment
PERFECT = grammar_phrases("the perfect", r"ha(?:s|ve|d) (?:now |so far |already |since )?(?:been )?\w{2,30}"
                                         r"(?:ed|en|wn|nt|un)")
# a total so far: a count that only grows
SO_FAR = grammar_phrases("words of a total so far", "so far|to date")
IN_ALL = grammar_phrases("words of a total", "cumulative|in total|altogether")
# a state now ("stood at", "reached", "remain", "still") or a total so far
RUNNING_WORDS = grammar_phrases("words of a running figure", (
    rf"{PERFECT}|{SO_FAR}|as of|at least|now|still|currently|remain(?:s|ed)?|stood at|stands at|"
    r"reached|reaches|(?:rose|rises|climbs|fell|falls|dropped|drops|grew|grows) to|risen|climbed|climbing|grown to|"
    rf"{IN_ALL}"))
# words that say a count went down
FALLING_WORDS = grammar_phrases("words of a fall", (
    "fell|fallen|dropped|declined|decreased|eased|shrank|shrunk|reduced|narrowed|lower|down|fewer|less|cut"))
# words of negation
NEGATION = grammar_phrases("negation", "no|not|without|excluding|non")

# --- grammar frames.py cuts the words around a figure with (moved verbatim) -------------------------------

# where a clause ends before a figure with no figure before it
CLAUSE_END = grammar_phrases("ends of a clause", (r"[;:]|\.\s|\s[—–]\s|\bwhile\b|\bwhereas\b|\bbut\b|,\s+and\b"
                                                  r"|,\s+(?:which|who|whose)\b|,\s+[a-z]+ing\b"))
# a relative clause set off by commas (or a quote's start) speaks of something else:
# "The plant, which opened in 1974, produced"
SET_OFF_RELATIVE = grammar_phrases("a relative clause set off by commas", r"(?:^|,)\s*(?:which|who|whose)\b[^,]*,")
# a fronted clause of concession or contrast speaks of something else: "Despite forecasts of rain, 30,000 attended"
FRONTED = grammar_phrases("openers of a fronted clause", (
    r"despite|although|though|even\s+though|unlike|in\s+contrast\s+to|apart\s+from|while|whereas"))
# a subordinate clause after a figure tells of something else ("as" unless it is "as of", "as much", ...)
SUBORDINATE = grammar_phrases("openers of a subordinate clause", (
    r"after|when|because|although|though|unless|until|as(?!\s+(?:of|much|many|high|low|"
    r"well|part|a\s+result|expected|forecast|planned|estimated)\b)"))
# a comparison after a figure opens words about what it is compared with
COMPARISON = grammar_phrases("openers of a comparison", (
    r"than|in\s+line\s+with|compared\s+(?:with|to)|ahead\s+of|short\s+of|versus|vs\.?|"
    r"beating|missing|matching|exceeding|topping"))
# between two figures, words after one of these belong to the later figure, words before to the earlier
SHARED_BREAK = grammar_phrases("breaks between two figures", (
    r",|\band\b|\bafter\b|\bbefore\b|\bfrom\b|\bcompared\s+(?:with|to)\b|\bagainst\b|"
    r"\bversus\b|\bvs\.?|\bthen\b|\bthan\b|\bwhile\b|\bwhereas\b|\bbut\b|[;:]"))
# a comparison with an expectation is not the figure's own status: "rose 5%, more than expected"
COMPARED = grammar_phrases("words of a comparison with an expectation", (
    r"\b(?:than|as|versus|vs\.?|against|beat|beating|missed|missing|topped|topping)"
    r"(?:\s+(?:the|an?|its|their|had|been|were|was|had been))*\s*$"))
# a rate: "per week", "/yr", "annually"
RATE = grammar_phrases("words of a rate", (
    rf"\b(?:per|a|an|each|every)\s+(?P<unit>{'|'.join(PER_TIME)})\b"
    r"(?!\s+(?:earlier|ago|before|later|after|on|to\s+date|from|since|into|of|or\s+so|and\s+a\s+half))"
    r"|/\s?(?P<slash>hour|hr|day|week|wk|month|mo|year|yr)\b"
    r"|\b(?P<adverb>hourly|daily|weekly|fortnightly|monthly|quarterly|annual(?:ly|ised|ized)?|yearly)\b"
    r"|\bp\.a\.|\ba-year\b"))
# what a figure is per: "per share", "per capita", "a pupil"
PER_UNIT = grammar_phrases("nouns a figure is per", (
    r"\b(?:per|a)\s+(?:diluted\s+|ordinary\s+)?(?P<noun>share|capita|person|head|resident|"
    r"inhabitant|household|pupil|student|patient|passenger|customer|employee|worker|member)\b"))
# a total so far, in the words frames.py reads it with, and the starts a total is counted from
TOTAL_SO_FAR = grammar_phrases("words of a running total", (
    r"so\s+far|to\s+date|in\s+total|cumulative(?:ly)?|altogether|all\s+told|running\s+total|year[-\s]to[-\s]date"))
COUNTED_FROM = grammar_phrases("starts a total is counted from", r"the\s+(?:start|beginning|outbreak)|records\s+began")
# the period a figure covers: a preposition and a quarter, half, fiscal year, month or year; a month named as a
# reading ("a February reading", "November's decline"); a span ("for the full year"); a relative one ("last month")
# the months as written in full, capitalised (read from MONTHS)
FULL_MONTHS = "|".join(month.capitalize() for month in MONTHS)
IN_PERIOD = grammar_phrases("words of the period a figure covers", (
    r"\b(?:in|for|during|over|of|throughout|across)\s+(?:the\s+)?(?:month\s+of\s+)?"
    r"(?P<what>(?:(?:first|second|third|fourth)[-\s](?:quarter|half)|Q[1-4]|H[12])(?:\s+(?:of\s+)?(?:19|20)\d\d)?"
    r"|(?:fiscal(?:\s+year)?|FY)\s?(?:19|20)?\d\d"
    rf"|(?P<month>{FULL_MONTHS})(?:\s+(?:19|20)\d\d)?|(?:19|20)\d\d)\b"
    # a month written as the name of a reading: "a February reading", "November's 1.7% decline" (after an
    # article or with a possessive: "Theresa May said" and "analyst June Lee" name people)
    rf"|(?:(?<=\ba\s)|(?<=\bthe\s)|(?<=\bits\s)|(?<=\bthat\s)|(?<=\bthis\s))(?P<named>{FULL_MONTHS})(?=\s+[a-z])"
    rf"|\b(?P<owned>{FULL_MONTHS})['’]s\b"
    # a span: "for the full year", "in the first half", "in the three months to January", "the year to March"
    r"|(?i:\b(?:for|in|during|over|across)\s+the\s+(?P<span>(?:(?:full|whole|financial|fiscal|calendar)\s+)?year|"
    r"quarter|(?:first|second)\s+half|half[-\s]year|month|week|weekend|season|(?:\w+|\d+)\s+months|\d+\s+weeks)"
    rf"(?:\s+to\s+(?:the\s+end\s+of\s+)?(?P<to>(?-i:{FULL_MONTHS}))(?:\s+(?:19|20)\d\d)?)?\b)"
    r"|(?i:\b(?P<relative>last\s+(?:month|quarter|year|season|weekend)|the\s+(?:previous|prior|preceding)\s+"
    r"(?:month|quarter|year|season)|(?:a|the)\s+(?:month|quarter|year)\s+(?:earlier|before|ago)|"
    r"this\s+(?:month|quarter|year|season|weekend)|next\s+(?:month|quarter|year|season)|year[-\s]earlier)\b)"))
# a period after one of these is what a change is measured against: "up 3.1% from a year earlier"
BASE = grammar_phrases("words before a base period", (
    r"\b(?:than|from|against|compared\s+(?:with|to)|over|versus|vs\.?|on)\s+(?:the\s+)?(?:same\s+\w+\s+)?(?:of\s+)?$"))
# a time after one of these bounds a span, it is not the period a figure covers
BEFORE_SPAN = grammar_phrases("words bounding a span", r"since|until|till|by|from|before|after|through")
# words that count back from a period the sentence names: "the month before"
ANCHORED = grammar_phrases("words counting back", r"earlier|before|previous|prior|preceding")
# words that open a relative or time clause: a period after them is that clause's
RELATIVE_CLAUSE = grammar_phrases("openers of a relative clause", r"who|which|that|whose|when|where|since|until|after|"
                                                                   r"before")

# --- grammar rules.py reads names, measures and sources with (moved verbatim) -----------------------------

# words that open a sentence in capitals without being a name ("However", "Analysts")
SENTENCE_STARTERS = grammar("words opening a sentence that are no name", {
    "the", "a", "an", "on", "in", "at", "for", "by", "with", "from", "as", "after", "before",
    "this", "that", "these", "those", "it", "its", "while", "when", "where", "if", "but", "and",
    "however", "notably", "meanwhile", "according", "despite", "although", "since", "until",
    "perhaps", "still", "yet", "also", "here", "there", "what", "why", "how", "who", "which",
    "initial", "recent", "officials", "analysts", "some", "many", "most", "both", "each", "all",
    "one", "two", "three", "our", "their", "his", "her", "we", "they", "he", "she", "rather",
    "instead", "over", "under", "up", "down", "last", "first", "new", "early", "late", "more",
    "less", "fewer", "about", "around", "nearly", "almost", "only", "just", "rival", "rivals",
    "neighbouring", "neighboring", "nearby", "fellow", "of", "de", "&", "then", "now", "today",
    "yesterday", "tonight", "overall", "indeed", "finally", "second",
    "third", "similarly", "likely", "separately", "elsewhere", "together", "altogether", "currently",
})
# function words and approximators a measure's noun phrase stops at
MEASURE_STOPS = grammar("words a measure phrase stops at", {
    "of", "in", "on", "at", "to", "by", "for", "with", "from", "and", "or", "than", "as", "that",
    "which", "who", "while", "its", "their", "his", "her", "was", "is", "were", "are", "has",
    "have", "had", "be", "been", "will", "would", "could", "may", "might", "this", "these",
    "those", "it", "they", "about", "around", "nearly", "almost", "over", "some", "more",
    "less", "up", "down", "just", "only", "roughly", "approximately", "per", "into", "across",
    "through", "after", "before", "during", "since", "despite", "among", "between",
})
# determiners and verbs of reporting that stand before a measure, not in it
DETERMINERS_AND_VERBS = grammar("determiners and verbs before a measure", {
    "the", "a", "an", "reported", "reports", "report", "posted", "posts", "announced", "recorded", "generated",
    "booked", "logged", "delivered", "had", "has", "have", "saw", "sees", "expects", "expected", "forecast",
    "estimated", "estimate", "estimates", "its", "their", "total", "overall", "combined", "reaching", "hit", "says",
    "said",
})
# adjectives that say a figure's period, not what it measures ("quarterly revenue")
PERIOD_ADJECTIVES = grammar("adjectives of a period", {
    "quarterly", "annual", "annualised", "annualized", "yearly", "monthly", "weekly", "daily-average",
    "first-quarter", "second-quarter", "third-quarter", "fourth-quarter", "full-year", "half-year",
    "first-half", "second-half", "year-end", "q1", "q2", "q3", "q4", "fiscal",
})
# verb forms a name may act with that end in neither -ed nor -s ("Acme won")
IRREGULAR_VERBS = grammar("verb forms without a regular ending", {
    "struck", "hit", "rose", "fell", "grew", "took", "made", "left", "led", "won", "lost", "saw", "came", "went",
    "gave", "held", "ran", "sold", "bought", "paid", "spent", "holds", "reads", "is", "are", "was", "were", "will",
    "would",
})
# words that qualify a figure, not name what it counts
QUALIFIER_WORDS = grammar("qualifiers of a figure", {
    "least", "most", "nearly", "almost", "roughly", "approximately", "just", "exactly", "some", "around", "about",
    "over", "under", "than", "more", "fewer", "less", "only", "estimated", "another", "further", "extra", "total",
})
# prepositions that open a qualifier of a measure ("revenue for the quarter")
QUALIFIER_PREPOSITIONS = grammar("prepositions opening a qualifier", {
    "of", "in", "on", "at", "to", "by", "for", "with", "from", "into", "across", "through", "after", "before", "during",
    "since", "despite", "among", "between", "per", "about", "around", "over",
})
# verbs that state a figure as a subject's result ("scored", "posted")
SCORE_VERBS = grammar_phrases("verbs stating a figure as a result", (
    r"scores?|scored|scoring|posts?|posted|reach(?:es|ed)?|achiev(?:es|ed|ing)|hits?|gets?|got|"
    r"records?|recorded|earns?|earned|registers?|registered|logs?|logged"
))
# verbs of change in the past tense
CHANGE_VERBS = grammar_phrases("verbs of change in the past", (
    r"(?:rose|fell|grew|increased|decreased|declined|jumped|dropped|climbed|surged|slipped|gained|lost)"))
# an approximator before a figure, with its space
QUALIFIER = grammar_phrases("approximators before a figure", (
    r"(?:(?:about|around|nearly|some|an estimated|just|roughly|approximately)\s+)?"))
# verbs that put a subject at a figure ("stands at")
POSITION_VERBS = grammar_phrases("verbs of a position", (
    r"(?:lands at|landed at|sits at|sat at|comes in at|came in at|stands at|stood at)"))
# words for how much or how likely, of any thing
HOW_MUCH_OF = grammar_phrases("words of how much or how likely", (
    r"(?:risk|rate|odds|chance|likelihood|probability|number|amount|level|count|share)"))
# verbs that reduce a thing by a figure
REDUCE_VERBS = grammar_phrases("verbs of reducing", (
    r"(?:reduc(?:ed|es|e|ing)|cut(?:s|ting)?|lower(?:ed|s|ing)?|decreas(?:ed|es|e|ing)|slash(?:ed|es)?)"))
# verbs that raise a thing by a figure
RAISE_VERBS = grammar_phrases("verbs of raising", (
    r"(?:increas(?:ed|es|e|ing)|rais(?:ed|es|e|ing)|boost(?:ed|s|ing)?|improv(?:ed|es|e|ing))"))
# nouns of time: a qualifier with one says when, not what
TIME_NOUNS = grammar_phrases("nouns of time", (
    r"quarter|year|years|period|month|months|week|weeks|day|days|half|season|fiscal|today|yesterday"))
# words that say a figure is reported, not known: "reportedly", "could not be confirmed", "is expected"
HEDGES = grammar_phrases("hedges", (
    r"reportedly|reported that|reports that|(?:is|are|was|were|has been|have been) reported|unconfirmed|"
    r"unverified|could not (?:be )?(?:independently )?confirm|unable to (?:independently )?confirm|planned|"
    r"plans? to|expected|expects|estimated|estimates?|projected|forecast|rumou?red|allegedly|may|might|could|"
    r"preliminary|is said to|claims?|claimed"))
# the roles of a person or body a figure is attributed to: "a company spokesperson", "the ministry's official"
SOURCE_ROLES = grammar_phrases("roles of a source", (
    r"executive|official|spokes(?:wo)?man|spokesperson|analyst|source|researcher|expert|economist|authorit(?:y|ies)"))
# verbs whose subject is only a source of the figure ("X said ..."), and verbs whose subject states its own
# figure ("X reported revenue of ...")
SOURCE_VERBS = grammar_phrases("verbs of a source", (
    r"said|says|told|tells|claims|claimed|estimated|estimates|estimate|noted|notes|"
    r"stated|confirmed|believes?|expects?|forecasts?|predicts?|measured"))
OWN_REPORT_VERBS = grammar_phrases("verbs of reporting one's own figure", (
    r"reported|reports|announced|announces|posted|disclosed"))
# words that stand for a source already named: the sentence names no new one
SOURCE_PRONOUNS = grammar("words for a source already named", {"it", "he", "she", "they", "the company", "the firm",
                                                                "we", "i"})
# prepositions that date a figure ("by March 3"), and verbs that date a sentence's reading ("said on Tuesday")
DATING_PREPOSITIONS = grammar_phrases("prepositions dating a figure", "by|on|since|through|until")
READING_VERBS = grammar_phrases("verbs dating a reading", "said|reported|announced|confirmed|added")
# words of a forecast
FORECAST_WORDS = grammar_phrases("words of a forecast", (
    r"expected|expects?|forecasts?|projected|projects|predicts?|estimates?|guidance|outlook|"
    r"is set to|on track to|aims? to|targets?"))
# verbs that put a figure on the word before them: "Turnout was 61%", "Sales rose 4%"
BE_VERBS = grammar_phrases("forms of be, have and remain", "is|are|was|were|has|have|had|remains?|remained")
LEVEL_VERB_FORMS = grammar_phrases("verb forms of a level", "st(?:ood|ands)|reached|hit|totall?ed|came|comes|edged|"
                                                            "eased|topped")
# the second part of a compound adjective ("state-owned", "AI-powered"): the first part is no name
ADJECTIVE_COMPOUND_ENDS = grammar_phrases("ends of a compound adjective", (
    r"level|based|style|like|class|grade|scale|size|sized|led|backed|owned|focused|related|"
    r"specific|wide|free|era|year-old|old|made|driven|powered|first|only|native|friendly"))
# a name that gave a score ("the panel awarded Acme a score of 71")
SCORE_GIVING_VERBS = grammar_phrases("verbs of giving a score", "assigned|gave|awarded|rated")

# --- grammar and units numbers.py reads beside a figure (moved verbatim) -----------------------------------

# an ordinal followed by one of these is no rank: "third time", "second quarter", "fifth in a row"
NOT_A_RANK_AFTER = grammar_phrases("words after an ordinal that is no rank",
                                   r"of|in\s+a\s+row|time|quarter|half|day|week|month|year|century")
# nouns of a result a share in words is of: "a perfect score", "near-perfect accuracy"
RESULT_NOUNS = grammar_phrases("nouns of a result", "performance|score|scores|result|results|accuracy|marks|success")
# the scale words a number in words is read with: "two million", "half a billion"
SCALES_IN_WORDS = unit_phrases("scale words after a number in words", "thousand|million|billion|trillion")
# an ordinal or a word of order before a figure: "the first 100", "the latter 20"
ORDER_WORDS = grammar_phrases("words of order before a figure", "first|second|third|fourth|last|latter|former")
# words after a figure that make it a physical extent: "30 metres deep", "5 km away"
EXTENT_WORDS = grammar_phrases("words of a physical extent", (
    r"deep|tall|high|long|wide|away|below|above|underground|under|across|in (?:depth|height|length|diameter)"))

# --- numbers written in words ----------------------------------------------------------------------

# cardinals written out ("Seven miners", "twenty-five buses"); "one" is left out: it is a pronoun or
# a determiner far more often than a count ("one of the", "one day"). Tens and units join with a
# hyphen or a space ("twenty-five", "twenty five"), read in numbers.py.
CARDINAL_WORDS = unit("cardinals in words", {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19,
})
CARDINAL_TENS = unit("tens in words", {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
                                       "seventy": 70, "eighty": 80, "ninety": 90})
# words that multiply the word before them: "a dozen", "half a dozen", "two dozen", "a hundred"
CARDINAL_MULTIPLIERS = unit("multipliers in words", {"dozen": 12, "hundred": 100})
MULTIPLIER_AMOUNTS = unit("amounts before a multiplier", {"a": 1.0, "one": 1.0, "half a": 0.5})
# words after which a counted number refers back instead of counting ("the two men", "all three")
REFERRING_BEFORE_COUNT = grammar("words before a number that refers back", {
    "the", "these", "those", "both", "all", "its", "their", "his", "her", "our", "my", "your", "every", "each",
})
# ordinals past the tenth; tens and units join as for cardinals ("twenty-first")
MORE_ORDINAL_WORDS = unit("ordinal words past the tenth", {
    "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15, "sixteenth": 16,
    "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20, "thirtieth": 30, "fortieth": 40,
    "fiftieth": 50, "sixtieth": 60, "seventieth": 70, "eightieth": 80, "ninetieth": 90, "hundredth": 100,
})
# a rank by an ordinal before a superlative ("the third-largest", "Britain's fifth biggest"): any word
# ending in -est is read as a superlative except these words of English that only end so
NOT_SUPERLATIVES = grammar("words ending in -est that are no superlative", {
    "test", "contest", "protest", "request", "interest", "quest", "west", "forest", "harvest", "chest", "nest",
    "arrest", "guest", "rest", "conquest", "inquest", "suggest", "digest", "manifest", "honest", "modest",
    "invest", "behest", "bequest", "crest", "zest", "vest", "pest", "attest", "detest", "unrest", "priest",
    "midwest", "northwest", "southwest", "pretest", "retest",
})
SUPERLATIVE_WORDS = grammar("superlatives without -est", {"best", "worst", "most", "least"})
# shares in words beside those above ("a fifth of employees"), as ranges of percent like them
MORE_WORD_SHARES = unit("more shares in words", {
    "a fifth": (18.0, 22.0), "one-fifth": (18.0, 22.0), "one fifth": (18.0, 22.0), "two-fifths": (38.0, 42.0),
    "two fifths": (38.0, 42.0), "three-fifths": (58.0, 62.0), "three fifths": (58.0, 62.0),
    "four-fifths": (78.0, 82.0), "four fifths": (78.0, 82.0), "a tenth": (9.0, 11.0), "one-tenth": (9.0, 11.0),
    "one tenth": (9.0, 11.0), "a sixth": (15.0, 18.5), "one-sixth": (15.0, 18.5), "an eighth": (11.5, 13.5),
    "three quarters": (73.0, 77.0), "two thirds": (64.0, 69.0), "one third": (31.0, 35.5),
    "one quarter": (23.0, 27.0), "one half": (47.5, 52.5),
})
# units written in one case only, right after a figure: "24C" and "75F" are temperatures, "24c" is
# cents; "5.6 Mt" is megatonnes, "5.6 mt" may be metric tonnes or million tonnes
CASED_UNITS = unit("units written in one case", {
    "C": ("°C", "temperature", 1.0), "F": ("°C", "temperature", 5 / 9),
    "Mt": ("kg", "mass", 1e9), "kt": ("kg", "mass", 1e6),
})
CASED_UNIT_OFFSETS = unit("offsets of units written in one case", {"F": -32.0})
# degrees without a scale: a temperature whose scale the text does not state, compared only with
# figures stated the same way
MORE_UNITS = unit("more units of measure", {
    "degrees": ("°", "temperature", 1.0), "degree": ("°", "temperature", 1.0), "°": ("°", "temperature", 1.0),
    "megatonnes": ("kg", "mass", 1e9), "megatonne": ("kg", "mass", 1e9), "megatons": ("kg", "mass", 1e9),
    "kilotonnes": ("kg", "mass", 1e6), "kilotonne": ("kg", "mass", 1e6), "kilotons": ("kg", "mass", 1e6),
})
# words before a clock-like figure that make it a duration ("won in 2:07:41", "a time of 2:07")
DURATION_CUES = grammar_phrases("words before a figure that make it a duration", (
    r"in|a\s+time\s+of|time\s+of|timed\s+at|record\s+of|best\s+of|lasted|took"
))
# words that join two numbers into a range ("two or three people", "four to five weeks")
NUMBER_RANGE_WORDS = grammar("words joining two numbers", {"or", "to"})

# --- grammar align.py tells names and measures apart with (moved verbatim) ------------------------

# small words inside a name that its initials skip ("Bank of England": BoE)
NAME_PARTICLES = grammar("words of a name its initials skip", {"of", "the", "and", "for", "&", "de", "du", "la",
                                                                "le", "von", "van", "der"})
# nouns for a part of an organisation: "Kestrel's freight arm" is not Kestrel
PART_NOUNS = grammar("nouns of a part of an organisation", {
    "unit", "units", "arm", "arms", "division", "divisions", "subsidiary", "subsidiaries", "branch", "branches",
    "wing", "department", "office", "bureau", "affiliate", "team", "board", "committee", "agency", "ministry",
    "chapter"})
# words after a name that are no descriptor of it ("Acme and", "Acme of")
NOT_DESCRIPTORS = grammar("words after a name that describe nothing", {
    "and", "or", "nor", "of", "at", "in", "on", "for", "against", "by", "with", "from", "to", "over", "near",
    "between", "versus", "vs"})
# prepositions after a lower-case description before a name ("the mayor of Halvard")
DESCRIPTOR_PREPOSITIONS = grammar("prepositions between a description and a name", {
    "of", "at", "in", "on", "for", "by", "from", "over", "against", "with"})
# words that qualify when or where a figure holds: a figure with one of them on one side only is for
# another period or scope ("pass rate last year")
QUALIFYING_WORDS = grammar("words qualifying when or how a figure holds", {
    "year", "years", "month", "months", "week", "weeks", "day", "days", "quarter", "season", "today", "yesterday",
    "current", "currently", "previous", "prior", "last", "next", "earlier", "later", "initial", "final", "first",
    "second", "third", "immediately", "now", "ago", "already", "expected", "projected", "forecast", "target",
    "planned", "original", "originally", "new", "old", "change", "growth", "increase", "decrease", "rise", "fall"})
# nouns that name "a measured value" without saying of what: "Brixley Index rating" and "score on the
# Brixley Index" measure one named thing
MEASURE_HEADS = grammar("nouns of a measured value", {
    "score", "result", "performance", "rating", "reading", "estimate", "measure", "metric", "statistic", "mark",
    "size", "figure", "tally"})
