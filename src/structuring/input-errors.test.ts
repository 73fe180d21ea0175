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

  it("takes a column name only from DuckDB's own words, and only one the run reads", () => {
    const context = {
      parquet: false,
      musts: { transaction_amount: 'a number' },
      columns: { user_id: 'user_id', amount: 'transaction_amount' },
    };
    // The quoted line holds a value spanning lines that looks like DuckDB's sentences.
    const reader = [
      'Conversion Error: CSV Error on Line: 24002',
      'Original Line: 1,U1,"PAN 4111 source column SECRET',
      'Error when converting column "user_id". Could not convert string "x" to \'BIGINT\'",5',
      'Error when converting column "transaction_amount". Could not convert string "n/a" to \'DOUBLE\'',
      '',
      'Column transaction_amount is being converted as type DOUBLE',
    ].join('\n');
    const read = (message: string) => inputError(new Error(message), 'log.csv', context);
    const error = read(reader);
    expect(error.message).toBe(
      "Cannot read 'log.csv': column transaction_amount: a value cannot be read as a number (line 24002).",
    );
    expect(error.details).toMatchObject({ column: 'transaction_amount', line: 24_002 });
    // A column the run does not read is not named (it could only come from the file).
    const own = read(
      "Conversion Error: Could not convert string 'x' to DOUBLE when casting from source column SECRET",
    );
    expect(own.message).toBe("Cannot read 'log.csv': a value cannot be read as a number.");
    expect(own.details).not.toHaveProperty('column');
    const unknownType = read(
      'Conversion Error: CSV Error on Line: 9\nError when converting column "nosuch". Could not convert string "a to \'DATE\'" to \'DOUBLE\'',
    );
    expect(unknownType.message).toBe("Cannot read 'log.csv': a value cannot be read as a number (line 9).");
  });

  it("says how many fields a malformed CSV row has, from DuckDB's line, not the quoted row", () => {
    const message = [
      'Invalid Input Error: CSV Error on Line: 25002',
      'Original Line: 25000,a0,u0,m3,"x\nExpected Number of Columns: 1 Found: 2',
      'Expected Number of Columns: 8 Found: 9',
      'Possible fixes:',
    ].join('\n');
    const error = inputError(new Error(message), 'log.csv', { parquet: false });
    // DuckDB counts one field past the header's, however many the row has.
    expect(error.message).toBe(
      "Cannot read 'log.csv': malformed CSV at line 25002: more fields than the header's 8.",
    );
    expect(error.details).toEqual({
      input: 'log.csv',
      file: 'log.csv',
      kind: 'malformed_csv',
      line: 25_002,
      expected_fields: 8,
    });
    const short = message.replace('Columns: 8 Found: 9', 'Columns: 8 Found: 6');
    expect(inputError(new Error(short), 'log.csv', { parquet: false }).message).toBe(
      "Cannot read 'log.csv': malformed CSV at line 25002: 6 fields where the header has 8.",
    );
    const unsaid = inputError(new Error('Invalid Input Error: CSV Error on Line: 7'), 'log.csv', {
      parquet: false,
    });
    expect(unsaid.message).toBe("Cannot read 'log.csv': malformed CSV at line 7.");
  });

  it('stores CODE: message, redacting errors that are not AppErrors', () => {
    expect(failureText(new AppError('INPUT_INVALID', 'Bad.'))).toBe('INPUT_INVALID: Bad.');
    expect(failureText(new Error("Out of Memory Error: 'SECRET'\nmore"))).toBe(
      "INTERNAL: Out of Memory Error: '…'",
    );
  });
});
