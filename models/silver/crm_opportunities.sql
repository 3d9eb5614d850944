-- CRM opportunities: JSON text typed.
select
  trim(opportunity_id) as opportunity_id,
  trim(account_id) as account_id,
  lower(trim(stage)) as stage,
  {{ try_cast('amount', 'decimal(18,2)') }} as amount,
  upper(trim(currency)) as currency,
  {{ try_cast('close_date', 'date') }} as close_date,
  {{ iso_timestamp('updated_at') }} as updated_at,
  coalesce({{ try_cast('is_deleted', 'boolean') }}, false) as is_deleted,
  _ingested_at,
  _source_ref,
  _source_row
from {{ source('crm', 'opportunities') }}
