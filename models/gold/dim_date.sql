-- Calendar from the first order day to the end of the run's year.
with bounds as (
  select
    min(order_date) as first_day,
    cast(date_trunc('year', {{ run_date() }}) + interval '1' year - interval '1' day as date) as last_day
  from {{ ref('silver.orders') }}
),

days as (
  select date_day from {{ date_spine('(select first_day from bounds)', '(select last_day from bounds)') }}
)

select
  date_day,
  cast(extract(year from date_day) as integer) as year,
  cast(extract(quarter from date_day) as integer) as quarter,
  cast(extract(month from date_day) as integer) as month,
  case cast(extract(month from date_day) as integer)
    when 1 then 'January' when 2 then 'February' when 3 then 'March' when 4 then 'April'
    when 5 then 'May' when 6 then 'June' when 7 then 'July' when 8 then 'August'
    when 9 then 'September' when 10 then 'October' when 11 then 'November' else 'December'
  end as month_name,
  cast(extract(day from date_day) as integer) as day_of_month,
  cast({{ iso_day_of_week('date_day') }} as integer) as iso_day_of_week,
  case cast({{ iso_day_of_week('date_day') }} as integer)
    when 1 then 'Monday' when 2 then 'Tuesday' when 3 then 'Wednesday' when 4 then 'Thursday'
    when 5 then 'Friday' when 6 then 'Saturday' else 'Sunday'
  end as day_name,
  cast(week(date_day) as integer) as iso_week,
  cast({{ iso_day_of_week('date_day') }} as integer) >= 6 as is_weekend
from days
