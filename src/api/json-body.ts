import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';
import { noteParsedJson } from '../shared/unstorable-text.js';

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
    // No body at all (a DELETE or an action POST sent with the JSON content type): no value, as
    // without the header; a route that needs a body then says so by its schema.
    if (bytes.length === 0) {
      done(null, undefined);
      return;
    }
    if (!isUtf8(bytes)) {
      done(new AppError('INVALID_JSON', 'The body is not valid UTF-8, as JSON must be.'), undefined);
      return;
    }
    const text = bytes.toString('utf8');
    void parseJson(request, text, (error, body) => {
      if (!error) noteParsedJson(body, text);
      done(error && refusalOf(error, text), body);
    });
  });
}

/**
 * Fastify's parser says only "invalid JSON", also for valid JSON it refuses because it holds a
 * `__proto__` or `constructor.prototype` key: that case says so (found out by parsing again,
 * on this error path only).
 */
function refusalOf(error: Error, text: string): Error {
  try {
    JSON.parse(text);
  } catch {
    return error; // really not JSON
  }
  return new AppError(
    'INVALID_JSON',
    'The body holds a __proto__ or constructor.prototype key, which is refused.',
  );
}
