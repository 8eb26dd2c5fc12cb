"""The Spark session citystat's metric SQL runs in: local mode for tests, a cluster's master
URL otherwise (or whatever ``spark-submit`` already started)."""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING

from pipelines.metrics.spark_sql import SPARK_SESSION_CONF

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

LOCAL_MASTER = "local[*]"
APP_NAME = "citystat metrics"
# Settings of the job itself (the emitted SQL's own are SPARK_SESSION_CONF): each city's
# metric_values partitions are replaced, other cities' kept; partition values stay text.
JOB_CONF = {
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
}
# On one machine: few shuffle partitions (the default 200 is for clusters) and no web UI.
LOCAL_CONF = {"spark.sql.shuffle.partitions": "8", "spark.ui.enabled": "false"}
# Local mode runs the executors inside the driver's JVM, whose heap Spark sizes at 1 GB by
# default: the demo at 10M requests ran out of it in a backlog metric's window. A machine's
# own setting wins (it must be given before the JVM starts, as this session does).
LOCAL_MEMORY_ENV = "CITYSTAT_SPARK_MEMORY"
LOCAL_MEMORY = "4g"


class SparkUnavailable(RuntimeError):
    """Spark cannot start here (no pyspark, no Java runtime), with what to install."""


def java_available() -> bool:
    """Whether a Java runtime Spark can use is installed (JAVA_HOME or java on PATH)."""
    home = os.environ.get("JAVA_HOME")
    return bool(home and os.path.exists(os.path.join(home, "bin", "java"))) or bool(
        shutil.which("java")
    )


def spark_session(master: str | None = LOCAL_MASTER) -> SparkSession:
    """A Spark session for the metric SQL on ``master`` (default: local mode on every core;
    None: whatever spark-submit configured), in UTC, with the job's settings."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SparkUnavailable(
            "the Spark engine needs pyspark: pip install 'citystat[spark]'"
        ) from None
    if not java_available():
        raise SparkUnavailable(
            "the Spark engine needs a Java runtime (17 or newer): e.g. "
            "`apt-get install openjdk-17-jre-headless`, or set JAVA_HOME"
        )
    builder = SparkSession.builder.appName(APP_NAME)
    local = master is not None and master.startswith("local")
    if master is not None:
        builder = builder.master(master)
    settings = {**SPARK_SESSION_CONF, **JOB_CONF}
    if local:
        memory = os.environ.get(LOCAL_MEMORY_ENV, LOCAL_MEMORY)
        settings |= {**LOCAL_CONF, "spark.driver.memory": memory}
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
