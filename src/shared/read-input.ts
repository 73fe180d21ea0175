import { readFile } from 'node:fs/promises';
import { AppError } from '../errors.js';

/** Errors of a path that names no file (or a folder along it that is not one). */
const MISSING = new Set(['ENOENT', 'ENOTDIR']);

/**
 * Reads an input file someone named (a rule set, a photo, a pairs file): one that does not
 * exist is INPUT_NOT_FOUND, one that exists but cannot be read (a folder, no permission)
 * INPUT_INVALID with the reason; both name the file in `details.file`.
 */
export async function readInputFile(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? '';
    if (MISSING.has(code))
      throw new AppError('INPUT_NOT_FOUND', `No file ${file}.`, { details: { file }, cause });
    const reason = code === 'EISDIR' ? 'it is a folder' : code || (cause as Error).message;
    throw new AppError('INPUT_INVALID', `Cannot read ${file}: ${reason}.`, { details: { file }, cause });
  }
}
