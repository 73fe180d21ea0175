import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isPrivateHost, publicOnlyLookup } from './private-addresses.js';

/** How a webhook POST is made: its time limit and whether private addresses may be reached. */
export interface PostOptions {
  readonly timeoutMs: number;
  /** False (the default configuration): a host that is, or resolves to, a private address is refused. */
  readonly allowPrivateNetworks: boolean;
}

/**
 * POSTs `body` to `url` and resolves with the answer's status (redirects are not followed: a
 * 3xx is the answer). Rejects on a network error, the time limit, or a private address when
 * those are not allowed: an IP literal is checked here, a name when it is resolved, so a name
 * that resolves elsewhere once checked cannot pass.
 */
export function postWebhook(
  url: string,
  headers: Readonly<Record<string, string>>,
  body: string,
  options: PostOptions,
): Promise<number> {
  const target = new URL(url);
  if (!options.allowPrivateNetworks && isPrivateHost(target.hostname))
    return Promise.reject(new Error(`${target.hostname} is a private or reserved address`));
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        signal: AbortSignal.timeout(options.timeoutMs),
        ...(options.allowPrivateNetworks ? {} : { lookup: publicOnlyLookup }),
      },
      (response) => {
        response.on('error', () => undefined); // the time limit may end a body still arriving
        response.resume(); // the answer's body is not read
        resolve(response.statusCode ?? 0);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}
