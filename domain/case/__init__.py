"""The RJ case: aggregate, vocabulary and rules."""
