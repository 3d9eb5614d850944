-- Revenue per order day, in US dollars; cancelled orders are counted but earn nothing.
select
  order_date,
  count(*) as orders,
  count(case when status = 'cancelled' then 1 end) as cancelled_orders,
  cast(coalesce(sum(case when status <> 'cancelled' then quantity end), 0) as bigint) as units,
  count(distinct customer_id) as customers,
  cast(coalesce(sum(case when status <> 'cancelled' then amount_usd end), 0) as decimal(18, 2)) as revenue_usd,
  cast(avg(case when status <> 'cancelled' then amount_usd end) as decimal(18, 2)) as avg_order_value_usd
from {{ ref('gold.fact_orders') }}
group by order_date
