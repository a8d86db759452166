"""The rules backend: figures with the subject and attribute the text gives them."""

from __future__ import annotations

from tests.conftest import SEEDS
from verifier.ingest import read_document
from verifier.keys import KeyMaker
from verifier.models import Document
from verifier.rules import RulesExtractor, find_tables


def _doc(text: str, doc_id: str = "d") -> Document:
    return Document(id=doc_id, path=f"{doc_id}.txt", sha256="0" * 64, title=text.splitlines()[0], text=text)


def _claims(text: str) -> list[tuple[str, str, str, list[str]]]:
    found = RulesExtractor().extract(_doc(text))
    return [(c.claim.subject, c.claim.attribute, c.claim.value, c.claim.conditions) for c in found]


def test_pipe_table_with_one_cell_a_line_becomes_row_by_column_claims() -> None:
    doc = read_document(SEEDS / "002_b578d2187d9a6f5a.txt")
    assert isinstance(doc, Document)
    claims = RulesExtractor().extract(doc)
    by_cell = {(c.claim.subject, c.claim.attribute): c for c in claims if c.claim.quote == c.claim.value}
    gpqa = by_cell[("Muse Spark", "GPQA Diamond")]
    assert gpqa.claim.value == "78.4" and gpqa.claim.conditions == ["Contemplating"]
    assert doc.text[gpqa.hint:gpqa.hint + 4] == "78.4"
    hle = by_cell[("Muse Spark", "Humanity’s Last Exam")]
    assert hle.claim.conditions == ["Contemplating", "No Tools"]
    assert by_cell[("Claude Opus 4.6", "SWE-Bench Verified")].claim.value == "64.8"
    assert len(by_cell) == 35  # 7 benchmarks x 5 models


def test_one_line_markdown_tables_with_period_columns() -> None:
    text = "Acme results\n| Metric | Q3 2026 | Q3 2025 |\n|---|---|---|\n| Revenue | $4.2 billion | $3.9 billion |\n"
    _, tables = find_tables(text)
    assert len(tables) == 1
    claims = _claims(text)
    assert ("Acme", "Revenue", "$4.2 billion", ["Q3 2026"]) in claims
    assert ("Acme", "Revenue", "$3.9 billion", ["Q3 2025"]) in claims


def test_pronouns_and_the_model_resolve_to_the_main_entity() -> None:
    text = (
        "Muse Spark launches\nMuse Spark is Meta's new model. Muse Spark is fast.\n"
        "The model posts 89.5 on GPQA Diamond. It scores 80.4 on MMMU Pro.\n"
    )
    claims = _claims(text)
    assert ("Muse Spark", "GPQA Diamond", "89.5", []) in claims
    assert ("Muse Spark", "MMMU Pro", "80.4", []) in claims


def test_figures_of_other_companies_nearby_get_their_own_subject() -> None:
    text = (
        "Acme quarterly results\n"
        "Acme reported revenue of $4.2 billion, while rival Globex, which reported revenue of $3.1 billion, lagged.\n"
    )
    subjects = {(s, v) for s, _, v, _ in _claims(text)}
    assert ("Acme", "$4.2 billion") in subjects
    assert ("Globex", "$3.1 billion") in subjects


def test_counts_are_named_by_what_was_counted_and_what_happened_to_it() -> None:
    text = ("Flood in Marrow\nThe flood in Marrow killed 140 people and injured 900 people. "
            "Some 3,000 residents were evacuated.\n")
    attributes = {v: a for _, a, v, _ in _claims(text)}
    assert attributes["140"] == "people killed" and attributes["900"] == "people injured"
    assert attributes["Some 3,000"] == "residents evacuated"


def test_a_count_of_those_who_did_something_names_what_they_did_it_to() -> None:
    # "workers lost" and "workers kept" would say too little to tell the two counts apart.
    text = ("Mill closes\nThe Arden mill closed on Friday. Some 800 workers lost their jobs. "
            "About 120 families received food parcels at the town hall. "
            "Around 60 drivers will keep their posts.\n")
    attributes = {v: a for _, a, v, _ in _claims(text)}
    assert attributes["Some 800"] == "workers lost jobs"
    assert attributes["About 120"] == "families received parcels"
    assert attributes["Around 60"] == "drivers keep posts"  # in any tense


def test_an_amount_a_common_noun_costs_is_named_by_the_noun_and_its_verb() -> None:
    # No name owns these prices; what they are the price of is the clause's subject, or the noun
    # the verb describes. Both were dropped as figures without a measure.
    text = ("Orla Ferries\nOrla Ferries resumed sailings on Monday. A single adult fare cost 38 dollars. "
            "Day return tickets sold at $52 on the first crossing. The new terminal cost $14 million.\n")
    attributes = {v: a for _, a, v, _ in _claims(text)}
    assert attributes["38 dollars"] == "adult fare cost"
    assert attributes["$52"] == "return tickets sold"
    assert attributes["$14 million"] == "terminal cost"  # a definite subject too, not "cost"


