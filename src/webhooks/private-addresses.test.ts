import * as dns from 'node:dns';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isPrivateAddress, isPrivateHost, publicOnlyLookup } from './private-addresses.js';

// The real resolver, unless a test says what a name resolves to.
vi.mock('node:dns', async (importOriginal) => {
  const real = await importOriginal<typeof dns>();
  return { ...real, lookup: vi.fn(real.lookup) };
});
afterEach(() => vi.mocked(dns.lookup).mockRestore());

/** A resolver answering `address` for every name (publicOnlyLookup asks for all addresses). */
function resolvingTo(address: string): typeof dns.lookup {
  const fake = (_name: string, _options: unknown, callback: (e: null, all: dns.LookupAddress[]) => void) =>
    callback(null, [{ address, family: 6 }]);
  return fake as unknown as typeof dns.lookup;
}

/** IPv6 addresses that carry a blocked IPv4 address, in each form that embeds one. */
const CARRYING_BLOCKED_IPV4 = [
  '64:ff9b::7f00:1', // NAT64 of 127.0.0.1
  '64:ff9b::a9fe:a9fe', // NAT64 of 169.254.169.254, the metadata service
  '64:ff9b::127.0.0.1',
  '2002:7f00:1::', // 6to4 of 127.0.0.1
  '2002:a00:5::1', // 6to4 of 10.0.0.5
  '::127.0.0.1', // IPv4-compatible
  '::7f00:1', // the same, as the URL parser writes it
  '::a9fe:a9fe',
  '::ffff:0:7f00:1', // IPv4-translated
  '::ffff:0:192.168.1.1',
  '0:0:0:0:0:ffff:7f00:1', // mapped, written out
];

describe('private addresses (webhook SSRF guard)', () => {
  it('blocks loopback, private, shared, link-local, reserved and multicast ranges', () => {
    const blocked = [
      '127.0.0.1',
      '127.255.255.254',
      '0.0.0.0',
      '10.1.2.3',
      '100.64.0.1',
      '169.254.169.254', // the cloud metadata service
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '198.18.0.1',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fe80::1',
      'fd12:3456::1',
      '[::1]',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1', // the same, written in hex
      '::ffff:a9fe:a9fe', // 169.254.169.254
      '64:ff9b::10.0.0.1',
      '64:ff9b:1::a00:1', // local-use NAT64, blocked whole
      'fe80::1%eth0', // with a zone, as a resolver may answer
      '2001:0:4136:e378:8000:63bf:80ff:fffe', // Teredo of 127.0.0.1 (last 32 bits inverted)
      '2001::1',
      '2001:2::1', // benchmarking
    ];
    for (const address of blocked) expect(isPrivateAddress(address), address).toBe(true);
  });

  it('checks the IPv4 address an IPv6 one carries (NAT64, 6to4, compatible, translated, mapped)', () => {
    for (const address of CARRYING_BLOCKED_IPV4) {
      expect(isPrivateAddress(address), address).toBe(true);
      expect(isPrivateHost(`[${address}]`), address).toBe(true);
    }
    // The same forms carrying a public address (8.8.8.8) are public.
    for (const address of ['64:ff9b::808:808', '2002:808:808::1', '::8.8.8.8', '::ffff:0:808:808'])
      expect(isPrivateAddress(address), address).toBe(false);
  });

  it('lets public addresses and names through (names are checked when resolved)', () => {
    for (const address of [
      '8.8.8.8',
      '172.32.0.1',
      '100.128.0.1',
      '2606:4700::1111',
      '::ffff:8.8.8.8',
      '2001:4860::8888',
      '2001:1::1',
    ])
      expect(isPrivateAddress(address), address).toBe(false);
    expect(isPrivateAddress('example.com')).toBe(false);
    expect(isPrivateHost('hooks.example.com')).toBe(false);
  });

  it('treats localhost names as this host', () => {
    for (const host of ['localhost', 'LOCALHOST.', 'api.localhost', '127.0.0.1', '[::1]'])
      expect(isPrivateHost(host), host).toBe(true);
  });

  it('refuses, when connecting, a name that resolves to a private address', async () => {
    const error = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
      publicOnlyLookup('localhost', {}, (e) => resolve(e)),
    );
    expect(error?.code).toBe('EPRIVATEADDRESS');
    expect(error?.message).toContain('private or reserved address');
  });

  it('refuses, when connecting, a name that resolves to an IPv6 address carrying a blocked IPv4 one', async () => {
    for (const address of CARRYING_BLOCKED_IPV4) {
      vi.mocked(dns.lookup).mockImplementationOnce(resolvingTo(address));
      const error = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
        publicOnlyLookup('hooks.example.com', {}, (e) => resolve(e)),
      );
      expect(error?.code, address).toBe('EPRIVATEADDRESS');
    }
  });
});
