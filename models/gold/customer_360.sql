-- One row per current customer: profile, orders, recent web activity and CRM relationship.
-- Aggregating all of fact_orders is the expensive part: an incremental build aggregates only the
-- customers whose orders changed (the customer an order left as well as the one it went to) and
-- those absent from the previous build; every other customer keeps its previous order figures.
-- The rest (profile, 30-day activity, CRM, FX) is small and recomputed for everyone, so the
-- run-date window and a new FX day need no bookkeeping.
with customers as (
  select * from {{ ref('gold.dim_customer') }} where is_current
),

{% if is_incremental() %}
affected as (
  select customer_id from {{ changes('gold.fact_orders') }} c where customer_id is not null
  union
  select c.customer_id
  from customers c
  left join {{ this }} t on t.customer_id = c.customer_id
  where t.customer_id is null
),
{% endif %}

orders as (
  select
    customer_id,
    min(order_date) as first_order_date,
    max(order_date) as last_order_date,
    count(*) as orders_count,
    sum(case when status <> 'cancelled' then amount_usd end) as revenue_usd,
    cast(avg(case when status <> 'cancelled' then amount_usd end) as decimal(18, 2)) as avg_order_value_usd
  from {{ ref('gold.fact_orders') }}
  {% if is_incremental() %}where customer_id in (select customer_id from affected){% endif %}
  group by customer_id
  {% if is_incremental() %}
  union all
  select
    t.customer_id,
    t.first_order_date,
    t.last_order_date,
    t.orders_count,
    t.lifetime_revenue_usd,
    t.avg_order_value_usd
  from {{ this }} t
  where t.customer_id not in (select customer_id from affected)
  {% endif %}
),

activity as (
  select customer_id, sum(sessions) as sessions_30d, sum(page_views) as page_views_30d
  from {{ ref('silver.customer_behavior') }}
  where activity_date > {{ run_date() }} - interval '30' day and activity_date <= {{ run_date() }}
  group by customer_id
),

crm_link as (
  select customer_id, min(account_id) as account_id
  from {{ ref('silver.crm_contacts') }}
  where customer_id is not null
  group by customer_id
),

latest_fx as (
  select currency, usd_rate
  from {{ ref('silver.fx_rates') }}
  where rate_date = (select max(rate_date) from {{ ref('silver.fx_rates') }})
),

pipeline as (
  select
    o.account_id,
    sum(case when o.stage not in ('closed_won', 'closed_lost') then o.amount / fx.usd_rate end) as open_pipeline_usd,
    sum(case when o.stage = 'closed_won' then o.amount / fx.usd_rate end) as won_revenue_usd
  from {{ ref('silver.crm_opportunities') }} o
  left join latest_fx fx on fx.currency = o.currency
  group by o.account_id
)

select
  c.customer_id,
  c.first_name || ' ' || c.last_name as full_name,
  c.email,
  c.country_code,
  c.segment,
  o.first_order_date,
  o.last_order_date,
  coalesce(o.orders_count, 0) as orders_count,
  cast(coalesce(o.revenue_usd, 0) as decimal(18, 2)) as lifetime_revenue_usd,
  cast(o.avg_order_value_usd as decimal(18, 2)) as avg_order_value_usd,
  cast(date_diff('day', o.last_order_date, {{ run_date() }}) as integer) as days_since_last_order,
  cast(coalesce(a.sessions_30d, 0) as bigint) as sessions_30d,
  cast(coalesce(a.page_views_30d, 0) as bigint) as page_views_30d,
  l.account_id as crm_account_id,
  acc.name as crm_account_name,
  acc.industry as crm_industry,
  cast(p.open_pipeline_usd as decimal(18, 2)) as open_pipeline_usd,
  cast(p.won_revenue_usd as decimal(18, 2)) as won_revenue_usd
from customers c
left join orders o on o.customer_id = c.customer_id
left join activity a on a.customer_id = c.customer_id
left join crm_link l on l.customer_id = c.customer_id
left join {{ ref('silver.crm_accounts') }} acc on acc.account_id = l.account_id
left join pipeline p on p.account_id = l.account_id
