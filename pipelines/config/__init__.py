"""Reading the city's configuration files so that every problem is reported at once, at its line.

- ``yaml_lines``: line-aware YAML (``parse_yaml``, ``line_of``, ``to_plain``).
- ``issues``: ``Issue`` (file, line, problem, fix); ``MetricsFileError`` and
  ``ServicesFileError``, both a ``ConfigFileError`` carrying every issue.
- ``hints``: ``Locator`` (an issue at a YAML location) and ``did_you_mean``.
- ``entries``: pydantic errors as located issues (``validate_entries``,
  ``pydantic_issues``, ``read_config_file``).
"""
