"""Which passwords people may choose (SPEC §8): long enough and not easy to guess.

A password needs at least ``MIN_PASSWORD`` characters and must not be among the
well-known leaked and common passwords. zxcvbn (offline, with its own lists of the
most common leaked passwords, words, names, keyboard rows, sequences and dates) says
how many guesses a password would take; fewer than 10⁸ (its score under 3) is refused.
The person's own name and e-mail count as known words, and a password typed on the
Ukrainian keyboard is also read as the Latin letters of the same keys («зфііцщкв» is
"password" in the wrong layout).
"""

import re

from flask_babel import lazy_gettext as _l
from zxcvbn import zxcvbn

MIN_PASSWORD = 10
MAX_PASSWORD = 200
MIN_SCORE = 3  # zxcvbn: 3 is "safely unguessable", about 10⁸ guesses
_CHECKED_LENGTH = 72  # zxcvbn's limit; a longer password is judged by its start

# The Ukrainian (and Russian) ЙЦУКЕН keys and the Latin letters on the same keys.
_LAYOUT = str.maketrans(
    "йцукенгшщзхїъфіывапролджєэячсмитьбюё",
    "qwertyuiop[]]assdfghjkl;''zxcvbnm,.`",
)


def _known_words(inputs) -> list[str]:
    words = []
    for text in inputs:
        if isinstance(text, str) and text:
            text = text.lower()
            words.extend({text, text.partition("@")[0], re.sub(r"\W+", "", text)})
            words.extend(word for word in re.split(r"[\W_]+", text) if len(word) > 2)
    return words


def weakness(password: str, user_inputs=(), label=None):
    """None when ``password`` may be used, else why not (a message naming ``label``).

    ``user_inputs`` are what the site knows about the person (e-mail, names): a password
    built from them is easy to guess for anyone who knows them.
    """
    label = label or _l("Password")
    if len(password) < MIN_PASSWORD:
        return _l("%(field)s must have at least %(n)s characters.", field=label, n=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        return _l("%(field)s may have at most %(n)s characters.", field=label, n=MAX_PASSWORD)
    words = _known_words(user_inputs)
    sample = password[:_CHECKED_LENGTH]
    results = [zxcvbn(sample, user_inputs=words)]
    typed_in_latin = sample.lower().translate(_LAYOUT)
    if typed_in_latin != sample.lower():
        results.append(zxcvbn(typed_in_latin, user_inputs=words))
    weakest = min(results, key=lambda result: result["guesses"])
    if weakest["score"] >= MIN_SCORE:
        return None
    sources = {match.get("dictionary_name") for match in weakest["sequence"]}
    if "user_inputs" in sources:
        return _l(
            "%(field)s is built from your name or e-mail address, so it is easy to guess. "
            "Choose another one: a phrase of several unrelated words.",
            field=label,
        )
    if "passwords" in sources:
        return _l(
            "%(field)s is among the most common or leaked passwords, which are tried first. "
            "Choose another one: a phrase of several unrelated words.",
            field=label,
        )
    return _l(
        "%(field)s is too easy to guess: repeated characters, sequences such as 12345, "
        "keyboard rows, dates and common words are tried first. Choose another one: "
        "a phrase of several unrelated words.",
        field=label,
    )
