-- Sales per product over all time, ranked by revenue within its category.
with sales as (
  select
    product_id,
    count(*) as orders,
    sum(quantity) as units,
    sum(amount_usd) as revenue_usd,
    min(order_date) as first_order_date,
    max(order_date) as last_order_date
  from {{ ref('gold.fact_orders') }}
  where status <> 'cancelled'
  group by product_id
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
