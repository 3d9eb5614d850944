-- Orders from Snowflake: currency and codes upper/lower-cased, the order day derived.
select
  order_id,
  customer_id,
  product_id,
  quantity,
  unit_price,
  upper(trim(currency)) as currency,
  order_ts,
  cast(order_ts as date) as order_date,
  lower(trim(status)) as status,
  lower(trim(channel)) as channel,
  updated_at,
  coalesce(is_deleted, false) as is_deleted,
  _ingested_at,
  _source_ref,
  _source_row
from {{ source('snowflake', 'orders') }}
