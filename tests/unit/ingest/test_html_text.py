from watchfloor.services.ingest.html_text import html_to_text


def test_tags_dropped_and_blocks_become_paragraphs() -> None:
    html = "<div><h2>Update</h2><p>Crews <b>reached</b> the pass.</p><p>Roads&nbsp;open.</p></div>"
    assert html_to_text(html) == "Update\n\nCrews reached the pass.\n\nRoads open."


def test_scripts_and_styles_are_skipped() -> None:
    html = "<style>p{color:red}</style><p>Kept</p><script>alert('x')</script>"
    assert html_to_text(html) == "Kept"


def test_plain_text_passes_through_normalised() -> None:
    assert html_to_text("  Fish &amp; chips  ") == "Fish & chips"
    assert html_to_text("3 < 4 and 5 is more") == "3 < 4 and 5 is more"
