"""verifier: extract the claims of several documents, ground them in quotes, flag contradictions."""

__version__ = "0.1.0"
