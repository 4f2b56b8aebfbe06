#!/usr/bin/env python3
"""Measure cc-connector, the hand-written peer and the wrk ceiling side by side.

bench/run starts the throwaway PostgreSQL server and then runs this script with Debian's
/usr/bin/python3 (for python3-psycopg2). This script starts and stops every other process
itself: cc-mock-api, cc-connector, bench/baselines/afternoon_script.py, wrk and pgbench. Each
measurement runs on a fresh database and a fresh cc-mock-api, runs `repetitions` times with the
tools interleaved, and reports the median.
"""

import argparse
import calendar
import ctypes
import datetime
import json
import math
import os
import platform
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR / "baselines"))
import afternoon_script  # noqa: E402  (the peer's record builder makes the wrk request body)

PEER_SCRIPT = BENCH_DIR / "baselines" / "afternoon_script.py"
MAPPING = BENCH_DIR / "jobs.toml"
TABLE_SQL = BENCH_DIR / "jobs.sql"
PGBENCH_SCRIPT = BENCH_DIR / "pgbench_insert.sql"
WRK_SCRIPT = BENCH_DIR / "wrk_post.lua"
PYTHON = "/usr/bin/python3"

# Latency the mock adds to every import request in the slow-API measurement.
SLOW_API_MS = 50

# Rows per second of the second latency run. A row then arrives long after the previous one was
# sent, so the figure shows the path of one row without queueing.
LOW_LATENCY_RATE = 20

# Measurement groups, in the order they run.
PARTS = ("trigger", "latency", "drain", "slow", "idle", "big")

# Column expressions of generated job number g. The peer's record builder and the mapping both
# turn these into the same import record: ZIP+4 becomes 5 digits, the state and email are
# normalised. They contain no % sign because psycopg2 reads % as a parameter marker.
JOB_COLUMNS = "first_name, last_name, street, city, state, zip, phone, email, notes, created_at"
JOB_VALUES = """'First' || g, 'Last' || g, g || ' Main St', 'Cary', 'nc',
  (27500 + mod(g, 100))::text || '-' || lpad(mod(g, 10000)::text, 4, '0'),
  '919-555-' || lpad(mod(g, 10000)::text, 4, '0'), ' Person' || g || '@Example.com ', 'bench row ' || g,
  timestamp '2024-05-01 08:00:00' + g * interval '1 second'"""


@dataclass(frozen=True)
class Sizes:
    """Sizes and durations of one benchmark run."""

    repetitions: int
    latency_seconds: float  # length of the measured part of the latency run
    latency_rate: int  # rows per second inserted during the latency run
    low_latency_seconds: float  # the same at LOW_LATENCY_RATE, where rows seldom queue
    drain_rows: int
    # A drain that has not finished after this long is stopped and rated on the rows it sent.
    drain_cap_seconds: float
    wrk_seconds: float
    slow_rows_per_slot: int  # rows per unit of concurrency in the 50 ms measurement
    slow_cap_seconds: float
    pgbench_seconds: float
    big_drain_rows: int  # 0 to skip the large drain
    budget_seconds: float  # the large drain runs only if it is predicted to end within this


FULL = Sizes(repetitions=3, latency_seconds=20, latency_rate=200, low_latency_seconds=10, drain_rows=50_000, drain_cap_seconds=60,
             wrk_seconds=5, slow_rows_per_slot=100, slow_cap_seconds=30, pgbench_seconds=10,
             big_drain_rows=500_000, budget_seconds=19 * 60)
QUICK = Sizes(repetitions=3, latency_seconds=3, latency_rate=200, low_latency_seconds=3, drain_rows=5_000, drain_cap_seconds=8,
              wrk_seconds=2, slow_rows_per_slot=20, slow_cap_seconds=10, pgbench_seconds=2,
              big_drain_rows=0, budget_seconds=3 * 60)


class BenchError(Exception):
    """A measurement could not be taken. The message names the measurement and the cause."""


# ---------------------------------------------------------------------------------------------
# Processes


def read_proc_status(pid):
    """Return VmHWM and VmRSS of a process in KiB, or None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    values = {}
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmHWM", "VmRSS"):
            values[name] = int(rest.split()[0])
    return values


def read_cpu_seconds(pid):
    """Return utime + stime of a process in seconds from /proc/PID/stat, or None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name is in parentheses and may contain spaces, so fields count from the last ')'.
    fields = text[text.rindex(")") + 2:].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


