import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatEvaluation } from '../src/cli/face.command.js';
import { cli, tempDir } from './helpers.js';
import { PHOTOS, requireFacesDev } from './identity-fixtures.js';

const dataDir = requireFacesDev();
const dir = tempDir('centinela-face-cli-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!dataDir)('centinela face', () => {
  const images = join(dataDir ?? '', 'images');
  const file = (name: keyof typeof PHOTOS) => join(images, PHOTOS[name]);
  const db = join(dir, 'cli.db');

  it('enrolls, verifies (exit code 1 unless it matches) and compares', () => {
    const enrolled = cli(
      'face',
      'enroll',
      '--db',
      db,
      '--user',
      'u1',
      file('alice1'),
      join(dir, 'missing.jpg'),
      '--json',
    );
    expect(enrolled.stderr).toMatch(/identity\.key/);
    expect(enrolled.status).toBe(1);
    const rows = enrolled.json();
    expect(rows[0].template_id).toMatch(/^tpl_/);
    expect(rows[1]).toMatchObject({ error: 'INPUT_NOT_FOUND' });
    const someoneElse = cli('face', 'enroll', '--db', db, '--user', 'u1', file('bob1'), '--json');
    expect([someoneElse.status, someoneElse.json()[0].error]).toEqual([1, 'FACE_MISMATCH']);
    const match = cli('face', 'verify', '--db', db, '--user', 'u1', file('alice2'), '--json');
    expect(match.status).toBe(0);
    expect(match.json()).toMatchObject({ user_id: 'u1', match: true, threshold: 80 });
    const other = cli(
      'face',
      'verify',
      '--db',
      db,
      '--user',
      'u1',
      '--threshold',
      '85',
      file('bob2'),
      '--json',
    );
    expect(other.status).toBe(1);
    expect(other.json()).toMatchObject({ match: false, threshold: 85 });
    const compared = cli('face', 'compare', file('alice1'), file('alice2'), '--json');
    expect(compared.json().face_matches).toHaveLength(1);
  }, 120_000); // four processes, each loading the models

  it('prints the evaluation table for a pairs file in the faces-dev format', () => {
    const pairs = join(dir, 'pairs.tsv');
    const [a1, a2, b1, b2] = [PHOTOS.alice1, PHOTOS.alice2, PHOTOS.bob1, PHOTOS.bob2].map((p) =>
      p.split('/'),
    );
    const line = (x: string[], y: string[], same: number) => [x[0], x[1], y[0], y[1], same].join('\t');
    writeFileSync(
      pairs,
      [
        'person_a\timage_a\tperson_b\timage_b\tsame',
        line(a1!, a2!, 1),
        line(b1!, b2!, 1),
        line(a1!, b1!, 0),
        line(a2!, b2!, 0),
      ].join('\n'),
    );
    const json = cli('face', 'evaluate', '--pairs', pairs, '--images', images, '--workers', '1', '--json');
    expect(json.status).toBe(0);
    const result = json.json();
    expect(result).toMatchObject({
      pairs: 4,
      noFace: 0,
      noFacePairs: 0,
      accuracyAtBest: 1,
      balancedAccuracy: 1,
    });
    expect(result.rates.map((r: { threshold: number }) => r.threshold)).toEqual([70, 80, 90, 99]);
    expect(result.rates[1]).toMatchObject({ falseMatchRate: 0, falseNonMatchRate: 0, n_same: 2, n_diff: 2 });
    const table = formatEvaluation(result);
    expect(table).toMatch(/threshold\s+false_match_rate\s+false_non_match_rate/);
    expect(table).toContain('0.00 % (0 / 2)');
    expect(table).toContain('best-threshold accuracy: 100.00 %');
    expect(table).toMatch(/balanced accuracy .*: 100\.00 %/);
    expect(table).toContain('photos with no face: 0');
    expect(table).toContain('pairs with a photo without a face (scored 0): 0');

    // Bad inputs are named, not INTERNAL: a missing pairs file, a malformed line, no pairs.
    const evaluate = (pairsFile: string) =>
      cli('face', 'evaluate', '--pairs', pairsFile, '--images', images, '--workers', '1', '--json');
    const nope = evaluate(join(dir, 'nope.tsv'));
    expect([nope.status, nope.json().error.code]).toEqual([1, 'INPUT_NOT_FOUND']);
    writeFileSync(pairs, ['person_a\timage_a\tperson_b\timage_b\tsame', line(a1!, a2!, 7)].join('\n'));
    const malformed = evaluate(pairs).json().error;
    expect(malformed).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(malformed.message).toMatch(/^Line 2 of the pairs file/);
    writeFileSync(pairs, 'person_a\timage_a\tperson_b\timage_b\tsame\n');
    expect(evaluate(pairs).json().error.code).toBe('INPUT_INVALID');
  }, 60_000);

  it('checks user ids, movement text and thresholds as the API does, before any work', () => {
    const cases = [
      [['enroll', '--user', '', file('alice1')], '--user must be 1 to 128 characters.'],
      [['enroll', '--user', 'u'.repeat(129), file('alice1')], '--user must be 1 to 128 characters.'],
      [
        ['enroll', '--user', '  ', file('alice1')],
        'The user id must not be blank: it is the account_id of the transactions API.',
      ],
      [
        ['verify', '--user', 'u1', '--movement', 'm'.repeat(129), file('alice1')],
        '--movement must be 0 to 128 characters.',
      ],
      [
        ['verify', '--user', 'u1', '--threshold', 'abc', file('alice1')],
        "--threshold must be a number from 70 to 99.9, not 'abc'.",
      ],
      [
        ['compare', file('alice1'), file('alice2'), '--threshold', '5'],
        "--threshold must be a number from 70 to 99.9, not '5'.",
      ],
    ] as const;
    for (const [args, message] of cases) {
      const withDb = args[0] === 'compare' ? args : [...args, '--db', db];
      const result = cli('face', ...withDb, '--json');
      expect(result.status, args.join(' ')).toBe(1);
      expect(result.json().error, args.join(' ')).toMatchObject({ code: 'VALIDATION_FAILED', message });
    }
    // The blank id is named as the flag, as the API names its path parameter.
    const blank = cli('face', 'enroll', '--user', ' ', file('alice1'), '--db', db, '--json');
    expect(blank.json().error.details).toEqual([expect.objectContaining({ field: '--user', code: 'type' })]);
  });
});