def test_figures_without_a_readable_attribute_are_left_out() -> None:
    assert _claims("Note\nIt was 42.\n") == []


def test_source_and_hedging_are_recorded() -> None:
    text = "Acme\nAcme's revenue reportedly rose to $5 billion, according to Reuters.\n"
    found = RulesExtractor().extract(_doc(text))
    [claim] = [c.claim for c in found]
    assert claim.asserted_by == "Reuters" and claim.hedged


def test_levels_after_a_change_and_secondary_events() -> None:
    text = (
        "Acme results\nAcme's revenue rose 12% to $4.2 billion, beating Globex's $3.9 billion.\n"
        "A 6.1-magnitude aftershock hit on Tuesday. The quake had a magnitude of 7.0. Efficacy was 91%.\n"
        "The company expects full-year revenue of $17 billion.\n"
    )
    keys = KeyMaker()
    claims = {(keys.attribute(a), v): c for _, a, v, c in _claims(text)}
    assert ("revenue", "$4.2 billion") in claims and ("revenuerise", "12%") in claims
    assert ("aftershockmagnitude", "6.1") in claims and ("magnitude", "7.0") in claims
    assert ("efficacy", "91%") in claims
    assert claims[("revenue", "$17 billion")] == ["forecast"]


def test_qualifiers_stay_with_the_value() -> None:
    assert ("Xland", "people killed", "at least 1,300", []) in _claims(
        "Xland quake\nThe quake in Xland killed at least 1,300 people.\n"
    )


def test_a_possessive_opening_a_sentence_is_a_name_not_the_previous_subject() -> None:
    text = "Fabrikam results\nFabrikam posted net sales of €2.3bn.\nInitech's sales were €2.0 billion.\n"
    assert ("Initech", "sales", "€2.0 billion", []) in _claims(text)


def test_the_time_a_running_figure_was_read_covers_the_sentence() -> None:
    text = ("Ardan quake\nAt least 61 people died and 300 were hurt when a quake hit Ardan late on Friday, "
            "officials said Sunday.\nThe death toll from Friday's quake in the Ardan region rose to 58 on Saturday.\n")
    claims = {v: (a, c) for _, a, v, c in _claims(text)}
    assert claims["At least 61"] == ("people died", ["said Sunday"])
    assert claims["58"] == ("death toll", ["on Saturday"])


def test_qualifiers_that_do_not_change_the_measure_are_dropped_and_others_kept() -> None:
    text = ("Contoso earnings\nRevenue for the quarter came in at $12.3 billion.\n"
            "Sales at the cloud unit grew 25% to $3.2 billion.\n"
            "The number of dead climbed to 3,100 on Thursday.\n"
            "Contoso's net loss narrowed to $45 million from $80 million.\n")
    keys = KeyMaker()
    found = {v: keys.attribute(a) for _, a, v, _ in _claims(text)}
    assert found["$12.3 billion"] == "revenue"
    assert found["$3.2 billion"] not in ("revenue", "sale")  # a unit's sales are not the company's revenue
    assert found["3,100"] == "dead"  # "the number of" says nothing of what is counted
    assert found["$45 million"] == "netloss" and "$80 million" not in found


def test_tables_end_at_a_blank_line_or_a_new_header() -> None:
    text = ("Roundup\n| Company | Revenue |\n|---|---|\n| Northwind | $4.2bn |\n\n"
            "| Outcome | Zentrava | Placebo |\n|---|---|---|\n| Hospitalization | 4.1% | 6.2% |\n"
            "| Safety | Zentrava | Placebo |\n|---|---|---|\n| Deaths | 3 | 5 |\n")
    _, tables = find_tables(text)
    assert [[cell.text for cell in table[0]] for table in tables] == [
        ["Company", "Revenue"], ["Outcome", "Zentrava", "Placebo"], ["Safety", "Zentrava", "Placebo"]]
    claims = _claims(text)
    assert ("Northwind", "Revenue", "$4.2bn", []) in claims
    assert ("Placebo", "Hospitalization", "6.2%", []) in claims and ("Zentrava", "Deaths", "3", []) in claims


