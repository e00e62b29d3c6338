#!/usr/bin/env python3
"""Seed-era flows, driven by Hotdata's own Python client of May 2026 (`hotdata==0.2.6`).

Runs every flow of the seed-era API that the 0.2.6 client exposes against a running
`hotdata-local --contract 2026-05` and checks real outcomes: row values computed by SQL,
ids that round-trip, versions that change, records that disappear after a delete.

    python seed_flows.py --url http://127.0.0.1:4680 [--api-key KEY] [--workspace-id WS]
                         [--only NAME ...] [--no-arrow]

Each flow is independent (its own names and resources), runs even when another one
failed, and is reported by name. The exit status is 1 if any flow failed, 2 on bad usage.
After the flows the script asks the server for `GET /_local/violations` and fails when
the server recorded any request or response that broke `spec/openapi.yaml`.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
import traceback
import urllib.request
import uuid
from typing import Any, Callable, Dict, List, Optional

try:
    import hotdata
    from hotdata import api as hd_api
    from hotdata import models as m
    # 0.2.6 does not re-export the workspace context API or its request model from its packages.
    from hotdata.api.workspace_context_api import WorkspaceContextApi
    from hotdata.models.upsert_workspace_context_request import UpsertWorkspaceContextRequest
    from hotdata.rest import ApiException
except ImportError as exc:  # pragma: no cover - depends on the environment
    sys.exit(f"seed_flows: the `hotdata` package (0.2.6) is not importable: {exc}")

EXPECTED_CLIENT = "0.2.6"


def register_unexported_models() -> List[str]:
    """Works around a packaging defect of the 0.2.6 client; returns the class names it registered.

    The generated deserializer looks every response model up as `hotdata.models.<Name>`, but 0.2.6 ships
    some model modules (the workspace context ones among them) without importing them in
    `hotdata/models/__init__.py`, so each 2xx answer of `WorkspaceContextApi` fails with `AttributeError`
    before the caller sees it. The server's answer is not at fault: registering the client's own model
    classes lets the client validate that answer with those very models.
    """
    import importlib
    import inspect
    import pkgutil

    added = []
    for info in pkgutil.iter_modules(m.__path__):
        module = importlib.import_module(f"hotdata.models.{info.name}")
        for cls_name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and not hasattr(m, cls_name):
                setattr(m, cls_name, cls)
                added.append(cls_name)
    return sorted(added)
FLOWS: Dict[str, Callable[["Ctx"], None]] = {}


def flow(fn: Callable[["Ctx"], None]) -> Callable[["Ctx"], None]:
    """Registers a flow under its function name."""
    FLOWS[fn.__name__] = fn
    return fn


class FlowFailure(AssertionError):
    """A checked outcome was not what the seed-era contract promises."""


def check(cond: Any, what: str) -> None:
    if not cond:
        raise FlowFailure(what)


def eq(actual: Any, expected: Any, what: str) -> None:
    if actual != expected:
        raise FlowFailure(f"{what}: expected {expected!r}, got {actual!r}")


class Ctx:
    """What a flow needs: the client, a unique suffix for names, and polling helpers."""

    def __init__(self, url: str, api_key: str, workspace_id: str, arrow: bool) -> None:
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.workspace_id = workspace_id
        self.arrow = arrow
        self.config = hotdata.Configuration(host=self.url, api_key=api_key, workspace_id=workspace_id)
        self.client = hotdata.ApiClient(self.config)
        self.tag = uuid.uuid4().hex[:8]

    def name(self, base: str) -> str:
        """A name no other flow (or earlier run against the same data dir) uses."""
        return f"{base}_{self.tag}"

    def api(self, cls: type) -> Any:
        return cls(self.client)

    def expect_status(self, status: int, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> ApiException:
        """Calls `fn` and requires it to fail with `status`; returns the exception."""
        try:
            fn(*args, **kwargs)
        except ApiException as e:
            eq(e.status, status, f"{getattr(fn, '__name__', fn)} status")
            return e
        raise FlowFailure(f"{getattr(fn, '__name__', fn)} succeeded; expected HTTP {status}")

    def query(self, sql: str, **kwargs: Any) -> Any:
        return self.api(hd_api.QueryApi).query(m.QueryRequest(sql=sql, **kwargs))

    def wait(self, what: str, probe: Callable[[], Any], done: Callable[[Any], bool], timeout: float = 30.0) -> Any:
        """Polls `probe` until `done(value)`; fails after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            value = probe()
            if done(value):
                return value
            if time.monotonic() > deadline:
                raise FlowFailure(f"{what}: still not done after {timeout}s (last: {value!r})")
            time.sleep(0.1)

    def ready_result(self, result_id: str) -> Any:
        results = self.api(hd_api.ResultsApi)
        return self.wait(
            f"result {result_id}", lambda: results.get_result(result_id), lambda r: r.status in ("ready", "failed")
        )

    def raw_result(self, result_id: str, fmt: str) -> bytes:
        """The stored result in a non-JSON format, read as bytes through the client's raw call."""
        self.ready_result(result_id)
        resp = self.api(hd_api.ResultsApi).get_result_without_preload_content(result_id, format=fmt)
        eq(resp.status, 200, f"GET /v1/results/{result_id}?format={fmt} status")
        return resp.data

    def upload(self, data: bytes) -> Any:
        return self.api(hd_api.UploadsApi).upload_file(data, _content_type="application/octet-stream")

    def wait_job(self, job_id: str) -> Any:
        jobs = self.api(hd_api.JobsApi)
        return self.wait(
            f"job {job_id}",
            lambda: jobs.get_job(job_id),
            lambda j: str(getattr(j.status, "value", j.status)) in ("succeeded", "failed", "partially_succeeded"),
        )


def enum_value(v: Any) -> Any:
    return getattr(v, "value", v)


def sql_dataset(ctx: Ctx, label: str, sql: str) -> Any:
    """Creates a dataset from SQL (seed-era `{"type": "sql_query"}` source)."""
    source = m.DatasetSource(m.DatasetSourceOneOf2(type="sql_query", sql=sql))
    return ctx.api(hd_api.DatasetsApi).create_dataset(m.CreateDatasetRequest(label=label, source=source))


CSV_ROWS = [("1", "ada", "36.5"), ("2", "grace", "85.25"), ("3", "edsger", "72.0")]
CSV_TEXT = "id,name,score\n" + "".join(f"{a},{b},{c}\n" for a, b, c in CSV_ROWS)


# ---------------------------------------------------------------------------- flows


@flow
def client_version(ctx: Ctx) -> None:
    """The flows are meant for the May 2026 client; anything else proves nothing about it."""
    eq(hotdata.__version__, EXPECTED_CLIENT, "installed hotdata version")


@flow
def workspaces(ctx: Ctx) -> None:
    ws = ctx.api(hd_api.WorkspacesApi)
    listing = ws.list_workspaces()
    check(listing.ok, "list_workspaces ok")
    ids = [w.public_id for w in listing.workspaces]
    check(ctx.workspace_id in ids, f"the configured workspace {ctx.workspace_id} is listed ({ids})")
    name = ctx.name("seed_ws")
    created = ws.create_workspace(m.CreateWorkspaceRequest(name=name))
    check(created.ok, "create_workspace ok")
    new_id = created.workspace.public_id
    eq(created.workspace.name, name, "created workspace name")
    check(new_id in [w.public_id for w in ws.list_workspaces().workspaces], "created workspace is listed")
    # The new workspace is usable with its own X-Workspace-Id: a query there runs.
    other = hotdata.ApiClient(hotdata.Configuration(host=ctx.url, api_key=ctx.api_key, workspace_id=new_id))
    r = hd_api.QueryApi(other).query(m.QueryRequest(sql="SELECT 40 + 2 AS answer"))
    eq(r.rows, [[42]], "query in the new workspace")
    ws.delete_workspace(new_id)
    check(new_id not in [w.public_id for w in ws.list_workspaces().workspaces], "deleted workspace is gone")


