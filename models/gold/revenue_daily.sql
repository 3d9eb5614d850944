-- Revenue per order day, in US dollars; cancelled orders are counted but earn nothing.
-- An incremental build recomputes only the days fact_orders' changes touched (the day an order
-- left as well as the day it is on now) from those days' orders; other days keep their row. A
-- day whose order count no longer matches its row lost orders outside fact_orders' MERGE (an
-- erasure, retention) and is recomputed too: counting orders per day is cheap, counting distinct
-- customers is not.
{% if is_incremental() %}
with affected as (
  select order_date from {{ changes('gold.fact_orders') }} c where order_date is not null
  union
  select coalesce(f.order_date, t.order_date)
  from (select order_date, count(*) as orders from {{ ref('gold.fact_orders') }} group by order_date) f
  full join {{ this }} t on t.order_date = f.order_date
  where coalesce(f.order_date, t.order_date) is not null and coalesce(f.orders, 0) <> coalesce(t.orders, 0)
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
