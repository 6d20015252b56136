"""Whether a BOOKWELL_SECRET_KEY is fit for production: anyone who knows or guesses it signs
a JWT for any user. Refused: placeholders, keys written anywhere in Bookwell's repository
(tests, bench, deploy files; respelled too), short keys, repeats and sequences, and keys
made mostly of dictionary words. Random keys (secrets.token_urlsafe(32), 64 hex) pass."""

MIN_SECRET_KEY_BYTES = 32
# Keys that are examples, not secrets (compared folded): what people paste from tutorials.
PLACEHOLDER_KEYS = {"secret", "secretkey", "password", "key", "test", "dev", "default", "admin"}
PLACEHOLDER_PARTS = ("changeme", "replaceme", "placeholder", "yoursecret", "example", "insecure")
# Signing keys written in this repository, hence public. tests/security/
# test_placeholder_secret_key.py greps the repository for keys and fails on one production
# would accept: add it here.
PUBLISHED_KEYS = frozenset(
    {
        "CHANGE-ME",
        "change-me-in-production",
        "bench",
        "test-secret-key-that-is-long-enough-for-hs256",
        "bench-booking-secret-key-long-enough-for-hs256",
        "shared-secret-for-both-processes-0123456789",
    }
)
# zxcvbn's estimate of guesses, as a power of ten: a random 32-byte key is far above it, a
# repeated or sequential one ("x" * 64, "0123456789" * 4) far below.
MIN_SECRET_KEY_GUESSES_LOG10 = 20
# The most of a key's letters and digits that dictionary words (of 3 letters or more) may
# cover. Random keys hold short words by chance: at most a third of them over 8,000
# token_urlsafe and hex keys, most under a twentieth; word strings cover 60-100%.
MAX_WORDS_SHARE = 0.5
MIN_WORD = 3


def fold(key: str) -> str:
    """A key as compared: lowercased, letters and digits only (`TEST_SECRET-key` is
    `testsecretkey`), so respelling a placeholder or published key does not hide it."""
    return "".join(character for character in key.lower() if character.isalnum())


_FOLDED_PUBLISHED = frozenset(fold(key) for key in PUBLISHED_KEYS)


def secret_key_problem(key: str) -> str | None:
    """Why this signing key is unfit for production, in a few words; None if it is fit."""
    folded = fold(key)
    if folded in PLACEHOLDER_KEYS or any(part in folded for part in PLACEHOLDER_PARTS):
        return "is a placeholder from the docs or deploy files"
    if folded in _FOLDED_PUBLISHED:
        return "is published in Bookwell's repository"
    if len(key.encode()) < MIN_SECRET_KEY_BYTES:
        return f"has {len(key.encode())} bytes, fewer than {MIN_SECRET_KEY_BYTES}"
    judged = key[:72]  # zxcvbn's cost grows fast with length
    from zxcvbn import matching, zxcvbn  # only in production, once

    if zxcvbn(judged)["guesses_log10"] < MIN_SECRET_KEY_GUESSES_LOG10:
        return "is guessable (a repeat, a sequence or words)"
    # Every dictionary word in the key (forwards or backwards, any case), not only those in
    # zxcvbn's least-guesses sequence, which folds short words such as "key" or "test" into
    # brute force: long word strings pass the guess count, yet word lists guess them.
    dictionaries = matching.RANKED_DICTIONARIES
    words = matching.dictionary_match(judged, dictionaries) + matching.reverse_dictionary_match(
        judged, dictionaries
    )
    covered = {
        i
        for word in words
        if len(word["token"]) >= MIN_WORD
        for i in range(word["i"], word["j"] + 1)
    }
    if len(covered) > MAX_WORDS_SHARE * sum(character.isalnum() for character in judged):
        return "is mostly dictionary words"
    return None