class Process:
    """A child process with its output in a log file, reaped with os.wait4 for its rusage."""

    running = []  # every started process that is not reaped yet, for cleanup

    def __init__(self, name, argv, log_path, env=None):
        self.name = name
        self.log_path = log_path
        self.log_file = open(log_path, "ab")
        self.popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log_file,
                                      stderr=subprocess.STDOUT, env=env)
        self.pid = self.popen.pid
        self.exit_code = None
        self.rusage = None
        self.peak_hwm_kib = 0
        self.started = time.monotonic()
        self.ended = None
        Process.running.append(self)

    def sample(self):
        status = read_proc_status(self.pid)
        if status and "VmHWM" in status:
            self.peak_hwm_kib = max(self.peak_hwm_kib, status["VmHWM"])
        return status

    def poll(self):
        """Reap the process if it ended. Returns True when it has ended."""
        if self.exit_code is not None:
            return True
        pid, status, rusage = os.wait4(self.pid, os.WNOHANG)
        if pid == 0:
            return False
        self.ended = time.monotonic()
        self.exit_code = os.waitstatus_to_exitcode(status)
        self.rusage = rusage
        self.popen.returncode = self.exit_code  # so that Popen does not try to reap it again
        self.log_file.close()
        Process.running.remove(self)
        return True

    def wait(self, timeout, on_tick=None, tick_seconds=0.1):
        """Wait up to `timeout` seconds, sampling memory every tick. Returns True if it ended."""
        deadline = time.monotonic() + timeout
        next_tick = 0.0
        while time.monotonic() < deadline:
            if self.poll():
                return True
            now = time.monotonic()
            if now >= next_tick:
                self.sample()
                if on_tick:
                    on_tick()
                next_tick = now + tick_seconds
            time.sleep(0.01)
        return self.poll()

    def stop(self, grace_seconds=15, warn=True):
        """Send SIGTERM, and SIGKILL if it has not ended after `grace_seconds`."""
        if self.poll():
            return
        self.sample()
        os.kill(self.pid, signal.SIGTERM)
        if not self.wait(grace_seconds):
            if warn:
                print(f"{self.name} (pid {self.pid}) did not stop within {grace_seconds} s of SIGTERM; "
                      "sending SIGKILL", file=sys.stderr)
            os.kill(self.pid, signal.SIGKILL)
            self.wait(10)

    @property
    def cpu_seconds(self):
        return self.rusage.ru_utime + self.rusage.ru_stime

    @property
    def max_rss_kib(self):
        # The highest VmHWM sampled. ru_maxrss from wait4 is no use here, because Linux keeps in
        # it the resident set of the forked harness before exec.
        return self.peak_hwm_kib

    def log_tail(self, lines=15):
        try:
            return "\n".join(Path(self.log_path).read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""


def stop_all_processes():
    for process in list(Process.running):
        try:
            process.stop(grace_seconds=10)
        except (ProcessLookupError, ChildProcessError):
            pass


def run_command(argv, timeout, env=None, description=None):
    """Run a short command and return its stdout. Raises BenchError if it fails or times out."""
    try:
        result = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                timeout=timeout, env=env)
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"{description or argv[0]} timed out after {timeout} s") from error
    if result.returncode != 0:
        raise BenchError(f"{description or argv[0]} failed with exit code {result.returncode}: "
                         f"{(result.stderr or result.stdout).strip()[-800:]}")
    return result.stdout


# ---------------------------------------------------------------------------------------------
# Servers


class Postgres:
    """The throwaway PostgreSQL server that bench/run started, reached over its UNIX socket."""

    def __init__(self, socket_dir, port):
        self.socket_dir = socket_dir
        self.port = port

    def dsn(self, database):
        return f"host={self.socket_dir} port={self.port} user=postgres dbname={database}"

    def url(self, database):
        return f"postgresql:///{database}?host={self.socket_dir}&port={self.port}&user=postgres"

    def connect(self, database, autocommit=False):
        connection = psycopg2.connect(self.dsn(database), application_name="bench harness")
        connection.autocommit = autocommit
        return connection

    def admin(self, sql):
        connection = self.connect("postgres", autocommit=True)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
        finally:
            connection.close()

    def create_database(self, name):
        """Create an empty database `name` with the jobs table of bench/jobs.sql."""
        self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.admin(f"CREATE DATABASE {name}")
        connection = self.connect(name, autocommit=True)
        try:
            with connection.cursor() as cursor:
                cursor.execute(TABLE_SQL.read_text())
        finally:
            connection.close()

    def drop_database(self, name):
        self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def execute(self, database, sql, params=None):
        connection = self.connect(database, autocommit=True)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall() if cursor.description else None
        finally:
            connection.close()

    def insert_jobs(self, database, rows, chunk=10_000):
        """Insert `rows` generated jobs in committed chunks of `chunk` rows."""
        connection = self.connect(database)
        try:
            with connection.cursor() as cursor:
                for first in range(1, rows + 1, chunk):
                    last = min(first + chunk - 1, rows)
                    cursor.execute(f"INSERT INTO public.jobs ({JOB_COLUMNS}) "
                                   f"SELECT {JOB_VALUES} FROM generate_series(%s, %s) AS g", (first, last))
                    connection.commit()
        finally:
            connection.close()
        # ANALYZE as autovacuum would after a bulk load, and a CHECKPOINT so that flushing the
        # load's pages does not fall into the timed part.
        self.execute(database, "ANALYZE public.jobs")
        self.execute(database, "CHECKPOINT")

    def backend_pids(self, database, name_prefix):
        rows = self.execute("postgres", "SELECT pid FROM pg_stat_activity WHERE datname = %s "
                                        "AND application_name LIKE %s", (database, name_prefix + "%"))
        return [row[0] for row in rows]


