import { describe, expect, it } from 'vitest';
import { isPrivateAddress, isPrivateHost, publicOnlyLookup } from './private-addresses.js';

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
    ];
    for (const address of blocked) expect(isPrivateAddress(address), address).toBe(true);
  });

  it('lets public addresses and names through (names are checked when resolved)', () => {
    for (const address of ['8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])
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
});
