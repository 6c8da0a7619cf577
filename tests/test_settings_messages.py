"""Setting errors in plain English, short even for absurd values: what is wrong and what is allowed."""

import pytest

from stylekit.config import StyleConfig
from stylekit.errors import ConfigError
from stylekit.fast.config import ApplyConfig


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"steering": [5]}, 'steering[0] must be an object of names and values, like {"name": 1}, got 5'),
        ({"regions": "red"}, "regions must be a list, got 'red'"),
        ({"seed": 2**70}, "seed must be at most 2^63-1, got 2^70"),
        ({"seed": 10**308}, "seed must be at most 2^63-1, got a number 309 digits long"),
        ({"seed": -(10**40)}, "seed must be at least 0, got a negative number 41 digits long"),
        ({"style_weight": "x" * 10_000}, "style_weight must be a finite number, got 'xxxx"),
    ],
)
def test_type_and_bound_errors_are_one_short_english_line(settings, message):
    with pytest.raises(ConfigError) as refused:
        StyleConfig.from_dict(settings)
    text = str(refused.value)
    assert text.startswith(message) and len(text) < 160 and "<class" not in text


def test_a_long_value_is_cut_short_saying_how_long_it_was():
    with pytest.raises(ConfigError, match=r"size must be a whole number, got '1111.*\.\.\. \(2,002 characters\)$"):
        ApplyConfig.from_dict({"size": "1" * 2000})
