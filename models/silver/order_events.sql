-- Order lifecycle events parsed from the Kafka message text. Messages that are not JSON, or lack
-- required fields, fail the contract and go to quarantine with the raw message.
with source as (
  select *, {{ json_valid('value') }} as is_json from {{ source('kafka', 'order_events') }}
)

select
  is_json as payload_is_json,
  {{ json_text('value', '$.event_id') }} as event_id,
  {{ try_cast(json_text('value', '$.order_id'), 'bigint') }} as order_id,
  {{ try_cast(json_text('value', '$.customer_id'), 'bigint') }} as customer_id,
  {{ json_text('value', '$.event_type') }} as event_type,
  {{ iso_timestamp(json_text('value', '$.event_time')) }} as event_time,
  {{ try_cast(json_text('value', '$.amount'), 'decimal(12,2)') }} as amount,
  upper({{ json_text('value', '$.currency') }}) as currency,
  "partition" as kafka_partition,
  "offset" as kafka_offset,
  "timestamp" as produced_at,
  coalesce(cast({{ iso_timestamp(json_text('value', '$.event_time')) }} as date) < cast("timestamp" as date), false) as is_late,
  _ingested_at,
  _source_ref,
  _source_row
from source
