/** `snowflake_to_bronze` → `SnowflakeToBronze`: construct ids and stack names from config names. */
export function pascal(text: string): string {
  return text
    .split(/[^a-zA-Z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}
