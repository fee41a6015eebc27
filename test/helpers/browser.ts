// Debian's chromium driven by playwright-core (never a downloaded browser), with a virtual WebAuthn
// authenticator over the DevTools protocol, so passkey ceremonies run for real in tests. Without chromium
// the browser tests fail with what to install; they never skip.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';

import { PROJECT_ROOT } from './dist.js';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Refuses, with what to install, when Debian's chromium is missing: the browser tests never skip
 * (`.ci/run` installs it; on a workstation: `sudo apt-get install chromium`).
 */
export function requireBrowser(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `the browser tests need Debian's chromium at ${CHROMIUM}: run \`sudo apt-get install chromium\` (.ci/run does)`,
    );
  }
}

export async function launchBrowser(): Promise<Browser> {
  requireBrowser();
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
}

export interface VirtualAuthenticator {
  readonly id: string;
  readonly cdp: CDPSession;
  /** The credentials the authenticator holds (id and rpId). */
  credentials(): Promise<{ credentialId: string; rpId?: string }[]>;
}

/** A CTAP2 platform authenticator with user verification, answering without a person present. */
export async function addVirtualAuthenticator(page: Page): Promise<VirtualAuthenticator> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    id: authenticatorId,
    cdp,
    credentials: async () =>
      (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials.map((c) => ({
        credentialId: c.credentialId,
        ...(c.rpId !== undefined ? { rpId: c.rpId } : {}),
      })),
  };
}

/** A fresh context (own cookies) with one page. */
export async function newPage(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  return { context, page };
}

/** Saves a screenshot as a test artefact under test-artifacts/screenshots (not committed). */
export async function screenshot(
  page: Page,
  name: string,
  options: { fullPage?: boolean } = {},
): Promise<string> {
  const dir = path.join(PROJECT_ROOT, 'test-artifacts', 'screenshots');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: options.fullPage ?? true });
  return file;
}
