"""A field's closed vocabulary decides tone marks only where letters leave one term possible."""

import pytest

from models.idcards import IDENTIFYING_MARK_TERMS
from pipeline.fields.vocabulary import TermVocabulary, letters_of

MARKS = TermVocabulary(IDENTIFYING_MARK_TERMS)


@pytest.mark.parametrize(
    "text",
    [
        "Nốt ruồi C:1,5cm dưới sau mép phải",
        "Sẹo chấm C:2cm dưới trước cánh mũi phải",
        "Sẹo chấm C: 2 cm trên trước đầu lông mày trái",  # measures spaced out
        "NỐT RUỒI C:1cm trên sau đuôi mắt trái",  # case aside
        "Nốt ruồi C:2cm dưới trước dái tai trái",  # "dái tai" as one term: not "dài", long
        "Sẹo dài 2cm ở trán",
    ],
)
def test_descriptions_in_the_vocabulary_are_spelled(text):
    assert MARKS.spells(text)


@pytest.mark.parametrize(
    "text",
    [
        "Nốt ruổi C:1,5cm dưới sau mép phải",  # a hook for the grave accent
        "Seo chấm C:2cm dưới trước cánh mũi phải",  # the dot below lost
        "Nốt ruồi C:2cm dưới trước dải tai trái",
        "Nối ruồi C:1cm trên sau đuôi mắt trái",  # not a word of it
        "Nốt ruồi ở mắt",  # alone, "mat" fits both mắt (eye) and mặt (face): the marks cannot be told
        "",
        "C:1cm",
    ],
)
def test_misspelt_unknown_or_undecidable_words_are_not(text):
    assert not MARKS.spells(text)


def test_terms_whose_letters_are_alike_make_those_letters_undecidable():
    vocabulary = TermVocabulary(["dài", "dái"])
    assert not vocabulary.spells("dài") and not vocabulary.spells("dái")
    assert TermVocabulary(["dài"]).spells("Dài")


def test_letters_of_a_reading_keep_digits_and_đ_but_not_marks_or_punctuation():
    assert letters_of("Nốt ruổi C:1.5cm") == letters_of("Nốt ruồi C: 1,5cm") == "notruoic15cm"
    assert letters_of("đuôi") != letters_of("dưới")
    assert letters_of("Nốt ruồi C:2cm") != letters_of("Nốt ruồi C:1cm")
