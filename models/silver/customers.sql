-- Customers from Snowflake: trimmed names, normalized e-mails, E.164 phones, ISO country codes.
with source as (
  select * from {{ source('snowflake', 'customers') }}
),

countries as (
  select a.alias, c.alpha2, c.calling_code, c.trunk_prefix
  from {{ ref('seeds.country_aliases') }} a
  join {{ ref('seeds.countries') }} c on c.alpha2 = a.alpha2
)

select
  s.customer_id,
  trim(s.first_name) as first_name,
  trim(s.last_name) as last_name,
  {{ normalize_email('s.email') }} as email,
  {{ e164_phone('s.phone', 'c.calling_code', 'c.trunk_prefix') }} as phone,
  c.alpha2 as country_code,
  trim(s.city) as city,
  lower(trim(s.segment)) as segment,
  s.created_at,
  s.updated_at,
  coalesce(s.is_deleted, false) as is_deleted,
  s._ingested_at,
  s._source_ref,
  s._source_row
from source s
left join countries c on c.alias = upper(trim(s.country))
