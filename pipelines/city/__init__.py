"""The city profile: city.yml, the one file that says which city a folder is.

- ``model``: ``CityProfile`` (name, time zone, fiscal year, sources, departments, districts,
  population) and its parts.
- ``loader``: ``load_city``, ``check_city_file``, ``load_city_text``, ``city_file``.
- ``paths``: the folders the profile names (``sources_dir``, ``file_root``, ``confined``,
  ``real_data_dir``, ``current_profile``).
- ``scaffold``: ``write_city``, a new city's folder from the commented files in templates/
  (``citystat init``).
"""
