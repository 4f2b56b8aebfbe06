-- One pgbench transaction: a single-row INSERT into the watched table, as a shop's software
-- adds a job.
INSERT INTO public.jobs (first_name, last_name, street, city, state, zip, phone, email, notes)
VALUES ('Ada', 'Lovelace', '12 Main St', 'Cary', 'NC', '27511', '919-555-0100', 'ada@example.com', 'pgbench row');