@flow
def connection_types(ctx: Ctx) -> None:
    ct = ctx.api(hd_api.ConnectionTypesApi)
    listing = ct.list_connection_types()
    names = [t.name for t in listing.connection_types]
    for expected in ("postgres", "managed"):
        check(expected in names, f"connection type {expected} listed ({names})")
    detail = ct.get_connection_type("postgres")
    eq(detail.name, "postgres", "get_connection_type name")
    check(detail.label, "postgres type has a label")
    ctx.expect_status(404, ct.get_connection_type, "no_such_type")


@flow
def connections(ctx: Ctx) -> None:
    conns = ctx.api(hd_api.ConnectionsApi)
    name = ctx.name("pg")
    created = conns.create_connection(
        m.CreateConnectionRequest(
            name=name,
            source_type="postgres",
            config={"host": "db.invalid", "port": 5432, "database": "shop", "user": "reader"},
            skip_discovery=True,
        )
    )
    eq(created.name, name, "created connection name")
    eq(created.source_type, "postgres", "created connection source_type")
    eq(enum_value(created.discovery_status), "skipped", "discovery_status with skip_discovery")
    listed = [c for c in conns.list_connections().connections if c.id == created.id]
    eq(len(listed), 1, "created connection listed once")
    eq(listed[0].name, name, "listed name")
    got = conns.get_connection(created.id)
    eq((got.id, got.name, got.source_type), (created.id, name, "postgres"), "get_connection")
    health = conns.check_connection_health(created.id)
    eq(health.connection_id, created.id, "health connection_id")
    eq(health.healthy, False, "a postgres source the local server cannot reach is unhealthy")
    check(health.error, "unhealthy connection reports an error")
    ctx.expect_status(409, conns.create_connection,
                      m.CreateConnectionRequest(name=name, source_type="postgres", config={}, skip_discovery=True))
    conns.purge_connection_cache(created.id)
    conns.delete_connection(created.id)
    ctx.expect_status(404, conns.get_connection, created.id)
    ctx.expect_status(404, conns.check_connection_health, created.id)
    check(created.id not in [c.id for c in conns.list_connections().connections], "deleted connection not listed")


@flow
def connection_with_secret(ctx: Ctx) -> None:
    secrets = ctx.api(hd_api.SecretsApi)
    conns = ctx.api(hd_api.ConnectionsApi)
    sname = ctx.name("pg_password")
    secret = secrets.create_secret(m.CreateSecretRequest(name=sname, value="s3cr3t"))
    c1 = conns.create_connection(m.CreateConnectionRequest(
        name=ctx.name("pg_by_name"), source_type="postgres", config={"host": "db.invalid"},
        secret_name=sname, skip_discovery=True))
    c2 = conns.create_connection(m.CreateConnectionRequest(
        name=ctx.name("pg_by_id"), source_type="postgres", config={"host": "db.invalid"},
        secret_id=secret.id, skip_discovery=True))
    check(c1.id != c2.id, "two connections, two ids")
    ctx.expect_status(400, conns.create_connection, m.CreateConnectionRequest(
        name=ctx.name("pg_missing"), source_type="postgres", config={}, secret_name=ctx.name("nope"),
        skip_discovery=True))
    for c in (c1, c2):
        conns.delete_connection(c.id)
    secrets.delete_secret(sname)


@flow
def query_sync(ctx: Ctx) -> None:
    r = ctx.query(
        "SELECT x, x * x AS square, 'n' || CAST(x AS VARCHAR) AS label "
        "FROM (VALUES (1), (2), (3)) AS t(x) ORDER BY x"
    )
    eq(r.columns, ["x", "square", "label"], "columns")
    eq(r.rows, [[1, 1, "n1"], [2, 4, "n2"], [3, 9, "n3"]], "rows")
    eq(r.row_count, 3, "row_count")
    eq(len(r.nullable), 3, "one nullable flag per column")
    check(r.query_run_id, "a query run id")
    check(r.execution_time_ms >= 0, "execution_time_ms")
    agg = ctx.query("SELECT SUM(v) AS total, COUNT(*) AS n, AVG(v) AS mean FROM (VALUES (2), (4), (9)) AS t(v)")
    eq(agg.rows, [[15, 3, 5.0]], "aggregate values")
    # A failing query is an ApiException with the seed-era error body.
    e = ctx.expect_status(400, ctx.query, "SELECT * FROM no_such_table_anywhere")
    body = json.loads(e.body)
    check(isinstance(body, dict) and body, f"error body is a JSON object ({e.body!r})")


@flow
def query_async(ctx: Ctx) -> None:
    q = ctx.api(hd_api.QueryApi)
    submitted = q.query(m.QueryRequest(sql="SELECT 6 * 7 AS answer, 'async' AS how", var_async=True))
    check(isinstance(submitted, m.AsyncQueryResponse), f"async submit returns AsyncQueryResponse ({submitted!r})")
    check(submitted.query_run_id, "async query run id")
    check(submitted.query_run_id in submitted.status_url, "status_url names the run")
    runs = ctx.api(hd_api.QueryRunsApi)
    run = ctx.wait("async run", lambda: runs.get_query_run(submitted.query_run_id),
                   lambda r: r.status in ("succeeded", "failed"))
    eq(run.status, "succeeded", "async run status")
    check(run.result_id, "a succeeded run has a result")
    res = ctx.ready_result(run.result_id)
    eq(res.status, "ready", "result status")
    eq(res.columns, ["answer", "how"], "result columns")
    eq(res.rows, [[42, "async"]], "result rows")
    # async_after_ms: a fast query completes within the wait and answers inline.
    inline = q.query(m.QueryRequest(sql="SELECT 1 AS one", var_async=True, async_after_ms=5000))
    check(isinstance(inline, m.QueryResponse), f"fast query with async_after_ms answers inline ({inline!r})")
    eq(inline.rows, [[1]], "inline rows")
    # The client rejects async_after_ms below its documented minimum before sending anything.
    try:
        m.QueryRequest(sql="SELECT 1", var_async=True, async_after_ms=10)
    except Exception:
        pass
    else:
        raise FlowFailure("QueryRequest accepted async_after_ms=10 (minimum is 1000)")


@flow
def query_runs(ctx: Ctx) -> None:
    marker = ctx.name("run")
    r = ctx.query(f"SELECT '{marker}' AS marker")
    runs = ctx.api(hd_api.QueryRunsApi)
    got = runs.get_query_run(r.query_run_id)
    eq(got.id, r.query_run_id, "run id round-trips")
    eq(got.status, "succeeded", "run status")
    check(marker in got.sql_text, "run keeps the SQL text")
    eq(got.row_count, 1, "run row_count")
    eq(got.result_id, r.result_id, "run result_id matches the query answer")
    listing = runs.list_query_runs(limit=500)
    check(r.query_run_id in [x.id for x in listing.query_runs], "run is listed")
    # Filter by status and paginate with the cursor.
    failed = runs.list_query_runs(status="failed", limit=50)
    check(all(x.status == "failed" for x in failed.query_runs), "status filter")
    for _ in range(2):
        ctx.query("SELECT 1")
    page1 = runs.list_query_runs(limit=2)
    eq(len(page1.query_runs), 2, "first page size")
    check(page1.has_more and page1.next_cursor, "more pages")
    page2 = runs.list_query_runs(limit=2, cursor=page1.next_cursor)
    check(not {x.id for x in page1.query_runs} & {x.id for x in page2.query_runs}, "pages do not overlap")
    ctx.expect_status(404, runs.get_query_run, "qrun_does_not_exist")


