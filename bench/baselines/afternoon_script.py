#!/usr/bin/env python3
"""Send new jobs to the Contractors Cloud import API, the way a shop would script it.

This is the hand-written peer that bench/run compares cc-connector with. It uses only Debian's
python3-psycopg2 and the standard library. A trigger on public.jobs sends a NOTIFY for every new
row. The script LISTENs, selects the rows above the last id it stored, POSTs each one form-encoded
with Basic auth, upserts a status row, stores the new last id and commits, one row at a time.

    afternoon_script.py --dsn DSN --url URL --setup   install the trigger and the two tables
    afternoon_script.py --dsn DSN --url URL           send new rows until SIGTERM or Ctrl-C
    afternoon_script.py --dsn DSN --url URL --once    send what is there, then exit

The API key comes from the environment variable named by --key-env (default CC_API_KEY).
It sends the same fields as bench/jobs.toml. It captures only INSERTs, and a row committed
out of id order after a higher id was sent is never sent.
"""

import argparse
import base64
import logging
import os
import select
import sys
import urllib.error
import urllib.parse
import urllib.request

import psycopg2

CHANNEL = "jobs_inserted"

SETUP_SQL = f"""
CREATE TABLE IF NOT EXISTS public.peer_state (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  last_id   bigint NOT NULL
);
INSERT INTO public.peer_state (last_id) VALUES (0) ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS public.peer_import_status (
  job_id      bigint PRIMARY KEY,
  state       text NOT NULL,
  http_status integer,
  response    text,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE OR REPLACE FUNCTION public.peer_notify_job() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('{CHANNEL}', NEW.id::text);
  RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS peer_notify_job ON public.jobs;
CREATE TRIGGER peer_notify_job AFTER INSERT ON public.jobs
  FOR EACH ROW EXECUTE FUNCTION public.peer_notify_job();
"""

SELECT_NEW_ROWS = """
SELECT id, first_name, last_name, street, city, state, zip, phone, email, notes, created_at
  FROM public.jobs
 WHERE id > %s
 ORDER BY id
 LIMIT 1000
"""

UPSERT_STATUS = """
INSERT INTO public.peer_import_status (job_id, state, http_status, response, updated_at)
VALUES (%s, %s, %s, %s, now())
ON CONFLICT (job_id) DO UPDATE
   SET state = EXCLUDED.state, http_status = EXCLUDED.http_status,
       response = EXCLUDED.response, updated_at = now()
"""

log = logging.getLogger("afternoon_script")


class ApiUnavailable(Exception):
    """The request did not get an HTTP response, so the row is tried again later."""


def to_record(row):
    """Build the import record of one jobs row, with the same fields as bench/jobs.toml."""
    (job_id, first_name, last_name, street, city, state, zip_code,
     phone, email, notes, created_at) = row
    record = {
        "req_firstname": first_name.strip(),
        "req_lastname": last_name.strip(),
        "req_accountname": f"{last_name}, {first_name}",
        "req_street": street.strip(),
        "req_city": city.strip(),
        "req_state": state.strip().upper(),
        "req_zip": zip_code.strip()[:5],
        "req_oppdate": created_at.strftime("%Y-%m-%d %H:%M:%S"),
        "req_oppnum": str(job_id),
    }
    if phone is not None:
        record["opt_phonePrimary"] = phone
    if email is not None:
        record["opt_emailPrimary"] = email.strip().lower()
    if notes is not None:
        record["opt_note1"] = notes
    record["source"] = "Jobs database"
    return record


def post_record(url, authorization, record):
    """POST one record form-encoded. Returns the HTTP status and the response body."""
    body = urllib.parse.urlencode(record).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Authorization", authorization)
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    request.add_header("Accept", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as error:
        raise ApiUnavailable(str(error)) from error


def send_new_rows(connection, url, authorization):
    """Send every row above the stored last id. Returns how many rows were sent."""
    sent = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT last_id FROM public.peer_state")
            last_id = cursor.fetchone()[0]
            cursor.execute(SELECT_NEW_ROWS, (last_id,))
            rows = cursor.fetchall()
            connection.commit()
            if not rows:
                return sent

            for row in rows:
                job_id = row[0]
                status, text = post_record(url, authorization, to_record(row))
                if 200 <= status < 300:
                    state = "imported"
                else:
                    state = "failed"
                    log.error("job %s was rejected with HTTP %s: %s", job_id, status, text[:200])
                cursor.execute(UPSERT_STATUS, (job_id, state, status, text))
                cursor.execute("UPDATE public.peer_state SET last_id = %s", (job_id,))
                connection.commit()
                sent += 1


def wait_for_notify(listen_connection, seconds):
    """Wait until a NOTIFY arrives or `seconds` pass, then drop the queued notifications."""
    ready, _, _ = select.select([listen_connection], [], [], seconds)
    if ready:
        listen_connection.poll()
    listen_connection.notifies.clear()


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", required=True, help="libpq connection string of the jobs database")
    parser.add_argument("--url", required=True, help="import endpoint, such as http://127.0.0.1:8085/api/v2/import/record")
    parser.add_argument("--key-env", default="CC_API_KEY", help="environment variable that contains the API key")
    parser.add_argument("--setup", action="store_true", help="install the trigger and tables, then exit")
    parser.add_argument("--once", action="store_true", help="send the rows that are there, then exit")
    parser.add_argument("--poll-seconds", type=float, default=5.0,
                        help="look for new rows at least this often in seconds, in case a NOTIFY was missed")
    return parser.parse_args()


def main():
    args = parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    connection = psycopg2.connect(args.dsn, application_name="afternoon_script")
    if args.setup:
        with connection.cursor() as cursor:
            cursor.execute(SETUP_SQL)
        connection.commit()
        log.info("installed trigger peer_notify_job and tables peer_state, peer_import_status")
        return 0

    key = os.environ.get(args.key_env)
    if not key:
        log.error("missing API key: set the environment variable %s", args.key_env)
        return 2
    credentials = base64.b64encode(f"api:{key}".encode("utf-8")).decode("ascii")
    authorization = f"Basic {credentials}"

    listen_connection = psycopg2.connect(args.dsn, application_name="afternoon_script listener")
    listen_connection.autocommit = True
    with listen_connection.cursor() as cursor:
        cursor.execute(f"LISTEN {CHANNEL}")
    log.info("listening on %s and sending to %s", CHANNEL, args.url)

    while True:
        try:
            sent = send_new_rows(connection, args.url, authorization)
        except ApiUnavailable as error:
            connection.rollback()
            log.warning("the API is unavailable (%s), trying again in %s s", error, args.poll_seconds)
            sent = 0
            if args.once:
                return 1
        if sent:
            log.info("sent %d rows", sent)
        if args.once:
            return 0
        wait_for_notify(listen_connection, args.poll_seconds)


if __name__ == "__main__":
    sys.exit(main())
