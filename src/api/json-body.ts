import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';

/**
 * JSON bodies are parsed as Fastify does by default (a `__proto__` or `constructor.prototype`
 * key is refused), after checking that they are UTF-8, as JSON must be (RFC 8259). Decoding
 * turns invalid bytes into U+FFFD, so two different ids such as `"a\xff"` and `"a\xfe"` were
 * read as one, and the second transaction was answered as a replay of the first and lost.
 */
export function registerJsonBodyParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    if (!isUtf8(bytes)) {
      done(new AppError('INVALID_JSON', 'The body is not valid UTF-8, as JSON must be.'), undefined);
      return;
    }
    void parseJson(request, bytes.toString('utf8'), done);
  });
}
