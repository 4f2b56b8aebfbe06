#!/bin/sh
# Plays the shop's software: inserts sample permits that are not in permits yet, 200 at once and
# then 25 in batches of 5, one second apart, so the connector shows both catch-up and live capture.
# Each run of the demo inserts the next 225 sample rows.
set -eu

insert_next() {
  psql -v ON_ERROR_STOP=1 -X -q -c "
    INSERT INTO public.permits
    SELECT * FROM public.permits_sample s
     WHERE NOT EXISTS (SELECT 1 FROM public.permits p WHERE p.permit_number = s.permit_number)
     ORDER BY s.permit_number
     LIMIT $1"
}

insert_next 200
echo "inserted 200 permits"
for batch in 1 2 3 4 5; do
  sleep 1
  insert_next 5
  echo "inserted 5 more permits (batch $batch of 5)"
done
psql -X -A -t -c "SELECT count(*) || ' permits in the table' FROM public.permits"
