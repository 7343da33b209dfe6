"""User text (queries, notes, label names) is shown as typed: Markdown and HTML in it do nothing."""
from ecomrec.ui.state import plain


def test_markdown_and_html_in_user_text_are_escaped():
    assert plain("**cheap** [tent](javascript:alert(1)) <b>x</b>") == (
        "\\*\\*cheap\\*\\* \\[tent\\]\\(javascript\\:alert\\(1\\)\\) \\<b\\>x\\</b\\>")
    assert plain("tent $20-$30") == "tent \\$20\\-\\$30"  # no maths mode either


def test_model_versions_read_as_dates_and_the_shipped_sample_by_name():
    from ecomrec.ui.layout import version_text

    assert version_text("v20261201-182624-826035", "sample_data") == "trained 1 Dec, 18:26 on the sample shop"
    assert version_text("v20260305-090000-000001", verb="tuned") == "tuned 5 Mar, 09:00"
    assert version_text("custom-7") == "custom-7" and version_text(None) == "none yet"


def test_the_suggesting_model_and_label_names_read_as_words():
    from ecomrec.annotation.suggest import ZERO_SHOT
    from ecomrec.ui.layout import label_text, suggester_text

    assert suggester_text("v20261207-123045-931189") == "the intent model trained 7 Dec, 12:30"
    assert suggester_text("v20261207-123045-931189 (category head)") == "the category model trained 7 Dec, 12:30"
    assert suggester_text(ZERO_SHOT) == "no trained model yet: read from the labels' names and examples"
    assert label_text("deal_seeking") == "deal seeking" and label_text("gift") == "gift"


def test_prices_carry_the_data_sets_currency():
    from ecomrec import schema as S
    from ecomrec.ui.layout import price_md

    assert S.currency_symbol("INR") == "₹" and S.currency_symbol(" gbp ") == "£" and S.currency_symbol("") == "$"
    assert S.currency_symbol("CHF") == "CHF "
    assert price_md(849.0, "₹") == "₹849.00" and price_md(1299.0) == "\\$1,299.00" and price_md(None) == "no price"


def test_one_line_answer_counts_clear_wins_ties_and_losses():
    from ecomrec.honest import summary

    records = {"a": {"model": 0.8, "baseline": 0.7, "p": 0.001}, "b": {"model": 0.71, "baseline": 0.7, "p": 0.3},
               "c": {"model": 0.5, "baseline": 0.7, "p": 0.0001}, "d": {"skipped": "no data"}}
    assert summary(records) == ("The models clearly beat the best simple method on 1 of 3 tasks, are not clearly "
                                "better on 1 and lose on 1.")
