"""Pure domain logic with no Django and no database.

Everything here takes data and returns data: code checksums, working-day arithmetic,
JSON Logic conditions and the audit hash chain. An import-linter contract keeps Django and
the apps out of this package, so it can be tested (and reasoned about) on its own.
"""
