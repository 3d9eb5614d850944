import { describe, expect, it } from 'vitest';
import { formatRows } from '../../lambdas/runtime/cli/output';

const rows = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: i + 1, note: `row ${i + 1}` }));

describe('formatRows as a table', () => {
  it('draws 20,000 rows cut to the limit, then says how many were not shown and how to see them', () => {
    const out = formatRows(rows(20_000), 'table', undefined, { limit: 1000, width: 80 });
    const lines = out.split('\n');
    expect(lines.filter((l) => /^│\s+\d+ │ row \d+/.test(l))).toHaveLength(1000);
    expect(out).toContain('│ 1000 │ row 1000 │');
    expect(out).not.toContain('row 1001');
    expect(lines.at(-1)).toBe(
      '1,000 of 20,000 rows shown; 19,000 not shown (--limit 0 shows all, --format csv or json writes every row)',
    );
  });

  it('draws every row when nothing is cut, and counts them', () => {
    const out = formatRows(rows(3), 'table', undefined, { width: 80 });
    expect(out).toBe(
      [
        '┌────┬───────┐',
        '│ id │ note  │',
        '├────┼───────┤',
        '│  1 │ row 1 │',
        '│  2 │ row 2 │',
        '│  3 │ row 3 │',
        '└────┴───────┘',
        '3 rows',
      ].join('\n'),
    );
  });

  it('fits the width, cutting only the long cells and marking the cut with an ellipsis', () => {
    const error = `Binder Error: ${'column not found '.repeat(80)}`;
    const out = formatRows(
      [
        { job: 'daily', status: 'failed', error },
        { job: 'fx_to_bronze', status: 'succeeded', error: null },
      ],
      'table',
      undefined,
      { width: 60 },
    );
    const table = out.split('\n').slice(0, -1);
    for (const line of table) expect([...line].length).toBe(60);
    expect(out).toContain('│ daily        │ failed    │ Binder Error: column not fou… │');
    expect(out).toContain('│ fx_to_bronze │ succeeded │ NULL');
  });

  it('keeps a cell with line breaks on its row', () => {
    const out = formatRows([{ sql: 'select 1\nfrom t' }], 'table', undefined, { width: 80 });
    expect(out).toContain('│ select 1 from t │');
  });
});

describe('formatRows for programs', () => {
  it('writes every row as JSON and CSV unless a limit is given', () => {
    const all = rows(20_000);
    expect(JSON.parse(formatRows(all, 'json'))).toEqual(all);
    expect(formatRows(all, 'csv').split('\n')).toHaveLength(20_001);
    expect(JSON.parse(formatRows(all, 'json', undefined, { limit: 5 }))).toEqual(all.slice(0, 5));
    expect(formatRows(all, 'csv', undefined, { limit: 2 })).toBe('id,note\n1,row 1\n2,row 2');
  });

  it('never cuts a long value in JSON or CSV', () => {
    const long = 'x'.repeat(5000);
    expect(JSON.parse(formatRows([{ long }], 'json'))[0].long).toBe(long);
    expect(formatRows([{ long }], 'csv')).toBe(`long\n${long}`);
  });
});
