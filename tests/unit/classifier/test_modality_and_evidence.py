from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("title", "modality"),
    [
        ("Government denies testing ballistic missile", "denied"),
        # a denial of a report still emits; a plain negation ("did not test") does not,
        # see test_negation_and_loose_triggers.py
        ("Pyongyang denied it had tested a missile, Seoul says", "denied"),
        ("North Korea plans to test a ballistic missile next week", "planned"),
        ("Country X threatens to test-fire long-range missile", "planned"),
        ("If Pyongyang tests a missile, talks will end", "hypothetical"),
        ("North Korea could test an ICBM soon, analysts warn", "hypothetical"),
        ("North Korea reportedly tested a cruise missile", "reported"),
        ("North Korea tested a cruise missile, according to officials", "reported"),
        ("North Korea tests a cruise missile", "asserted"),
        # an accusation is one party's claim
        ("Southland accuses Northland of test-firing a ballistic missile", "reported"),
        ("Southland blames Northland for test-firing a cruise missile", "reported"),
    ],
)
def test_modality(classifier, title, modality):
    match = classifier.classify(title, "").tag("missile_test")
    assert match is not None
    assert match.modality == modality


def test_denial_lowers_confidence(classifier):
    asserted = classifier.classify("Country X tests ballistic missile", "").tag("missile_test")
    denied = classifier.classify("Country X denies testing ballistic missile", "").tag("missile_test")
    assert denied.confidence < asserted.confidence


def test_evidence_and_trigger_offsets_point_into_their_field(classifier):
    title = "Weekly roundup"
    text = "Markets rose. Officials said 500 troops were deployed to the border on Monday. More later."
    match = classifier.classify(title, text).tag("troop_deployment")
    assert match.evidence == "Officials said 500 troops were deployed to the border on Monday."
    span = match.evidence_span
    assert span.field == "text" and text[span.start : span.end] == match.evidence
    words = {t.text.lower() for t in match.triggers}
    assert {"troops", "deployed"} <= words
    for trigger in match.triggers:
        assert trigger.field == "text"
        assert text[trigger.start : trigger.end] == trigger.text


def test_title_triggers_point_into_the_title(classifier):
    title = "Navy holds live-fire drills off the coast"
    match = classifier.classify(title, "Unrelated body.").tag("military_exercise")
    assert match.evidence_span.field == "title"
    assert all(title[t.start : t.end] == t.text for t in match.triggers)


def test_result_is_sorted_pure_and_versioned(classifier):
    title = "EU imposes sanctions as ministers arrive in Kyiv for summit"
    first = classifier.classify(title, "")
    assert first == classifier.classify(title, "")
    assert [t.tag for t in first.tags] == sorted(t.tag for t in first.tags)
    assert first.classifier_version == classifier.version == "taxonomy-2026.12.2"
    assert all(0.0 <= t.confidence <= 1.0 for t in first.tags)


def test_headline_and_agreeing_sentences_raise_confidence(classifier):
    body_only = classifier.classify("Roundup", "The navy held joint drills with allies.").tag("military_exercise")
    headline = classifier.classify("Navy holds joint drills with allies", "").tag("military_exercise")
    assert headline.confidence > body_only.confidence


@pytest.mark.parametrize(("title", "tag"), [
    ("Japan's prime minister to visit Beijing in April", "diplomatic_visit"),
    ("Eastland and Westland to hold joint naval exercise", "military_exercise"),
    ("Ostland to attempt to test-fire new ballistic missile", "missile_test"),
])
def test_to_before_or_at_the_event_word_is_a_plan(classifier, title, tag):
    match = classifier.classify(title, "").tag(tag)
    assert match is not None and match.modality == "planned"


@pytest.mark.parametrize("sentence", [
    "Ostland attempted to test-fire a ballistic missile on Monday, but it exploded.",
    "Ostland's attempt to test-fire a ballistic missile ended in a crash.",
])
def test_an_attempt_to_launch_was_a_launch_not_a_plan(classifier, sentence):
    # "planned" hid a failed launch from watchlists leaving plans out
    match = classifier.candidates("Weekly roundup", sentence)
    (candidate,) = [c for c in match if c.tag == "missile_test"]
    assert candidate.modality == "asserted"


@pytest.mark.parametrize(("title", "tag"), [
    ("Poland halts arms deliveries to Ukraine", "arms_transfer"),
    ("Britain suspends arms sales to Chile", "arms_transfer"),
    ("Eastland and Westland call off joint drills", "military_exercise"),
])
def test_an_event_stopped_or_called_off_is_not_emitted_by_the_rules(classifier, title, tag):
    assert classifier.classify(title, "").tag(tag) is None
    (candidate,) = [c for c in classifier.candidates(title, "") if c.tag == tag]
    assert candidate.modality == "denied" and candidate.negated


@pytest.mark.parametrize(("text", "tag"), [
    # a stop word in another clause, or as a noun, does not negate the event
    ("Despite the freeze, Iran test-fired a ballistic missile on Tuesday.", "missile_test"),
    ("With talks halted, China deployed warships near Taiwan on Friday.", "troop_deployment"),
    # "to visit" in a body after a past journey is its purpose, not a plan
    ("Kim traveled to Vladivostok last week to visit the Russian leader.", "diplomatic_visit"),
])
def test_what_the_modality_fixes_must_not_break(classifier, text, tag):
    (candidate,) = [c for c in classifier.candidates("Regional roundup", text) if c.tag == tag]
    assert candidate.modality not in ("denied", "planned") and not candidate.negated


@pytest.mark.parametrize(("text", "tag"), [
    ("Iran suspended talks and tested a ballistic missile on Sunday.", "missile_test"),
    ("China froze relations and deployed troops to the border.", "troop_deployment"),
])
def test_a_stop_verb_governs_its_own_object_only(classifier, text, tag):
    (candidate,) = [c for c in classifier.candidates("Regional roundup", text) if c.tag == tag]
    assert not candidate.negated


@pytest.mark.parametrize("text", [
    "The United States won't, for now, send troops to Ukraine.",
    "Japan has not (yet) sent troops abroad.",
])
def test_a_plain_negation_still_reaches_past_a_comma(classifier, text):
    (candidate,) = [c for c in classifier.candidates("Regional roundup", text)
                    if c.tag == "troop_deployment"]
    assert candidate.negated
