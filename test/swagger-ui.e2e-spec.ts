import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { signIn } from './support/auth';
import { Stack, STACK_TIMEOUT_MS, startStack } from './support/stack';

const CHROMIUM = '/usr/bin/chromium';
const describeWithBrowser = existsSync(CHROMIUM) ? describe : describe.skip;
if (!existsSync(CHROMIUM))
  console.warn(`Swagger UI browser test skipped: ${CHROMIUM} is missing (apt-get install chromium)`);

describeWithBrowser('Swagger UI in a real browser', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    stack = await startStack({}, { worker: false });
    // launch() gives every run a fresh, throw-away profile.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    page = await browser.newPage();
  }, STACK_TIMEOUT_MS);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  }, STACK_TIMEOUT_MS);

  afterEach(async () => {
    const state = expect.getState();
    if (state.assertionCalls !== state.numPassingAsserts) {
      mkdirSync('test-results', { recursive: true });
      await page.screenshot({ path: join('test-results', 'swagger-ui-failure.png'), fullPage: true });
    }
  });

  it('loads /docs with the API operations', async () => {
    await page.goto(`${stack.api.url}/docs`);
    await page.locator('#operations-users-getCurrentUser').waitFor({ timeout: 15_000 });
    expect(await page.locator('.opblock').count()).toBeGreaterThan(20);
  }, 30_000);

  it('authorizes with a bearer token and runs "Try it out" on a protected endpoint', async () => {
    const { accessToken, mobile } = await signIn(stack.api.url);
    await page.goto(`${stack.api.url}/docs`);
    await page.locator('button.authorize').first().click();
    const dialog = page.locator('.dialog-ux .modal-ux');
    await dialog.locator('input').first().fill(accessToken);
    await dialog.locator('button.authorize').click();
    await dialog.locator('button.btn-done').click();

    const operation = page.locator('#operations-users-getCurrentUser');
    await operation.locator('.opblock-summary').click();
    await operation.locator('button.try-out__btn').click();
    await operation.locator('button.execute').click();
    const status = operation.locator('.live-responses-table .response .response-col_status').first();
    await status.waitFor({ timeout: 15_000 });
    expect((await status.innerText()).trim()).toBe('200');
    expect(await operation.locator('.live-responses-table .microlight').first().innerText()).toContain(
      mobile,
    );
  }, 45_000);
});
