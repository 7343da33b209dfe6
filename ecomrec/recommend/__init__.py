"""Recommendations from a shopper's history: profile, sequences, co-occurrence, complements, promotions."""
