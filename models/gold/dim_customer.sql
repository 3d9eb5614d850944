-- Customer dimension, type 2: every change to a customer closes its current version and opens a
-- new one; a deleted customer's last version is closed at the time of the delete.
with changed as (
  select customer_id, _changed_at from {{ changes('silver.customers') }}
)

select
  k.customer_id,
  c.first_name,
  c.last_name,
  c.email,
  c.phone,
  c.country_code,
  n.name as country_name,
  c.city,
  c.segment,
  c.created_at,
  coalesce(c.updated_at, k._changed_at) as updated_at,
  c.customer_id is null as _deleted
from changed k
left join {{ ref('silver.customers') }} c on c.customer_id = k.customer_id
left join {{ ref('seeds.countries') }} n on n.alpha2 = c.country_code
