-- Sales per product over all time, ranked by revenue within its category.
-- An incremental build aggregates only the products fact_orders' changes touched (the product an
-- order left as well as its product now), those absent from the previous build and those whose
-- order count no longer matches (orders deleted outside fact_orders' MERGE: an erasure,
-- retention); other products keep their previous sales. Ranks are recomputed over the
-- per-product rows, since one product's revenue moves the others' ranks.
with
{% if is_incremental() %}
affected as (
  select product_id from {{ changes('gold.fact_orders') }} c where product_id is not null
  union
  select p.product_id
  from {{ ref('gold.dim_product') }} p
  left join {{ this }} t on t.product_id = p.product_id
  where t.product_id is null
  union
  select coalesce(f.product_id, t.product_id)
  from (
    select product_id, count(*) as orders
    from {{ ref('gold.fact_orders') }}
    where status <> 'cancelled'
    group by product_id
  ) f
  full join {{ this }} t on t.product_id = f.product_id
  where coalesce(f.product_id, t.product_id) is not null and coalesce(f.orders, 0) <> coalesce(t.orders, 0)
),
{% endif %}

sales as (
  select
    product_id,
    count(*) as orders,
    sum(quantity) as units,
    sum(amount_usd) as revenue_usd,
    min(order_date) as first_order_date,
    max(order_date) as last_order_date
  from {{ ref('gold.fact_orders') }}
  where status <> 'cancelled'
  {% if is_incremental() %}and product_id in (select product_id from affected){% endif %}
  group by product_id
  {% if is_incremental() %}
  union all
  select t.product_id, t.orders, t.units, t.revenue_usd, t.first_order_date, t.last_order_date
  from {{ this }} t
  where t.product_id not in (select product_id from affected)
  {% endif %}
)

select
  p.product_id,
  p.sku,
  p.name,
  p.category,
  coalesce(s.orders, 0) as orders,
  cast(coalesce(s.units, 0) as bigint) as units,
  cast(coalesce(s.revenue_usd, 0) as decimal(18, 2)) as revenue_usd,
  s.first_order_date,
  s.last_order_date,
  rank() over (partition by p.category order by coalesce(s.revenue_usd, 0) desc) as category_rank
from {{ ref('gold.dim_product') }} p
left join sales s on s.product_id = p.product_id
