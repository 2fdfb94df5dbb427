from hypothesis import given, strategies as st

from server.services.registry import uscc


def test_known_valid_code_passes():
    assert uscc.problem("91350100M000100Y43") is None


def test_wrong_check_digit_names_the_right_one():
    assert uscc.problem("91350100M000100Y44") == "统一社会信用代码校验位错误（应为 3）"


def test_letters_not_in_the_alphabet_are_named():
    assert "“I”" in uscc.problem("91350100I000100Y43")


def test_length_is_reported():
    assert uscc.problem("9135") == "统一社会信用代码应为 18 位，实际为 4 位"


def test_normalize_handles_full_width_digits_spaces_and_case():
    assert uscc.normalize(" ９１３５０１００m000100y43 ") == "91350100M000100Y43"


@given(st.text(alphabet=uscc.ALPHABET, min_size=17, max_size=17).filter(lambda s: s[2:8].isdigit()))
def test_every_single_character_change_is_caught(first17):
    code = first17 + uscc.check_digit(first17)
    assert uscc.problem(code) is None
    for i in range(18):
        for c in "0A":
            if code[i] != c:
                altered = code[:i] + c + code[i + 1:]
                if uscc._SHAPE.match(altered):
                    assert uscc.problem(altered) is not None
