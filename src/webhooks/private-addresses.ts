import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * Addresses a webhook must not reach unless the operator allows private networks: this host
 * (loopback, "this network"), private and shared ranges, link-local (the cloud metadata service
 * at 169.254.169.254), and addresses that are no one's (documentation, benchmarking, multicast,
 * reserved). Otherwise any key with the `webhooks:admin` scope could make the service send
 * requests inside the network it runs in (server-side request forgery).
 */
const BLOCKED = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  BLOCKED.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  // Teredo: tunnels to the IPv4 address of a host behind NAT (obfuscated in its last 32 bits),
  // through a relay; no webhook receiver is reached that way. Blocked whole, as is benchmarking.
  ['2001::', 32],
  ['2001:2::', 48],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  BLOCKED.addSubnet(network, prefix, 'ipv6');

/**
 * IPv6 forms that carry an IPv4 address, checked as that address: mapped `::ffff:0:0/96`,
 * translated `::ffff:0:0:0/96`, IPv4-compatible `::/96` (`::` and `::1` carry 0.0.0.0 and
 * 0.0.0.1, blocked too), NAT64 `64:ff9b::/96`, and 6to4 `2002::/16` (the IPv4 address in the
 * 2nd and 3rd groups). Each: its leading 16-bit groups, and the group the IPv4 address starts at.
 */
const IPV4_CARRIERS: readonly { readonly prefix: readonly number[]; readonly at: number }[] = [
  { prefix: [0, 0, 0, 0, 0, 0xffff], at: 6 },
  { prefix: [0, 0, 0, 0, 0xffff, 0], at: 6 },
  { prefix: [0, 0, 0, 0, 0, 0], at: 6 },
  { prefix: [0x64, 0xff9b, 0, 0, 0, 0], at: 6 },
  { prefix: [0x2002], at: 1 },
];

/** Whether `address` (an IP literal) lies in a range a webhook must not reach. */
export function isPrivateAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const version = isIP(bare);
  if (version === 4) return BLOCKED.check(bare, 'ipv4');
  if (version !== 6) return false;
  const carried = carriedIpv4(ipv6Groups(bare));
  return carried ? BLOCKED.check(carried, 'ipv4') : BLOCKED.check(bare, 'ipv6');
}

/** The IPv4 address an IPv6 address carries ({@link IPV4_CARRIERS}), dotted, if it carries one. */
function carriedIpv4(groups: readonly number[]): string | undefined {
  const carrier = IPV4_CARRIERS.find(({ prefix }) => prefix.every((group, i) => groups[i] === group));
  if (!carrier) return undefined;
  const [high = 0, low = 0] = groups.slice(carrier.at, carrier.at + 2);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/**
 * The eight 16-bit groups of an IPv6 address `isIP` accepts: `::` expanded, a dotted IPv4
 * tail (`::ffff:127.0.0.1`) as two groups.
 */
function ipv6Groups(address: string): number[] {
  const [head = '', tail] = address.split('::');
  const left = groupsOf(head);
  const right = tail === undefined ? [] : groupsOf(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

function groupsOf(part: string): number[] {
  if (part === '') return [];
  return part.split(':').flatMap((group) => {
    if (!group.includes('.')) return [parseInt(group, 16)];
    const [a = 0, b = 0, c = 0, d = 0] = group.split('.').map(Number);
    return [(a << 8) | b, (c << 8) | d];
  });
}

/** Whether a URL's host names this machine or a blocked address without a DNS lookup. */
export function isPrivateHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return host === 'localhost' || host.endsWith('.localhost') || isPrivateAddress(host);
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for `http.request` that refuses a host resolving to a blocked address, at the
 * moment of connecting (a check before sending could be passed by a name that resolves
 * elsewhere a second later).
 */
export function publicOnlyLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    const blocked = addresses.find((a) => isPrivateAddress(a.address));
    if (blocked) {
      const refusal: NodeJS.ErrnoException = new Error(
        `${hostname} resolves to ${blocked.address}, a private or reserved address (CENTINELA_WEBHOOK_ALLOW_PRIVATE_NETWORKS=true allows it)`,
      );
      refusal.code = 'EPRIVATEADDRESS';
      return callback(refusal, []);
    }
    if (options.all) return callback(null, addresses);
    const first = addresses[0];
    return first
      ? callback(null, first.address, first.family)
      : callback(new Error(`${hostname}: no address`), []);
  });
}
