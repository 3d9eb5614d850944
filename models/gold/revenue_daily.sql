-- Revenue per order day, in US dollars; cancelled orders are counted but earn nothing.
-- An incremental build recomputes the sums and counts of the days fact_orders' changes touched
-- (the day an order left as well as the day it is on now) from those days' orders; other days
-- keep their row. A day whose order count no longer matches its row lost orders outside
-- fact_orders' MERGE (an erasure, retention) and is recomputed whole.
-- Distinct customers are the expensive part (a set per day over all of its orders), and a change
-- that leaves an order on the day and with the customer it had (a status change) cannot alter
-- them: a touched day adjusts its previous count by the (day, customer) pairs that orders
-- appearing, leaving or moving gained or lost.
{% if is_incremental() %}
with changed as (
  select * from {{ changes('gold.fact_orders') }}
),

-- Each changed order's day and customer at the last build: its earliest feed entry holds them
-- if that entry is the values a change left (_previous); otherwise the order is newer.
first_entry as (
  select
    order_id,
    min_by(_previous, _seq) as existed,
    min_by(order_date, _seq) as order_date,
    min_by(customer_id, _seq) as customer_id
  from changed
  group by order_id
),

-- Orders that appeared, left, or changed day or customer since the last build.
moved as (
  select
    e.order_id,
    case when e.existed then e.order_date end as was_date,
    case when e.existed then e.customer_id end as was_customer,
    f.order_date as now_date,
    f.customer_id as now_customer
  from first_entry e
  left join {{ ref('gold.fact_orders') }} f on f.order_id = e.order_id
  where not e.existed
    or f.order_id is null
    or e.order_date is distinct from f.order_date
    or e.customer_id is distinct from f.customer_id
),

-- The (day, customer) pairs those orders left or joined, and whether an order holds each one now
-- and held it at the last build: the orders that did not move hold the same pairs as then.
pairs as (
  select was_date as order_date, was_customer as customer_id from moved where was_date is not null and was_customer is not null
  union
  select now_date, now_customer from moved where now_date is not null and now_customer is not null
),

held as (
  select
    p.order_date,
    p.customer_id,
    count(f.order_id) > 0 as held_now,
    count(case when m.order_id is null then f.order_id end) > 0 as held_by_unmoved
  from pairs p
  left join {{ ref('gold.fact_orders') }} f on f.order_date = p.order_date and f.customer_id = p.customer_id
  left join moved m on m.order_id = f.order_id
  group by p.order_date, p.customer_id
),

customer_delta as (
  select
    h.order_date,
    count(case when h.held_now then 1 end)
      - count(case when h.held_by_unmoved or w.was_date is not null then 1 end) as customers
  from held h
  left join (select distinct was_date, was_customer from moved) w
    on w.was_date = h.order_date and w.was_customer = h.customer_id
  group by h.order_date
),

-- Orders per day as the last build left them, moved by the orders that appeared, left or moved:
-- a day whose count differs lost orders outside fact_orders' MERGE, and is recounted whole.
order_delta as (
  select order_date, sum(change) as orders
  from (
    select now_date as order_date, 1 as change from moved where now_date is not null
    union all
    select was_date, -1 from moved where was_date is not null
  ) m
  group by order_date
),

miscounted as (
  select coalesce(f.order_date, t.order_date) as order_date
  from (select order_date, count(*) as orders from {{ ref('gold.fact_orders') }} group by order_date) f
  full join {{ this }} t on t.order_date = f.order_date
  left join order_delta o on o.order_date = coalesce(f.order_date, t.order_date)
  where coalesce(f.order_date, t.order_date) is not null
    and coalesce(f.orders, 0) <> coalesce(t.orders, 0) + coalesce(o.orders, 0)
),

affected as (
  select order_date from changed where order_date is not null
  union
  select order_date from miscounted
),
{% else %}
with
{% endif %}

days as (
  select
    order_date,
    count(*) as orders,
    count(case when status = 'cancelled' then 1 end) as cancelled_orders,
    cast(coalesce(sum(case when status <> 'cancelled' then quantity end), 0) as bigint) as units,
    cast(coalesce(sum(case when status <> 'cancelled' then amount_usd end), 0) as decimal(18, 2)) as revenue_usd,
    cast(avg(case when status <> 'cancelled' then amount_usd end) as decimal(18, 2)) as avg_order_value_usd
  from {{ ref('gold.fact_orders') }}
  {% if is_incremental() %}where order_date in (select order_date from affected) or order_date is null{% endif %}
  group by order_date
),

counted as (
  select order_date, count(distinct customer_id) as customers
  from {{ ref('gold.fact_orders') }}
  {% if is_incremental() %}where order_date in (select order_date from miscounted) or order_date is null{% endif %}
  group by order_date
)

select
  d.order_date,
  d.orders,
  d.cancelled_orders,
  d.units,
  {% if is_incremental() %}
  coalesce(c.customers, coalesce(t.customers, 0) + coalesce(x.customers, 0)) as customers,
  {% else %}
  c.customers,
  {% endif %}
  d.revenue_usd,
  d.avg_order_value_usd
from days d
left join counted c on c.order_date = d.order_date or (c.order_date is null and d.order_date is null)
{% if is_incremental() %}
left join {{ this }} t on t.order_date = d.order_date
left join customer_delta x on x.order_date = d.order_date
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
