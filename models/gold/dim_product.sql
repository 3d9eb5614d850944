-- Product dimension: the current catalogue.
select product_id, sku, name, category, list_price_usd, created_at, updated_at
from {{ ref('silver.products') }}