def test_a_rise_and_a_fall_are_never_the_same_measure() -> None:
    keys = KeyMaker()
    [(_, up, _, _)] = _claims("Acme\nAcme's shares rose 3% on Monday.\n")
    [(_, down, _, _)] = _claims("Acme\nAcme's shares fell 3% on Monday.\n")
    assert keys.attribute(up) != keys.attribute(down)


# --- grammar, tested with sentences of the same shape as ones that failed elsewhere ------------------


def test_a_common_noun_opening_a_sentence_is_the_measure() -> None:
    claims = _claims("Harbour Dam review\nThe Harbour Dam authority met on Friday.\n"
                     "Attendance was 48%, officials said.")
    assert ("Harbour Dam", "Attendance", "48%") in [(s, a, v) for s, a, v, _ in claims]


def test_a_share_of_something_is_named_by_what_it_is_a_share_of() -> None:
    claims = _claims("Okoro wins Brandt seat\nJoy Okoro won the Brandt seat with 61.2 percent of the ballots cast.")
    assert ("Joy Okoro", "share of ballots cast", "61.2 percent") in [(s, a, v) for s, a, v, _ in claims]


def test_a_share_in_a_state_is_named_by_the_participle_after_it() -> None:
    claims = _claims("Harbour Dam refills\nThe Harbour Dam reservoir was 85% filled by Friday.")
    assert any(a == "filled" and v == "85%" for _, a, v, _ in claims)


def test_a_name_attached_after_the_figure_owns_it() -> None:
    claims = _claims("Osgood bids for Halvard\nOsgood Partners is offering $30 a share, a 15% premium to Halvard's "
                     "closing price.")
    assert ("Halvard", "premium", "15%") in [(s, a, v) for s, a, v, _ in claims]


def test_a_change_in_how_likely_or_how_much_of_a_thing_is_a_change_in_the_thing() -> None:
    text = ("Kessel results\nKessel said the upgrade cut the rate of delays by 22%.\n"
            "Kessel's new signalling reduced delays by 30%, engineers said.\n")
    keys = KeyMaker()
    found = {v: keys.attribute(a) for _, a, v, _ in _claims(text)}
    assert found["22%"] == found["30%"] == keys.attribute("delays reduction")


def test_a_name_written_once_at_a_sentence_start_is_the_doer_of_its_verb() -> None:
    # the name appears nowhere else, and the title names nothing: the verb it does tells it is a name
    text = ("Annual figures\nBrindle announced profits of $80 million for 2025.\n"
            "Okavo employs 2,300 staff.\nAttendance was 91%, organisers said.\n")
    claims = {v: (s, a) for s, a, v, _ in _claims(text)}
    assert claims["$80 million"][0] == "Brindle" and claims["2,300"][0] == "Okavo"
    assert claims["91%"][1] == "Attendance"  # a verb that states a figure makes the opener the measure


# --- the parser's reading: sentences of the shapes the hand patterns misread ------------------------


def test_a_plural_noun_before_a_verb_is_no_name_and_its_neighbour_no_owner() -> None:
    claims = _claims("Quayside plan\nQuayside Holdings runs the terminal. "
                     "Crane drivers have handled 8,200 boxes this week, the operator said.")
    assert [s for s, _, v, _ in claims if v == "8,200"] == ["Quayside Holdings"]


def test_a_score_named_by_its_noun_phrase_is_kept() -> None:
    claims = _claims("Kellam College review\nKellam College earned a research score of 64.5 this year.")
    assert ("Kellam College", "research score", "64.5") in [(s, a, v) for s, a, v, _ in claims]


def test_an_ordinal_place_is_a_rank() -> None:
    claims = _claims("League table\nKellam College finished in 31st place in the national table.")
    assert ("Kellam College", "rank", "31st") in [(s, a, v) for s, a, v, _ in claims]


def test_a_number_after_a_name_is_not_part_of_it() -> None:
    claims = _claims("Varnholt census\nVarnholt council published the census on Friday. "
                     "About 2.3 million people live in Varnholt, the council said.")
    [(subject, attribute)] = [(s, a) for s, a, v, _ in claims if "2.3 million" in v]
    assert not any(ch.isdigit() for ch in subject) and attribute == "people"


def test_a_state_is_named_by_its_word_not_by_the_verb_beside_it() -> None:
    claims = _claims("Drought update\nThe Brannock reservoir network was 41% full on Monday, the water board said.")
    [attribute] = [a for _, a, v, _ in claims if v == "41%"]
    assert attribute == "full"


def test_he_and_she_stand_for_the_person_the_sentence_before_was_about() -> None:
    claims = _claims("Hallen sign Berg\nHallen FC confirmed the move on Monday.\n"
                     "Tomas Berg, 27, will earn £90,000 a week.\nHe scored 14 goals last season.")
    assert [s for s, _, v, _ in claims if v == "14"] == ["Tomas Berg"]