@flow
def results(ctx: Ctx) -> None:
    r = ctx.query("SELECT n, n % 2 = 0 AS even FROM generate_series(1, 25) AS t(n) ORDER BY n")
    eq(r.row_count, 25, "query row_count")
    check(r.result_id, "query answer names its stored result")
    res_api = ctx.api(hd_api.ResultsApi)
    full = ctx.ready_result(r.result_id)
    eq(full.result_id, r.result_id, "result id round-trips")
    eq(full.row_count, 25, "stored row_count")
    eq(full.rows, r.rows, "stored rows equal the inline rows")
    page = res_api.get_result(r.result_id, offset=10, limit=5)
    eq(page.rows, [[n, n % 2 == 0] for n in range(11, 16)], "offset/limit slice")
    csv_text = ctx.raw_result(r.result_id, "csv").decode()
    parsed = list(csv.reader(io.StringIO(csv_text)))
    eq(parsed[0], ["n", "even"], "csv header")
    eq(len(parsed) - 1, 25, "csv rows")
    eq(parsed[3][0], "3", "csv value")
    md = ctx.raw_result(r.result_id, "md").decode()
    check("| n" in md and "25" in md, "markdown table")
    parquet = ctx.raw_result(r.result_id, "parquet")
    eq(parquet[:4], b"PAR1", "parquet magic")
    listing = res_api.list_results(limit=1000)
    check(r.result_id in [x.id for x in listing.results], "result is listed")
    first = res_api.list_results(limit=1, offset=0)
    eq(len(first.results), 1, "list_results limit")
    ctx.expect_status(404, res_api.get_result, "rslt_does_not_exist")


@flow
def results_arrow(ctx: Ctx) -> None:
    if not ctx.arrow:
        raise FlowFailure("pyarrow is not installed (install hotdata[arrow]==0.2.6, or pass --no-arrow)")
    from hotdata.arrow import ResultsApi as ArrowResults

    r = ctx.query("SELECT n, CAST(n AS DOUBLE) / 4 AS quarter FROM generate_series(1, 8) AS t(n) ORDER BY n")
    ctx.ready_result(r.result_id)
    arrow = ArrowResults(ctx.client)
    table = arrow.get_result_arrow(r.result_id)
    eq(table.column_names, ["n", "quarter"], "arrow columns")
    eq(table.column("n").to_pylist(), list(range(1, 9)), "arrow n")
    eq(table.column("quarter").to_pylist(), [n / 4 for n in range(1, 9)], "arrow quarter")
    sliced = arrow.get_result_arrow(r.result_id, offset=2, limit=3)
    eq(sliced.column("n").to_pylist(), [3, 4, 5], "arrow offset/limit")
    with arrow.stream_result_arrow(r.result_id) as reader:
        total = sum(batch.num_rows for batch in reader)
    eq(total, 8, "streamed arrow rows")


@flow
def uploads(ctx: Ctx) -> None:
    up = ctx.upload(CSV_TEXT.encode())
    check(up.id, "upload id")
    eq(up.size_bytes, len(CSV_TEXT.encode()), "upload size_bytes")
    listed = [u for u in ctx.api(hd_api.UploadsApi).list_uploads().uploads if u.id == up.id]
    eq(len(listed), 1, "upload listed")
    eq(listed[0].size_bytes, up.size_bytes, "listed size")
    pending = ctx.api(hd_api.UploadsApi).list_uploads(status=up.status).uploads
    check(up.id in [u.id for u in pending], f"status filter `{up.status}` lists the upload")


@flow
def datasets_from_upload(ctx: Ctx) -> None:
    ds_api = ctx.api(hd_api.DatasetsApi)
    up = ctx.upload(CSV_TEXT.encode())
    table = ctx.name("people")
    source = m.DatasetSource(m.DatasetSourceOneOf(type="upload", upload_id=up.id, format="csv"))
    created = ds_api.create_dataset(m.CreateDatasetRequest(label="People " + ctx.tag, source=source, table_name=table))
    eq(created.table_name, table, "dataset table_name")
    eq(created.schema_name, "main", "dataset schema")
    r = ctx.query(f"SELECT name, score FROM datasets.main.{table} WHERE id >= 2 ORDER BY id")
    eq(r.rows, [["grace", 85.25], ["edsger", 72.0]], "rows of the uploaded CSV")
    total = ctx.query(f"SELECT SUM(score) AS s FROM datasets.main.{table}")
    eq(total.rows, [[193.75]], "sum over the dataset")
    got = ds_api.get_dataset(created.id)
    eq(got.id, created.id, "get_dataset id")
    eq([c.name for c in got.columns], ["id", "name", "score"], "dataset columns")
    eq(got.latest_version, 1, "first version")
    # Explicit column types for an upload source.
    typed = ds_api.create_dataset(m.CreateDatasetRequest(
        label="typed " + ctx.tag, table_name=ctx.name("typed"),
        source=m.DatasetSource(m.DatasetSourceOneOf(
            type="upload", upload_id=ctx.upload(CSV_TEXT.encode()).id, format="csv",
            columns={"id": "BIGINT", "name": "VARCHAR", "score": "DOUBLE"}))))
    r = ctx.query(f"SELECT MAX(id) AS m FROM datasets.main.{typed.table_name}")
    eq(r.rows, [[3]], "typed dataset")
    # The upload is consumed now and cannot build a second dataset.
    consumed = [u for u in ctx.api(hd_api.UploadsApi).list_uploads(status="consumed").uploads if u.id == up.id]
    eq(len(consumed), 1, "the upload is listed as consumed")
    ctx.expect_status(409, ds_api.create_dataset, m.CreateDatasetRequest(
        label="again " + ctx.tag, source=source, table_name=ctx.name("again")))
    for d in (created, typed):
        ds_api.delete_dataset(d.id)
    ctx.expect_status(404, ds_api.get_dataset, created.id)
    ctx.expect_status(400, ctx.query, f"SELECT * FROM datasets.main.{table}")


@flow
def datasets_inline_json_parquet(ctx: Ctx) -> None:
    ds_api = ctx.api(hd_api.DatasetsApi)
    inline = ds_api.create_dataset(m.CreateDatasetRequest(
        label="inline " + ctx.tag, table_name=ctx.name("inline"),
        source=m.DatasetSource(m.DatasetSourceOneOf4(
            type="inline", inline=m.InlineData(format="csv", content="k,v\na,1\nb,2\n")))))
    eq(ctx.query(f"SELECT v FROM datasets.main.{inline.table_name} WHERE k = 'b'").rows, [[2]], "inline csv")
    lines = "\n".join(json.dumps({"city": c, "pop": p}) for c, p in [("oslo", 700), ("bergen", 290)])
    up = ctx.upload(lines.encode())
    js = ds_api.create_dataset(m.CreateDatasetRequest(
        label="json " + ctx.tag, table_name=ctx.name("cities"),
        source=m.DatasetSource(m.DatasetSourceOneOf(type="upload", upload_id=up.id, format="json"))))
    eq(ctx.query(f"SELECT city FROM datasets.main.{js.table_name} ORDER BY pop DESC").rows,
       [["oslo"], ["bergen"]], "json dataset")
    # Parquet made by the server itself: a stored result read as parquet, uploaded again.
    r = ctx.query("SELECT n, n * 10 AS tens FROM generate_series(1, 4) AS t(n)")
    pq = ctx.upload(ctx.raw_result(r.result_id, "parquet"))
    pqd = ds_api.create_dataset(m.CreateDatasetRequest(
        label="parquet " + ctx.tag, table_name=ctx.name("tens"),
        source=m.DatasetSource(m.DatasetSourceOneOf(type="upload", upload_id=pq.id, format="parquet"))))
    eq(ctx.query(f"SELECT SUM(tens) AS s FROM datasets.main.{pqd.table_name}").rows, [[100]], "parquet dataset")
    for d in (inline, js, pqd):
        ds_api.delete_dataset(d.id)


