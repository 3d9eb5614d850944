-- CRM accounts: JSON text typed, countries to ISO codes, owner e-mails normalized.
with source as (
  select * from {{ source('crm', 'accounts') }}
)

select
  trim(s.account_id) as account_id,
  trim(s.name) as name,
  lower(trim(s.industry)) as industry,
  a.alpha2 as country_code,
  {{ normalize_email('s.owner_email') }} as owner_email,
  {{ try_cast('s.annual_revenue', 'decimal(18,2)') }} as annual_revenue_usd,
  {{ iso_timestamp('s.created_at') }} as created_at,
  {{ iso_timestamp('s.updated_at') }} as updated_at,
  coalesce({{ try_cast('s.is_deleted', 'boolean') }}, false) as is_deleted,
  s._ingested_at,
  s._source_ref,
  s._source_row
from source s
left join {{ ref('seeds.country_aliases') }} a on a.alias = upper(trim(s.country))