class Mock:
    """A cc-mock-api process on 127.0.0.1 with its own JSON-lines store."""

    def __init__(self, binary, work_dir, name, api_key):
        self.store = work_dir / f"{name}.jsonl"
        port_file = work_dir / f"{name}.port"
        for path in (self.store, port_file):
            path.unlink(missing_ok=True)
        env = dict(os.environ, CC_API_KEY=api_key)
        self.process = Process("cc-mock-api", [str(binary), "--bind", "127.0.0.1", "--port", "0",
                                               "--port-file", str(port_file), "--key-env", "CC_API_KEY",
                                               "--store", str(self.store), "--log-level", "warn"],
                               work_dir / f"{name}.log", env)
        deadline = time.monotonic() + 10
        while not (port_file.exists() and port_file.read_text().strip()):
            if self.process.poll() or time.monotonic() > deadline:
                self.process.stop()
                raise BenchError(f"cc-mock-api did not report its port within 10 s:\n{self.process.log_tail()}")
            time.sleep(0.02)
        self.base_url = f"http://127.0.0.1:{int(port_file.read_text())}"
        self.import_url = self.base_url + "/api/v2/import/record"
        self.cpu_at_start = read_cpu_seconds(self.process.pid) or 0.0

    def request(self, method, path):
        request = urllib.request.Request(self.base_url + path, method=method, data=b"" if method == "POST" else None)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def accepted(self):
        return self.request("GET", "/_mock/stats")["accepted"]

    def set_latency(self, milliseconds):
        self.request("POST", f"/_mock/latency?ms={milliseconds}")

    def cpu_seconds(self):
        return (read_cpu_seconds(self.process.pid) or 0.0) - self.cpu_at_start

    def wait_for_accepted(self, count, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.accepted() >= count:
                return True
            time.sleep(0.05)
        return self.accepted() >= count

    def received_at_by_job(self):
        """Map each stored record's req_oppnum to its received_at in microseconds since the epoch."""
        received = {}
        with open(self.store) as lines:
            for line in lines:
                entry = json.loads(line)
                received[int(entry["record"]["req_oppnum"])] = parse_utc_microseconds(entry["received_at"])
        return received

    def stop(self):
        self.process.stop()


def parse_utc_microseconds(text):
    """Parse the mock's received_at, such as 2025-05-14T09:12:03.481123Z, to microseconds."""
    whole, _, fraction = text.rstrip("Z").partition(".")
    seconds = calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S"))
    return seconds * 1_000_000 + int(fraction.ljust(6, "0")[:6])


# ---------------------------------------------------------------------------------------------
# The two delivery tools, behind one interface


class Tool:
    """cc-connector or the peer, installed on one database and sending to one mock."""

    label = ""
    backend_prefix = ""  # application_name prefix of the tool's PostgreSQL sessions

    def __init__(self, bench, database):
        self.bench = bench
        self.database = database

    def install(self):
        raise NotImplementedError

    def start(self, mock, once, concurrency=1):
        raise NotImplementedError

    def listening(self):
        """Return whether the tool's LISTEN session is connected."""
        rows = self.bench.pg.execute("postgres", "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                                                 "AND application_name = %s",
                                     (self.database, self.backend_prefix + " listener"))
        return rows[0][0] > 0

    def imported_rows(self):
        raise NotImplementedError


class Connector(Tool):
    label = "cc-connector"
    backend_prefix = "cc-connector"

    def config_path(self, concurrency):
        return self.bench.work_dir / f"{self.database}-c{concurrency}.toml"

    def write_config(self, api_url, concurrency):
        path = self.config_path(concurrency)
        path.write_text(f"""mappings = ["{MAPPING}"]

[database]
url = "{self.bench.pg.url(self.database)}"

[api]
url = "{api_url}"
key_env = "CC_API_KEY"
concurrency = {concurrency}

[log]
level = "info"
""")
        return path

    def install(self):
        config = self.write_config("http://127.0.0.1:9/api/v2/import/record", 1)
        run_command([str(self.bench.connector_bin), "-c", str(config), "init"], timeout=60,
                    env=self.bench.tool_env, description="cc-connector init")

    def start(self, mock, once, concurrency=1):
        config = self.write_config(mock.import_url, concurrency)
        argv = [str(self.bench.connector_bin), "-c", str(config), "run"] + (["--once"] if once else [])
        return Process("cc-connector", argv, self.bench.work_dir / f"{self.database}-connector.log",
                       self.bench.tool_env)

    def imported_rows(self):
        return self.bench.pg.execute(self.database, "SELECT count(*) FROM cc_sync.import_status "
                                                    "WHERE state = 'imported'")[0][0]


class Peer(Tool):
    label = "peer"
    backend_prefix = "afternoon_script"

    def install(self):
        run_command([PYTHON, str(PEER_SCRIPT), "--dsn", self.bench.pg.dsn(self.database), "--url", "unused",
                     "--setup"], timeout=60, env=self.bench.tool_env, description="afternoon_script.py --setup")

    def start(self, mock, once, concurrency=1):
        if concurrency != 1:
            raise ValueError("the peer sends one request at a time")
        argv = [PYTHON, str(PEER_SCRIPT), "--dsn", self.bench.pg.dsn(self.database), "--url", mock.import_url]
        argv += ["--once"] if once else []
        return Process("afternoon_script.py", argv, self.bench.work_dir / f"{self.database}-peer.log",
                       self.bench.tool_env)

    def imported_rows(self):
        return self.bench.pg.execute(self.database, "SELECT count(*) FROM public.peer_import_status "
                                                    "WHERE state = 'imported'")[0][0]


# ---------------------------------------------------------------------------------------------
# Statistics


def percentile(sorted_values, percent):
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, math.ceil(percent / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def median(values):
    values = [value for value in values if value is not None]
    return statistics.median(values) if values else None


@dataclass
class Results:
    """Per-repetition samples by measurement key, and notes for the report."""

    samples: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    def add(self, key, value):
        self.samples.setdefault(key, []).append(value)

    def median(self, key):
        return median(self.samples.get(key, []))


# ---------------------------------------------------------------------------------------------
# Measurements


def wait_until(condition, timeout, description):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise BenchError(f"timed out after {timeout} s waiting for {description}")


class Bench:
    def __init__(self, args, sizes):
        self.pg = Postgres(args.socket_dir, args.port)
        self.pg_bin = Path(args.pg_bin)
        self.work_dir = Path(args.work_dir)
        self.connector_bin = Path(args.build_dir) / "cc-connector"
        self.mock_bin = Path(args.build_dir) / "cc-mock-api"
        self.sizes = sizes
        self.quick = args.quick
        self.api_key = "bench-" + secrets.token_hex(8)
        self.tool_env = dict(os.environ, CC_API_KEY=self.api_key)
        self.results = Results()
        self.started = time.monotonic()
        self.database_count = 0
        self.mock_count = 0
        self.insert_seconds_per_row = []
        self.pgq_version = None

    # --- helpers

    def log(self, message):
        print(f"[{time.monotonic() - self.started:6.0f} s] {message}", flush=True)

    def fresh_database(self, label):
        self.database_count += 1
        name = f"bench_{self.database_count:03d}_{label}"
        self.pg.create_database(name)
        return name

    def start_mock(self, label):
        self.mock_count += 1
        return Mock(self.mock_bin, self.work_dir, f"mock-{self.mock_count:03d}-{label}", self.api_key)

    def insert_jobs(self, database, rows):
        started = time.monotonic()
        self.pg.insert_jobs(database, rows)
        self.insert_seconds_per_row.append((time.monotonic() - started) / rows)

    # --- commit-to-request latency

    def measure_latency(self, tool_class, rate, seconds):
        """Insert rows at `rate` per second, one per transaction, while the tool runs as a service."""
        warmup_rows = 20
        database = self.fresh_database("latency")
        tool = tool_class(self, database)
        tool.install()
        mock = self.start_mock("latency")
        process = None
        connection = None
        commits = {}  # job id -> commit time in microseconds since the epoch
        try:
            # cc-connector runs with its default concurrency of 4.
            process = tool.start(mock, once=False, concurrency=4 if tool_class is Connector else 1)
            wait_until(tool.listening, 15, f"{tool.label} to LISTEN")
            time.sleep(0.3)

            connection = self.pg.connect(database)
            cursor = connection.cursor()
            insert_sql = (f"INSERT INTO public.jobs ({JOB_COLUMNS}) SELECT {JOB_VALUES} "
                          "FROM (SELECT %s::bigint AS g) AS generated RETURNING id")
            for number in range(1, warmup_rows + 1):
                cursor.execute(insert_sql, (number,))
                connection.commit()
                time.sleep(0.02)
            if not mock.wait_for_accepted(warmup_rows, timeout=15):
                raise BenchError(f"{tool.label} did not deliver the {warmup_rows} warm-up rows within 15 s:\n"
                                 f"{process.log_tail()}")

            count = int(rate * seconds)
            started = time.monotonic()
            deadline = started + seconds + 5
            for index in range(count):
                delay = started + index / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                if time.monotonic() > deadline:
                    break
                cursor.execute(insert_sql, (warmup_rows + index + 1,))
                job_id = cursor.fetchone()[0]
                connection.commit()
                commits[job_id] = time.time_ns() // 1000
            inserting_seconds = time.monotonic() - started
            mock.wait_for_accepted(warmup_rows + len(commits), timeout=30)
        finally:
            if connection is not None:
                connection.close()
            if process is not None:
                process.stop()
            mock.stop()
        received = mock.received_at_by_job()
        self.pg.drop_database(database)

        latencies = sorted((received[job] - committed) / 1000 for job, committed in commits.items() if job in received)
        if not latencies:
            raise BenchError(f"{tool.label} delivered none of the {len(commits)} measured rows")
        key = f"latency{rate}/{tool.label}"
        self.results.add(key + "/p50", percentile(latencies, 50))
        self.results.add(key + "/p99", percentile(latencies, 99))
        self.results.add(key + "/max", latencies[-1])
        self.results.add(key + "/missing", len(commits) - len(latencies))
        self.results.add(key + "/rate", len(commits) / inserting_seconds)
        self.log(f"latency at {rate} rows/s, {tool.label}: p50 {percentile(latencies, 50):.2f} ms, p99 {percentile(latencies, 99):.2f} ms, "
                 f"max {latencies[-1]:.2f} ms over {len(latencies)} rows at {len(commits) / inserting_seconds:.0f} rows/s, "
                 f"{len(commits) - len(latencies)} missing")

    # --- draining a backlog

    def drain(self, tool_class, rows, concurrency, key, cap_seconds, latency_ms=0):
        """Deliver `rows` pending rows with the tool's once mode and record rate and resources.

        A tool still running after `cap_seconds` is stopped, and its rate is the rows it
        delivered until then divided by that time.
        """
        database = self.fresh_database(key.replace("/", "_").replace("-", "_"))
        tool = tool_class(self, database)
        tool.install()
        self.insert_jobs(database, rows)
        mock = self.start_mock(key.replace("/", "-"))
        backends = {}  # backend pid -> last CPU seconds read

        def track_backends():
            if len(backends) < 2:
                for pid in self.pg.backend_pids(database, tool.backend_prefix):
                    backends.setdefault(pid, 0.0)
            for pid in backends:
                cpu = read_cpu_seconds(pid)
                if cpu is not None:
                    backends[pid] = cpu

        capped = False
        try:
            if latency_ms:
                mock.set_latency(latency_ms)
            process = tool.start(mock, once=True, concurrency=concurrency)
            ended = process.wait(cap_seconds, on_tick=track_backends)
            if not ended:
                # Resources are read at the cap, so that stopping does not count. A graceful stop
                # would first finish the current round, so it gets only a second before SIGKILL.
                capped = True
                delivered = mock.accepted()
                elapsed = time.monotonic() - process.started
                process.sample()
                track_backends()
                cpu_seconds = read_cpu_seconds(process.pid)
                process.stop(grace_seconds=1, warn=False)
                if delivered == 0:
                    raise BenchError(f"{tool.label} delivered no row in {cap_seconds:.0f} s:\n{process.log_tail()}")
            else:
                if process.exit_code != 0:
                    raise BenchError(f"{tool.label} exited with code {process.exit_code}:\n{process.log_tail()}")
                elapsed = process.ended - process.started
                delivered = mock.accepted()
                cpu_seconds = process.cpu_seconds
                if delivered != rows:
                    raise BenchError(f"{tool.label} exited after delivering {delivered} of {rows} rows:\n"
                                     f"{process.log_tail()}")
            mock_cpu = mock.cpu_seconds()
        finally:
            mock.stop()
        imported = tool.imported_rows()
        self.pg.drop_database(database)

        self.results.add(key + "/rate", delivered / elapsed)
        self.results.add(key + "/cpu_us_per_row", cpu_seconds / delivered * 1e6)
        self.results.add(key + "/backend_cpu_us_per_row", sum(backends.values()) / delivered * 1e6)
        self.results.add(key + "/mock_cpu_us_per_row", mock_cpu / delivered * 1e6)
        self.results.add(key + "/max_rss_kib", process.max_rss_kib)
        self.results.add(key + "/capped", capped)
        self.results.add(key + "/delivered", delivered)
        self.log(f"{key}: {delivered:,} rows in {elapsed:.2f} s = {delivered / elapsed:,.1f} rows/s"
                 f"{' (stopped at the time cap)' if capped else ''}; {imported} recorded as imported; "
                 f"CPU {cpu_seconds / delivered * 1e6:.0f} µs/row; peak RSS {process.max_rss_kib / 1024:.1f} MiB")
        return delivered / elapsed

    # --- the HTTP ceiling

    def wrk_body(self):
        """Return the form body that both tools send for job 1, built by the peer's record builder."""
        row = self.pg.execute("postgres", f"SELECT 1::bigint, {JOB_VALUES} FROM (SELECT 1 AS g) AS generated")[0]
        return urllib.parse.urlencode(afternoon_script.to_record(row))

    def measure_wrk(self, concurrency):
        seconds = max(1, round(self.sizes.wrk_seconds))
        body_file = self.work_dir / "wrk-body.txt"
        body_file.write_text(self.wrk_body())
        credentials = afternoon_script.base64.b64encode(f"api:{self.api_key}".encode()).decode()
        env = dict(os.environ, BENCH_BODY_FILE=str(body_file), BENCH_AUTHORIZATION=f"Basic {credentials}")
        mock = self.start_mock(f"wrk-c{concurrency}")
        try:
            threads = min(concurrency, os.cpu_count() or 1)
            output = run_command(["wrk", "-t", str(threads), "-c", str(concurrency), "-d", f"{seconds}s",
                                  "--timeout", "10s", "-s", str(WRK_SCRIPT), mock.import_url],
                                 timeout=seconds + 30, env=env, description="wrk")
            accepted = mock.accepted()
        finally:
            mock.stop()
        rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
        requests = int(re.search(r"(\d+) requests in", output).group(1))
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
        if errors:
            raise BenchError(f"wrk got {errors.group(1)} error responses from cc-mock-api:\n{output}")
        self.results.add(f"wrk/c{concurrency}/rate", rate)
        # wrk counts only the requests completed before its time ran out, while the mock also
        # stores the few that were still in flight then.
        self.log(f"wrk concurrency {concurrency}: {rate:,.0f} requests/s ({requests:,} completed in time, "
                 f"{accepted:,} stored by the mock)")

    # --- capture trigger cost

    def setup_trigger_databases(self):
        """Create one database per trigger variant. Returns {variant: database}."""
        variants = {}
        for variant in ("none", "cc-connector", "peer", "pgq"):
            database = self.fresh_database("trigger_" + variant.replace("-", "_"))
            try:
                if variant == "cc-connector":
                    Connector(self, database).install()
                elif variant == "peer":
                    Peer(self, database).install()
                elif variant == "pgq":
                    self.pg.execute(database, "CREATE EXTENSION pgq")
                    self.pg.execute(database, "SELECT pgq.create_queue('jobs_queue')")
                    self.pg.execute(database, "CREATE TRIGGER jobs_pgq AFTER INSERT OR UPDATE ON public.jobs "
                                              "FOR EACH ROW EXECUTE FUNCTION pgq.logutriga('jobs_queue')")
                    self.pgq_version = self.pg.execute(database, "SELECT extversion FROM pg_extension "
                                                                 "WHERE extname = 'pgq'")[0][0]
            except psycopg2.Error as error:
                self.results.notes.append(f"PgQ was not measured: {str(error).strip()}")
                self.log(f"PgQ is not available: {str(error).strip()}")
                self.pg.drop_database(database)
                continue
            variants[variant] = database
        return variants

    def run_pgbench(self, database, clients):
        self.pg.execute(database, "CHECKPOINT")
        seconds = max(1, round(self.sizes.pgbench_seconds))
        output = run_command([str(self.pg_bin / "pgbench"), "-n", "-h", self.pg.socket_dir, "-p", str(self.pg.port),
                              "-U", "postgres", "-c", str(clients), "-j", str(min(clients, os.cpu_count() or 1)),
                              "-T", str(seconds), "-f", str(PGBENCH_SCRIPT), database],
                             timeout=seconds + 60, description="pgbench")
        failed = re.search(r"number of failed transactions: (\d+)", output)
        if failed and int(failed.group(1)) > 0:
            raise BenchError(f"pgbench had {failed.group(1)} failed transactions:\n{output}")
        return float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", output).group(1))

    # --- memory at idle

    def measure_idle(self, tool_class, seconds=3):
        """Run the tool as a service with nothing to send, and record its memory and CPU use."""
        database = self.fresh_database("idle")
        tool = tool_class(self, database)
        tool.install()
        mock = self.start_mock("idle")
        try:
            process = tool.start(mock, once=False, concurrency=4 if tool_class is Connector else 1)
            wait_until(tool.listening, 15, f"{tool.label} to LISTEN")
            time.sleep(1)
            backends = self.pg.backend_pids(database, tool.backend_prefix)
            tool_before = read_cpu_seconds(process.pid) or 0.0
            backends_before = sum(read_cpu_seconds(pid) or 0.0 for pid in backends)
            time.sleep(seconds)
            tool_cpu = (read_cpu_seconds(process.pid) or 0.0) - tool_before
            backends_cpu = sum(read_cpu_seconds(pid) or 0.0 for pid in backends) - backends_before
            status = process.sample() or {}
            process.stop()
        finally:
            mock.stop()
        self.pg.drop_database(database)
        hwm = max(status.get("VmHWM", 0), process.peak_hwm_kib)
        self.results.add(f"idle/{tool.label}/hwm_kib", hwm)
        self.results.add(f"idle/{tool.label}/cpu_percent", tool_cpu / seconds * 100)
        self.results.add(f"idle/{tool.label}/backend_cpu_percent", backends_cpu / seconds * 100)
        self.log(f"idle {tool.label}: VmHWM {hwm / 1024:.1f} MiB; CPU {tool_cpu / seconds:.1%} of one core, "
                 f"its PostgreSQL sessions {backends_cpu / seconds:.1%}")

    # --- the whole run

    def elapsed(self):
        return time.monotonic() - self.started

    def run_all(self, parts):
        """Run the measurement groups named in `parts`, each `repetitions` times."""
        if "trigger" in parts:
            self.run_trigger_cost()
        if "latency" in parts:
            self.run_latency()
        if "drain" in parts:
            self.run_drain()
        if "slow" in parts:
            self.run_slow_api()
        if "idle" in parts:
            self.run_idle()
        if "big" in parts:
            self.run_big_drain()

    def repetitions(self):
        return range(1, self.sizes.repetitions + 1)

    def run_trigger_cost(self):
        self.log(f"capture trigger cost: pgbench, {self.sizes.pgbench_seconds:.0f} s per run")
        variants = self.setup_trigger_databases()
        for repetition in self.repetitions():
            for clients in (1, 8):
                for variant, database in variants.items():
                    tps = self.run_pgbench(database, clients)
                    self.results.add(f"pgbench/c{clients}/{variant}", tps)
                    self.log(f"pgbench {clients} client{'' if clients == 1 else 's'}, trigger {variant}: {tps:,.0f} tx/s "
                             f"(repetition {repetition})")
        for database in variants.values():
            self.pg.drop_database(database)

    def run_latency(self):
        sizes = self.sizes
        self.log(f"commit-to-request latency: {sizes.latency_rate} rows/s for {sizes.latency_seconds:.0f} s, "
                 f"then {LOW_LATENCY_RATE} rows/s for {sizes.low_latency_seconds:.0f} s")
        for _ in self.repetitions():
            for tool_class in (Connector, Peer):
                self.measure_latency(tool_class, sizes.latency_rate, sizes.latency_seconds)
        for _ in self.repetitions():
            for tool_class in (Connector, Peer):
                self.measure_latency(tool_class, LOW_LATENCY_RATE, sizes.low_latency_seconds)

    def run_drain(self):
        rows = self.sizes.drain_rows
        cap = self.sizes.drain_cap_seconds
        self.log(f"backlog drain: {rows:,} rows, each drain stopped after {cap:.0f} s")
        for _ in self.repetitions():
            self.drain(Connector, rows, 1, "drain/cc-connector/c1", cap)
            self.drain(Connector, rows, 8, "drain/cc-connector/c8", cap)
            self.drain(Peer, rows, 1, "drain/peer/c1", cap)
            self.measure_wrk(1)
            self.measure_wrk(8)

    def run_slow_api(self):
        self.log(f"throughput with {SLOW_API_MS} ms API latency")
        rows_per_slot = self.sizes.slow_rows_per_slot
        cap = self.sizes.slow_cap_seconds
        for _ in self.repetitions():
            for concurrency in (1, 4, 16):
                self.drain(Connector, concurrency * rows_per_slot, concurrency,
                           f"slow/cc-connector/c{concurrency}", cap, latency_ms=SLOW_API_MS)
            self.drain(Peer, rows_per_slot, 1, "slow/peer/c1", cap, latency_ms=SLOW_API_MS)

    def run_idle(self):
        self.log("memory at idle")
        for _ in self.repetitions():
            self.measure_idle(Connector)
            self.measure_idle(Peer)

    def run_big_drain(self):
        rows = self.sizes.big_drain_rows
        if not rows:
            self.results.notes.append("The large drain is not part of --quick.")
            return
        rate = self.results.median("drain/cc-connector/c8/rate")
        if rate is None or not self.insert_seconds_per_row:
            self.results.notes.append(f"The drain of {rows:,} rows was skipped because the drain of "
                                      f"{self.sizes.drain_rows:,} rows, which predicts its time, did not run.")
            return
        # The factor 1.3 and the 30 s are estimates that allow for creating the database and for
        # capturing a change log ten times larger.
        predicted = median(self.insert_seconds_per_row) * rows + rows / rate * 1.3 + 30
        remaining = self.sizes.budget_seconds - self.elapsed()
        if predicted > remaining:
            note = (f"The drain of {rows:,} rows was skipped: it was predicted to take {predicted:.0f} s "
                    f"and {max(remaining, 0):.0f} s of the run's {self.sizes.budget_seconds:.0f} s budget were left.")
            self.results.notes.append(note)
            self.log(note)
            return
        self.log(f"large drain: {rows:,} rows at concurrency 8 (predicted {predicted:.0f} s)")
        insert_seconds = median(self.insert_seconds_per_row) * rows
        self.drain(Connector, rows, 8, "big/cc-connector/c8", max(remaining - insert_seconds - 20, 30))


# ---------------------------------------------------------------------------------------------
# Report


def command_output(argv):
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"unknown ({error})"
    return (result.stdout or result.stderr).strip()


def libcurl_version(binary):
    """Return the version string of the libcurl that `binary` loads, and its Debian package."""
    for line in command_output(["ldd", str(binary)]).splitlines():
        if "libcurl" in line and "=>" in line:
            library = os.path.realpath(line.split("=>")[1].split()[0])
            curl = ctypes.CDLL(library)
            curl.curl_version.restype = ctypes.c_char_p
            version = curl.curl_version().decode().split()[0:2]
            package = command_output(["dpkg", "-S", library]).split(":")[0]
            package_version = command_output(["dpkg-query", "-W", "-f", "${Version}", package])
            return f"{' '.join(version)} (Debian package {package} {package_version})"
    return "unknown (ldd shows no libcurl)"


def machine_lines(bench):
    cpu_model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu_model = line.split(":", 1)[1].strip()
            break
    memory_kib = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    head = command_output(["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"])
    source_paths = ["--", "connector", "sql", "CMakeLists.txt"]
    commit = command_output(["git", "-C", str(ROOT), "log", "-1", "--format=%h %cI", *source_paths]).split()
    changed = command_output(["git", "-C", str(ROOT), "status", "--porcelain", *source_paths])
    built = datetime.datetime.fromtimestamp(bench.connector_bin.stat().st_mtime, datetime.timezone.utc)
    server_version = bench.pg.execute("postgres", "SHOW server_version")[0][0]
    return [
        f"- Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- Host: {socket.gethostname()}, {platform.system()} {platform.release()}",
        f"- CPU: {os.cpu_count()} logical CPUs (nproc), {cpu_model}",
        f"- Memory: {memory_kib / 1024 / 1024:.1f} GiB",
        f"- cc-connector: source at commit {commit[0]} of {commit[1]} (the last commit that changed connector/, "
        f"sql/ or CMakeLists.txt; HEAD is {head})"
        f"{', with uncommitted changes there' if changed else ''}; binary {bench.connector_bin} built "
        f"{built:%Y-%m-%d %H:%M} UTC",
        f"- PostgreSQL: {server_version}, default settings (fsync on, synchronous_commit on), "
        "data on the root file system, UNIX socket only",
        f"- libcurl: {libcurl_version(bench.connector_bin)}",
        f"- PgQ: {bench.pgq_version or 'not installed'}",
        f"- Peer: Python {platform.python_version()}, psycopg2 {psycopg2.__version__.split()[0]}, urllib",
        f"- wrk: {' '.join(command_output(['wrk', '-v']).split()[:2])}",
    ]


def fmt_ms(value):
    return "n/a" if value is None else f"{value:.2f} ms"


def fmt_rate(value):
    if value is None:
        return "n/a"
    return f"{value:,.1f} rows/s" if value < 100 else f"{value:,.0f} rows/s"


def fmt_tps(value):
    return "n/a" if value is None else f"{value:,.0f} tx/s"


def fmt_mib(kib):
    return "n/a" if kib is None else f"{kib / 1024:.1f} MiB"


def fmt_us(value):
    return "n/a" if value is None else f"{value:,.0f} µs"


def fmt_percent_pair(tool, backends):
    if tool is None or backends is None:
        return "n/a"
    return f"{tool:.1f}% + {backends:.1f}%"


def ratio(numerator, denominator):
    if numerator is None or denominator in (None, 0):
        return None
    return numerator / denominator


def verdict(condition):
    if condition is None:
        return "not measured"
    return "met" if condition else "**missed**"


def build_table(bench):
    results = bench.results
    sizes = bench.sizes
    m = results.median
    rows = []

    def row(*cells):
        rows.append("| " + " | ".join(cells) + " |")

    def rate_cell_suffix(text, key):
        """Append how far a drain got if it was stopped at its time cap."""
        if any(results.samples.get(key + "/capped", [])):
            text += f" (stopped at the time cap after {m(key + '/delivered'):,.0f} rows)"
        return text

    def rate_cell(key):
        return rate_cell_suffix(fmt_rate(m(key + "/rate")), key)

    rows.append("| Measurement | cc-connector | peer | reference | ratio | target | result |")
    rows.append("| --- | --- | --- | --- | --- | --- | --- |")

    latency_runs = ((sizes.latency_rate, sizes.latency_seconds, (("p50", 2.0), ("p99", 10.0), ("max", None))),
                    (LOW_LATENCY_RATE, sizes.low_latency_seconds, (("p50", None), ("p99", None))))
    for rate, seconds, statistics_and_targets in latency_runs:
        for statistic, target in statistics_and_targets:
            connector = m(f"latency{rate}/cc-connector/{statistic}")
            peer = m(f"latency{rate}/peer/{statistic}")
            connector_ratio = ratio(connector, peer)
            ratio_text = "" if connector_ratio is None else f"{connector_ratio:.2f}x the peer's"
            target_text = ""
            result_text = ""
            if target is not None:
                target_text = f"< {target:.0f} ms"
                result_text = verdict(None if connector is None else connector < target)
            row(f"Latency {statistic}, commit to request, {rate} rows/s for {seconds:.0f} s", fmt_ms(connector),
                fmt_ms(peer), "", ratio_text, target_text, result_text)

    peer_rate = m("drain/peer/c1/rate")
    for concurrency in (1, 8):
        key = f"drain/cc-connector/c{concurrency}"
        connector = m(key + "/rate")
        ceiling = m(f"wrk/c{concurrency}/rate")
        versus_peer = ratio(connector, peer_rate)
        versus_ceiling = ratio(connector, ceiling)
        met = None
        if versus_peer is not None and versus_ceiling is not None:
            met = versus_peer >= 5 and versus_ceiling >= 0.5
        row(f"Drain {sizes.drain_rows:,} pending rows, concurrency {concurrency}, at most "
            f"{sizes.drain_cap_seconds:.0f} s", rate_cell(key),
            rate_cell("drain/peer/c1") + (" at concurrency 1" if concurrency != 1 else ""),
            f"wrk ceiling {fmt_rate(ceiling)}",
            f"{versus_peer:.2f}x the peer, {versus_ceiling:.3f} of wrk" if met is not None else "",
            ">= 5x the peer and >= 0.5 of wrk", verdict(met))

    for concurrency in (1, 4, 16):
        ideal = concurrency * 1000 / SLOW_API_MS
        key = f"slow/cc-connector/c{concurrency}"
        connector = m(key + "/rate")
        peer = m("slow/peer/c1/rate") if concurrency == 1 else None
        fraction = ratio(connector, ideal)
        peer_text = f"{rate_cell('slow/peer/c1')}, {peer / ideal:.0%} of ideal" if peer is not None else ""
        row(f"API answers after {SLOW_API_MS} ms, concurrency {concurrency}, "
            f"{concurrency * sizes.slow_rows_per_slot:,} rows",
            rate_cell(key), peer_text, f"ideal {fmt_rate(ideal)}",
            "" if fraction is None else f"{fraction:.0%} of ideal", ">= 90% of ideal",
            verdict(None if fraction is None else fraction >= 0.9))

    for clients in (1, 8):
        connector = m(f"pgbench/c{clients}/cc-connector")
        peer = m(f"pgbench/c{clients}/peer")
        none = m(f"pgbench/c{clients}/none")
        pgq = m(f"pgbench/c{clients}/pgq")
        versus_none = ratio(connector, none)
        versus_pgq = ratio(connector, pgq)
        met = None
        if versus_none is not None:
            met = versus_none >= 0.8 and (versus_pgq is None or versus_pgq >= 1.0)
        reference = f"no trigger {fmt_tps(none)}; PgQ {fmt_tps(pgq)}"
        ratio_text = "" if versus_none is None else f"{versus_none:.0%} of no trigger"
        if versus_pgq is not None:
            ratio_text += f", {versus_pgq:.2f}x PgQ"
        row(f"INSERT transactions, pgbench {clients} client{'s' if clients > 1 else ''}, "
            f"{sizes.pgbench_seconds:.0f} s", fmt_tps(connector), fmt_tps(peer), reference, ratio_text,
            ">= 80% of no trigger, >= PgQ" if pgq is not None else ">= 80% of no trigger", verdict(met))

    row("Peak RSS (VmHWM), idle", fmt_mib(m("idle/cc-connector/hwm_kib")), fmt_mib(m("idle/peer/hwm_kib")),
        "", "", "", "")
    row("CPU use at idle, % of one core: the tool + its PostgreSQL sessions",
        fmt_percent_pair(m("idle/cc-connector/cpu_percent"), m("idle/cc-connector/backend_cpu_percent")),
        fmt_percent_pair(m("idle/peer/cpu_percent"), m("idle/peer/backend_cpu_percent")), "", "", "", "")
    row(f"Peak RSS (VmHWM), drain of {sizes.drain_rows:,} rows, concurrency 8",
        fmt_mib(m("drain/cc-connector/c8/max_rss_kib")), fmt_mib(m("drain/peer/c1/max_rss_kib")),
        "", "", "", "")
    if sizes.big_drain_rows:
        big = m("big/cc-connector/c8/max_rss_kib")
        big_capped = any(results.samples.get("big/cc-connector/c8/capped", []))
        limit_kib = 30_000_000 / 1024
        if big is None:
            cell, met_text = "skipped (see notes)", verdict(None)
        elif big >= limit_kib:
            cell, met_text = fmt_mib(big), verdict(False)
        elif big_capped:
            cell = (f"{fmt_mib(big)} (stopped at the time cap after "
                    f"{m('big/cc-connector/c8/delivered'):,.0f} rows)")
            met_text = "not shown: the drain did not finish"
        else:
            cell, met_text = fmt_mib(big), verdict(True)
        big_rate = m("big/cc-connector/c8/rate")
        row(f"Peak RSS (VmHWM), drain of {sizes.big_drain_rows:,} rows, concurrency 8", cell, "",
            "" if big_rate is None else f"drained at {fmt_rate(big_rate)}", "", "< 30 MB (28.6 MiB)", met_text)
    for concurrency in (1, 8):
        key = f"drain/cc-connector/c{concurrency}"
        row(f"CPU time per delivered row, drain of {sizes.drain_rows:,} rows, concurrency {concurrency}",
            fmt_us(m(key + "/cpu_us_per_row")),
            fmt_us(m("drain/peer/c1/cpu_us_per_row")) + (" at concurrency 1" if concurrency != 1 else ""),
            f"their PostgreSQL sessions: cc-connector {fmt_us(m(key + '/backend_cpu_us_per_row'))}, "
            f"peer {fmt_us(m('drain/peer/c1/backend_cpu_us_per_row'))}", "", "", "")
    return "\n".join(rows)


def format_sample(value):
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int) or abs(value) >= 1000:
        return f"{value:.0f}"
    return f"{value:.4g}"


def raw_samples_lines(results):
    return [f"- `{key}`: {', '.join(format_sample(value) for value in results.samples[key])}"
            for key in sorted(results.samples)]


def write_report(bench, results_dir):
    sizes = bench.sizes
    table = build_table(bench)
    mode = "quick" if bench.quick else "full"
    now = datetime.datetime.now(datetime.timezone.utc)
    host = socket.gethostname().split(".")[0]
    # The time in the name keeps a later run from overwriting a recorded one.
    path = Path(results_dir) / f"{now:%Y-%m-%d-%H%M}-{host}{'-quick' if bench.quick else ''}.md"
    text = "\n".join([
        f"# cc-connector benchmarks, {now:%Y-%m-%d} ({mode} run)",
        "",
        "Written by `bench/run" + (" --quick" if bench.quick else "") + "`. Each figure is the median of "
        f"{sizes.repetitions} runs. BENCHMARKS.md explains each measurement and what limits it.",
        "",
        *machine_lines(bench),
        f"- Run time: {bench.elapsed():.0f} s",
        "",
        table,
        "",
        *([f"Notes:", ""] + [f"- {note}" for note in bench.results.notes] + [""] if bench.results.notes else []),
        "Samples of each repetition (rates in rows/s or tx/s, latencies in ms, CPU in µs per row, "
        "memory in KiB):",
        "",
        *raw_samples_lines(bench.results),
        "",
    ])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path, table


def parse_args():
    parser = argparse.ArgumentParser(description="Run the cc-connector benchmarks. Start them with bench/run.")
    parser.add_argument("--quick", action="store_true", help="smaller sizes for a smoke run of about 3 minutes")
    parser.add_argument("--work-dir", required=True, help="folder for logs, mock stores and configuration files")
    parser.add_argument("--socket-dir", required=True, help="UNIX socket folder of the PostgreSQL server")
    parser.add_argument("--port", type=int, required=True, help="port number of the PostgreSQL server's socket")
    parser.add_argument("--pg-bin", required=True, help="folder with pgbench of PostgreSQL 15")
    parser.add_argument("--build-dir", required=True, help="folder with cc-connector and cc-mock-api")
    parser.add_argument("--results-dir", required=True, help="folder the results file is written to")
    parser.add_argument("--only", default=",".join(PARTS),
                        help="comma-separated measurement groups to run, of " + ", ".join(PARTS) +
                             "; with a subset the table is printed but no results file is written")
    args = parser.parse_args()
    args.parts = [part.strip() for part in args.only.split(",") if part.strip()]
    unknown = [part for part in args.parts if part not in PARTS]
    if unknown:
        parser.error(f"unknown measurement group {', '.join(unknown)}; use {', '.join(PARTS)}")
    return args


def main():
    args = parse_args()
    # bench/run sends SIGTERM on Ctrl-C or its own exit, and Ctrl-C also sends SIGINT here. The
    # first signal ends the run and later ones are ignored, so that the finally block below can
    # stop every child process.
    def stop_on_signal(number, _frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        sys.exit(128 + number)

    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGINT, stop_on_signal)
    bench = Bench(args, QUICK if args.quick else FULL)
    try:
        bench.run_all(args.parts)
        complete = set(args.parts) == set(PARTS)
        if complete:
            path, table = write_report(bench, args.results_dir)
        else:
            table = build_table(bench)
    except BenchError as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 1
    finally:
        stop_all_processes()
    print()
    print(table)
    print()
    print(f"written to {path}" if complete else "not written to bench/results: only part of the suite ran")
    return 0


if __name__ == "__main__":
    sys.exit(main())
