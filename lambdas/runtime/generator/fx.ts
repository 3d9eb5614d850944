/**
 * The FX feed: daily USD rates that follow a mean-reverting random walk, published on business
 * days only, with a few dates and single rates missing and a rare `0` rate. Orders are priced with
 * the rate the feed actually published on or before the order date (skipping missing and zero
 * rates), which is exactly what silver's forward fill reconstructs.
 */
import { DAY_MS, isBusinessDay, isoDate, startOfDay } from './calendar';
import { DirtSchedule, Random, streamId } from './random';
import { FX_QUOTES, type Currency } from './reference';

/** Calendar days of history published on day 1, ending with day 1 itself. */
export const FX_HISTORY_DAYS = 400;

export interface FxRateRecord {
  readonly rate_date: string;
  readonly base_currency: 'USD';
  readonly quote_currency: Currency;
  /** Units of the quote currency per 1 USD. */
  readonly rate: number;
}

type RateDirt = 'rate_missing' | 'rate_zero';

export class FxMarket {
  private readonly firstDay: number;
  private readonly publishedByDay: FxRateRecord[][] = [];
  /** Per quote currency and day index: the last non-zero rate published on or before that day. */
  private readonly effective = new Map<Currency, Float64Array>();

  constructor(seed: number, startDay: number, days: number) {
    this.firstDay = startDay - (FX_HISTORY_DAYS - 1) * DAY_MS;
    const dayCount = FX_HISTORY_DAYS + days - 1;
    const walk = new Random(streamId(seed, 'fx.walk'));
    const publication = new Random(streamId(seed, 'fx.publication'));
    let historyBusinessDays = 0;
    for (let day = 0; day < FX_HISTORY_DAYS; day++) {
      if (isBusinessDay(this.firstDay + day * DAY_MS)) historyBusinessDays++;
    }
    const missingDates = new DirtSchedule<'date_missing'>([['date_missing', 0.015]], {
      random: publication,
      batchSize: historyBusinessDays,
    });
    const rateDirt = new DirtSchedule<RateDirt>(
      [
        ['rate_missing', 0.005],
        ['rate_zero', 0.002],
      ],
      { random: publication, batchSize: historyBusinessDays * FX_QUOTES.length },
    );
    const anchors = FX_QUOTES.map((quote) => Math.log(quote.startRate));
    const levels = [...anchors];
    const lastPublished = FX_QUOTES.map((quote) => roundRate(quote.startRate));
    for (const quote of FX_QUOTES) this.effective.set(quote.currency, new Float64Array(dayCount));

    let businessDay = 0;
    for (let day = 0; day < dayCount; day++) {
      const date = this.firstDay + day * DAY_MS;
      const published: FxRateRecord[] = [];
      const isBusiness = isBusinessDay(date);
      const dateMissing = isBusiness && missingDates.kindAt(businessDay, publication) !== undefined;
      FX_QUOTES.forEach((quote, index) => {
        const level = levels[index]!;
        levels[index] =
          level + quote.dailyVolatility * walk.normal() - 0.01 * (level - anchors[index]!);
        if (isBusiness) {
          const dirt = rateDirt.kindAt(businessDay * FX_QUOTES.length + index, publication);
          // A glitching feed can publish a zero even on a date whose real rates are missing.
          if (dirt === 'rate_zero') {
            published.push({
              rate_date: isoDate(date),
              base_currency: 'USD',
              quote_currency: quote.currency,
              rate: 0,
            });
          } else if (dirt === undefined && !dateMissing) {
            const rate = roundRate(Math.exp(levels[index]!));
            published.push({
              rate_date: isoDate(date),
              base_currency: 'USD',
              quote_currency: quote.currency,
              rate,
            });
            lastPublished[index] = rate;
          }
        }
        this.effective.get(quote.currency)![day] = lastPublished[index]!;
      });
      if (isBusiness) businessDay++;
      this.publishedByDay.push(published);
    }
  }

  /** Records published on generated day `day` (1-based): the whole history on day 1. */
  recordsOfDay(day: number): FxRateRecord[] {
    if (day === 1) return this.publishedByDay.slice(0, FX_HISTORY_DAYS).flat();
    return this.publishedByDay[FX_HISTORY_DAYS + day - 2] ?? [];
  }

  /** Units of `currency` per USD that priced an order placed at `ms`. */
  rate(currency: Currency, ms: number): number {
    const series = this.effective.get(currency);
    if (!series) return 1;
    const day = Math.round((startOfDay(ms) - this.firstDay) / DAY_MS);
    return series[Math.min(Math.max(day, 0), series.length - 1)]!;
  }
}

/** Six significant digits, as FX feeds quote. */
function roundRate(rate: number): number {
  return Number(rate.toPrecision(6));
}