@flow
def datasets_from_sql_and_saved_query(ctx: Ctx) -> None:
    ds_api = ctx.api(hd_api.DatasetsApi)
    from_sql = sql_dataset(ctx, "squares " + ctx.tag, "SELECT n, n * n AS sq FROM generate_series(1, 5) AS t(n)")
    eq(ctx.query(f"SELECT SUM(sq) AS s FROM datasets.main.{from_sql.table_name}").rows, [[55]], "dataset from SQL")
    got = ds_api.get_dataset(from_sql.id)
    eq(got.source_type, "sql_query", "source_type of a SQL dataset")
    sq = ctx.api(hd_api.SavedQueriesApi).create_saved_query(
        m.CreateSavedQueryRequest(name=ctx.name("cubes"), sql="SELECT n, n * n * n AS cube FROM generate_series(1, 3) AS t(n)"))
    from_saved = ds_api.create_dataset(m.CreateDatasetRequest(
        label="cubes " + ctx.tag, table_name=ctx.name("cubes"),
        source=m.DatasetSource(m.DatasetSourceOneOf1(type="saved_query", saved_query_id=sq.id))))
    eq(ctx.query(f"SELECT cube FROM datasets.main.{from_saved.table_name} ORDER BY n").rows,
       [[1], [8], [27]], "dataset from a saved query")
    # A dataset built on another dataset, by SQL.
    chained = sql_dataset(ctx, "chained " + ctx.tag, f"SELECT MAX(sq) AS top_sq FROM datasets.main.{from_sql.table_name}")
    eq(ctx.query(f"SELECT top_sq FROM datasets.main.{chained.table_name}").rows, [[25]], "dataset over a dataset")
    for d in (from_sql, from_saved, chained):
        ds_api.delete_dataset(d.id)
    ctx.api(hd_api.SavedQueriesApi).delete_saved_query(sq.id)


@flow
def datasets_list_update_versions_pin(ctx: Ctx) -> None:
    ds_api = ctx.api(hd_api.DatasetsApi)
    label = "versions " + ctx.tag
    d = sql_dataset(ctx, label, "SELECT 1 AS v")
    listing = ds_api.list_datasets(limit=1000)
    check(d.id in [x.id for x in listing.datasets], "dataset listed")
    eq(listing.count, len(listing.datasets), "count matches the page")
    # A refresh of a SQL dataset makes a new version.
    ctx.api(hd_api.RefreshApi).refresh(m.RefreshRequest(dataset_id=d.id))
    got = ds_api.get_dataset(d.id)
    eq(got.latest_version, 2, "refresh adds a version")
    versions = ds_api.list_dataset_versions(d.id)
    eq(sorted(v.version for v in versions.versions), [1, 2], "versions listed")
    eq(versions.dataset_id, d.id, "versions name their dataset")
    # Pin to version 1, then unpin with an explicit null.
    pinned = ds_api.update_dataset(d.id, m.UpdateDatasetRequest(pinned_version=1))
    eq(pinned.pinned_version, 1, "pinned_version after pin")
    eq(ds_api.get_dataset(d.id).pinned_version, 1, "pin persisted")
    unpin = m.UpdateDatasetRequest(pinned_version=None)
    unpin.pinned_version = None  # marks the field as set, so the client sends `"pinned_version": null`
    check("pinned_version" in unpin.to_dict(), f"the 0.2.6 client sends the null ({unpin.to_dict()})")
    eq(ds_api.update_dataset(d.id, unpin).pinned_version, None, "unpinned")
    eq(ds_api.get_dataset(d.id).pinned_version, None, "unpin persisted")
    # Rename label and table; the query follows the new table name.
    new_table = ctx.name("renamed")
    upd = ds_api.update_dataset(d.id, m.UpdateDatasetRequest(label=label + " (renamed)", table_name=new_table))
    eq((upd.label, upd.table_name), (label + " (renamed)", new_table), "update label and table_name")
    eq(ctx.query(f"SELECT v FROM datasets.main.{new_table}").rows, [[1]], "query by the new table name")
    # Pagination of the list.
    page = ds_api.list_datasets(limit=1, offset=0)
    eq(len(page.datasets), 1, "list_datasets limit")
    ds_api.delete_dataset(d.id)
    check(d.id not in [x.id for x in ds_api.list_datasets(limit=1000).datasets], "deleted dataset not listed")
    ctx.expect_status(404, ds_api.list_dataset_versions, d.id)


@flow
def saved_queries(ctx: Ctx) -> None:
    sq_api = ctx.api(hd_api.SavedQueriesApi)
    name = ctx.name("top_squares")
    created = sq_api.create_saved_query(m.CreateSavedQueryRequest(
        name=name, sql="SELECT n * n AS sq FROM generate_series(1, 4) AS t(n) ORDER BY sq DESC",
        description="squares", tags=["seed", "math"]))
    eq((created.name, created.latest_version, created.tags), (name, 1, ["seed", "math"]), "created saved query")
    got = sq_api.get_saved_query(created.id)
    eq((got.id, got.sql), (created.id, created.sql), "get round-trips")
    check(created.id in [q.id for q in sq_api.list_saved_queries(limit=1000).queries], "listed")
    first = sq_api.execute_saved_query(created.id)
    eq(first.rows, [[16], [9], [4], [1]], "execute v1")
    upd = sq_api.update_saved_query(created.id, m.UpdateSavedQueryRequest(
        sql="SELECT SUM(n) AS total FROM generate_series(1, 4) AS t(n)", description="sum"))
    eq(upd.latest_version, 2, "update makes version 2")
    eq(upd.name, name, "name kept when omitted")
    versions = sq_api.list_saved_query_versions(created.id)
    eq(versions.saved_query_id, created.id, "versions name their query")
    eq(sorted(v.version for v in versions.versions), [1, 2], "two versions")
    eq(sq_api.execute_saved_query(created.id).rows, [[10]], "execute latest")
    old = sq_api.execute_saved_query(created.id, m.ExecuteSavedQueryRequest(version=1))
    eq(old.rows, [[16], [9], [4], [1]], "execute version 1")
    runs = ctx.api(hd_api.QueryRunsApi).list_query_runs(saved_query_id=created.id, limit=50)
    eq(len(runs.query_runs), 3, "runs of the saved query")
    check(all(r.saved_query_id == created.id for r in runs.query_runs), "runs carry saved_query_id")
    eq(sorted(r.saved_query_version for r in runs.query_runs), [1, 1, 2], "runs carry the version")
    renamed = sq_api.update_saved_query(created.id, m.UpdateSavedQueryRequest(name=name + "_v3"))
    eq(renamed.name, name + "_v3", "rename")
    sq_api.delete_saved_query(created.id)
    ctx.expect_status(404, sq_api.get_saved_query, created.id)
    ctx.expect_status(404, sq_api.execute_saved_query, created.id)


