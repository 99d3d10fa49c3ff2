"""The only package that speaks SQL: the archive of captures, documents, versions and changes."""
