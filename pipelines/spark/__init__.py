"""The metrics on Apache Spark: every city of a lake folder in one Spark application.

- ``session``: the Spark session the emitted SQL needs (local mode by default, or a master URL).
- ``compute``: ``compute_lake`` reads the lake's canonical tables, runs each city's metrics as
  Spark SQL (the DuckDB SQL transpiled, pipelines/metrics/spark_sql.py) and writes
  ``metric_values`` as Parquet, one folder per city and metric, with the warehouse's schema.
- ``job``: the same, as ``spark-submit`` runs it on a cluster.

Only this package imports pyspark (``pip install 'citystat[spark]'``); the DuckDB path never
does (a test and an import contract check it).
"""