@flow
def secrets(ctx: Ctx) -> None:
    s_api = ctx.api(hd_api.SecretsApi)
    name = ctx.name("api_token")
    created = s_api.create_secret(m.CreateSecretRequest(name=name, value="first-value"))
    eq(created.name, name, "created secret name")
    check(created.id, "secret id")
    got = s_api.get_secret(name)
    eq(got.name, name, "get_secret")
    check("first-value" not in json.dumps(got.to_dict(), default=str), "value never returned")
    check(name in [s.name for s in s_api.list_secrets().secrets], "secret listed")
    ctx.expect_status(409, s_api.create_secret, m.CreateSecretRequest(name=name, value="x"))
    before = got.updated_at
    time.sleep(0.01)
    upd = s_api.update_secret(name, m.UpdateSecretRequest(value="second-value"))
    eq(upd.name, name, "update_secret name")
    check(upd.updated_at >= before, "updated_at moves forward")
    s_api.delete_secret(name)
    ctx.expect_status(404, s_api.get_secret, name)
    ctx.expect_status(404, s_api.update_secret, name, m.UpdateSecretRequest(value="x"))


@flow
def sandboxes(ctx: Ctx) -> None:
    sb_api = ctx.api(hd_api.SandboxesApi)
    created = sb_api.create_sandbox(m.CreateSandboxRequest(name=ctx.name("sb"), markdown="# notes"))
    sb = created.sandbox
    eq((sb.name, sb.markdown), (ctx.name("sb"), "# notes"), "created sandbox")
    got = sb_api.get_sandbox(sb.public_id).sandbox
    eq(got.public_id, sb.public_id, "get_sandbox")
    check(sb.public_id in [s.public_id for s in sb_api.list_sandboxes().sandboxes], "listed")
    upd = sb_api.update_sandbox(sb.public_id, m.UpdateSandboxRequest(markdown="# more notes")).sandbox
    eq((upd.name, upd.markdown), (sb.name, "# more notes"), "update keeps the name")
    # A client configured with the sandbox as its session still queries.
    session = hotdata.ApiClient(hotdata.Configuration(
        host=ctx.url, api_key=ctx.api_key, workspace_id=ctx.workspace_id, session_id=sb.public_id))
    eq(hd_api.QueryApi(session).query(m.QueryRequest(sql="SELECT 'in session' AS s")).rows,
       [["in session"]], "query with X-Session-Id")
    sb_api.delete_sandbox(sb.public_id)
    ctx.expect_status(404, sb_api.get_sandbox, sb.public_id)


@flow
def workspace_context(ctx: Ctx) -> None:
    wc = ctx.api(WorkspaceContextApi)
    name = ctx.name("GLOSSARY").upper()
    up = wc.upsert_workspace_context(UpsertWorkspaceContextRequest(name=name, content="# Terms\nARR: annual revenue"))
    eq(up.context.name, name, "upsert name")
    eq(wc.get_workspace_context(name).context.content, "# Terms\nARR: annual revenue", "get content")
    wc.upsert_workspace_context(UpsertWorkspaceContextRequest(name=name, content="# Terms v2"))
    eq(wc.get_workspace_context(name).context.content, "# Terms v2", "upsert replaces")
    names = [c.name for c in wc.list_workspace_contexts().contexts]
    eq(names.count(name), 1, "listed once")
    wc.delete_workspace_context(name)
    ctx.expect_status(404, wc.get_workspace_context, name)


@flow
def embedding_providers(ctx: Ctx) -> None:
    ep = ctx.api(hd_api.EmbeddingProvidersApi)
    name = ctx.name("openai")
    created = ep.create_embedding_provider(m.CreateEmbeddingProviderRequest(
        name=name, provider_type="service", config={"model": "text-embedding-3-small"}, api_key="sk-test"))
    eq((created.name, created.provider_type), (name, "service"), "created provider")
    got = ep.get_embedding_provider(created.id)
    eq(got.id, created.id, "get provider")
    eq(got.has_secret, True, "inline api_key becomes a secret")
    check("sk-test" not in json.dumps(got.to_dict(), default=str), "key never returned")
    check(created.id in [p.id for p in ep.list_embedding_providers().embedding_providers], "listed")
    upd = ep.update_embedding_provider(created.id, m.UpdateEmbeddingProviderRequest(name=name + "_2"))
    eq(upd.name, name + "_2", "rename provider")
    eq(ep.get_embedding_provider(created.id).name, name + "_2", "rename persisted")
    ctx.expect_status(409, ep.create_embedding_provider,
                      m.CreateEmbeddingProviderRequest(name=name + "_2", provider_type="local"))
    ep.delete_embedding_provider(created.id)
    ctx.expect_status(404, ep.get_embedding_provider, created.id)


def parquet_of(ctx: Ctx, sql: str) -> bytes:
    """Parquet made by the server itself: `sql`'s stored result read with `format=parquet`.

    Seed-era managed loads take parquet only, and the 0.2.6 client has no parquet writer of its own.
    """
    return ctx.raw_result(ctx.query(sql).result_id, "parquet")


def managed_connection(ctx: Ctx, base: str, tables: Dict[str, str]) -> Any:
    """A workspace-level `managed` connection whose tables (`schema.table` -> SQL) are loaded with parquet."""
    conns = ctx.api(hd_api.ConnectionsApi)
    conn = conns.create_connection(m.CreateConnectionRequest(name=ctx.name(base), source_type="managed", config={}))
    for qualified, sql in tables.items():
        schema, table = qualified.split(".")
        up = ctx.upload(parquet_of(ctx, sql))
        conns.load_managed_table(conn.id, schema, table, m.LoadManagedTableRequest(mode="replace", upload_id=up.id))
    return conn


@flow
def managed_connection_tables(ctx: Ctx) -> None:
    conns = ctx.api(hd_api.ConnectionsApi)
    conn = conns.create_connection(m.CreateConnectionRequest(name=ctx.name("warehouse"), source_type="managed", config={}))
    eq(conn.source_type, "managed", "managed connection")
    up = ctx.upload(parquet_of(ctx, "SELECT n AS sku, n * 1.5 AS price FROM generate_series(1, 4) AS t(n)"))
    loaded = conns.load_managed_table(conn.id, "shop", "items", m.LoadManagedTableRequest(mode="replace", upload_id=up.id))
    eq((loaded.connection_id, loaded.schema_name, loaded.table_name, loaded.row_count),
       (conn.id, "shop", "items", 4), "load response")
    check('"sku"' in loaded.arrow_schema_json, "arrow_schema_json names the columns")
    eq(ctx.query(f"SELECT SUM(price) AS s FROM {conn.name}.shop.items").rows, [[15.0]], "query the loaded table")
    # Append a second file; the table grows.
    more = ctx.upload(parquet_of(ctx, "SELECT 10 AS sku, 2.0 AS price"))
    appended = conns.load_managed_table(conn.id, "shop", "items", m.LoadManagedTableRequest(mode="append", upload_id=more.id))
    eq(appended.row_count, 5, "row_count after an append (rows the table holds)")
    eq(ctx.query(f"SELECT COUNT(*) AS n, MAX(sku) AS top_sku FROM {conn.name}.shop.items").rows, [[5, 10]], "after append")
    got = conns.get_connection(conn.id)
    eq((got.table_count, got.synced_table_count), (1, 1), "table counts")
    eq(conns.check_connection_health(conn.id).healthy, True, "a managed connection is healthy")
    profile = conns.get_table_profile(conn.id, "shop", "items")
    eq((profile.row_count, profile.table, profile.var_schema), (5, "items", "shop"), "profile")
    eq(sorted(c.name for c in profile.columns), ["price", "sku"], "profile columns")
    sku = [c for c in profile.columns if c.name == "sku"][0]
    eq(sku.null_count, 0, "profile null_count")
    # A CSV upload is refused: seed-era loads take parquet only.
    ctx.expect_status(400, conns.load_managed_table, conn.id, "shop", "items",
                      m.LoadManagedTableRequest(mode="replace", upload_id=ctx.upload(CSV_TEXT.encode()).id))
    conns.purge_table_cache(conn.id, "shop", "items")
    conns.delete_managed_table(conn.id, "shop", "items")
    ctx.expect_status(400, ctx.query, f"SELECT * FROM {conn.name}.shop.items")
    ctx.expect_status(404, conns.delete_managed_table, conn.id, "shop", "items")
    conns.delete_connection(conn.id)


