"""LienThong's tests. Imported before any engine module, so the setting below applies to all of them."""

import os

# Real Argon2id, smallest parameters: fixtures create many officials (the password_hashing setting).
os.environ.setdefault("LIENTHONG_PASSWORD_HASHING", "minimal")
