// Main window, Home: this device, the connect box, every connect prompt and refusal.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { callsOf, emitEvent, shot, startHarness, type Harness } from './harness';
import { HOSTS, PASSWORD, TOTP } from './fake-backend';

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

async function home(config = {}): Promise<Page> {
  const page = await h.open('index.html', config);
  await page.getByTestId('device-id').waitFor();
  return page;
}

async function connectTo(page: Page, id: string) {
  await page.getByLabel('Remote ID').fill(id);
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
}

const banner = (page: Page, code: string) => page.locator(`[role=alert][data-code="${code}"]`);

describe('home', () => {
  it('shows the ID in groups, copies it, and summarises status and access', async () => {
    const page = await home();
    await expect(page.getByTestId('device-id').innerText()).resolves.toMatch(/^418\s+207\s+351$/);
    await expect(page.getByTestId('fingerprint').innerText()).resolves.toBe('K7QF-2XMA-9VTR-HP4D');
    await expect(page.getByTestId('online').innerText()).resolves.toMatch(/Online\s+through rendezvous.latchkey.test/);
    await expect(page.getByTestId('access').innerText()).resolves.toMatch(/Access: unattended/);
    await page.getByRole('button', { name: 'Copy ID' }).click();
    await page.getByRole('button', { name: '✓ Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('418207351');
    await page.getByText('Saved login', { exact: true }).first().waitFor();
    // Known hosts: when each key was first accepted (RFC 3339 from the backend, shown in words).
    const known = page.getByRole('list', { name: 'Known computers' }).getByRole('listitem');
    await expect(known.allInnerTexts()).resolves.toEqual([
      expect.stringMatching(/123 456 789[\s\S]*Saved login[\s\S]*Known since 14 Mar 2026, 09:26 · key MNBV-CXZL-KJHG-FDSA/),
      expect.stringMatching(/987 654 321[\s\S]*Known since 2 Jun 2026, 09:00 · key POIU-YTRE-WQLK-JHGF/),
    ]);
    await expect(page.getByTestId('offline-reason').count()).resolves.toBe(0);
    await shot(page, 'main-home');
    await page.close();
  });

  it('refreshes at once on status_changed (tray or CLI edits)', async () => {
    const page = await home();
    await page.evaluate(() =>
      window.__latchkeyMock!.backend.external({
        interactive: 'never',
        online: 'offline',
        offlineReason: 'cannot reach the rendezvous server: connection refused',
      }),
    );
    await page.getByText('Access: exclusive unattended').waitFor();
    await page.getByTestId('online').getByText('Offline').waitFor();
    await expect(page.getByTestId('offline-reason').innerText()).resolves.toBe(
      'Reason: Cannot reach the rendezvous server: connection refused.',
    );
    await page.evaluate(() => window.__latchkeyMock!.backend.external({ online: 'online' }));
    await page.getByTestId('online').getByText('Online').waitFor();
    await expect(page.getByTestId('offline-reason').count()).resolves.toBe(0);
    await page.close();
  });

  it('says why the host is offline when it is not running', async () => {
    const page = await home({ hostMode: 'off', rendezvous: null });
    await expect(page.getByTestId('online').innerText()).resolves.toMatch(
      /^Offline\s+Other computers cannot reach this one right now\.\s+Reason: The host is not running\.$/,
    );
    await page.getByText('This computer does not accept incoming sessions.').waitFor();
    await shot(page, 'main-home-offline');
    await page.close();
  });

  it('shows a device that has no ID yet', async () => {
    const page = await h.open('index.html', { deviceId: null, online: 'connecting' });
    await page.getByText('gets its ID the first time').waitFor();
    await expect(page.getByTestId('online').innerText()).resolves.toMatch(/Connecting…/);
    await shot(page, 'main-home-no-id');
    await page.close();
  });

  it('explains a bad ID and does not connect', async () => {
    const page = await home();
    const input = page.getByLabel('Remote ID');
    await input.fill('12a');
    await input.blur();
    await page.getByText('An ID has only digits').waitFor();
    await input.fill('1234');
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByText('An ID has 9 digits; 4 are typed so far.').waitFor();
    await expect(input.getAttribute('aria-invalid')).resolves.toBe('true');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('host-id');
    await input.fill('0123 456 78');
    await page.getByText('An ID never starts with 0.').waitFor();
    expect(await callsOf(page, 'connect')).toEqual([]);
    await page.close();
  });
});

describe('connect refusals, each in words with a next step', () => {
  const cases: [string, string, RegExp, RegExp][] = [
    [HOSTS.unknown, 'unknown_id', /Unknown ID/, /Check the 9 digits/],
    [HOSTS.offline, 'host_offline', /Remote computer offline/, /switched on/],
    [HOSTS.throttled, 'throttled', /Too many attempts/, /try again in 42 seconds/],
    [HOSTS.protocol, 'protocol', /could not understand each other/, /Update Latchkey on both computers/],
    [HOSTS.local, 'local', /Something went wrong on this computer/, /the secret store is locked/],
    [HOSTS.badInput, 'bad_input', /Invalid request/, /the profile name is not valid/],
    [HOSTS.denied, 'denied', /Request declined/, /log in with a password/],
  ];
  let page: Page;
  beforeAll(async () => {
    page = await home({ connectDelayMs: 10 });
  });
  afterAll(async () => {
    await page.close();
  });

  it.each(cases)('%s -> %s', async (id, code, title, text) => {
    await connectTo(page, id);
    const b = banner(page, code);
    await b.waitFor();
    const all = await b.innerText();
    expect(all).toMatch(title);
    expect(all).toMatch(text);
    if (code === 'throttled') {
      const retry = page.getByRole('button', { name: /Try again in 0:4\d/ });
      await expect(retry.isDisabled()).resolves.toBe(true);
    }
    if (code === 'unknown_id' || code === 'throttled' || code === 'denied') {
      await shot(page, `main-connect-error-${code}`);
    }
    if (code === 'unknown_id') {
      await page.getByRole('button', { name: 'Edit the ID' }).click();
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('host-id');
    } else {
      await b.getByRole('button', { name: 'Dismiss message' }).click();
    }
    await expect(b.count()).resolves.toBe(0);
  });
});

describe('prompts', () => {
  it('password (wrong, then right, remembered) -> 2FA (invalid, then valid) -> connected', async () => {
    const page = await home();
    await page.getByLabel('Remote ID').fill('333 333 333');
    await page.getByRole('button', { name: 'Log in with password' }).click();
    const dialog = page.getByRole('dialog', { name: 'Log in to 333 333 333' });
    await dialog.waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('connect-password');
    await expect(dialog.getByRole('button', { name: 'Log in' }).isDisabled()).resolves.toBe(true);
    await shot(page, 'main-prompt-password');

    // Focus stays inside the dialog.
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => !!document.activeElement?.closest('dialog'))).toBe(true);
    }

    await dialog.getByLabel('Password').fill('not it');
    await dialog.getByRole('button', { name: 'Log in' }).click();
    const again = page.getByRole('dialog', { name: 'Log in to 333 333 333' });
    await banner(page, 'wrong_credentials').waitFor();
    await expect(banner(page, 'wrong_credentials').innerText()).resolves.toMatch(/Wrong password/);
    await shot(page, 'main-prompt-password-wrong');

    await again.getByLabel('Password').fill(PASSWORD);
    await again.getByLabel('Log in automatically from now on').check();
    await again.getByLabel('Password').press('Enter');

    const totp = page.getByRole('dialog', { name: 'Two-factor code' });
    await totp.waitFor();
    await expect(totp.innerText()).resolves.toMatch(/authenticator app/);
    await shot(page, 'main-prompt-2fa');
    await totp.getByLabel('Code').fill('12');
    await totp.getByLabel('Code').blur();
    await totp.getByText('neither 6 digits nor a recovery code').waitFor();
    await totp.getByLabel('Code').fill('654321');
    await totp.getByRole('button', { name: 'Continue' }).click();
    await banner(page, 'second_factor_invalid').waitFor();
    await expect(banner(page, 'second_factor_invalid').innerText()).resolves.toMatch(/Code not accepted/);
    await shot(page, 'main-prompt-2fa-invalid');
    await page.getByRole('dialog', { name: 'Two-factor code' }).getByLabel('Code').fill(TOTP);
    await page.getByRole('dialog', { name: 'Two-factor code' }).getByRole('button', { name: 'Continue' }).click();

    const ok = page.getByTestId('connected');
    await ok.waitFor();
    await expect(ok.innerText()).resolves.toMatch(/Connected to 333 333 333[\s\S]*with the profile password[\s\S]*Your login is saved/);
    await shot(page, 'main-connected');
    const calls = (await callsOf(page, 'connect')) as { request: Record<string, unknown> }[];
    expect(calls.map((c) => [c.request.password, c.request.totp, c.request.remember])).toEqual([
      ['not it', null, false],
      [PASSWORD, null, true],
      [PASSWORD, '654321', true],
      [PASSWORD, TOTP, true],
    ]);
    await page.getByRole('button', { name: 'End session' }).click();
    await ok.waitFor({ state: 'detached' });
    expect((await callsOf(page, 'end_session')).length).toBe(1);
    await page.close();
  });

  it('Escape closes a prompt and cancels the attempt', async () => {
    const page = await home();
    await page.getByLabel('Remote ID').fill(HOSTS.passwordAnd2fa);
    await page.getByRole('button', { name: 'Log in with password' }).click();
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Log in with password');
    await page.close();
  });

  it('host key changed: both fingerprints, Cancel first, connect anyway on purpose', async () => {
    const page = await home();
    await connectTo(page, HOSTS.keyChanged);
    const dialog = page.getByRole('alertdialog');
    await dialog.waitFor();
    await expect(dialog.getByTestId('expected-fp').innerText()).resolves.toBe('AAQE-BGMS-7CUY-DINT');
    await expect(dialog.getByTestId('got-fp').innerText()).resolves.toBe('ZX4W-QP7R-LM2K-HV9N');
    await expect(dialog.innerText()).resolves.toMatch(/identity has changed[\s\S]*Connect only if they match/);
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Cancel');
    await shot(page, 'main-prompt-host-key-changed');
    await page.keyboard.press('Enter'); // Enter on the focused Cancel: no connection
    await dialog.waitFor({ state: 'hidden' });
    expect((await callsOf(page, 'connect')).length).toBe(1);

    await connectTo(page, HOSTS.keyChanged);
    await page.getByRole('alertdialog').getByRole('button', { name: 'I trust this change, connect anyway' }).click();
    await page.getByTestId('connected').waitFor();
    const calls = (await callsOf(page, 'connect')) as { request: { accept_new_host_key: boolean } }[];
    expect(calls.map((c) => c.request.accept_new_host_key)).toEqual([false, false, true]);
    await page.close();
  });

  it('denied -> log in with password -> connected', async () => {
    const page = await home();
    await connectTo(page, HOSTS.denied);
    await banner(page, 'denied').getByRole('button', { name: 'Log in with password' }).click();
    const dialog = page.getByRole('dialog', { name: 'Log in to 666 666 666' });
    await dialog.getByLabel('Password').fill(PASSWORD);
    await dialog.getByRole('button', { name: 'Log in' }).click();
    await page.getByTestId('connected').waitFor();
    await expect(page.getByTestId('connected').innerText()).resolves.not.toMatch(/saved/);
    await page.close();
  });

  it('reports a session accepted by the person there, and adds a new host to the known ones', async () => {
    const page = await home();
    await connectTo(page, '246813579');
    const ok = page.getByTestId('connected');
    await ok.waitFor();
    await expect(ok.innerText()).resolves.toMatch(/Connected to 246 813 579[\s\S]*accepted by the person there/);
    const known = page.getByRole('list', { name: 'Known computers' }).getByRole('listitem');
    await expect.poll(() => known.count()).toBe(3);
    await expect(known.nth(1).innerText()).resolves.toMatch(/246 813 579[\s\S]*Known since \d{1,2} \w{3} \d{4}, \d{2}:\d{2} · key NEWH-OSTK-EYFP-ABCD/);
    await page.close();
  });

  it('shows the waiting state and can stop waiting', async () => {
    const page = await home();
    await connectTo(page, HOSTS.slow);
    await page.getByText('Connecting to 100 000 001…').waitFor();
    await shot(page, 'main-connecting');
    await page.getByRole('button', { name: 'Stop waiting' }).click();
    await page.getByText('Connecting to 100 000 001…').waitFor({ state: 'detached' });
    await page.close();
  });

  it('connects to a known host with its saved login, and reports the session ending', async () => {
    const page = await home();
    await page.getByRole('button', { name: 'Connect to 123 456 789' }).click();
    const ok = page.getByTestId('connected');
    await ok.waitFor();
    await expect(ok.innerText()).resolves.toMatch(/with your saved login/);
    const sessionId = (await page.evaluate(() => [...window.__latchkeyMock!.backend['sessions'].keys()][0])) as string;
    await emitEvent(page, 'session_ended', { session_id: sessionId, reason: 'the host ended the session' });
    await page.getByText('The host ended the session.').waitFor();
    await ok.waitFor({ state: 'detached' });
    await page.close();
  });
});

