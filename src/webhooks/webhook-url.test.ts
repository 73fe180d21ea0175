import { describe, expect, it } from 'vitest';
import { hostOrPortProblem } from './webhook-url.js';

/** Why a URL is refused, or undefined if it passes. */
const refusal = (url: string) => hostOrPortProblem(new URL(url));

describe('webhook URL host and port', () => {
  it('refuses port 0 and hosts that are not DNS names or IP addresses', () => {
    for (const url of [
      'https://example.com:0/x',
      'http://[::1]:0/x',
      'https://./x',
      'https://-/x',
      'https://a..b/x',
      'https://-hooks.example.com/x',
      'https://hooks-.example.com/x',
      `https://${'a'.repeat(64)}.com/x`,
      `https://${'a.'.repeat(127)}com/x`,
    ])
      expect(refusal(url), url).toMatch(/^url must /);
    expect(refusal('https://example.com:0/x')).toContain('port 0');
    expect(refusal('https://-/x')).toContain('(-)');
  });

  it('lets DNS names, IP addresses and ports 1 to 65535 through', () => {
    for (const url of [
      'https://example.com/x',
      'https://hooks_1.example.com/x',
      'https://example.com.:8443/x',
      'http://a-b.c1.example:1/x',
      'https://bücher.example/x', // xn--bcher-kva.example
      `https://${'a'.repeat(63)}.com:65535/x`,
      'https://203.0.113.9/x',
      'https://[2606:4700::1111]/x',
    ])
      expect(refusal(url), url).toBeUndefined();
  });
});
