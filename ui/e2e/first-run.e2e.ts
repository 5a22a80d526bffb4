// Main window on first run: the secret-store choice for each thing the app can find (no keyring,
// a locked one, none created yet, and an existing identity behind a locked keyring), each way out
// (the keyring's own prompt, a private file, quitting), and the first ID with its next step.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { callsOf, shot, startHarness, type Harness } from './harness';
import type { MockConfig } from './fake-backend';

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

async function choice(config: MockConfig): Promise<Page> {
  const page = await h.open('index.html', config);
  await page.getByTestId('store-choice').waitFor();
  return page;
}

describe('first run without a usable keyring', () => {
  it('says no keyring runs and offers a private file, trying again, or quitting', async () => {
    const page = await choice({ storeProblem: { problem: 'no_service', can_use_file: true }, fresh: true });
    await page.getByRole('heading', { name: 'No keyring is running' }).waitFor();
    await page.getByRole('button', { name: 'Try the keyring again' }).waitFor();
    await page.getByRole('button', { name: 'Keep secrets in a private file' }).waitFor();
    await page.getByRole('button', { name: 'Quit Latchkey' }).waitFor();
    await expect(page.getByTestId('device-id').count()).resolves.toBe(0);
    await shot(page, 'first-run-no-keyring');
    // Trying again without a keyring says so, and keeps the choice.
    await page.getByRole('button', { name: 'Try the keyring again' }).click();
    await expect(page.getByTestId('store-still').innerText()).resolves.toBe('Still no keyring answers in this session.');
    await shot(page, 'first-run-no-keyring-still');
    // The file store: the ID follows, with what to do next.
    await page.getByRole('button', { name: 'Keep secrets in a private file' }).click();
    await page.getByTestId('device-id').waitFor();
    await expect(page.getByTestId('store-choice').count()).resolves.toBe(0);
    expect(await callsOf(page, 'choose_secret_store')).toEqual([{ choice: 'keyring' }, { choice: 'file' }]);
    await page.getByTestId('next-step').waitFor();
    await shot(page, 'first-run-file-store-id');
    await page.close();
  });

  it('offers to unlock a locked keyring through its own prompt', async () => {
    const page = await choice({ storeProblem: { problem: 'locked', can_use_file: true }, keyringUnlocks: true });
    await page.getByRole('heading', { name: 'The login keyring is locked' }).waitFor();
    await shot(page, 'first-run-keyring-locked');
    await page.getByRole('button', { name: 'Unlock the keyring…' }).click();
    await page.getByTestId('device-id').waitFor();
    await page.close();
  });

  it('offers to create the login keyring when there is none', async () => {
    const page = await choice({ storeProblem: { problem: 'no_default_collection', can_use_file: true } });
    await page.getByRole('heading', { name: 'There is no login keyring yet' }).waitFor();
    await page.getByRole('button', { name: 'Create the login keyring…' }).waitFor();
    await shot(page, 'first-run-no-login-keyring');
    await page.close();
  });

  it('keeps an existing identity: no file offered when the keyring breaks later', async () => {
    const page = await choice({ storeProblem: { problem: 'locked', can_use_file: false } });
    await expect(page.getByRole('button', { name: 'Keep secrets in a private file' }).count()).resolves.toBe(0);
    await page.getByText('This computer’s identity is already in the keyring').waitFor();
    await shot(page, 'store-locked-while-running');
    await page.close();
  });

  it('quits when asked', async () => {
    const page = await choice({ storeProblem: { problem: 'no_service', can_use_file: true } });
    await page.getByRole('button', { name: 'Quit Latchkey' }).click();
    await expect.poll(() => callsOf(page, 'quit_app')).toEqual([{}]);
    await page.close();
  });

  it('shows the first ID with one line saying what to do next', async () => {
    const page = await h.open('index.html', { fresh: true });
    await page.getByTestId('device-id').waitFor();
    await expect(page.getByTestId('next-step').innerText()).resolves.toBe(
      'Next: give this ID to whoever connects; to reach this computer with nobody here, turn on unattended access in Profiles.',
    );
    await shot(page, 'first-run-id');
    await page.getByTestId('next-step').getByRole('button', { name: 'Profiles' }).click();
    await page.getByRole('heading', { name: 'Profiles', level: 1 }).waitFor();
    await page.close();
  });
});
