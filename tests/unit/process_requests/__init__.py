"""Unit tests of the top-up section: amounts, evidence, filters, serving."""
