/**
 * Whether the query string of `url` decodes: Fastify's parser keeps a `%` escape that is
 * malformed (`?a=100%`) or not UTF-8 (`?actor=%FF`) as literal text, while the same bytes in
 * a path are refused. Only URLs holding a `%` after the `?` are looked at.
 */
export function queryDecodes(url: string): boolean {
  const start = url.indexOf('?');
  if (start < 0 || !url.includes('%', start)) return true;
  try {
    decodeURIComponent(url.slice(start + 1).replaceAll('+', ' '));
    return true;
  } catch {
    return false;
  }
}
