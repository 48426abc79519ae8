"""Story signatures and similarity: pure parts of services.ingest.stories.

All example text is invented for these tests.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from watchfloor.services.ingest.stories import (
    BANDS,
    StoryFingerprint,
    StoryParams,
    choose_story,
    decode_record,
    encode_record,
    jaccard,
    shingles,
    signature,
    similarity,
    story_words,
)
from watchfloor.services.ingest.story_facts import EventFacts, contradict

WIRE_TITLE = "Coastal guard seizes cargo ship carrying drone parts"
WIRE_TEXT = (
    "The coastal guard of Eastland seized a cargo ship on Tuesday that was carrying "
    "drone engines and guidance kits bound for a buyer in the northern provinces, "
    "officials said. The vessel had left a southern port four days earlier and was "
    "stopped after a tip from customs inspectors, who said the crates were labelled "
    "as farm machinery. Crew members were questioned and the cargo was moved to a "
    "naval depot for inspection, a spokeswoman for the guard told reporters."
)
# Another outlet: dateline, reworded headline, one sentence added at the end.
OUTLET_TITLE = "Eastland guard seizes ship with drone parts"
OUTLET_TEXT = (
    "PORT ALMA - " + WIRE_TEXT + " The ministry said it would publish the findings next week."
)
# A different story that opens with the same boilerplate paragraph.
BOILERPLATE = (
    "Editor's note: sign up for the Harbour Watch newsletter, a weekly digest of what "
    "you need to know about shipping, ports and the people who run them."
)


def fingerprint(title: str, text: str, at: datetime | None = None) -> StoryFingerprint:
    sig = signature(title, text, at=at)
    assert sig is not None
    return sig.fingerprint


def test_words_are_normalised() -> None:
    words = story_words("U.S. Navy's DRILL", "Shi'ite groups; 60,000 troops")
    assert words == ["us", "navys", "drill", "shiite", "groups", "60000", "troops"]


def test_only_the_head_of_the_text_counts() -> None:
    words = story_words("Title", "one two three four five", max_text_words=2)
    assert words == ["title", "one", "two"]


def _all_words(text: str) -> list[str]:
    # the whole text normalised at once: what the head of a long text must match
    return story_words(text, "", max_text_words=0)


def test_a_long_text_gives_the_words_of_its_head_as_if_read_whole() -> None:
    # Only the head of a long text is normalised. Long words put the cut near
    # the last word wanted; an offset moves it across "60,000", "U.S." and
    # the rest: the words before the cut must still be whole.
    filler = "abcdefghijklmno "
    for count in (5, 40, 150):
        for offset in range(48):
            for straddling in ("60,000", "U.S.", "Shi'ite", "x-y-z", "ﬁnal"):
                text = ("w" * offset + " " + filler * (count - 2) + straddling + " "
                        + "tail " * (4 * count))
                expected = _all_words(text)[:count]
                assert story_words("", text, max_text_words=count) == expected


def test_a_long_text_without_whitespace_is_read_until_it_has_enough_words() -> None:
    text = "-".join(["u.s"] * 2000)  # words without a space to cut at
    assert story_words("", text, max_text_words=150) == _all_words(text)[:150]
    assert story_words("", "a  b\n\tc", max_text_words=150) == ["a", "b", "c"]
    assert story_words("Title", "a b c " * 100, max_text_words=0) == ["title"]


def test_shingles_are_word_pairs_and_short_texts_are_one_shingle() -> None:
    assert shingles(["a", "b", "c"]) == {"a b", "b c"}
    assert shingles(["alone"]) == {"alone"}
    assert shingles([]) == set()


def test_no_signature_without_words() -> None:
    assert signature("", "") is None
    assert signature("--", "!!") is None


def test_signature_is_stable_and_has_one_bucket_per_band() -> None:
    first = signature(WIRE_TITLE, WIRE_TEXT)
    again = signature(WIRE_TITLE, WIRE_TEXT)
    assert first is not None and first == again
    assert len(first.bands) == BANDS
    assert len({b.split(":")[0] for b in first.bands}) == BANDS


def test_bucket_names_and_shingle_ids_do_not_change_across_versions() -> None:
    # Ingest copies of two releases share the index during a rolling upgrade
    # (and the index outlives it by a window): one text, the same buckets.
    full = signature("Navy ships dock in port city",
                     "Two frigates docked on Tuesday for a three-day visit, the ministry said.")
    assert full is not None
    assert full.bands[:3] == ("0:b1bec9661c905387", "1:921de630df70062f", "2:f4ecd826c2af62fc")
    assert sorted(full.fingerprint.shingle_ids)[:3] == [608813377, 826803980, 936601684]
    short = signature("Short", "")  # one shingle: every empty bin filled from it
    assert short is not None and short.bands[:2] == ("0:2e8b14bf78d19f15", "1:2e8b14bf78d19f15")


def test_case_and_punctuation_changes_give_the_same_signature() -> None:
    assert signature(WIRE_TITLE.upper(), WIRE_TEXT.replace(",", "")) == signature(
        WIRE_TITLE, WIRE_TEXT
    )


def test_wire_versions_are_the_same_story() -> None:
    wire, outlet = signature(WIRE_TITLE, WIRE_TEXT), signature(OUTLET_TITLE, OUTLET_TEXT)
    assert wire is not None and outlet is not None
    assert similarity(wire.fingerprint, outlet.fingerprint) >= 0.7
    # ...and LSH makes them candidates: they share a bucket.
    assert set(wire.bands) & set(outlet.bands)


def test_a_shared_boilerplate_lead_is_not_the_same_story() -> None:
    # Headlines of usual length (10-14 words). Known limit: a very short
    # headline over a long blurb and no other text can still reach 0.7.
    a = fingerprint(
        "Port workers end their strike after a late-night pay deal with the operators", BOILERPLATE
    )
    b = fingerprint(
        "A new crane at the east terminal doubles the container traffic in a month", BOILERPLATE
    )
    assert similarity(a, b) < 0.7


def test_unrelated_stories_are_far_apart() -> None:
    other = fingerprint(
        "Farmers expect record grain harvest",
        "Farmers in the river valley expect a record harvest after a mild spring.",
    )
    assert similarity(fingerprint(WIRE_TITLE, WIRE_TEXT), other) < 0.1


def test_a_new_report_from_the_same_template_is_a_new_story() -> None:
    template = (
        "As of {day}, {n} ships have been inspected at the strait since March, the agency said."
    )
    monday = fingerprint("Daily count of inspected ships", template.format(day="Monday", n=412))
    tuesday = fingerprint("Daily count of inspected ships", template.format(day="Tuesday", n=431))
    assert jaccard(monday.shingle_ids, tuesday.shingle_ids) >= 0.7  # text alone: "same"
    assert similarity(monday, tuesday) == 0.0  # but each reports figures the other lacks


def test_figures_conflict_only_when_both_sides_have_their_own() -> None:
    assert contradict(frozenset({"412"}), frozenset({"431"}))
    assert not contradict(frozenset({"60000", "70000"}), frozenset({"70000"}))
    assert not contradict(frozenset(), frozenset({"12"}))


# The repeat-launch case (issue 11): one wire headline, two launches.
LAUNCH_TITLE = "Northland fires ballistic missile into the sea"
LAUNCH_TEXT = (
    "Northland launched a short-range missile that splashed down off its eastern shore "
    "on {day}, the military of its southern neighbour said, in the latest of a series "
    "of weapons tests that have raised tension in the region."
)
MONDAY = datetime(2031, 3, 3, 1, 30, tzinfo=UTC)


def test_the_same_wire_text_about_another_launch_is_another_story() -> None:
    monday = fingerprint(LAUNCH_TITLE, LAUNCH_TEXT.format(day="Monday"), MONDAY)
    thursday = fingerprint(LAUNCH_TITLE, LAUNCH_TEXT.format(day="Thursday"), MONDAY)
    assert jaccard(monday.shingle_ids, thursday.shingle_ids) >= 0.8  # words alone: "same"
    assert similarity(monday, thursday) == 0.0  # but another day: another launch


def test_the_same_wire_text_published_two_days_later_is_another_story() -> None:
    # A breaking-news template without a weekday: only the time tells.
    text = "Northland launched a missile from its coast that came down at sea, a spokesman said."
    first = fingerprint(LAUNCH_TITLE, text, MONDAY)
    two_days_later = fingerprint(LAUNCH_TITLE, text, MONDAY + timedelta(days=2))
    an_hour_later = fingerprint(LAUNCH_TITLE, text, MONDAY + timedelta(hours=1))
    assert similarity(first, two_days_later) == 0.0
    assert similarity(first, an_hour_later) == 1.0


def test_a_republication_that_adds_a_detail_is_the_same_story() -> None:
    wire = fingerprint(LAUNCH_TITLE, LAUNCH_TEXT.format(day="Monday"), MONDAY)
    update = fingerprint(
        LAUNCH_TITLE,
        "SEAPORT - " + LAUNCH_TEXT.format(day="Monday")
        + " It fell near Rock Island after 600 km, officials said on Tuesday.",
        MONDAY + timedelta(hours=5),
    )
    # A dateline, a place, a figure and a weekday added; none contradicted.
    assert similarity(wire, update) == jaccard(wire.shingle_ids, update.shingle_ids) >= 0.7


def test_choose_story_takes_the_closest_version_of_the_same_event() -> None:
    monday = fingerprint(LAUNCH_TITLE, LAUNCH_TEXT.format(day="Monday"), MONDAY)
    thursday = fingerprint(LAUNCH_TITLE, LAUNCH_TEXT.format(day="Thursday"), MONDAY)
    republished = fingerprint(LAUNCH_TITLE + ", military says",
                              LAUNCH_TEXT.format(day="Thursday"), MONDAY)
    unrelated = fingerprint(WIRE_TITLE, WIRE_TEXT, MONDAY)
    candidates = {"a-mon": ("a-mon", monday), "b-thu": ("b-thu", thursday),
                  "c-other": ("c-other", unrelated)}
    choice = choose_story(republished, candidates, StoryParams())
    assert choice.story_id == "b-thu"
    assert choice.kept_apart == (("a-mon", "weekdays"),)  # a look-alike, another event

    alone = choose_story(monday, {"b-thu": ("b-thu", thursday)}, StoryParams())
    assert alone.story_id is None and alone.kept_apart == (("b-thu", "weekdays"),)
    assert choose_story(monday, {}, StoryParams()).story_id is None


def test_choose_story_breaks_ties_by_article_id() -> None:
    fp = fingerprint(WIRE_TITLE, WIRE_TEXT)
    candidates = {"z-late": ("story-z", fp), "a-early": ("story-a", fp)}
    assert choose_story(fp, candidates, StoryParams()).story_id == "story-a"


def test_jaccard_edges() -> None:
    assert jaccard(frozenset(), frozenset({1})) == 0.0
    assert jaccard(frozenset({1, 2}), frozenset({2, 3})) == 1 / 3


def test_record_round_trip() -> None:
    fp = fingerprint(WIRE_TITLE, WIRE_TEXT + " Four ships and 12 crates on May 3 in Port Alma.",
                     at=MONDAY)
    assert fp.facts.figures and fp.facts.weekdays and fp.facts.dates and fp.facts.places
    with_states = fingerprint("Iran and Iraq sign a border deal", "Iran signed it on Monday.")
    assert with_states.facts.states == {"IR", "IQ"}
    assert decode_record(encode_record("u-s", with_states)) == ("u-s", with_states)
    with_weapons = fingerprint("Russia tests missiles", "It fired a Sarmat and two Bulavas.")
    assert with_weapons.facts.weapons == {"sarmat", "bulava"}
    assert decode_record(encode_record("u-w", with_weapons)) == ("u-w", with_weapons)
    repeated = fingerprint("Russia tests another missile", "")
    assert repeated.facts.repeat is True and with_weapons.facts.repeat is False
    assert decode_record(encode_record("u-r", repeated)) == ("u-r", repeated)
    assert decode_record(encode_record("u-abc", fp)) == ("u-abc", fp)
    no_facts = StoryFingerprint(frozenset({0, 2**32 - 1}), EventFacts())
    assert decode_record(encode_record("c-1", no_facts)) == ("c-1", no_facts)


def test_a_record_written_before_facts_were_kept_still_reads() -> None:
    # '<story> <hex ids> <figures>': the layout before weekdays, dates,
    # places and time were kept. Such a version contradicts nothing on those.
    story_id, fp = decode_record("u-old 0000002a0000ffff 16,943")
    assert story_id == "u-old"
    assert fp == StoryFingerprint(frozenset({42, 0xFFFF}), EventFacts(frozenset({"16", "943"})))


def test_an_outlets_name_after_the_headline_does_not_keep_copies_apart() -> None:
    # aggregators add " - Reuters", " | BBC News": two outlets' copies of one
    # flash came to 0.57 and alerted twice
    from watchfloor.services.ingest.stories import similarity

    reuters = fingerprint("North Korea fires ballistic missile - Reuters", "")
    bbc = fingerprint("North Korea fires ballistic missile | BBC News", "")
    assert similarity(reuters, bbc) == 1.0
    # a short headline keeps its dash: it is not "headline - outlet"
    assert story_words("Iran - Iraq", "") == ["iran", "iraq"]
    # a tail that is a country alone is no outlet: it names the event's
    pakistan = fingerprint("Dozens killed as floods sweep through villages - Pakistan", "")
    bangladesh = fingerprint("Dozens killed as floods sweep through villages - Bangladesh", "")
    assert similarity(pakistan, bangladesh) == 0.0
    # an outlet's figures and countries are not the event's
    lead = "Thousands were ordered to leave their homes as the fire spread overnight."
    for one, other in (("FOX 5 DC", "NBC 7 San Diego"), ("The Japan Times", "Times of India")):
        first = fingerprint(f"Wildfire forces evacuations of thousands near the coast - {one}", lead)
        second = fingerprint(f"Wildfire forces evacuations of thousands near the coast - {other}",
                             lead)
        assert similarity(first, second) == 1.0, (one, other)


def test_the_headlines_countries_tell_a_template_apart_whatever_the_lead_shares() -> None:
    from watchfloor.services.ingest.stories import similarity

    lead = ("European Union governments on Wednesday agreed a new package of sanctions on {} "
            "over its war in Ukraine, the bloc's rotating presidency said.")
    russia = fingerprint("EU agrees new sanctions on Russia over war in Ukraine",
                         lead.format("Russia"))
    belarus = fingerprint("EU agrees new sanctions on Belarus over war in Ukraine",
                          lead.format("Belarus"))
    assert similarity(russia, belarus) == 0.0  # Ukraine on both sides: still two events
    iran = fingerprint("Iran's military test-fires new ballistic missile", "State media said so.")
    pakistan = fingerprint("Pakistan's military test-fires new ballistic missile",
                           "State media said so.")
    assert similarity(iran, pakistan) == 0.0  # a possessive names its country
    # copies of one story: the same headline countries, leads adding others
    one = fingerprint("North Korea fires ballistic missile into the sea",
                      "The launch came days after joint drills; Japan protested.")
    two = fingerprint("North Korea fires ballistic missile into the sea",
                      "The launch came days after joint drills; the United States condemned it.")
    assert similarity(one, two) > 0.5


def test_a_trimmed_rerun_is_no_bridge_from_one_launch_to_another() -> None:
    # A: Monday's launch; B: A re-run without "on Monday"; C: Tuesday's launch.
    # C matches B (no weekday to contradict) but A reports another day: C is
    # a story of its own (before: it joined A's through B, and never alerted).
    monday = fingerprint(LAUNCH_TITLE, LAUNCH_TEXT.format(day="Monday"), MONDAY)
    trimmed = fingerprint(LAUNCH_TITLE + " - Gulf Wire",
                          LAUNCH_TEXT.replace(" on {day},", ","), MONDAY)
    tuesday = fingerprint(LAUNCH_TITLE, LAUNCH_TEXT.format(day="Tuesday"), MONDAY)
    candidates = {"a-mon": ("a-mon", monday), "b-rerun": ("a-mon", trimmed)}
    choice = choose_story(tuesday, candidates, StoryParams())
    assert choice.story_id is None and choice.kept_apart == (("a-mon", "weekdays"),)
    # the re-run itself still joins Monday's story
    assert choose_story(trimmed, {"a-mon": ("a-mon", monday)}, StoryParams()).story_id == "a-mon"


def test_spelled_out_counts_of_the_events_things_are_figures() -> None:
    text = ("Northland fired {count} short-range missiles off its eastern shore, the "
            "latest launch this month, the military of its southern neighbour said in a "
            "statement carried by state media late in the day.")
    two = fingerprint(LAUNCH_TITLE, text.format(count="two"), MONDAY)
    three = fingerprint(LAUNCH_TITLE, text.format(count="three"), MONDAY)
    digits = fingerprint(LAUNCH_TITLE, text.format(count="2"), MONDAY)
    assert jaccard(two.shingle_ids, three.shingle_ids) >= 0.7
    assert similarity(two, three) == 0.0
    assert similarity(two, digits) > 0  # "two" and "2" are one fact


def test_narrative_numbers_and_bodies_named_differently_do_not_split_a_story() -> None:
    # an update that drops "the two neighbours" and adds "the third such
    # meeting", and outlets naming the IAEA differently, are one story
    lead = ("Iran will expand uranium enrichment at its underground plant, officials "
            "said on Tuesday, in a move that drew sharp criticism from Western capitals and "
            "raised fresh doubts about the talks.")
    first = fingerprint("Iran to expand uranium enrichment, defying IAEA",
                        lead + " The two neighbours remain at odds.")
    second = fingerprint("Iran to expand uranium enrichment, defying UN watchdog",
                         lead + " It was the third such meeting this month.")
    assert similarity(first, second) > 0


def test_places_after_to_from_into_and_at_its_tell_events_apart() -> None:
    text = ("The foreign minister of Eastland travelled {prep} {place} on Wednesday for "
            "two days of talks on trade, energy and security, the ministry said in a "
            "statement, adding that further meetings were planned for the autumn.")
    for prep, first, second in (("to", "Moscow", "Pyongyang"), ("from", "Moscow", "Hanoi"),
                                ("into", "Lake Ora", "Lake Vell"),
                                ("to its", "Fordow", "Natanz")):
        a = fingerprint(LAUNCH_TITLE, text.format(prep=prep, place=first), MONDAY)
        b = fingerprint(LAUNCH_TITLE, text.format(prep=prep, place=second), MONDAY)
        assert similarity(a, b) == 0.0, prep
    according = text.format(prep="to", place="Moscow") + " according to Wire One."
    other = text.format(prep="to", place="Moscow") + " according to Wire Two."
    assert similarity(fingerprint(LAUNCH_TITLE, according, MONDAY),
                      fingerprint(LAUNCH_TITLE, other, MONDAY)) > 0  # a source is no place


def test_capitals_and_organisations_in_headlines_are_parties() -> None:
    text = ("{actor} test-fired a new medium-range ballistic missile on Thursday from a "
            "site in the desert, state television said, the latest in a series of tests "
            "that neighbours have condemned as destabilising.")
    tehran = fingerprint("Tehran test-fires new ballistic missile", text.format(actor="Tehran"))
    islamabad = fingerprint("Islamabad test-fires new ballistic missile",
                            text.format(actor="Islamabad"))
    assert similarity(tehran, islamabad) == 0.0
    sanctions = ("{actor} imposed new sanctions on Russian oil traders on Friday, targeting "
                 "a network of firms accused of shipping crude above the price cap, "
                 "officials said in a statement.")
    eu = fingerprint("EU imposes new sanctions on Russian oil traders",
                     sanctions.format(actor="The European Union"))
    uk = fingerprint("UK imposes new sanctions on Russian oil traders",
                     sanctions.format(actor="Britain"))
    assert similarity(eu, uk) == 0.0


def test_the_outlet_a_statement_went_to_is_no_place() -> None:
    text = ("Northland fired a short-range missile off its eastern shore on Monday, the "
            "military of its southern neighbour said in a statement to {outlet}, in the "
            "latest of a series of weapons tests that have raised tension in the region.")
    one = fingerprint(LAUNCH_TITLE, text.format(outlet="Wire One"), MONDAY)
    other = fingerprint(LAUNCH_TITLE, text.format(outlet="Wire Two"), MONDAY)
    assert similarity(one, other) > 0