describe('deep links', () => {
  it('opens the connect flow prefilled, never connecting by itself', async () => {
    const page = await home();
    await page.getByRole('link', { name: 'Security' }).click();
    await page.getByRole('heading', { name: 'Security', level: 1 }).waitFor();
    await emitEvent(page, 'deep_link', { host_id: '987654321', profile: 'support' });
    await page.getByText('A link asks to connect to 987 654 321').waitFor();
    await expect(page.getByLabel('Remote ID').inputValue()).resolves.toBe('987 654 321');
    await expect(page.getByLabel('Profile (optional)').inputValue()).resolves.toBe('support');
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Connect');
    expect(await callsOf(page, 'connect')).toEqual([]);
    await shot(page, 'main-deep-link');
    await page.keyboard.press('Enter');
    await page.getByTestId('connected').waitFor();
    const calls = (await callsOf(page, 'connect')) as { request: { host_id: string; profile: string } }[];
    expect(calls[0].request).toMatchObject({ host_id: '987654321', profile: 'support' });
    await page.close();
  });

  it('takes the link that started the app before the window listened', async () => {
    const page = await home({ pendingLink: { link: { host_id: '222333444', profile: null }, refused: null } });
    await page.getByText('A link asks to connect to 222 333 444. Check the ID').waitFor();
    await expect(page.getByLabel('Remote ID').inputValue()).resolves.toBe('222 333 444');
    expect((await callsOf(page, 'pending_deep_link')).length).toBe(1);
    await page.close();
    const refused = await home({ pendingLink: { link: null, refused: 'A latchkey:// link was refused: it carried a password.' } });
    await banner(refused, 'deep_link_refused').getByText('it carried a password').waitFor();
    await refused.close();
  });

  it('shows a notice with the settings section that helps', async () => {
    const page = await home();
    // Worded like the Rust side's messages (a fragment); shown as a sentence.
    await emitEvent(page, 'notice', { message: 'the service refused to turn saving logins on', section: 'security' });
    const b = banner(page, 'notice');
    await b.getByText('The service refused to turn saving logins on.', { exact: true }).waitFor();
    await shot(page, 'main-notice');
    await b.getByRole('button', { name: 'Open Security' }).click();
    await page.getByRole('heading', { name: 'Security', level: 1 }).waitFor();
    await expect(b.count()).resolves.toBe(0);
    await page.close();
  });

  it('shows a refused link as an error banner', async () => {
    const page = await home();
    await emitEvent(page, 'deep_link_refused', { message: 'The link names no valid ID.' });
    const b = banner(page, 'deep_link_refused');
    await b.waitFor();
    await expect(b.innerText()).resolves.toMatch(/A Latchkey link was refused[\s\S]*The link names no valid ID./);
    await shot(page, 'main-deep-link-refused');
    await page.close();
  });
});
