"""User text (queries, notes, label names) is shown as typed: Markdown and HTML in it do nothing."""
from ecomrec.ui.state import plain


def test_markdown_and_html_in_user_text_are_escaped():
    assert plain("**cheap** [tent](javascript:alert(1)) <b>x</b>") == (
        "\\*\\*cheap\\*\\* \\[tent\\]\\(javascript\\:alert\\(1\\)\\) \\<b\\>x\\</b\\>")
    assert plain("tent $20-$30") == "tent \\$20\\-\\$30"  # no maths mode either
