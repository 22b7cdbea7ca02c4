"""The EDRPOU code of a Ukrainian legal entity: eight digits, the last a check digit."""


def _expected_check_digit(code: str) -> int:
    """The register's rule: weights 1…7 for codes below 30000000 or above 60000000,
    otherwise 7, 1…6; the remainder of the weighted sum of the first seven digits by 11
    is the check digit; a remainder of 10 means counting again with every weight raised
    by 2, and a second 10 gives 0.
    """
    digits = [int(c) for c in code[:7]]
    number = int(code)
    weights = (
        (1, 2, 3, 4, 5, 6, 7) if number < 30000000 or number > 60000000 else (7, 1, 2, 3, 4, 5, 6)
    )
    remainder = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
    if remainder == 10:
        remainder = sum(d * (w + 2) for d, w in zip(digits, weights, strict=True)) % 11 % 10
    return remainder


def is_valid(code: str) -> bool:
    """Whether ``code`` is eight ASCII digits ending in the right check digit."""
    if len(code) != 8 or not code.isascii() or not code.isdigit():
        return False
    return _expected_check_digit(code) == int(code[7])


def complete(first_seven: str) -> str:
    """A valid code that starts with the seven given digits (for demo and test data)."""
    return next(code for d in "0123456789" if is_valid(code := first_seven + d))
