"""Reviews of completed stays, and listings' ratings."""
