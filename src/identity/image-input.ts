import type { Multipart } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { AppError, ValidationError } from '../errors.js';
import { isDecimalText } from '../shared/decimal-text.js';
import { assertStorableFields } from '../shared/unstorable-text.js';
import { DEFAULT_IMAGE_LIMITS } from './face-engine/image-decoder.js';
import { textLength } from '../shared/text-length.js';
import { MAX_TEXT_FIELD } from './identity.schema.js';

/** Images and text fields of a request, from JSON (base64) or multipart/form-data. */
export interface ImageInput {
  readonly images: Readonly<Record<string, Buffer>>;
  readonly fields: Readonly<Record<string, string | number>>;
}

/**
 * Multipart limits: a file part one byte over the image limit is refused as IMAGE_TOO_LARGE.
 * One file more than a route reads (two at most) is let through to be refused by name (not
 * known, or given twice), not as the plugin's 413 "reach files limit"; it is read past, not
 * kept.
 */
export const MULTIPART_LIMITS = {
  fileSize: DEFAULT_IMAGE_LIMITS.maxBytes,
  files: 3,
  fields: 8,
  fieldSize: 4096,
  parts: 10,
} as const;

/**
 * Base64 (standard or URL-safe alphabet), padded or not, with spaces and line breaks anywhere
 * (Node's decoder skips them); checked without copying the text, which for a 7 MB body full
 * of spaces took a second of the event loop.
 */
const BASE64 = /^[A-Za-z0-9+/_\-\t\n\v\f\r ]*(?:=[\t\n\v\f\r ]*){0,2}$/;
/** A data: URL's header: `data:image/jpeg;base64,` (any case). */
const DATA_URL = /^\s*data:[^,]*;base64,/i;

/**
 * The bytes of a base64 image (or a `data:` URL holding one). Text that is not base64 is a
 * 400: Node's decoder skips any character it does not know, so a string with a stray `!`
 * decoded to another image.
 */
function decodeBase64(text: string, field: string): Buffer {
  const header = DATA_URL.exec(text)?.[0] ?? '';
  const base64 = header === '' ? text : text.slice(header.length);
  if (!isBase64(base64)) {
    const message = `${field} must be base64 text (or a data: URL with ;base64, holding it).`;
    throw new ValidationError([{ field, code: 'format', message }], message);
  }
  return Buffer.from(base64, 'base64');
}

/** Base64 whose length fits: with padding a multiple of 4 characters, without it never 1 more. */
function isBase64(text: string): boolean {
  if (!BASE64.test(text)) return false;
  let characters = 0;
  let padding = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === EQUALS) padding++;
    else if (!isSpace(code)) characters++;
  }
  const length = characters + padding;
  return padding > 0 ? length % 4 === 0 : length % 4 !== 1;
}

const EQUALS = 0x3d;

/** The whitespace base64 text may hold: space, tab, line breaks (the characters BASE64 allows). */
function isSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

/** IMAGE_TOO_LARGE for a body over the route's limit: one code for every oversized upload. */
export function bodyTooLarge(bodyLimit: number, cause?: unknown): AppError {
  return new AppError(
    'IMAGE_TOO_LARGE',
    `The request body is over ${bodyLimit} bytes; images are limited to ${MULTIPART_LIMITS.fileSize} bytes.`,
    { cause },
  );
}

/** Reads of a request body raced against its size limit; `stop` once the body is read. */
interface BodySizeLimit {
  within<T>(read: Promise<T>): Promise<T>;
  stop(): void;
}

/**
 * Counts the bytes of a body as they arrive; once past `bodyLimit`, every read `within` it
 * fails with IMAGE_TOO_LARGE. The multipart parser reads past what it truncates (a file over
 * its size limit, a field over 4 KB, anything after the last part) and the route's
 * `bodyLimit` does not apply to it: a 300 MB upload was read to its end before the 413.
 */
