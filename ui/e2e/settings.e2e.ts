// Main window, Settings › Security: interactive access, saving logins, saved logins, 2FA.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { callsOf, shot, startHarness, type Harness } from './harness';
import { TOTP } from './fake-backend';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});
afterEach(() => {
  const problems = h.problems.splice(0);
  expect(problems).toEqual([]);
});

async function security(config = {}): Promise<Page> {
  const page = await h.open('index.html#security', config);
  await page.getByRole('heading', { name: 'Security', level: 1 }).waitFor();
  await page.locator('tbody tr').first().waitFor();
  return page;
}

const banner = (page: Page, code: string) => page.locator(`[role=alert][data-code="${code}"]`);

describe('security settings', () => {
  it('sets interactive access with the radio group, and follows outside changes', async () => {
    const page = await security();
    await shot(page, 'settings-security');
    const always = page.getByLabel('Always show incoming requests');
    await expect(always.isChecked()).resolves.toBe(true);
    // Keyboard: arrows move within the radio group.
    await always.focus();
    await page.keyboard.press('ArrowDown');
    await expect(page.getByLabel('Only while the Latchkey window is open').isChecked()).resolves.toBe(true);
    await page.getByLabel('Never show requests (exclusive unattended access)').check();
    await expect.poll(() => callsOf(page, 'set_interactive')).toEqual([{ mode: 'window' }, { mode: 'never' }]);
    await page.evaluate(() => window.__latchkeyMock!.backend.external({ interactive: 'always' }));
    await expect.poll(() => always.isChecked()).toBe(true);
    await page.close();
  });

  it('toggles saving login information', async () => {
    const page = await security();
    const toggle = page.getByRole('switch', { name: 'Allow other computers to save login information' });
    await expect(toggle.getAttribute('aria-checked')).resolves.toBe('false');
    await toggle.press('Space');
    await expect.poll(() => toggle.getAttribute('aria-checked')).toBe('true');
    expect(await callsOf(page, 'set_save_login')).toEqual([{ on: true }]);
    await page.close();
  });

  it('revokes one saved login, then all of them after confirming', async () => {
    const page = await security();
    await expect(page.locator('tbody tr').count()).resolves.toBe(4);
    await page.getByRole('button', { name: 'Revoke the saved login Office desktop' }).click();
    await page.getByText('Revoked the saved login “Office desktop”.').waitFor();
    await expect.poll(() => page.locator('tbody tr').count()).toBe(3);
    await page.getByRole('button', { name: 'Clear all' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Revoke all saved logins?' });
    await dialog.waitFor();
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Cancel');
    await expect(dialog.innerText()).resolves.toMatch(/3 computers will need the profile password/);
    await shot(page, 'settings-clear-tokens-confirm');
    await dialog.getByRole('button', { name: 'Revoke all 3' }).click();
    await page.getByText('3 saved logins revoked.').waitFor();
    await page.getByText('No computer has a saved login.').waitFor();
    await page.close();
  });

  it('enrols 2FA: QR and key, a wrong code, then recovery codes shown once', async () => {
    const page = await security();
    await page.getByRole('button', { name: 'Set up two-factor authentication' }).click();
    const enroll = page.getByTestId('enrollment');
    await enroll.waitFor();
    const img = enroll.getByRole('img', { name: /QR code/ });
    await expect.poll(() => img.evaluate((i) => (i as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
    await enroll.getByText('Can’t scan it? Enter this key instead').click();
    await expect(enroll.getByTestId('tfa-secret').innerText()).resolves.toBe('JBSW Y3DP EHPK 3PXP JBSW Y3DP');
    await expect(page.getByTestId('tfa-state').innerText()).resolves.toBe('Setup not finished');
    await shot(page, 'settings-2fa-enroll');

    await enroll.getByLabel('Enter the 6-digit code the app shows').fill('000000');
    await enroll.getByRole('button', { name: 'Turn on' }).click();
    await banner(page, 'second_factor_invalid').getByText('Code not accepted').waitFor();
    await enroll.getByLabel('Enter the 6-digit code the app shows').fill(TOTP);
    await enroll.getByRole('button', { name: 'Turn on' }).click();

    const codes = page.getByTestId('recovery-codes');
    await codes.waitFor();
    await expect(codes.locator('li').count()).resolves.toBe(8);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Save your recovery codes');
    await shot(page, 'settings-2fa-recovery-codes');
    await codes.getByRole('button', { name: 'Copy all codes' }).click();
    await codes.getByRole('button', { name: '✓ Copied' }).waitFor();
    expect((await page.evaluate(() => navigator.clipboard.readText())).split('\n')).toHaveLength(8);
    await codes.getByRole('button', { name: 'I have saved them' }).click();
    await codes.waitFor({ state: 'detached' });
    await expect(page.getByTestId('tfa-summary').innerText()).resolves.toBe('On. 8 recovery codes left.');
    await page.close();
  });

  it('sets the two exemptions and turns 2FA off after confirming', async () => {
    const page = await security({ twoFactorEnabled: true });
    await page.getByTestId('tfa-summary').waitFor();
    await shot(page, 'settings-2fa-on');
    const tokens = page.getByRole('switch', { name: 'Ask for a code on saved logins too' });
    const reconnect = page.getByRole('switch', { name: 'Ask for a code when reconnecting after a remote restart' });
    await tokens.click();
    await reconnect.click();
    await expect.poll(() => callsOf(page, 'set_two_factor_scope')).toEqual([
      { scope: 'tokens', on: false },
      { scope: 'reconnect', on: false },
    ]);
    await expect.poll(() => tokens.getAttribute('aria-checked')).toBe('false');
    await page.getByRole('button', { name: 'Turn off two-factor authentication' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Turn off two-factor authentication?' });
    await dialog.getByRole('button', { name: 'Turn off' }).click();
    await expect.poll(() => page.getByTestId('tfa-state').innerText()).toBe('Off');
    await page.close();
  });

  it('lists allowed computers: turns the list on, adds a limited one, refuses a bad fingerprint, removes one', async () => {
    const page = await security();
    const entries = page.getByTestId('acl-entry');
    await entries.first().waitFor();
    await expect(entries.count()).resolves.toBe(1);
    const toggle = page.getByRole('switch', { name: 'Only let the computers listed here ask for a session' });
    await expect(toggle.getAttribute('aria-checked')).resolves.toBe('false');
    await toggle.click();
    await expect.poll(() => toggle.getAttribute('aria-checked')).toBe('true');
    expect(await callsOf(page, 'set_acl')).toEqual([{ on: true }]);

    const input = page.getByLabel('Device fingerprint of the other computer');
    const add = page.getByRole('button', { name: 'Add to the list' });
    // A device ID, then a malformed fingerprint: refused in the form, nothing sent.
    await input.fill('123 456 789');
    await add.click();
    await page.getByRole('alert').getByText(/looks like a device ID/).waitFor();
    await input.fill('ABCD-EFGH-IJKL-MNO1');
    await add.click();
    await page.getByRole('alert').getByText(/16 letters and digits 2–7/).waitFor();
    expect(await callsOf(page, 'add_acl_entry')).toEqual([]);

    await input.fill('zxcv bnmq wert yuio');
    await page.getByRole('checkbox', { name: 'Screen sharing' }).check();
    await add.click();
    await expect.poll(() => entries.count()).toBe(2);
    expect(await callsOf(page, 'add_acl_entry')).toEqual([
      { fingerprint: 'ZXCV-BNMQ-WERT-YUIO', profiles: ['screen_sharing'] },
    ]);
    await expect(entries.nth(1).innerText()).resolves.toMatch(/ZXCV-BNMQ-WERT-YUIO[\s\S]*Screen sharing/);
    await expect(input.inputValue()).resolves.toBe('');
    await shot(page, 'settings-acl');

    await page.getByRole('button', { name: 'Remove QWER-TYUI-OPAS-DFGH from the list' }).click();
    await expect.poll(() => entries.count()).toBe(1);
    await page.getByRole('button', { name: 'Remove ZXCV-BNMQ-WERT-YUIO from the list' }).click();
    await page.getByText('The list is empty: no computer can connect to this one now.').waitFor();
    expect(await callsOf(page, 'remove_acl_entry')).toEqual([
      { fingerprint: 'QWER-TYUI-OPAS-DFGH' },
      { fingerprint: 'ZXCV-BNMQ-WERT-YUIO' },
    ]);
    await page.close();
  });

  it('shows forbidden and local refusals in words', async () => {
    const page = await security();
    await page.evaluate(() =>
      window.__latchkeyMock!.backend.failNext('set_interactive', {
        code: 'forbidden',
        message: 'the service control socket refused the change',
      }),
    );
    await page.getByLabel('Never show requests (exclusive unattended access)').click();
    const b = banner(page, 'forbidden');
    await b.waitFor();
    await expect(b.innerText()).resolves.toMatch(/Not allowed[\s\S]*the service control socket refused the change[\s\S]*administrator/);
    await expect.poll(() => page.getByLabel('Always show incoming requests').isChecked()).toBe(true);
    await shot(page, 'settings-error-forbidden');
    await b.getByRole('button', { name: 'Dismiss message' }).click();

    await page.evaluate(() =>
      window.__latchkeyMock!.backend.failNext('set_save_login', { code: 'local', message: 'settings file is read-only' }),
    );
    const toggle = page.getByRole('switch', { name: 'Allow other computers to save login information' });
    await toggle.click();
    await banner(page, 'local').getByText('settings file is read-only').waitFor();
    await expect.poll(() => toggle.getAttribute('aria-checked')).toBe('false');
    await page.close();
  });
});
