// Files through the clipboard from the viewer's toolbar (permission clipboard_files): the host's
// copied files pasted into a folder here, files copied here sent to the host's clipboard, an empty
// clipboard, and no buttons without the permission.
import { describe, expect, it } from 'vitest';
import type { Permission } from '../src/bindings';
import { callsOf, shot } from './harness';
import { DEFAULT_PERMS } from './fake-backend';
import { viewerSuite } from './viewer-suite';

const { viewer } = viewerSuite();

describe('files through the clipboard', () => {
  it('pastes the host’s files into a folder here and copies files here to the host’s clipboard', async () => {
    const page = await viewer();
    const toolbar = page.getByRole('toolbar', { name: 'Session' });

    await toolbar.getByRole('button', { name: 'Paste host’s files here…' }).click();
    const get = page.getByRole('dialog', { name: 'Paste the remote computer’s files here' });
    await get.getByLabel('Folder on this computer').fill('/home/me/Incoming');
    await get.getByRole('button', { name: 'Paste here' }).click();
    const copied = get.getByRole('list', { name: 'Copied here' });
    await copied.getByText('/home/me/Incoming/report.pdf').waitFor();
    await expect(copied.locator('li').allInnerTexts()).resolves.toEqual(['/home/me/Incoming/report.pdf', '/home/me/Incoming/Pictures']);
    await get.getByText('Pasted 2 items (3.5 MiB) from the remote clipboard; this computer’s clipboard offers them.').waitFor();
    expect(await callsOf(page, 'clipboard_get_files')).toEqual([{ sessionId: 's9', dir: '/home/me/Incoming' }]);
    await shot(page, 'viewer-clipboard-files-get');
    await get.getByRole('button', { name: 'Close', exact: true }).last().click();
    await get.waitFor({ state: 'hidden' });
    // The toolbar's status line says it too.
    await page.getByText('Pasted 2 items (3.5 MiB) from the remote clipboard; this computer’s clipboard offers them.').waitFor();

    // An empty folder box means Downloads.
    await toolbar.getByRole('button', { name: 'Paste host’s files here…' }).click();
    await page.getByRole('button', { name: 'Paste here' }).click();
    await page.getByRole('list', { name: 'Copied here' }).getByText('/home/me/Downloads/report.pdf').waitFor();
    expect((await callsOf(page, 'clipboard_get_files'))[1]).toEqual({ sessionId: 's9', dir: null });
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });

    // Copy to the host: paths typed one a line; none means what is copied here.
    await toolbar.getByRole('button', { name: 'Copy files to host clipboard…' }).click();
    const put = page.getByRole('dialog', { name: 'Copy files to the remote clipboard' });
    await put.getByLabel('Files on this computer').fill('/home/me/Documents/report.pdf\n\n  /home/me/Pictures  \n');
    await shot(page, 'viewer-clipboard-files-put');
    await put.getByRole('button', { name: 'Copy to remote' }).click();
    const offered = put.getByRole('list', { name: 'On the remote clipboard' });
    await offered.getByText('/home/host/.cache/latchkey-clipboard/5f2a/1/report.pdf').waitFor();
    await put.getByText('The remote clipboard offers 2 items (4.0 KiB).').waitFor();
    expect(await callsOf(page, 'clipboard_put_files')).toEqual([
      { sessionId: 's9', paths: ['/home/me/Documents/report.pdf', '/home/me/Pictures'] },
    ]);
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    await page.close();
  });

  it('says so when there are no files to take, here or on the host', async () => {
    const page = await viewer();
    await page.evaluate(() => {
      const b = window.__latchkeyMock!.backend as unknown as { clipboardFiles: string[]; localCopiedFiles: string[] };
      b.clipboardFiles = [];
      b.localCopiedFiles = [];
    });
    const toolbar = page.getByRole('toolbar', { name: 'Session' });
    await toolbar.getByRole('button', { name: 'Paste host’s files here…' }).click();
    await page.getByRole('button', { name: 'Paste here' }).click();
    await page.getByText('No files on the clipboard').waitFor();
    await page.getByText('Copy files in a file manager first, then try again.').waitFor();
    await shot(page, 'viewer-clipboard-files-empty');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    await toolbar.getByRole('button', { name: 'Copy files to host clipboard…' }).click();
    await page.getByRole('button', { name: 'Copy to remote' }).click();
    await page.getByText(/no files are copied on this computer/).waitFor();
    expect(await callsOf(page, 'clipboard_put_files')).toEqual([{ sessionId: 's9', paths: [] }]);
    await page.close();
  });

  it('offers nothing without clipboard_files', async () => {
    const perms: Permission[] = DEFAULT_PERMS.filter((p) => p !== 'clipboard_files');
    const page = await viewer({ permissions: perms });
    const toolbar = page.getByRole('toolbar', { name: 'Session' });
    await toolbar.getByRole('button', { name: 'Get clipboard' }).waitFor();
    await expect(toolbar.getByRole('button', { name: 'Paste host’s files here…' }).count()).resolves.toBe(0);
    await expect(toolbar.getByRole('button', { name: 'Copy files to host clipboard…' }).count()).resolves.toBe(0);
    await page.close();
  });
});
