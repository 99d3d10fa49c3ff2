"""remarkwatch's bundled configuration, shipped inside the installed package as
`remarkwatch.data` (see pyproject.toml): the default config, site profiles, Datasette metadata
and deployment samples. Data only: it is read with importlib.resources, never imported for code."""
