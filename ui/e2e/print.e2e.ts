// Remote print from the viewer's toolbar (permission print): the host offers a printer for this
// viewer, a job printed to it there arrives here (a `print_arrived` event) and is listed; it goes
// to this computer's printer or is saved in a folder; no control without the permission.
import { describe, expect, it } from 'vitest';
import type { Permission } from '../src/bindings';
import { callsOf, emitEvent, shot } from './harness';
import { DEFAULT_PERMS } from './fake-backend';
import { viewerSuite } from './viewer-suite';

const { viewer } = viewerSuite();

describe('remote print', () => {
  it('offers a printer on the host and lists what is printed to it, to print or save here', async () => {
    const page = await viewer();
    const toolbar = page.getByRole('toolbar', { name: 'Session' });
    await toolbar.getByRole('button', { name: 'Remote printer' }).click();
    await page.getByText('The remote computer offers the printer “Latchkey - me@laptop”: what is printed to it arrives here.').waitFor();
    expect(await callsOf(page, 'start_print')).toEqual([{ sessionId: 's9' }]);
    await toolbar.getByRole('button', { name: 'Printed here (0)' }).waitFor();
    await shot(page, 'viewer-print-on');

    // A job printed there arrives: the list opens.
    await emitEvent(page, 'print_arrived', { session_id: 's9', job: 1, title: 'Quarterly report', bytes: 48213 });
    // Another session's job is not this window's.
    await emitEvent(page, 'print_arrived', { session_id: 'other', job: 1, title: 'Not ours', bytes: 10 });
    const list = page.getByRole('dialog', { name: 'Printed on the remote computer' });
    const jobs = list.getByRole('list', { name: 'Print jobs' });
    await jobs.getByText('Quarterly report').waitFor();
    await expect(jobs.locator('li').count()).resolves.toBe(1);
    await list.getByText('PDF, 47.1 KiB').waitFor();
    await shot(page, 'viewer-print-arrived');

    await jobs.getByRole('button', { name: 'Print' }).click();
    await list.getByText('Sent to this computer’s printer.').waitFor();
    expect(await callsOf(page, 'print_job')).toEqual([{ sessionId: 's9', job: 1 }]);
    await list.getByLabel('Save in folder').fill('/home/me/Papers');
    await jobs.getByRole('button', { name: 'Save' }).click();
    await list.getByText('Saved as /home/me/Papers/Quarterly report.pdf').waitFor();
    expect(await callsOf(page, 'save_print_job')).toEqual([{ sessionId: 's9', job: 1, dir: '/home/me/Papers' }]);
    await shot(page, 'viewer-print-done');
    await page.keyboard.press('Escape');
    await list.waitFor({ state: 'hidden' });
    // The toolbar counts it, and opens the list again.
    await toolbar.getByRole('button', { name: 'Printed here (1)' }).click();
    await list.waitFor();
    await expect(callsOf(page, 'start_print')).resolves.toHaveLength(1);
    await page.close();
  });

  it('offers no printer without print', async () => {
    const perms: Permission[] = DEFAULT_PERMS.filter((p) => p !== 'print');
    const page = await viewer({ permissions: perms });
    const toolbar = page.getByRole('toolbar', { name: 'Session' });
    await toolbar.getByRole('button', { name: 'End session' }).waitFor();
    await expect(toolbar.getByRole('button', { name: 'Remote printer' }).count()).resolves.toBe(0);
    await page.close();
  });
});
