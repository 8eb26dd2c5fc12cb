"""A city's published warehouse as Parquet, for engines past one machine (Apache Spark).

- ``layout``: where each table and each city's manifest lives in a lake folder.
- ``export``: ``export_city`` writes one city's canonical tables, their versions, source
  coverage and metric values, partitioned by city and month, and its manifest.
"""