function bodySizeLimit(body: NodeJS.ReadableStream, bodyLimit: number): BodySizeLimit {
  let received = 0;
  let fail: (error: AppError) => void = () => undefined;
  const exceeded = new Promise<never>((_, reject) => (fail = reject));
  exceeded.catch(() => undefined); // raced by each read; unobserved when none is pending
  const count = (chunk: Buffer | string): void => {
    received += chunk.length;
    if (received > bodyLimit) fail(bodyTooLarge(bodyLimit));
  };
  body.on('data', count);
  return {
    within: (read) => Promise.race([read, exceeded]),
    stop: () => body.off('data', count),
  };
}

async function fromMultipart(
  request: FastifyRequest,
  imageNames: readonly string[],
  fieldNames: readonly string[],
): Promise<ImageInput> {
  const images: Record<string, Buffer> = {};
  const fields: Record<string, string> = {};
  const parts = request.parts()[Symbol.asyncIterator]();
  const first = parts.next(); // the parser starts reading the body here
  const limit = bodySizeLimit(request.raw, request.routeOptions.bodyLimit ?? MULTIPART_LIMITS.fileSize);
  try {
    for (let next = await limit.within(first); !next.done; next = await limit.within(parts.next())) {
      const part = next.value;
      const refusal = refusalOf(part, { imageNames, fieldNames }, { images, fields });
      if (refusal) {
        if (part.type === 'file') part.file.resume(); // read past, never held in memory
        throw refusal;
      }
      if (part.type === 'file') images[part.fieldname] = await limit.within(part.toBuffer());
      else if (typeof part.value === 'string') fields[part.fieldname] = part.value;
    }
  } catch (error) {
    if (error instanceof AppError) throw error;
    const code = (error as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE') {
      const field = (error as { part?: { fieldname?: string } }).part?.fieldname;
      throw new AppError('IMAGE_TOO_LARGE', `An image is over ${MULTIPART_LIMITS.fileSize} bytes.`, {
        details: { field },
        cause: error,
      });
    }
    if (code === 'FST_PROTO_VIOLATION') throw builtInName(imageNames, fieldNames);
    // The parser's own errors carry no status: the body's fault ("Boundary not found", "Part
    // terminated early"), a 400 saying so, never a 500. The plugin's limits (413) and its
    // own failures keep their status.
    if ((error as { statusCode?: number }).statusCode !== undefined) throw error;
    throw new AppError('BAD_REQUEST', `The multipart body cannot be read: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    limit.stop();
  }
  assertStorableFields(fields); // JSON bodies are checked by the API's hook; multipart fields here
  return { images, fields };
}

/** The part names a route reads: its images (file parts) and its text fields. */
interface PartNames {
  readonly imageNames: readonly string[];
  readonly fieldNames: readonly string[];
}

/** Why a route refuses a part, given the parts already read; undefined when it takes it. */
function refusalOf(
  part: Multipart,
  { imageNames, fieldNames }: PartNames,
  read: { readonly images: object; readonly fields: object },
): ValidationError | undefined {
  const name = part.fieldname as string | undefined; // undefined without name="…"
  const isFile = part.type === 'file';
  if (name === undefined) return namelessPart(imageNames, fieldNames);
  if (imageNames.includes(name)) {
    if (!isFile) return textForFile(name);
    return Object.hasOwn(read.images, name) ? twice(name) : undefined;
  }
  if (fieldNames.includes(name)) {
    if (isFile) return fileForText(name);
    return Object.hasOwn(read.fields, name) ? twice(name) : undefined;
  }
  return unknownPart(name, imageNames, fieldNames);
}

/** What a route reads, for messages: `image (a file), movement, …`. */
function knownParts(imageNames: readonly string[], fieldNames: readonly string[]): string {
  return [...imageNames.map((n) => `${n} (a file)`), ...fieldNames].join(', ');
}

/** A part the route does not read: refused, as JSON bodies refuse an unknown field. */
function unknownPart(
  name: string,
  imageNames: readonly string[],
  fieldNames: readonly string[],
): ValidationError {
  const message = `${name} is not a known field; this route reads ${knownParts(imageNames, fieldNames)}.`;
  return new ValidationError([{ field: name, code: 'additionalProperties', message }], message);
}

/** A part whose Content-Disposition has no name: named '' in the details. */
function namelessPart(imageNames: readonly string[], fieldNames: readonly string[]): ValidationError {
  const message = `A part has no name (Content-Disposition: form-data; name="…"); this route reads ${knownParts(imageNames, fieldNames)}.`;
  return new ValidationError([{ field: '', code: 'required', message }], message);
}

/**
 * A part named after a built-in property (`__proto__`, `toString`, …): the multipart parser
 * refuses it without saying which, so it is named '' in the details.
 */
function builtInName(imageNames: readonly string[], fieldNames: readonly string[]): ValidationError {
  const message = `A part is named after a built-in property (such as __proto__ or toString), which is not a known field; this route reads ${knownParts(imageNames, fieldNames)}.`;
  return new ValidationError([{ field: '', code: 'additionalProperties', message }], message);
}

/** An image sent as a text part (`-F image=photo.jpg` instead of `-F image=@photo.jpg`). */
function textForFile(name: string): ValidationError {
  const message = `${name} must be a file part (curl: -F ${name}=@photo.jpg), not text.`;
  return new ValidationError([{ field: name, code: 'type', message }], message);
}

/** A text field sent as a file part (`-F movement=@x.jpg` instead of `-F movement=payment`). */
function fileForText(name: string): ValidationError {
  const message = `${name} must be a text part (curl: -F ${name}=text), not a file.`;
  return new ValidationError([{ field: name, code: 'type', message }], message);
}

/** Two parts for one image or field: which one is meant cannot be known. */
function twice(name: string): ValidationError {
  const message = `${name} is given twice; send it once.`;
  return new ValidationError([{ field: name, code: 'duplicate', message }], message);
}

function fromJson(body: unknown, imageNames: readonly string[]): ImageInput {
  const record = (body ?? {}) as Record<string, unknown>;
  const images: Record<string, Buffer> = {};
  for (const name of imageNames) {
    const field = name in record ? name : `${name}_base64`;
    const text = record[field];
    if (typeof text === 'string') images[name] = decodeBase64(text, field);
  }
  const fields = Object.fromEntries(
    Object.entries(record).filter(
      (entry): entry is [string, string | number] =>
        typeof entry[1] === 'string' || typeof entry[1] === 'number',
    ),
  );
  return { images, fields };
}

/**
 * Reads the named images (`image` reads `image` or `image_base64`) and the text fields of a
 * JSON or multipart request (`fieldNames`: the text fields the route reads); a missing image
 * is a 400, and so is a multipart part the route does not read (a JSON body's schema refuses
 * an unknown field already).
 */
export async function readImageInput(
  request: FastifyRequest,
  imageNames: readonly string[],
  fieldNames: readonly string[] = [],
): Promise<ImageInput> {
  const input = request.isMultipart()
    ? await fromMultipart(request, imageNames, fieldNames)
    : fromJson(request.body, imageNames);
  const missing = imageNames.filter((name) => !input.images[name] || input.images[name].length === 0);
  if (missing.length > 0) {
    // Name the field as the request did: JSON may send an image as `image_base64`.
    const body = (request.isMultipart() ? undefined : request.body) as Record<string, unknown> | undefined;
    const fieldOf = (name: string) => (body && `${name}_base64` in body ? `${name}_base64` : name);
    throw new ValidationError(
      missing.map((name) => ({
        field: fieldOf(name),
        code: 'required',
        message: `${fieldOf(name)} (an image) is required.`,
      })),
    );
  }
  return input;
}

/** A text field as a number, or undefined; a non-number is a 400. */
export function numberField(input: ImageInput, name: string): number | undefined {
  const raw = input.fields[name];
  if (raw === undefined || raw === '') return undefined;
  const value = typeof raw === 'number' || isDecimalText(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(value)) {
    throw new ValidationError([{ field: name, code: 'type', message: `${name} must be a number.` }]);
  }
  return value;
}

/** A text field as a string of at most 128 characters (code points, as the schema counts), or undefined. */
export function textField(input: ImageInput, name: string): string | undefined {
  const raw = input.fields[name];
  if (raw === undefined || raw === '') return undefined;
  const value = String(raw);
  if (textLength(value) > MAX_TEXT_FIELD) {
    const message = `${name} must be at most ${MAX_TEXT_FIELD} characters.`;
    throw new ValidationError([{ field: name, code: 'maxLength', message }]);
  }
  return value;
}
