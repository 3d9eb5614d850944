-- One row per order: the amount in US dollars at the FX rate of the order day, and the order's
-- lifecycle from its Kafka events (ordered by event time, so late events land where they belong).
-- Incremental runs rebuild only the orders whose row or events changed since the last run; an
-- order deleted at the source comes back with no silver row and is deleted here.
with
{% if is_incremental() %}
changed_orders as (
  select order_id from {{ changes('silver.orders') }}
  union
  select e.order_id
  from {{ ref('silver.order_events') }} e
  join {{ changes('silver.order_events') }} c on c.event_id = e.event_id
),
{% endif %}

orders as (
  select *
  from {{ ref('silver.orders') }}
  {% if is_incremental() %}where order_id in (select order_id from changed_orders){% endif %}
),

events as (
  select
    e.order_id,
    min(case when e.event_type = 'order_placed' then e.event_time end) as placed_at,
    min(case when e.event_type = 'payment_captured' then e.event_time end) as paid_at,
    min(case when e.event_type = 'order_shipped' then e.event_time end) as shipped_at,
    min(case when e.event_type = 'order_delivered' then e.event_time end) as delivered_at,
    min(case when e.event_type = 'order_cancelled' then e.event_time end) as cancelled_at,
    max_by(e.event_type, e.event_time) as latest_event_type,
    count(*) as event_count,
    count(case when e.is_late then 1 end) as late_event_count
  from {{ ref('silver.order_events') }} e
  {% if is_incremental() %}where e.order_id in (select order_id from changed_orders){% endif %}
  group by e.order_id
)

select
  {% if is_incremental() %}k.order_id{% else %}o.order_id{% endif %} as order_id,
  o.order_date,
  o.order_ts,
  o.customer_id,
  o.product_id,
  o.channel,
  o.status,
  o.quantity,
  o.unit_price,
  o.currency,
  cast(o.quantity * o.unit_price as decimal(18, 2)) as amount,
  fx.usd_rate as fx_rate,
  cast(round(o.quantity * o.unit_price / fx.usd_rate, 2) as decimal(18, 2)) as amount_usd,
  ev.placed_at,
  ev.paid_at,
  ev.shipped_at,
  ev.delivered_at,
  ev.cancelled_at,
  ev.latest_event_type,
  cast(coalesce(ev.event_count, 0) as integer) as event_count,
  cast(coalesce(ev.late_event_count, 0) as integer) as late_event_count,
  o.order_id is null as _deleted
{% if is_incremental() %}
from changed_orders k
left join orders o on o.order_id = k.order_id
{% else %}
from orders o
{% endif %}
left join {{ ref('silver.fx_rates') }} fx on fx.currency = o.currency and fx.rate_date = o.order_date
left join events ev on ev.order_id = o.order_id