@flow
def managed_database(ctx: Ctx) -> None:
    dbs = ctx.api(hd_api.DatabasesApi)
    conns = ctx.api(hd_api.ConnectionsApi)
    created = dbs.create_database(m.CreateDatabaseRequest(
        name=ctx.name("sales"), expires_at="24h",
        schemas=[m.DatabaseDefaultSchemaDecl(name="public", tables=[m.DatabaseDefaultTableDecl(name="orders")])]))
    check(created.id, "database id")
    check(created.expires_at is not None, "expires_at from a duration")
    check(created.id in [d.id for d in dbs.list_databases().databases], "database listed")
    detail = dbs.get_database(created.id)
    eq(detail.id, created.id, "get_database")
    conn_id = detail.default_connection_id
    eq(conn_id, created.default_connection_id, "default connection id round-trips")
    up = ctx.upload(parquet_of(ctx, "SELECT n AS order_id, n * 2.5 AS amount FROM generate_series(1, 6) AS t(n)"))
    loaded = conns.load_managed_table(conn_id, "public", "orders", m.LoadManagedTableRequest(mode="replace", upload_id=up.id))
    eq((loaded.row_count, loaded.table_name, loaded.schema_name), (6, "orders", "public"), "load response")
    q = ctx.api(hd_api.QueryApi)
    r = q.query(m.QueryRequest(sql="SELECT SUM(amount) AS s, COUNT(*) AS n FROM default.public.orders"),
                x_database_id=created.id)
    eq(r.rows, [[52.5, 6]], "query in the database")
    # Seed era: the run and the stored result of a query made inside a database are read without
    # X-Database-Id (the 0.2.6 client has no such parameter on these calls).
    eq(ctx.api(hd_api.QueryRunsApi).get_query_run(r.query_run_id).result_id, r.result_id, "database run, unscoped read")
    eq(ctx.ready_result(r.result_id).rows, [[52.5, 6]], "database result, unscoped read")
    check(r.query_run_id in [x.id for x in ctx.api(hd_api.QueryRunsApi).list_query_runs(limit=500).query_runs],
          "database run listed without X-Database-Id")
    check(r.result_id in [x.id for x in ctx.api(hd_api.ResultsApi).list_results(limit=1000).results],
          "database result listed without X-Database-Id")
    # default_schema (and default_catalog) resolve unqualified names inside the database only.
    short = q.query(m.QueryRequest(sql="SELECT MAX(order_id) AS top_id FROM orders", default_schema="public"),
                    x_database_id=created.id)
    eq(short.rows, [[6]], "unqualified name with default_schema")
    ctx.expect_status(400, q.query, m.QueryRequest(sql="SELECT 1", default_schema="public"))
    # The default connection is exposed only for loads: the workspace-level connection endpoints refuse it,
    # as the 0.2.6 client's `default_connection_id` documents.
    ctx.expect_status(404, conns.get_connection, conn_id)
    ctx.expect_status(404, conns.check_connection_health, conn_id)
    check(conn_id not in [c.id for c in conns.list_connections().connections], "default connection not listed")
    info = ctx.api(hd_api.InformationSchemaApi).information_schema(connection_id=conn_id, include_columns=True)
    eq([(t.var_schema, t.table) for t in info.tables], [("public", "orders")], "information_schema by connection_id")
    eq(sorted(c.name for c in info.tables[0].columns), ["amount", "order_id"], "its columns")
    # Database context.
    dctx = ctx.api(hd_api.DatabaseContextApi)
    dctx.upsert_database_context(created.id, m.UpsertDatabaseContextRequest(name="README", content="orders only"))
    eq(dctx.get_database_context(created.id, "README").context.content, "orders only", "database context")
    dctx.upsert_database_context(created.id, m.UpsertDatabaseContextRequest(name="README", content="orders, v2"))
    eq([(c.name, c.content) for c in dctx.list_database_contexts(created.id).contexts],
       [("README", "orders, v2")], "database contexts listed")
    dctx.delete_database_context(created.id, "README")
    ctx.expect_status(404, dctx.get_database_context, created.id, "README")
    # Drop the table, then the database.
    conns.delete_managed_table(conn_id, "public", "orders")
    ctx.expect_status(400, q.query, m.QueryRequest(sql="SELECT * FROM default.public.orders"), x_database_id=created.id)
    dbs.delete_database(created.id)
    ctx.expect_status(404, dbs.get_database, created.id)
    check(created.id not in [d.id for d in dbs.list_databases().databases], "deleted database not listed")


@flow
def database_catalogs(ctx: Ctx) -> None:
    dbs = ctx.api(hd_api.DatabasesApi)
    conns = ctx.api(hd_api.ConnectionsApi)
    a = dbs.create_database(m.CreateDatabaseRequest(name=ctx.name("a"), schemas=[
        m.DatabaseDefaultSchemaDecl(name="s", tables=[m.DatabaseDefaultTableDecl(name="t")])]))
    b = dbs.create_database(m.CreateDatabaseRequest(name=ctx.name("b")))
    up = ctx.upload(parquet_of(ctx, "SELECT 'from a' AS origin"))
    conns.load_managed_table(a.default_connection_id, "s", "t", m.LoadManagedTableRequest(mode="replace", upload_id=up.id))
    dbs.attach_database_catalog(b.id, m.AttachDatabaseCatalogRequest(connection_id=a.default_connection_id, alias="other"))
    q = ctx.api(hd_api.QueryApi)
    eq(q.query(m.QueryRequest(sql="SELECT origin FROM other.s.t"), x_database_id=b.id).rows,
       [["from a"]], "attached catalog is queryable")
    eq(q.query(m.QueryRequest(sql="SELECT origin FROM t", default_catalog="other", default_schema="s"),
               x_database_id=b.id).rows, [["from a"]], "default_catalog names the attached alias")
    ctx.expect_status(400, q.query, m.QueryRequest(sql="SELECT 1", default_catalog="nowhere"), x_database_id=b.id)
    # A workspace connection can be attached too.
    mc = managed_connection(ctx, "lookup", {"ref.codes": "SELECT 'x' AS code"})
    dbs.attach_database_catalog(b.id, m.AttachDatabaseCatalogRequest(connection_id=mc.id))
    eq(q.query(m.QueryRequest(sql=f"SELECT code FROM {mc.name}.ref.codes"), x_database_id=b.id).rows,
       [["x"]], "attached workspace connection")
    dbs.detach_database_catalog(b.id, a.default_connection_id)
    ctx.expect_status(400, q.query, m.QueryRequest(sql="SELECT origin FROM other.s.t"), x_database_id=b.id)
    dbs.detach_database_catalog(b.id, mc.id)
    for d in (b, a):
        dbs.delete_database(d.id)
    conns.delete_connection(mc.id)


