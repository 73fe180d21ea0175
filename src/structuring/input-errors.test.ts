import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { failureText, inputError, redact } from './input-errors.js';

describe('structuring input errors', () => {
  it('redacts quoted text, values and every line after the first', () => {
    const raw =
      'Conversion Error: Could not convert string \'SECRET\' to DOUBLE when casting from source column amount\n\nLINE 6: CAST("amount" AS DOUBLE)';
    expect(redact(raw)).toBe(
      "Conversion Error: Could not convert string '…' to DOUBLE when casting from source column amount",
    );
    expect(redact("Type DOUBLE with value 1e+300 can't be cast")).toBe(
      "Type DOUBLE with value … can't be cast",
    );
  });

  it('names the file, the column and what it must be, and keeps AppErrors as they are', () => {
    const error = inputError(
      new Error(
        "Conversion Error: Could not convert string 'SECRET' to DOUBLE when casting from source column amt",
      ),
      'logs/*.csv',
      { parquet: false, musts: { amt: 'a number' } },
    );
    expect(error).toMatchObject({
      code: 'INPUT_INVALID',
      message: "Cannot read 'logs/*.csv': column amt: a value cannot be read as a number.",
      details: { input: 'logs/*.csv', file: 'logs/*.csv', kind: 'bad_value', column: 'amt' },
    });
    const parquet = inputError(
      new Error("Invalid Input Error: No magic bytes found at end of file 'logs/b.parquet'"),
      'logs/*.parquet',
      { parquet: true },
    );
    expect(parquet.message).toBe(
      "Cannot read 'logs/b.parquet': not a Parquet file (or a truncated or corrupt one).",
    );
    const own = new AppError('INPUT_NOT_FOUND', 'No file.');
    expect(inputError(own, 'x.csv', { parquet: false })).toBe(own);
  });

  it('stores CODE: message, redacting errors that are not AppErrors', () => {
    expect(failureText(new AppError('INPUT_INVALID', 'Bad.'))).toBe('INPUT_INVALID: Bad.');
    expect(failureText(new Error("Out of Memory Error: 'SECRET'\nmore"))).toBe(
      "INTERNAL: Out of Memory Error: '…'",
    );
  });
});
