"""How the passwords a class generates are stored: hashed, with a hasher of their own.

Key stretching (the million rounds of Django's default PBKDF2) exists to slow down the
guessing of passwords people choose, which are drawn from small, predictable sets. The passwords
`training.services.generate_password` makes are not: each is a uniformly random string of
PASSWORD_LENGTH (14) characters from a 56-character alphabet, the first from its 48 letters, so
there are 48 × 56¹³ of them:

    log2(48) + 13 × log2(56) = 5.58 + 13 × 5.81 ≈ 81 bits of entropy
    (`training.services.generated_password_entropy_bits`, held above 80 by a test).

Trying half of them, at a trillion (10¹²) guesses a second, takes 2⁸⁰ / 10¹² s, about 38,000
years, before any stretching. A thousand rounds of PBKDF2 add ten bits more and cost about
0.3 ms a password, where the default costs about 300 ms: a class of 50 no longer spends 15 s
hashing (docs/training.md, "Creating a class quickly").

The hasher is registered in PASSWORD_HASHERS *after* the default one, so it is never the hasher a
password someone chooses gets (`set_password`); and Django rehashes a password with the default
hasher the first time it is checked correctly with another one (`check_password`'s setter), so a
trainee's account carries the default hash from their first sign-in on. See
https://docs.djangoproject.com/en/5.2/topics/auth/passwords/#password-upgrading
"""

from __future__ import annotations

from django.contrib.auth.hashers import PBKDF2PasswordHasher, get_hasher, make_password


class GeneratedPasswordHasher(PBKDF2PasswordHasher):
    """PBKDF2-SHA256 with a per-password salt, for machine-made random passwords only."""

    algorithm = "pbkdf2_sha256_generated"
    iterations = 1_000


def hash_generated_password(password: str) -> str:
    """The stored form of a password `generate_password` made.

    Written with GeneratedPasswordHasher when PASSWORD_HASHERS lists it, else with the default
    hasher: a hash written by a hasher Django doesn't list could never be checked, and the
    trainee could never sign in."""
    try:
        hasher = get_hasher(GeneratedPasswordHasher.algorithm)
    except ValueError:  # not listed in PASSWORD_HASHERS
        hasher = get_hasher("default")
    return make_password(password, hasher=hasher)