@flow
def information_schema(ctx: Ctx) -> None:
    conn = managed_connection(ctx, "catalog", {
        "sales.alpha": "SELECT 1 AS k, 'a' AS s",
        "sales.beta": "SELECT 2 AS k, 'b' AS s",
        "ops.gamma": "SELECT 3 AS k, 'c' AS s",
    })
    isa = ctx.api(hd_api.InformationSchemaApi)
    every = isa.information_schema(connection_id=conn.id, include_columns=True)
    eq(sorted((t.var_schema, t.table) for t in every.tables),
       [("ops", "gamma"), ("sales", "alpha"), ("sales", "beta")], "tables of the connection")
    for t in every.tables:
        eq(t.connection, conn.name, "connection name")
        eq(t.synced, True, "loaded tables are synced")
        eq([(c.name, c.data_type) for c in t.columns][0][0], "k", "first column")
        eq(sorted(c.name for c in t.columns), ["k", "s"], "columns")
    eq([t.table for t in isa.information_schema(connection_id=conn.id, var_schema="sal%").tables],
       ["alpha", "beta"], "schema wildcard")
    eq([t.table for t in isa.information_schema(connection_id=conn.id, table="%mm%").tables],
       ["gamma"], "table wildcard")
    # Without connection_id the workspace-wide listing includes the connection's tables.
    wide = isa.information_schema(table="%", limit=1000)
    check({"alpha", "beta", "gamma"} <= {t.table for t in wide.tables if t.connection == conn.name}, "workspace-wide")
    bare = isa.information_schema(connection_id=conn.id)
    check(all(not t.columns for t in bare.tables), "no columns unless asked")
    seen: List[str] = []
    cursor: Optional[str] = None
    while True:
        page = isa.information_schema(connection_id=conn.id, limit=2, cursor=cursor)
        check(len(page.tables) <= 2, "page limit")
        seen += [t.table for t in page.tables]
        if not page.has_more:
            break
        cursor = page.next_cursor
    eq(sorted(seen), ["alpha", "beta", "gamma"], "cursor pages cover every table once")
    ctx.expect_status(404, isa.information_schema, connection_id="conn_does_not_exist")
    ctx.api(hd_api.ConnectionsApi).delete_connection(conn.id)


@flow
def refresh_and_jobs(ctx: Ctx) -> None:
    d = sql_dataset(ctx, "refresh " + ctx.tag, "SELECT 7 AS seven")
    rf = ctx.api(hd_api.RefreshApi)
    sync = rf.refresh(m.RefreshRequest(dataset_id=d.id))
    check(sync is not None, "refresh answer")
    eq(ctx.api(hd_api.DatasetsApi).get_dataset(d.id).latest_version, 2, "sync dataset refresh")
    # Asynchronous refresh: a job to poll.
    submitted = rf.refresh(m.RefreshRequest(dataset_id=d.id, var_async=True))
    inner = getattr(submitted, "actual_instance", submitted)
    job_id = getattr(inner, "id", None) or getattr(inner, "job_id", None)
    check(job_id, f"an async refresh names its job ({submitted!r})")
    job = ctx.wait_job(job_id)
    eq(enum_value(job.status), "succeeded", "refresh job status")
    eq(enum_value(job.job_type), "dataset_refresh", "job type")
    eq(ctx.api(hd_api.DatasetsApi).get_dataset(d.id).latest_version, 3, "async dataset refresh")
    jobs = ctx.api(hd_api.JobsApi)
    listed = jobs.list_jobs(job_type=m.JobType.DATASET_REFRESH, limit=500)
    check(job_id in [j.id for j in listed.jobs], "job listed by type")
    check(all(enum_value(j.job_type) == "dataset_refresh" for j in listed.jobs), "type filter")
    ok = jobs.list_jobs(status="succeeded", limit=500)
    check(job_id in [j.id for j in ok.jobs], "job listed by status")
    ctx.expect_status(404, jobs.get_job, "job_does_not_exist")
    # Schema refresh and data refresh of a managed connection.
    conn = managed_connection(ctx, "rf", {"s.t": "SELECT 1 AS one"})
    check(rf.refresh(m.RefreshRequest(connection_id=conn.id)) is not None, "schema refresh answer")
    check(rf.refresh(m.RefreshRequest(connection_id=conn.id, data=True)) is not None, "data refresh answer")
    tbl = rf.refresh(m.RefreshRequest(connection_id=conn.id, schema_name="s", table_name="t", data=True))
    check(tbl is not None, "table refresh answer")
    bg = rf.refresh(m.RefreshRequest(connection_id=conn.id, data=True, var_async=True))
    bg_inner = getattr(bg, "actual_instance", bg)
    bg_job = ctx.wait_job(getattr(bg_inner, "id", None) or getattr(bg_inner, "job_id", None))
    eq(enum_value(bg_job.job_type), "data_refresh_connection", "connection data refresh job type")
    eq(enum_value(bg_job.status), "succeeded", "connection data refresh job")
    eq(ctx.query(f"SELECT one FROM {conn.name}.s.t").rows, [[1]], "data still there after refresh")
    ctx.expect_status(404, rf.refresh, m.RefreshRequest(connection_id="conn_does_not_exist"))
    ctx.api(hd_api.ConnectionsApi).delete_connection(conn.id)
    ctx.api(hd_api.DatasetsApi).delete_dataset(d.id)


@flow
def indexes(ctx: Ctx) -> None:
    idx = ctx.api(hd_api.IndexesApi)
    d = sql_dataset(ctx, "docs " + ctx.tag,
                    "SELECT n AS id, 'doc ' || CAST(n AS VARCHAR) AS body FROM generate_series(1, 5) AS t(n)")
    made = idx.create_dataset_index(d.id, m.CreateIndexRequest(index_name="by_id", columns=["id"], index_type="sorted"))
    eq((made.index_name, made.columns), ("by_id", ["id"]), "dataset index")
    bm = idx.create_dataset_index(d.id, m.CreateIndexRequest(
        index_name="body_text", columns=["body"], index_type="bm25", var_async=True))
    # Seed era: an async create answers 201 with the index `pending` and builds it in a job.
    eq((bm.index_name, enum_value(bm.status)), ("body_text", "pending"), "async index starts pending")
    built = ctx.wait("index build", lambda: [i for i in idx.list_dataset_indexes(d.id).indexes if i.index_name == "body_text"],
                     lambda found: bool(found) and enum_value(found[0].status) == "ready")
    eq(built[0].index_type, "bm25", "built index type")
    jobs = ctx.api(hd_api.JobsApi).list_jobs(job_type=m.JobType.CREATE_DATASET_INDEX, limit=500).jobs
    check(any(enum_value(j.status) == "succeeded" for j in jobs), "a succeeded create_dataset_index job")
    names = sorted(i.index_name for i in idx.list_dataset_indexes(d.id).indexes)
    eq(names, ["body_text", "by_id"], "dataset indexes listed")
    ctx.expect_status(400, idx.create_dataset_index, d.id, m.CreateIndexRequest(index_name="bad", columns=["nope"]))
    idx.delete_dataset_index(d.id, "by_id")
    eq([i.index_name for i in idx.list_dataset_indexes(d.id).indexes], ["body_text"], "after delete")
    ctx.expect_status(404, idx.delete_dataset_index, d.id, "by_id")
    # Index on a connection table.
    conn = managed_connection(ctx, "ix", {"public.events": "SELECT n AS ts, 'e' AS kind FROM generate_series(1, 3) AS t(n)"})
    ci = idx.create_index(conn.id, "public", "events", m.CreateIndexRequest(index_name="by_ts", columns=["ts"]))
    eq((ci.index_name, ci.columns), ("by_ts", ["ts"]), "connection table index")
    eq([i.index_name for i in idx.list_indexes(conn.id, "public", "events").indexes], ["by_ts"], "listed")
    ctx.expect_status(404, idx.list_indexes, conn.id, "public", "no_such_table")
    idx.delete_index(conn.id, "public", "events", "by_ts")
    eq(idx.list_indexes(conn.id, "public", "events").indexes, [], "deleted")
    ctx.expect_status(404, idx.delete_index, conn.id, "public", "events", "by_ts")
    ctx.api(hd_api.ConnectionsApi).delete_connection(conn.id)
    ctx.api(hd_api.DatasetsApi).delete_dataset(d.id)


