-- Products from Snowflake, typed as the contract says.
select
  product_id,
  trim(sku) as sku,
  trim(name) as name,
  lower(trim(category)) as category,
  list_price_usd,
  created_at,
  updated_at,
  coalesce(is_deleted, false) as is_deleted,
  _ingested_at,
  _source_ref,
  _source_row
from {{ source('snowflake', 'products') }}
