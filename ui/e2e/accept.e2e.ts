// Accept window: the request, lowering permissions, Accept/Deny, countdown, keyboard safety.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { RequestInfo } from '../src/lib/api';
import { shot, startHarness, type Harness } from './harness';

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

const request = (over: Partial<RequestInfo> = {}): RequestInfo => ({
  id: '1',
  viewer: 'QWER-TYUI-OPAS-DFGH',
  viewer_name: 'Alice (alice-laptop)',
  seen: 'saved_login',
  profile: 'support',
  addr: '203.0.113.7:52344',
  expires_in_s: 45,
  permissions: ['control_input', 'clipboard', 'show_pointer'],
  ...over,
});

async function acceptWindow(requests: RequestInfo[]): Promise<Page> {
  const page = await h.open('accept.html', { requests }, { width: 640, height: 900 });
  await page.locator('main').waitFor();
  return page;
}

const answers = (page: Page) => page.evaluate(() => window.__latchkeyMock!.backend.answers);

describe('accept window', () => {
  it('shows who asks and starts with Deny focused, so Enter denies', async () => {
    const page = await acceptWindow([request()]);
    await page.getByRole('heading', { name: 'A computer calling itself “Alice (alice-laptop)” wants to connect' }).waitFor();
    await expect(page.getByTestId('viewer-fp').innerText()).resolves.toBe('QWER-TYUI-OPAS-DFGH');
    await page.getByText('203.0.113.7:52344').waitFor();
    await page.getByText('Support', { exact: true }).waitFor();
    await expect(page.getByTestId('countdown').innerText()).resolves.toMatch(/Denied automatically in 0:4\d/);
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Deny');
    await shot(page, 'accept-request');
    await page.keyboard.press('Enter');
    await page.getByText('Denied the request from Alice (alice-laptop).').waitFor();
    expect(await answers(page)).toEqual([{ id: '1', accept: false, viewer: 'QWER-TYUI-OPAS-DFGH', permissions: null }]);
    await page.getByRole('heading', { name: 'No request is waiting' }).waitFor();
    await shot(page, 'accept-empty');
    await page.close();
  });

  it('says the name is self-reported and whether this device key was seen before', async () => {
    const page = await acceptWindow([request({ id: '9', viewer: 'ZXCV-BNMQ-WERT-YUIO', viewer_name: 'IT Support', seen: 'first_request' })]);
    await page.getByRole('heading', { name: 'A computer calling itself “IT Support” wants to connect' }).waitFor();
    await expect(page.getByTestId('name-note').innerText()).resolves.toMatch(/says about itself; it proves nothing/);
    await expect(page.getByTestId('viewer-seen').innerText()).resolves.toBe('First request: it has never connected here before');
    await shot(page, 'accept-first-request');
    await page.getByRole('button', { name: 'Accept' }).click();
    await page.getByText(/IT Support is connecting/).waitFor();
    // The accept carries the fingerprint the window showed.
    expect(await answers(page)).toEqual([{ id: '9', accept: true, viewer: 'ZXCV-BNMQ-WERT-YUIO', permissions: null }]);
    await page.close();
    const known = await acceptWindow([request({ seen: 'known' })]);
    await expect(known.getByTestId('viewer-seen').innerText()).resolves.toBe('Known: it has connected here before');
    await known.close();
    const saved = await acceptWindow([request()]);
    await expect(saved.getByTestId('viewer-seen').innerText()).resolves.toBe('Known: it has a saved login for this computer');
    await saved.close();
  });

  it('can only lower the grant: no switch for permissions the profile lacks', async () => {
    const page = await acceptWindow([request()]);
    const toggles = page.getByRole('switch');
    await expect(toggles.count()).resolves.toBe(3);
    await expect(page.locator('[data-permission=restart]').count()).resolves.toBe(0);
    await expect(page.locator('[data-permission-missing=restart]').count()).resolves.toBe(1);
    await page.getByText('11 more not in this profile').waitFor();
    await page.getByRole('switch', { name: 'Clipboard' }).click();
    await page.getByRole('button', { name: 'Accept with these permissions' }).click();
    await page.getByText('Accepted: Alice (alice-laptop) is connecting with fewer permissions.').waitFor();
    expect(await answers(page)).toEqual([{ id: '1', accept: true, viewer: 'QWER-TYUI-OPAS-DFGH', permissions: ['control_input', 'show_pointer'] }]);
    await page.close();
  });

  it('accepts unchanged with null permissions, then shows the next request', async () => {
    const page = await acceptWindow([request(), request({ id: '2', viewer_name: 'Bob', profile: 'screen_sharing', permissions: [] })]);
    await page.getByText('1 more request waiting after this one.').waitFor();
    await page.getByRole('button', { name: 'Accept', exact: true }).click();
    await page.getByRole('heading', { name: 'A computer calling itself “Bob” wants to connect' }).waitFor();
    await page.getByText('None: view only.').waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Deny');
    expect(await answers(page)).toEqual([{ id: '1', accept: true, viewer: 'QWER-TYUI-OPAS-DFGH', permissions: null }]);
    await shot(page, 'accept-view-only');
    await page.close();
  });

  it('counts down and denies by itself at zero', async () => {
    const page = await acceptWindow([request({ expires_in_s: 2 })]);
    await expect(page.getByTestId('countdown').innerText()).resolves.toMatch(/0:0[12]/);
    await page.getByText('was denied because nobody answered in time').waitFor({ timeout: 5000 });
    expect(await answers(page)).toEqual([{ id: '1', accept: false, viewer: 'QWER-TYUI-OPAS-DFGH', permissions: null }]);
    await page.close();
  });

  it('follows requests_changed and status_changed', async () => {
    const page = await acceptWindow([]);
    await page.getByRole('heading', { name: 'No request is waiting' }).waitFor();
    await page.evaluate(
      (r) => window.__latchkeyMock!.backend.setRequests([r]),
      request({ id: '5', viewer_name: 'Carol' }),
    );
    await page.getByRole('heading', { name: 'A computer calling itself “Carol” wants to connect' }).waitFor();
    // A request withdrawn behind the window's back disappears on the next status change.
    await page.evaluate(() => {
      const b = window.__latchkeyMock!.backend;
      (b as unknown as { requests: unknown[] }).requests = [];
      b.external({});
    });
    await page.getByRole('heading', { name: 'No request is waiting' }).waitFor();
    await page.close();
  });

  it('says so when the request is gone already', async () => {
    const page = await acceptWindow([request()]);
    await page.evaluate(() => window.__latchkeyMock!.backend.failNext('answer_request', { code: 'not_found' }));
    await page.getByRole('button', { name: 'Accept', exact: true }).click();
    await page.getByText('is no longer waiting (it expired or was answered elsewhere)').waitFor();
    await page.close();
  });
});
