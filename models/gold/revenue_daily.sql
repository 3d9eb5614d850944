-- Revenue per order day, in US dollars; cancelled orders are counted but earn nothing.
-- An incremental build recomputes only the days fact_orders' changes touched (the day an order
-- left as well as the day it is on now) from those days' orders; other days keep their row.
{% if is_incremental() %}
with affected as (
  select distinct order_date from {{ changes('gold.fact_orders') }} c where order_date is not null
)

{% endif %}
select
  order_date,
  count(*) as orders,
  count(case when status = 'cancelled' then 1 end) as cancelled_orders,
  cast(coalesce(sum(case when status <> 'cancelled' then quantity end), 0) as bigint) as units,
  count(distinct customer_id) as customers,
  cast(coalesce(sum(case when status <> 'cancelled' then amount_usd end), 0) as decimal(18, 2)) as revenue_usd,
  cast(avg(case when status <> 'cancelled' then amount_usd end) as decimal(18, 2)) as avg_order_value_usd
from {{ ref('gold.fact_orders') }}
{% if is_incremental() %}
where order_date in (select order_date from affected) or order_date is null
{% endif %}
group by order_date
{% if is_incremental() %}
union all
select
  t.order_date,
  t.orders,
  t.cancelled_orders,
  t.units,
  t.customers,
  t.revenue_usd,
  t.avg_order_value_usd
from {{ this }} t
where t.order_date is not null and t.order_date not in (select order_date from affected)
{% endif %}
