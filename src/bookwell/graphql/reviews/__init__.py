"""Reviews, listings' ratings and createReview."""
