// Main window, Profiles: list, permissions, unattended access, passwords, create/copy/rename/delete.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { callsOf, shot, startHarness, type Harness } from './harness';

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

async function profiles(): Promise<Page> {
  const page = await h.open('index.html#profiles');
  await page.getByRole('heading', { name: 'Profiles', level: 1 }).waitFor();
  await page.locator('[data-permission]').first().waitFor();
  return page;
}

const banner = (page: Page, code: string) => page.locator(`[role=alert][data-code="${code}"]`);
const editor = (page: Page) => page.locator('section.editor');
const pick = (page: Page, label: string) =>
  page.getByRole('list', { name: 'Profiles' }).getByRole('button', { name: new RegExp(`^${label}`) }).click();

describe('profile editor', () => {
  it('lists profiles and shows the 14 permissions with descriptions', async () => {
    const page = await profiles();
    await expect(page.getByRole('list', { name: 'Profiles' }).getByRole('button').count()).resolves.toBe(5);
    await expect(editor(page).getByRole('heading', { level: 2 }).innerText()).resolves.toBe('Default');
    await expect(editor(page).getByRole('switch').count()).resolves.toBe(16); // enabled, unattended, 14 permissions
    await editor(page).getByText('Use the host’s keyboard and mouse.').waitFor();
    await shot(page, 'profiles-default');
    await pick(page, 'Full access');
    await expect(editor(page).getByRole('heading', { level: 2 }).innerText()).resolves.toBe('Full access');
    await expect(editor(page).getByRole('button', { name: 'Delete' }).count()).resolves.toBe(0);
    await page.close();
  });

  it('toggles permissions, enabled and default', async () => {
    const page = await profiles();
    const perm = editor(page).locator('[data-permission=privacy_mode]').getByRole('switch');
    await expect(perm.getAttribute('aria-checked')).resolves.toBe('false');
    await perm.click();
    await expect.poll(() => perm.getAttribute('aria-checked')).toBe('true');
    await pick(page, 'Screen sharing');
    await editor(page).getByRole('switch', { name: 'Profile enabled' }).click();
    await page.getByRole('list', { name: 'Profiles' }).getByText('Disabled').waitFor();
    await editor(page).getByRole('button', { name: 'Make default' }).click();
    await expect.poll(() => editor(page).getByText('Used when a viewer does not name a profile.').count()).toBe(1);
    expect(await callsOf(page, 'set_permission')).toEqual([{ profile: 'default', permission: 'privacy_mode', on: true }]);
    expect(await callsOf(page, 'set_profile_enabled')).toEqual([{ name: 'screen_sharing', enabled: false }]);
    expect(await callsOf(page, 'set_default_profile')).toEqual([{ name: 'screen_sharing' }]);
    await page.close();
  });

  it('refuses unattended access without a password, pointing to "Set password"', async () => {
    const page = await profiles();
    const toggle = editor(page).getByRole('switch', { name: 'Allow unattended access' });
    await toggle.click();
    const b = banner(page, 'no_password');
    await b.waitFor();
    await expect(b.innerText()).resolves.toMatch(/This profile has no password[\s\S]*Set password/);
    await expect.poll(() => toggle.getAttribute('aria-checked')).toBe('false');
    await shot(page, 'profiles-error-no-password');
    await b.getByRole('button', { name: 'Set password' }).click();
    await page.getByRole('dialog', { name: 'Set the password of “Default”' }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    await page.close();
  });

  it('sets a password: rules, live strength, refusals, confirmation, revoked logins', async () => {
    const page = await profiles();
    await editor(page).getByRole('button', { name: 'Set password' }).click();
    const dialog = page.getByRole('dialog', { name: 'Set the password of “Default”' });
    await dialog.waitFor();
    await dialog.getByText('Anyone with this password and this device’s ID can connect with these permissions.').waitFor();
    const save = dialog.getByRole('button', { name: 'Save password' });
    const meter = dialog.getByRole('meter', { name: 'Password strength' });
    await expect(save.isDisabled()).resolves.toBe(true);

    await dialog.getByLabel('New password').pressSequentially('password1');
    await expect.poll(() => meter.getAttribute('aria-valuetext')).toMatch(/not accepted/);
    await dialog.getByText('it is a common password or a variation of "password"').waitFor();
    await expect(save.isDisabled()).resolves.toBe(true);
    // Debounced: fewer checks than keystrokes.
    expect((await callsOf(page, 'password_strength')).length).toBeLessThan(9);
    await shot(page, 'profiles-password-weak');

    await dialog.getByLabel('New password').fill('Tr1cky-Walrus-Lamp');
    await expect.poll(() => meter.getAttribute('aria-valuetext')).toBe('Very strong: accepted');
    await dialog.getByLabel('Type it again').fill('Tr1cky-Walrus-Lam');
    await dialog.getByText('The two passwords differ.').first().waitFor();
    await expect(save.isDisabled()).resolves.toBe(true);
    await dialog.getByLabel('Type it again').fill('Tr1cky-Walrus-Lamp');
    await expect.poll(() => save.isEnabled()).toBe(true);
    await shot(page, 'profiles-password-strong');

    // The backend's own refusal is shown inline too.
    await page.evaluate(() =>
      window.__latchkeyMock!.backend.failNext('set_password', {
        code: 'weak_password',
        message: 'This password is refused: it appears in a list of leaked passwords.',
      }),
    );
    await save.click();
    await banner(page, 'weak_password').getByText('it appears in a list of leaked passwords').waitFor();
    await save.click();
    await dialog.waitFor({ state: 'detached' });
    await editor(page).getByText('Password set. 4 saved logins were revoked').waitFor();
    await editor(page).getByRole('switch', { name: 'Allow unattended access' }).click();
    await expect
      .poll(() => editor(page).getByRole('switch', { name: 'Allow unattended access' }).getAttribute('aria-checked'))
      .toBe('true');
    await page.close();
  });

  it('covers the whole page with a modal’s backdrop, opened from far down the page', async () => {
    const page = await h.open('index.html#profiles', {}, { height: 480 });
    await page.locator('[data-permission]').first().waitFor();
    const heights = () =>
      page.evaluate(() => ({ page: document.documentElement.scrollHeight, window: window.innerHeight, y: window.scrollY }));
    const before = await heights();
    expect(before.page).toBeGreaterThan(before.window * 1.5);
    await page.evaluate(() => window.scrollTo(0, 400));
    await editor(page).getByRole('button', { name: 'Set password' }).click();
    const dialog = page.getByRole('dialog', { name: 'Set the password of “Default”' });
    await dialog.waitFor();
    // The page is no taller than the window while the dialog is open (so the backdrop, fixed
    // to the window, covers all of it), and stays where it was scrolled to.
    const open = await heights();
    expect(open.page).toBeLessThanOrEqual(open.window);
    const editorTop = await editor(page).evaluate((e) => e.getBoundingClientRect().top);
    const [light] = await shot(page, 'profiles-password-backdrop');
    // The full-page screenshot is one window high: the backdrop is all there is behind the dialog.
    expect(readFileSync(light).readUInt32BE(20)).toBe(480);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'detached' });
    const after = await heights();
    expect(after.page).toBe(before.page);
    expect(after.y).toBe(400);
    expect(await editor(page).evaluate((e) => e.getBoundingClientRect().top)).toBeCloseTo(editorTop, 0);
    await page.close();
  });

  it('creates (copying another), renames and deletes a profile, saying which saved logins die', async () => {
    const page = await profiles();
    await page.getByRole('button', { name: 'New profile' }).click();
    const create = page.getByRole('dialog', { name: 'New profile' });
    await create.getByLabel('Name').fill('default');
    await create.getByText('Another profile already has this name.').waitFor();
    await create.getByLabel('Name').fill('helpdesk');
    await create.getByLabel('Start with the permissions of').selectOption('screen_sharing');
    await shot(page, 'profiles-create');
    await create.getByRole('button', { name: 'Create' }).click();
    await page.getByText('Profile “Helpdesk” created.').waitFor();
    await expect(editor(page).getByRole('heading', { level: 2 }).innerText()).resolves.toBe('Helpdesk');
    expect(await callsOf(page, 'create_profile')).toEqual([{ name: 'helpdesk', copyFrom: 'screen_sharing' }]);

    await pick(page, 'Support');
    await editor(page).getByRole('button', { name: 'Copy' }).click();
    const copy = page.getByRole('dialog', { name: 'Copy “Support”' });
    await expect(copy.getByLabel('Name').inputValue()).resolves.toBe('support_copy');
    await copy.getByRole('button', { name: 'Cancel' }).click();

    await editor(page).getByRole('button', { name: 'Rename' }).click();
    const rename = page.getByRole('dialog', { name: 'Rename “Support”' });
    await rename.getByLabel('Name').fill('remote_help');
    await rename.getByRole('button', { name: 'Rename' }).click();
    await editor(page).getByText('Renamed to “Remote help”.').waitFor();

    await editor(page).getByRole('button', { name: 'Delete' }).click();
    const del = page.getByRole('alertdialog', { name: 'Delete the profile “Remote help”?' });
    await expect(del.innerText()).resolves.toMatch(/1 saved login that uses it will stop working/);
    await shot(page, 'profiles-delete-confirm');
    await del.getByRole('button', { name: 'Delete profile' }).click();
    await page.getByText('Profile “Remote help” deleted; 1 saved login revoked.').waitFor();
    await page.close();
  });

  it('shows exists, builtin and not_found refusals in words', async () => {
    const page = await profiles();
    await page.evaluate(() => window.__latchkeyMock!.backend.failNext('create_profile', { code: 'exists' }));
    await page.getByRole('button', { name: 'New profile' }).click();
    const create = page.getByRole('dialog', { name: 'New profile' });
    await create.getByLabel('Name').fill('kiosk');
    await create.getByRole('button', { name: 'Create' }).click();
    await banner(page, 'exists').getByText('Another profile already has this name.').waitFor();
    await create.getByRole('button', { name: 'Cancel' }).click();

    await pick(page, 'Support');
    await page.evaluate(() => window.__latchkeyMock!.backend.failNext('rename_profile', { code: 'builtin' }));
    await editor(page).getByRole('button', { name: 'Rename' }).click();
    const rename = page.getByRole('dialog', { name: 'Rename “Support”' });
    await rename.getByLabel('Name').fill('other');
    await rename.getByRole('button', { name: 'Rename' }).click();
    await banner(page, 'builtin').getByText('can be edited and disabled, but not renamed or deleted').waitFor();
    await rename.getByRole('button', { name: 'Cancel' }).click();

    await page.evaluate(() => window.__latchkeyMock!.backend.failNext('set_default_profile', { code: 'not_found' }));
    await editor(page).getByRole('button', { name: 'Make default' }).click();
    const nf = banner(page, 'not_found');
    await nf.waitFor();
    await expect(nf.innerText()).resolves.toMatch(/No longer there[\s\S]*refreshed/);
    await shot(page, 'profiles-error-not-found');
    await page.close();
  });
});
