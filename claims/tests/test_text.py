"""Japanese sentence splitting and the natural sort (claims/text.py): terminators, quotes,
decimals, headings and full-width numbers."""

from claims.text import natural_key, parse_blocks, sentences, split_sentences


def texts(paragraph):
    return [paragraph[s:e] for s, e in split_sentences(paragraph)]


def test_splits_on_japanese_and_ascii_terminators():
    assert texts("一文目。二文目!三文目?四文目！五文目？") == ["一文目。", "二文目!", "三文目?", "四文目！", "五文目？"]


def test_does_not_split_inside_quotes_or_parentheses():
    paragraph = "彼は「これは引用です。まだ引用です。」と言った。(注:これは括弧。)次の文。"
    assert texts(paragraph) == ["彼は「これは引用です。まだ引用です。」と言った。", "(注:これは括弧。)次の文。"]


def test_ascii_quotes_and_decimals_do_not_split():
    assert texts('指摘しました:"AIは道具です。電気と同じです。"') == ['指摘しました:"AIは道具です。電気と同じです。"']
    assert texts("GPT-4は4.41点でした。次。") == ["GPT-4は4.41点でした。", "次。"]


def test_ascii_full_stop_before_space_ends_a_sentence():
    assert texts("It works. Really?") == ["It works.", "Really?"]


def test_trailing_text_without_terminator_is_a_sentence():
    assert texts("二つの革新があります:") == ["二つの革新があります:"]


def test_runs_of_terminators_stay_with_their_sentence():
    assert texts("本当?!はい。") == ["本当?!", "はい。"]


def test_blocks_headings_and_paragraphs_keep_offsets():
    body = "## 見出し\n\n段落一。\n\n段落二。\n"
    blocks = parse_blocks(body)
    assert [(b.kind, b.text) for b in blocks] == [
        ("heading", "見出し"),
        ("paragraph", "段落一。"),
        ("paragraph", "段落二。"),
    ]
    assert all(body[b.start : b.end] == b.text for b in blocks)


def test_sentences_know_their_section():
    body = "序文。\n\n## 第一章\n\n本文。\n"
    assert [(s.text, s.section) for s in sentences(body)] == [("序文。", ""), ("本文。", "第一章")]


def test_the_essay_has_about_a_hundred_statements_and_four_sections():
    from claims.management.commands.load_essay import ESSAY
    from claims.services import parse_article_file

    _meta, body = parse_article_file(ESSAY)
    found = sentences(body)
    assert 90 <= len(found) <= 110
    assert len({s.section for s in found}) == 4
    # The paragraphs that end with ":" and a closing quote are statements, not headings.
    assert any(s.text.endswith("革新があります:") for s in found)
    assert any(s.text.endswith('類似しています。"') for s in found)


def test_natural_key_sorts_numbers_by_value_full_width_too():
    sections = ["第10節", "第2節", "第1節", "序", "第１１節"]
    assert sorted(sections, key=natural_key) == ["序", "第1節", "第2節", "第10節", "第１１節"]