@flow
def unscoped_catalog_view(ctx: Ctx) -> None:
    """Seed-era rule: a query without a database sees every connection and `datasets.main.*`."""
    d = sql_dataset(ctx, "scope " + ctx.tag, "SELECT 'ds' AS src")
    c1 = managed_connection(ctx, "east", {"s.t": "SELECT 'east' AS src"})
    c2 = managed_connection(ctx, "west", {"s.t": "SELECT 'west' AS src"})
    r = ctx.query(
        f"SELECT src FROM datasets.main.{d.table_name} UNION ALL SELECT src FROM {c1.name}.s.t "
        f"UNION ALL SELECT src FROM {c2.name}.s.t ORDER BY src"
    )
    eq(r.rows, [["ds"], ["east"], ["west"]], "one unscoped query reads a dataset and two connections")
    eq(ctx.query(f"SELECT src FROM {d.table_name}").rows, [["ds"]], "unqualified names resolve to datasets.main")
    # Its run and result are read without X-Database-Id (the 0.2.6 client cannot send one there).
    run = ctx.api(hd_api.QueryRunsApi).get_query_run(r.query_run_id)
    eq(run.result_id, r.result_id, "unscoped run read without a database")
    eq(ctx.ready_result(r.result_id).rows, [["ds"], ["east"], ["west"]], "unscoped result read without a database")
    for c in (c1, c2):
        ctx.api(hd_api.ConnectionsApi).delete_connection(c.id)
    ctx.api(hd_api.DatasetsApi).delete_dataset(d.id)


@flow
def errors_and_auth(ctx: Ctx) -> None:
    bad = hotdata.ApiClient(hotdata.Configuration(host=ctx.url, api_key="wrong-key", workspace_id=ctx.workspace_id))
    ctx.expect_status(401, hd_api.QueryApi(bad).query, m.QueryRequest(sql="SELECT 1"))
    e = ctx.expect_status(404, ctx.api(hd_api.DatasetsApi).get_dataset, "data_does_not_exist")
    check(e.body, "a 404 has a body")
    other = hotdata.ApiClient(hotdata.Configuration(host=ctx.url, api_key=ctx.api_key, workspace_id="ws_nobody_has"))
    e = None
    try:
        hd_api.QueryApi(other).query(m.QueryRequest(sql="SELECT 1"))
    except ApiException as exc:
        e = exc
    check(e is not None and e.status in (403, 404), f"unknown workspace refused ({e and e.status})")


# ---------------------------------------------------------------------------- driver


def client_operations() -> List[str]:
    """Every operation the installed client exposes: the public methods of its `*Api` classes."""
    import importlib
    import inspect
    import pkgutil

    ops = set()
    for info in pkgutil.iter_modules(hd_api.__path__):
        module = importlib.import_module(f"hotdata.api.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__ or not cls.__name__.endswith("Api"):
                continue
            for name, _ in inspect.getmembers(cls, inspect.isfunction):
                if not name.startswith("_") and not name.endswith(("_with_http_info", "_without_preload_content")):
                    ops.add(name)
    return sorted(ops)


def hits(url: str) -> Dict[str, int]:
    """The server's per-operation request counters (`GET /_local/hits`)."""
    with urllib.request.urlopen(url.rstrip("/") + "/_local/hits", timeout=10) as resp:
        body = json.load(resp)
    return dict(body.get("hits", {}))


def violations(url: str) -> Any:
    with urllib.request.urlopen(url.rstrip("/") + "/_local/violations", timeout=10) as resp:
        body = json.load(resp)
    return body.get("violations", body) if isinstance(body, dict) else body


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", required=True, help="base URL of hotdata-local, e.g. http://127.0.0.1:4680")
    p.add_argument("--api-key", default="hotdata-local-key")
    p.add_argument("--workspace-id", default="ws_local")
    p.add_argument("--only", nargs="*", help="run only these flows")
    p.add_argument("--no-arrow", action="store_true", help="skip the Arrow flow (needs pyarrow)")
    p.add_argument("--no-violations-check", action="store_true", help="do not read GET /_local/violations")
    p.add_argument("--list", action="store_true", help="list the flows and exit")
    args = p.parse_args(argv)
    if args.list:
        print("\n".join(FLOWS))
        return 0
    try:
        import pyarrow  # noqa: F401

        have_arrow = True
    except ImportError:
        have_arrow = False
    names = args.only or list(FLOWS)
    unknown = [n for n in names if n not in FLOWS]
    if unknown:
        print(f"unknown flows: {unknown}; known: {list(FLOWS)}", file=sys.stderr)
        return 2
    if args.no_arrow and "results_arrow" in names:
        names.remove("results_arrow")

    patched = register_unexported_models()
    if patched:
        print(f"note: hotdata {hotdata.__version__} does not export {len(patched)} of its models from "
              f"hotdata.models; registered them so its deserializer finds them: {', '.join(patched)}")
    passed: List[str] = []
    failed: List[str] = []
    started = time.monotonic()
    hits_before = hits(args.url)
    for name in names:
        ctx = Ctx(args.url, args.api_key, args.workspace_id, have_arrow)
        t0 = time.monotonic()
        try:
            FLOWS[name](ctx)
        except Exception as exc:  # every failure is reported, then the next flow runs
            failed.append(name)
            print(f"FAIL {name} ({time.monotonic() - t0:.2f}s): {type(exc).__name__}: {exc}")
            if not isinstance(exc, FlowFailure):
                traceback.print_exc(limit=6, file=sys.stdout)
        else:
            passed.append(name)
            print(f"ok   {name} ({time.monotonic() - t0:.2f}s)")
        finally:
            ctx.client.close()

    if not args.only:
        # Every operation of the client was exercised by some flow (the server counts them by operationId).
        hits_after = hits(args.url)
        ops = client_operations()
        unused = [op for op in ops if hits_after.get(op, 0) <= hits_before.get(op, 0)]
        if unused:
            failed.append("operation_coverage")
            print(f"FAIL operation_coverage: {len(unused)} of {len(ops)} client operations never reached the "
                  f"server: {', '.join(unused)}")
        else:
            passed.append("operation_coverage")
            print(f"ok   operation_coverage (all {len(ops)} operations of the client reached the server)")

    if not args.no_violations_check:
        try:
            found = violations(args.url)
        except Exception as exc:
            found = [f"cannot read /_local/violations: {exc}"]
        if found:
            failed.append("spec_violations")
            print(f"FAIL spec_violations: the server recorded {len(found)}:")
            for v in found[:50]:
                print("  ", json.dumps(v) if not isinstance(v, str) else v)
        else:
            passed.append("spec_violations")
            print("ok   spec_violations (none recorded)")

    print(
        f"\nhotdata {hotdata.__version__} seed flows against {args.url}: {len(passed)} passed, "
        f"{len(failed)} failed in {time.monotonic() - started:.1f}s"
    )
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
