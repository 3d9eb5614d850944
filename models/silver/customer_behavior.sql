-- Daily activity per customer from Redshift.
select
  customer_id,
  activity_date,
  sessions,
  page_views,
  cart_adds,
  minutes_on_site,
  lower(trim(device)) as device,
  updated_at,
  _ingested_at,
  _source_ref,
  _source_row
from {{ source('redshift', 'customer_behavior') }}
