// File window: both panes listed from the fake backend, folders walked, copies started by the
// buttons and by dragging rows across, their progress, a cancel, a per-file failure, a new
// folder, a refusal without `file_manager`, and the session ending under it.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Permission, SessionInfo } from '../src/bindings';
import { callsOf, emitEvent, shot, startHarness, type Harness } from './harness';
import { DEFAULT_PERMS } from './fake-backend';

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

async function files(session: Partial<SessionInfo> = {}): Promise<Page> {
  const page = await h.open('files.html?session=s9', { session: { permissions: DEFAULT_PERMS, ...session } });
  await page.getByRole('heading', { name: /Files on/ }).waitFor();
  return page;
}
const pane = (page: Page, side: 'local' | 'remote') => page.getByTestId(`${side}-list`);
const row = (page: Page, side: 'local' | 'remote', name: string) => pane(page, side).locator(`tr[data-name="${name}"]`);
const setSpeed = (page: Page, bytes: number) =>
  page.evaluate((b) => ((window.__latchkeyMock!.backend as unknown as { transferBytesPerStep: number }).transferBytesPerStep = b), bytes);

describe('file window', () => {
  it('lists both sides, walks folders, uploads with the button and downloads by dragging', async () => {
    const page = await files();
    await row(page, 'local', 'Documents').waitFor();
    await row(page, 'remote', 'Desktop').waitFor();
    await expect(page.getByLabel('Folder on this computer').inputValue()).resolves.toBe('/home/me');
    await expect(page.getByLabel('Folder on remote computer').inputValue()).resolves.toBe('~');
    // Folders first, then files; sizes in binary units.
    await expect(pane(page, 'local').locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name')))).resolves.toEqual([
      'Documents',
      'Pictures',
      'big.iso',
      'empty.txt',
    ]);
    await expect(row(page, 'local', 'big.iso').locator('td').nth(1).innerText()).resolves.toBe('3.0 GiB');

    await row(page, 'local', 'Documents').dblclick();
    await row(page, 'local', 'report.pdf').waitFor();
    await row(page, 'local', 'report.pdf').click();
    await page.getByRole('button', { name: 'Upload →' }).click();
    await page.getByTestId('transfer').filter({ hasText: 'report.pdf' }).filter({ hasText: 'Done' }).waitFor();
    // The copy shows up in the remote folder it went to.
    await row(page, 'remote', 'report.pdf').waitFor();
    expect(await callsOf(page, 'start_transfer')).toEqual([
      { sessionId: 's9', request: { direction: 'upload', from: '/home/me/Documents/report.pdf', to_dir: '~' } },
    ]);

    // Up goes back; a remote row dragged onto this computer's pane is downloaded into its folder.
    await page.getByRole('region', { name: 'This computer: files' }).waitFor();
    await page.locator('section[data-side="local"]').getByRole('button', { name: 'Up', exact: true }).click();
    await row(page, 'local', 'Pictures').waitFor();
    await row(page, 'remote', 'budget.ods').dragTo(pane(page, 'local'));
    await page.getByTestId('transfer').filter({ hasText: 'budget.ods' }).filter({ hasText: 'Done' }).waitFor();
    await row(page, 'local', 'budget.ods').waitFor();
    expect((await callsOf(page, 'start_transfer')).at(-1)).toEqual({
      sessionId: 's9',
      request: { direction: 'download', from: '~/budget.ods', to_dir: '/home/me' },
    });
    await shot(page, 'files-window');
    await page.close();
  });

  it('shows a slow copy’s progress, cancels it, and says why another failed', async () => {
    const page = await files();
    await setSpeed(page, 16 * 1024 * 1024);
    await row(page, 'local', 'big.iso').click();
    await page.getByRole('button', { name: 'Upload →' }).click();
    const big = page.getByTestId('transfer').filter({ hasText: 'big.iso' });
    await big.filter({ hasText: 'Copying' }).waitFor();
    await expect.poll(() => big.locator('progress').getAttribute('value')).not.toBe('0');
    await expect.poll(() => big.innerText()).toMatch(/of 3\.0 GiB · .*\/s · \d+:\d\d left/);
    await page.getByRole('status').filter({ hasText: '1 copy running' }).waitFor();

    // A per-file failure: the host refuses what is copied into `readonly`.
    await row(page, 'remote', 'readonly').dblclick();
    await expect(page.getByLabel('Folder on remote computer').inputValue()).resolves.toBe('~/readonly');
    await row(page, 'local', 'empty.txt').click();
    await page.getByRole('button', { name: 'Upload →' }).click();
    const failed = page.getByTestId('transfer').filter({ hasText: 'empty.txt' });
    await failed.filter({ hasText: 'Failed' }).waitFor();
    await failed.getByRole('alert').filter({ hasText: 'Permission denied on the host' }).waitFor();
    await shot(page, 'files-progress-and-failure');

    await big.getByRole('button', { name: 'Cancel upload of big.iso' }).click();
    await big.filter({ hasText: 'Cancelled' }).waitFor();
    expect(await callsOf(page, 'cancel_transfer')).toEqual([{ sessionId: 's9', id: 1 }]);
    await expect.poll(() => big.getByRole('button', { name: /Cancel/ }).count()).toBe(0);
    await page.close();
  });

  it('makes a folder on the remote computer and refuses a name that exists', async () => {
    const page = await files();
    await row(page, 'remote', 'Desktop').waitFor();
    await page.getByRole('button', { name: 'New folder' }).click();
    const dialog = page.getByRole('dialog', { name: 'New folder on the remote computer' });
    await dialog.getByLabel('Name').fill('Desktop');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.getByRole('alert').waitFor();
    await dialog.getByLabel('Name').fill('Projects');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await row(page, 'remote', 'Projects').waitFor();
    expect((await callsOf(page, 'remote_mkdir')).at(-1)).toEqual({ sessionId: 's9', path: '~/Projects' });
    await page.close();
  });

  it('without file_manager the remote pane says why, and the session ending stops the window', async () => {
    const perms: Permission[] = DEFAULT_PERMS.filter((p) => p !== 'file_manager');
    const page = await files({ permissions: perms });
    await pane(page, 'local').locator('tr[data-name="Documents"]').waitFor();
    await page.locator('section[data-side="remote"] [role=alert][data-code="permission"]').waitFor();
    await page.getByText('does not allow file transfer in this session').waitFor();
    await expect(page.getByRole('button', { name: 'New folder' }).isDisabled()).resolves.toBe(true);
    await shot(page, 'files-refused');
    await emitEvent(page, 'session_ended', { session_id: 's9', reason: 'the host ended the session' });
    await page.getByText('Session ended.').waitFor();
    await page.close();
  });
});
