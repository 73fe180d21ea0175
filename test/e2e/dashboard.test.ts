import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePrototype, PROTOTYPE_SCHEMA } from '../../src/models/generators/prototype.generator.js';
import { trainModel } from '../../src/models/train.js';
import { insertRuleSet } from '../../src/rules/rule-set.repository.js';
import { generateLedger } from '../../src/structuring/ledger.generator.js';
import { ADMIN_KEY, CLI_ENV, startTestService, tempDir, type TestService } from '../helpers.js';
import { PHOTOS, requireFacesDev } from '../identity-fixtures.js';
import { ensureDashboardBuilt, launchBrowser, screenshot, type Browser } from './browser.js';

// One service and one browser for the whole journey; the steps run in order.
describe('dashboard in a real browser', () => {
  let t: TestService;
  let browser: Browser;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    ensureDashboardBuilt();
    t = await startTestService();
    base = await t.service.app.listen({ port: 0, host: '127.0.0.1' });
    browser = await launchBrowser();
    page = browser.page;
    page.setDefaultTimeout(15_000);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.destroy();
  });

  const stat = (label: string) => page.locator(`[data-stat="${label}"]`);
  const postMany = async (n: number, amount = 50) => {
    for (let i = 0; i < n; i++) {
      const body = {
        account_id: `acc-${i % 5}`,
        amount: amount + i,
        origin_country: 'ES',
        destination_country: i % 3 ? 'ES' : 'FR',
      };
      expect((await t.post(body)).statusCode).toBe(200);
    }
  };

  /** `centinela simulate` against the service: `rate` transactions a second for `seconds`; resolves with its summary. */
  const simulate = (rate: number, seconds: number) =>
    new Promise<{ sent: number; errors: number }>((resolve, reject) => {
      const args = ['--import', 'tsx', 'src/cli/main.ts', 'simulate', '--rate', String(rate)];
      const sim = spawn(
        process.execPath,
        [...args, '--duration', String(seconds), '--target', base, '--api-key', ADMIN_KEY, '--json'],
        { env: CLI_ENV },
      );
      let out = '';
      sim.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      sim.on('exit', (code) =>
        code === 0
          ? resolve(JSON.parse(out) as { sent: number; errors: number })
          : reject(new Error(`simulate exited ${code}`)),
      );
    });

  it('asks for a key, refuses a wrong one, and signs in with a good one', async () => {
    await page.goto(`${base}/`);
    await expect.poll(() => page.getByLabel('API key').isVisible()).toBe(true);
    await screenshot(page, '01-sign-in');
    await page.getByLabel('API key').fill('not-a-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('unknown, revoked or expired').waitFor();
    await page.getByLabel('API key').fill(ADMIN_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.getByText('No transactions in this window yet.').waitFor();
    await screenshot(page, '02-overview-empty');
  });

  it('shows live counters moving while the simulator runs', async () => {
    await page.locator('.dot-on').waitFor();
    expect(await stat('Approved').textContent()).toBe('0');
    const sending = simulate(10, 4).then((summary) => expect(summary).toMatchObject({ sent: 40, errors: 0 }));
    await expect
      .poll(async () => Number(await stat('Approved').textContent()), { timeout: 15_000 })
      .toBeGreaterThan(0);
    await sending;
    await expect
      .poll(() => page.getByTestId('live-rate').textContent(), { timeout: 15_000 })
      .not.toBe('0 tx/s');
    await postMany(3, 12_500);
    await expect
      .poll(async () => Number(await stat('Reviewed').textContent()), { timeout: 15_000 })
      .toBeGreaterThan(0);
    // The window's tiles catch up with the last transaction of the burst, without a reload.
    await expect.poll(() => stat('Transactions').textContent(), { timeout: 15_000 }).toBe('43');
    await page.getByRole('button', { name: 'Sign out' }).focus();
    await page.reload();
    await page.getByRole('img', { name: 'Decisions over time by outcome' }).waitFor();
    await page.locator('.recharts-bar-rectangle').first().waitFor();
    await screenshot(page, '03-overview');
    // Over seven days the time axis names the day ('Dec 6, 09:00 PM'), not only the time.
    await page.getByRole('combobox', { name: 'Window' }).selectOption('7d');
    const ticks = page.locator('.recharts-xAxis-tick-labels .recharts-cartesian-axis-tick-value');
    await expect
      .poll(async () => (await ticks.allTextContents()).join(' | '))
      .toMatch(/[A-Z][a-z]{2} \d{1,2}, /);
    await screenshot(page, '03b-overview-7d');
    await page.getByRole('combobox', { name: 'Window' }).selectOption('1h');
  });

  it('lists transactions, opens one and labels it fraud', async () => {
    await page.goto(`${base}/#/transactions`);
    await page.locator('table.data tbody tr').first().waitFor();
    expect(await page.locator('table.data tbody tr').count()).toBe(25);
    await postMany(2, 7);
    const bar = page.getByTestId('new-transactions');
    await bar.getByText('2 new transactions since this list loaded.').waitFor();
    await bar.getByRole('button', { name: 'Show newest' }).click();
    await bar.waitFor({ state: 'detached' });
    await page.locator('table.data tbody').getByText('$8.00', { exact: true }).waitFor();
    // A five-digit year is refused next to the form (it blanked the whole app: Invalid time value).
    await page.getByLabel('From').fill('20266-12-06T10:30');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('From must be a date and time with a year from 1 to 9999.').waitFor();
    await page.getByRole('heading', { name: 'Transactions' }).waitFor();
    await page.getByLabel('From').fill('');
    await page.getByLabel('Decision').selectOption('review');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.locator('table.data tbody .badge-approve').count()).toBe(0);
    expect(await page.locator('table.data tbody .badge-review').count()).toBeGreaterThan(0);
    await screenshot(page, '04-transactions');
    await page.locator('table.data tbody tr a').first().click();
    await page.getByRole('heading', { name: 'Reasons' }).waitFor();
    await page.locator('.reasons-list li').first().waitFor();
    await page.getByRole('button', { name: 'Label fraud' }).click();
    await expect.poll(() => page.getByTestId('current-label').textContent()).toContain('fraud');
    await screenshot(page, '05-transaction-detail');
    const id = decodeURIComponent(page.url().split('/').pop()!);
    const stored = await t.request({ method: 'GET', url: `/v1/transactions/${id}` });
    expect(stored.json().label.label).toBe('fraud');
    // Changing a label asks first; declined, it stays. The current label's button is off.
    expect(await page.getByRole('button', { name: 'Label fraud' }).isDisabled()).toBe(true);
    const asked = new Promise<string>((resolve) =>
      page.once('dialog', (dialog) => {
        resolve(dialog.message());
        void dialog.dismiss();
      }),
    );
    await page.getByRole('button', { name: 'Label legit' }).click();
    expect(await asked).toMatch(/^This transaction is labelled fraud by .+\. Change it to legit\?$/);
    expect((await t.request({ method: 'GET', url: `/v1/transactions/${id}` })).json().label.label).toBe(
      'fraud',
    );
    // Another analyst labels it legit meanwhile, and this page still shows fraud: a change made
    // here is refused (409) naming who labelled it, and the page shows the new label.
    await t.request({ method: 'POST', url: `/v1/transactions/${id}/label`, payload: { label: 'legit' } });
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Label legit' }).click();
    await page
      .getByRole('alert')
      .getByText(/is labelled legit by .+, not fraud as expected/)
      .waitFor();
    await expect.poll(() => page.getByTestId('current-label').textContent()).toContain('legit');
    await screenshot(page, '05b-label-conflict');
    // Account ids are matched as typed: one may hold spaces at its ends.
    expect((await t.post({ account_id: '  spaced  ', amount: 31.5 })).statusCode).toBe(200);
    await page.goto(`${base}/#/transactions`);
    await page.getByLabel('Account').fill('  spaced  ');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.locator('table.data tbody').getByText('$31.50', { exact: true }).waitFor();
    expect(await page.locator('table.data tbody tr').count()).toBe(1);
    expect(
      await page
        .locator('table.data tbody')
        .getByText(/^received /)
        .count(),
    ).toBe(0);
    // The list is in arrival order: a transaction sent hours after its own time says when it came.
    const threeHoursAgo = new Date(Date.now() - 3 * 3_600_000).toISOString();
    await t.post({ account_id: 'late', amount: 12.25, timestamp: threeHoursAgo });
    await page.getByLabel('Account').fill('late');
    await page.getByRole('button', { name: 'Apply' }).click();
    const late = page.locator('table.data tbody tr', { hasText: '$12.25' });
    await late.getByText('3 hours ago').waitFor();
    await late.getByText(/^received (now|\d+ seconds? ago)$/).waitFor();
    // Features are shown as rules compare them: 904 / 1000 is 0.904 (> 0.9), not 0.9.
    await t.post({ transaction_id: 'low-balance', account_id: 'lb', amount: 904, balance: 1000 });
    await page.goto(`${base}/#/transactions/low-balance`);
    await page.getByText('0.904', { exact: true }).waitFor();
  });

  it('edits a rule: refuses an invalid one, backtests and saves a valid one', async () => {
    await page.goto(`${base}/#/rules`);
    const editor = page.getByLabel('Rule set document (JSON)');
    await editor.waitFor();
    const original = await editor.inputValue();
    await editor.fill(original.replace('amount > 10000', 'amount >>> 10000'));
    await page.getByRole('button', { name: 'Validate & save' }).click();
    await page.getByText('Not saved: the rule set has problems.').waitFor();
    await editor.fill('null');
    await page.getByRole('button', { name: 'Validate', exact: true }).click();
    await page.getByText('A rule set is a JSON object', { exact: false }).waitFor();
    await editor.fill(original.replace('amount > 10000', 'amount > 5000'));
    await page.getByRole('button', { name: 'Backtest' }).click();
    await page.getByText(/Backtest over 48 stored decisions: \d+ would change/).waitFor();
    await page.getByRole('button', { name: 'Validate & save' }).click();
    await page.getByText('Saved and activated as version 2.').waitFor();
    await page.getByText('Active: v2').waitFor();
    await screenshot(page, '06-rules-models');
    const active = await t.request({ method: 'GET', url: '/v1/rules' });
    expect(JSON.stringify(active.json())).toContain('amount > 5000');
    // Activating v1 from the table starts the editor again from v1 (it kept v2's text).
    await page.getByRole('button', { name: 'Activate v1' }).click();
    await page.getByText('Active: v1').waitFor();
    await expect.poll(() => editor.inputValue()).toContain('amount > 10000');
    expect(await page.getByText('Saved and activated as version 2.').count()).toBe(0);
    // A version made active elsewhere that cannot be evaluated: the page says the service
    // refused it and keeps the one it shows.
    const broken = await insertRuleSet(t.service.store.db, {
      name: 'hand',
      document: original.replace('amount > 10000', 'amount >> 10000'),
      createdBy: 'test',
      activate: true,
      now: Date.now(),
    });
    await t.service.rules.refresh().catch(() => undefined);
    await page.reload();
    await page
      .getByRole('alert')
      .getByText(`Version ${broken} is marked active but cannot be evaluated, so the service keeps using v1`)
      .waitFor();
    await page.getByText('In use: v1').waitFor();
    await page.locator('table.data').getByText('active, refused').waitFor();
    await screenshot(page, '06b-rules-refused');
    await t.request({ method: 'POST', url: '/v1/rules/versions/2/activate' });
  });

  it('marks a model trained on inputs the live scorer does not have, before it is activated', async () => {
    const records = generatePrototype({ samples: 1500, seed: 3 });
    const trained = await trainModel({ records, algorithm: 'gbdt', seed: 1, schema: PROTOTYPE_SCHEMA });
    const { version } = await t.service.models.register(trained, 'generator:prototype');
    await page.goto(`${base}/#/rules`);
    await page.reload(); // the page was open already: read the models again
    const row = page.locator('table.data tr', { hasText: version, has: page.getByRole('note') });
    await row.getByRole('note').getByText('the live scorer has no hour, user_history').waitFor();
    await row.getByText('not live-ready').waitFor();
    await screenshot(page, '06c-models-unserved');
  });

  it('shows the empty structuring page, then a run started over a ledger file, and its HTML report', async () => {
    await page.goto(`${base}/#/structuring`);
    await page.getByText('No structuring run yet.').waitFor();
    const ledger = join(t.dir, 'ledger.parquet');
    await generateLedger({ users: 40, days: 7, out: ledger, seed: 3, structuringShare: 0.25 });
    const started = await t.request({
      method: 'POST',
      url: '/v1/structuring/runs',
      payload: { input: ledger, methods: ['rules', 'zscore', 'iforest'] },
    });
    expect(started.statusCode).toBe(202);
    const runId = String(started.json().run_id);
    const status = async () =>
      String((await t.request({ url: `/v1/structuring/runs/${runId}` })).json().status);
    await expect.poll(status, { timeout: 60_000, interval: 250 }).toBe('succeeded');
    await page.reload();
    await page.getByRole('button', { name: runId }).waitFor();
    await page.getByRole('heading', { name: 'Alerts by method' }).waitFor();
    await page.getByRole('heading', { name: 'Hour of day (UTC) × method' }).waitFor();
    await page.locator('.recharts-bar-rectangle').first().waitFor();
    await page.getByText('Per cell: 0').waitFor();
    await screenshot(page, '07-structuring');
    const opened = page.waitForEvent('popup');
    await page.getByRole('button', { name: 'Open the HTML report' }).click();
    const report = await opened;
    await report.getByRole('heading', { name: 'Structuring detection report' }).waitFor();
    expect(await report.title()).toBe(`Structuring run ${runId}`);
    await screenshot(report, '07b-structuring-report');
    await report.close();
  });

  it('enrolls a face, then verifies another photo of the same person, on the identity page', async () => {
    const photos = await identityPhotos();
    await page.goto(`${base}/#/identity`);
    await page.getByText('No verification attempt yet.').waitFor();
    await page.getByLabel('User id').fill('user-1');
    await page.getByLabel(/Photo/).setInputFiles(photos.enroll);
    await page.getByRole('button', { name: 'Enroll' }).click();
    if (!photos.faces) {
      // Without faces-dev the generated picture has no face: enrollment is refused, visibly.
      await page.getByRole('alert').getByText('No face was found').waitFor();
      await screenshot(page, '08-identity');
      return;
    }
    await page.getByTestId('face-result').getByText('Enrolled a reference face for user-1.').waitFor();
    await page.getByLabel(/Photo/).setInputFiles(photos.verify);
    await page.getByRole('button', { name: 'Verify' }).click();
    const result = page.getByTestId('face-result').getByText(/^Match \(similarity/);
    await result.waitFor({ timeout: 30_000 });
    const row = page.locator('table.data tbody tr').first();
    await row.getByText('match', { exact: true }).waitFor();
    expect(await row.textContent()).toContain('user-1');
    const log = (await t.request({ method: 'GET', url: '/v1/verifications?user_id=user-1' })).json();
    expect(log.items).toMatchObject([{ user_id: 'user-1', result: 'match', match: true }]);
    await page.getByText('No attempt was rejected.').waitFor();
    await screenshot(page, '08-identity');
  });

  it('is usable on a 390 px wide screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const pages = [
      ['overview', '09-overview-narrow', '.recharts-bar-rectangle'],
      ['transactions', '10-transactions-narrow', 'table.data tbody tr'],
      ['rules', '10a-rules-narrow', 'table.data tbody tr'],
      ['structuring', '10b-structuring-narrow', 'table.heatmap'],
      ['identity', '10c-identity-narrow', 'table.data tbody tr, .empty'],
    ] as const;
    for (const [route, name, ready] of pages) {
      await page.goto(`${base}/#/${route}`);
      await page.locator(ready).first().waitFor();
      await expect.poll(() => page.getByText('Loading…').count()).toBe(0);
      const overflow = await page.evaluate<number>(
        'document.documentElement.scrollWidth - window.innerWidth',
      );
      expect(overflow, `${route} scrolls sideways`).toBeLessThanOrEqual(1);
      // Every page link fits on screen (the navigation wraps instead of scrolling).
      for (const link of await page.getByRole('navigation', { name: 'Pages' }).getByRole('link').all()) {
        const box = (await link.boundingBox())!;
        expect(box.x + box.width, `${await link.textContent()} is off-screen`).toBeLessThanOrEqual(390);
      }
      await screenshot(page, name);
    }
    // No amount is cut off: the transactions table fits its container.
    await page.goto(`${base}/#/transactions`);
    const table = page.locator('.table-scroll').first();
    await table.locator('tbody tr').first().waitFor();
    expect(await table.evaluate((el) => el.scrollWidth - el.clientWidth)).toBeLessThanOrEqual(1);
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('moves by keyboard: skip link first, then the navigation; charts add no Tab stops', async () => {
    await page.goto(`${base}/#/overview`);
    await page.reload();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.locator('.recharts-bar-rectangle').first().waitFor();
    const focused = () => page.evaluate<string | undefined>('document.activeElement?.textContent');
    expect(await page.locator('.chart [tabindex]:not([tabindex="-1"])').count()).toBe(0);
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Skip to content');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Overview');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Transactions' }).waitFor();
    // The skip link moves the focus to the page, and stays on it.
    await page.getByRole('link', { name: 'Skip to content' }).focus();
    await page.keyboard.press('Enter');
    expect(new URL(page.url()).hash).toBe('#/transactions');
    await page.getByRole('heading', { name: 'Transactions' }).waitFor();
    expect(await page.evaluate<string | undefined>('document.activeElement?.id')).toBe('main');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Refresh');
  });

  it('explains a missing scope, and forgets the key on sign-out', async () => {
    const created = await t.request({
      method: 'POST',
      url: '/v1/keys',
      payload: { name: 'viewer', scopes: ['dashboard'] },
    });
    const viewerKey: string = created.json().key;
    await page.getByRole('button', { name: 'Sign out' }).click();
    expect(await page.evaluate<number>('sessionStorage.length')).toBe(0);
    await page.getByLabel('API key').fill(viewerKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.goto(`${base}/#/transactions`);
    await page.getByText("Your key lacks the 'transactions:read' scope.").waitFor();
    await screenshot(page, '11-forbidden');
    await page.goto(`${base}/#/rules`);
    const rulesRead = page.getByText("Your key lacks the 'rules:read' scope.");
    await rulesRead.first().waitFor();
    expect(await rulesRead.count()).toBe(1); // not once for the active set and again for its versions
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    await page.reload();
    await page.getByLabel('API key').waitFor();
  });
});

/**
 * Two photos of one person from faces-dev (the identity tests' pair, known to pass the
 * liveness check); without faces-dev, a generated picture with no face.
 */
async function identityPhotos(): Promise<{ faces: boolean; enroll: string; verify: string }> {
  const faces = requireFacesDev();
  if (faces) {
    const file = (name: keyof typeof PHOTOS) => join(faces, 'images', PHOTOS[name]);
    return { faces: true, enroll: file('alice1'), verify: file('alice2') };
  }
  const path = join(tempDir('centinela-photo-'), 'plain.jpg');
  const image = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#c8a080' } })
    .jpeg()
    .toBuffer();
  writeFileSync(path, image);
  return { faces: false, enroll: path, verify: path };
}
