"""A static microsite generator for public-policy content: YAML in, a bilingual static site out."""

__version__ = "0.1.0"
