"""What a new password must be: 8 to 1024 characters, not blank, not the account's email or
name, and not guessable. Guessable is zxcvbn's estimate (its dictionaries of common and
breached passwords, keyboard walks, repeats, dates, l33t spellings, and the account's own
email and name): a score under 2 (fewer than ~10^6 guesses) is refused."""

from zxcvbn import zxcvbn

MIN_PASSWORD = 8
MAX_PASSWORD = 1024
MIN_SCORE = 2
# zxcvbn's cost grows fast with length and it refuses more than this; a longer password is
# judged by its start (a long repeat of "password" is still a repeat there).
JUDGED_LENGTH = 72


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why this password is refused, or None."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        return f"A password needs {MIN_PASSWORD} to {MAX_PASSWORD} characters."
    if not password.strip():
        return "A password cannot be only spaces."
    folded = password.strip().casefold()
    local_part = email.strip().casefold().partition("@")[0]
    if folded in {email.strip().casefold(), local_part, name.strip().casefold()} - {""}:
        return "A password cannot be your email or name."
    user_inputs = [part for part in (email, local_part, name) if part]
    if zxcvbn(password[:JUDGED_LENGTH], user_inputs=user_inputs)["score"] < MIN_SCORE:
        return "This password is too common or too easy to guess; try a few unrelated words."
    return None
