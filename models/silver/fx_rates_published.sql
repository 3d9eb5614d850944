-- FX rates exactly as published, typed.
select
  {{ try_cast('rate_date', 'date') }} as rate_date,
  upper(trim(quote_currency)) as quote_currency,
  upper(trim(base_currency)) as base_currency,
  {{ try_cast('rate', 'double') }} as rate,
  _ingested_at,
  _source_ref,
  _source_row
from {{ source('fx', 'rates') }}
