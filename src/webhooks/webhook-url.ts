import { isIP } from 'node:net';

/**
 * A DNS label: letters, digits, hyphens and underscores (found in real names, though not in
 * host names by the letter), 1 to 63 of them, not starting or ending with a hyphen.
 */
const DNS_LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/i;
/** Longest DNS name, without its final dot. */
const MAX_DNS_NAME = 253;

/**
 * Why a webhook URL cannot be delivered to, if it cannot: port 0, or a host that is neither an
 * IP address nor a DNS name (`https://./x`, `https://-/x`, `https://a..b/x`).
 */
export function hostOrPortProblem(url: URL): string | undefined {
  if (url.port === '0') return 'url must not use port 0; give a port from 1 to 65535 or none.';
  if (isHostName(url.hostname)) return undefined;
  return `url must name a host: an IP address or a DNS name of labels of letters, digits, hyphens and underscores, not starting or ending with a hyphen (${url.hostname || 'none'}).`;
}

/** An IP address (`[…]` for IPv6, as the URL parser writes it) or a DNS name, with or without its final dot. */
function isHostName(hostname: string): boolean {
  if (hostname.startsWith('[')) return isIP(hostname.slice(1, -1)) === 6;
  if (isIP(hostname) === 4) return true;
  const name = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
  return (
    name.length > 0 && name.length <= MAX_DNS_NAME && name.split('.').every((label) => DNS_LABEL.test(label))
  );
}