def test_a_date_of_another_clause_is_not_the_figures_condition() -> None:
    claims = _claims("Loomis launch\nThe Loomis Tab 2 is priced at $329 and goes on sale in stores on June 3.")
    [(attribute, conditions)] = [(a, c) for _, a, v, c in claims if v == "$329"]
    assert conditions == [] and attribute == "priced"


def test_markup_inside_a_sentence_does_not_hide_its_figure() -> None:
    claims = _claims("Ardmore results\nArdmore's revenue was $2.2 billion <span class=x>(unaudited)</span> in May.")
    assert ("Ardmore", "revenue", "$2.2 billion") in [(s, a, v) for s, a, v, _ in claims]


def test_a_count_a_level_verb_gives_its_subject_is_the_subjects_level() -> None:
    claims = _claims("Harbour queue\nBRENNA, May 2 (Wire) - The queue at Brenna Harbour reached 3,400 trucks "
                     "on Friday.")
    assert ("Brenna Harbour", "queue", "3,400") in [(s, a, v) for s, a, v, _ in claims]


def test_a_place_after_a_figure_is_not_a_scale_it_is_scored_on() -> None:
    claims = _claims("Heat\nThe Dunmore Weather Service issued a warning. Temperatures hit 36°C in Tarrow on Sunday.")
    [attribute] = [a for _, a, v, _ in claims if v == "36°C"]
    assert attribute == "Temperatures"


def test_a_plural_opening_a_sentence_owns_nothing_and_a_singular_name_there_does() -> None:
    claims = _claims("Dry summer\nOSSORY, July 9 (Wire) - Wells serving Carrow were 12% full on Tuesday.\n"
                     "Kelder reported 4,100 complaints in June.")
    found = {v: s for s, _, v, _ in claims}
    assert found["12%"] != "Wells" and found["4,100"] == "Kelder"


def test_figures_in_words_clock_times_and_ranks_in_words_become_claims() -> None:
    text = ("# Karvo pit collapse\n\nSeven miners were killed when a tunnel collapsed at the Karvo pit on Tuesday. "
            "Amos Kibet won the Lakeside Marathon in 2:07:41. The Lakeside Marathon is now the third-largest "
            "marathon in Europe. A fifth of employees at Dunmore Bank said they had worked unpaid overtime. "
            "The two of them met in Oslo.\n")
    values = {value for _, _, value, _ in _claims(text)}
    assert {"Seven", "2:07:41", "third", "A fifth"} <= values
    assert not any("two" in v.lower() for v in values)


def test_how_a_figure_was_obtained_is_its_condition_in_any_news() -> None:
    found = _claims("Northgate Solar said its plant produced power at 9.1 cents per kilowatt-hour without "
                    "subsidies.\nThe plant will sell no more than 400 megawatt-hours a day.\n")
    conditions = {value: cond for _, _, value, cond in found}
    assert any("without subsidies" in c for v, c in conditions.items() if "9.1" in v)
    assert not any("no more" in " ".join(c) for c in conditions.values())


def test_a_reported_clause_keeps_its_subject_when_the_parser_makes_it_the_object_of_said() -> None:
    said = _claims("Organisers said attendance across the weekend totalled 68,000.\n")
    assert [(attribute, value) for _, attribute, value, _ in said] == [("attendance", "68,000")]


def test_an_amount_with_a_unit_measures_what_it_is_of() -> None:
    found = _claims("South Australian growers harvested 4.9 million tonnes of winter wheat in the season.\n"
                    "Crews pumped 1,500 litres of drinking water into the tanks.\n")
    attributes = {value: attribute for _, attribute, value, _ in found}
    assert attributes["4.9 million tonnes"].startswith("winter wheat")
    assert attributes["1,500 litres"].startswith("drinking water")


def test_a_count_in_words_right_after_a_wire_dateline_is_read() -> None:
    found = _claims("Mine collapse\n\nCOPIAPO, Chile, May 12 (Wire) - Seven miners were killed when part of a "
                    "tunnel collapsed at the mine on Monday, the ministry said.\n")
    assert [(a, v) for _, a, v, _ in found] == [("miners killed", "Seven")]


def test_a_temperature_with_no_noun_is_a_temperature_and_its_unit_is_no_one() -> None:
    found = _claims("Marathon day\n\nThe Harbour Marathon started in Aarhus. It was 17 degrees Celsius when the "
                    "gun went off.\n")
    assert [(a, v) for _, a, v, _ in found] == [("temperature", "17 degrees Celsius")]
    assert all(s != "Celsius" for s, _, _, _ in found)
