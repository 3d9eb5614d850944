-- CRM contacts: JSON text typed, e-mails normalized, phones in E.164 using the account's country.
with source as (
  select * from {{ source('crm', 'contacts') }}
)

select
  trim(s.contact_id) as contact_id,
  trim(s.account_id) as account_id,
  {{ try_cast('s.customer_id', 'bigint') }} as customer_id,
  trim(s.first_name) as first_name,
  trim(s.last_name) as last_name,
  {{ normalize_email('s.email') }} as email,
  {{ e164_phone('s.phone', 'c.calling_code', 'c.trunk_prefix') }} as phone,
  trim(s.title) as title,
  {{ iso_timestamp('s.updated_at') }} as updated_at,
  coalesce({{ try_cast('s.is_deleted', 'boolean') }}, false) as is_deleted,
  s._ingested_at,
  s._source_ref,
  s._source_row
from source s
left join {{ ref('silver.crm_accounts') }} a on a.account_id = trim(s.account_id)
left join {{ ref('seeds.countries') }} c on c.alpha2 = a.country_code
