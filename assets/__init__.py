# Makes assets/ installable as package data beside pipelines/ and tabs/ (see pyproject.toml).
