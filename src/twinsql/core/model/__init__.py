"""Core layer (pure): model metadata, type mapping, hydration, dirty state and DDL.

Everything the ORM knows about a model class that needs no database: which fields map to
which columns, how each Python type is stored on each backend and read back, how a row
becomes an instance without validation, and the CREATE TABLE text.
"""
