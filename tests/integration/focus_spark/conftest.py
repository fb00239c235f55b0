"""One local Spark session for this folder's tests (the JVM takes seconds to start)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest

pyspark_sql = pytest.importorskip("pyspark.sql")


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    if shutil.which("java") is None:
        pytest.skip("Spark needs a Java runtime")
    session = (
        pyspark_sql.SparkSession.builder.master("local[1]")
        .appName("costwarden-focus-spark")
        # The mappings write UTC instants; Spark renders and casts in the session zone.
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
