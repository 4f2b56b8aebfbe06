-- The watched table of the benchmarks: a plain jobs table as a contractor's software keeps it.
-- bench/jobs.toml maps it for cc-connector, and bench/baselines/afternoon_script.py sends the
-- same fields from it.
CREATE TABLE public.jobs (
  id         bigserial PRIMARY KEY,
  first_name text NOT NULL,
  last_name  text NOT NULL,
  street     text NOT NULL,
  city       text NOT NULL,
  state      text NOT NULL,
  zip        text NOT NULL,
  phone      text,
  email      text,
  notes      text,
  created_at timestamp(0) NOT NULL DEFAULT localtimestamp(0)
);
