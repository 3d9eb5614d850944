-- A rate for every currency and every day up to the run date: the last published rate carried
-- forward over weekends and missing days, and USD at 1.
with published as (
  select rate_date, quote_currency as currency, rate
  from {{ ref('silver.fx_rates_published') }}
),

currencies as (
  select currency, min(rate_date) as first_date from published group by currency
),

calendar as (
  select c.currency, d.date_day as rate_date
  from currencies c
  cross join {{ date_spine('(select min(rate_date) from published)', run_date()) }} d
  where d.date_day >= c.first_date
),

filled as (
  -- The latest publication on or before each day; published rates are unique per day and currency.
  select
    cal.rate_date,
    cal.currency,
    max(p.rate_date) over (partition by cal.currency order by cal.rate_date rows between unbounded preceding and current row) as published_date
  from calendar cal
  left join published p on p.currency = cal.currency and p.rate_date = cal.rate_date
)

select f.rate_date, f.currency, p.rate as usd_rate, f.published_date, f.published_date < f.rate_date as is_filled
from filled f
join published p on p.currency = f.currency and p.rate_date = f.published_date

union all

select d.date_day as rate_date, 'USD' as currency, 1.0 as usd_rate, d.date_day as published_date, false as is_filled
from {{ date_spine('(select min(rate_date) from published)', run_date()) }} d
