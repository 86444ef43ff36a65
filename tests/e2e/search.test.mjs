// End-to-end test of the newsdex search page: drives Debian's chromium (no browser download)
// against a running `newsdex serve` at NEWSDEX_URL, and saves screenshots to SCREENSHOT_DIR.
// Expects an index that holds the bundled corpus, tests/fixtures/serve/hostile/script.txt and
// tests/fixtures/e2e-links/links.jsonl.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const BASE = process.env.NEWSDEX_URL;
if (!BASE) {
  console.error('error: set NEWSDEX_URL to the address `newsdex serve` printed (e.g. http://127.0.0.1:7878/)');
  process.exit(2);
}
const SHOTS = process.env.SCREENSHOT_DIR || join('target', 'e2e-screenshots');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
mkdirSync(SHOTS, { recursive: true });

const profile = mkdtempSync(join(tmpdir(), 'newsdex-e2e-'));
// A fresh profile each run (playwright passes it to chromium as --user-data-dir).
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  viewport: { width: 1280, height: 860 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

let passed = 0;
let failed = 0;
const dialogs = [];
const pageErrors = [];

async function step(name, body) {
  try {
    await body();
    passed += 1;
    console.log(`ok - ${name}`);
  } catch (error) {
    failed += 1;
    console.log(`not ok - ${name}\n  ${String(error.stack || error).split('\n').join('\n  ')}`);
  }
}

const page = await context.newPage();
page.setDefaultTimeout(10_000);
page.on('dialog', (dialog) => { dialogs.push(dialog.message()); dialog.dismiss(); });
page.on('pageerror', (error) => pageErrors.push(String(error)));
const shot = (name) => page.screenshot({ path: join(SHOTS, `${name}.png`) });
const query = () => new URL(page.url()).searchParams;

await step('the page loads offline-ready and shows the index overview', async () => {
  await page.goto(BASE);
  await page.waitForFunction(() => document.getElementById('status').textContent.includes('passages in'));
  assert.ok(await page.locator('#histogram .bar').count() > 1);
  await shot('01-overview');
});

await step('typing a query shows highlighted passages grouped by article', async () => {
  // The box has focus on load; Esc leaves it and `/` comes back to it.
  await page.keyboard.press('Escape');
  assert.notEqual(await page.evaluate(() => document.activeElement.id), 'q');
  await page.keyboard.press('/');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'q');
  await page.keyboard.type('ammunition Serbia', { delay: 30 });
  await page.waitForSelector('#results mark');
  const marked = await page.locator('#results mark').allTextContents();
  assert.ok(marked.length > 0);
  assert.ok(marked.every((text) => /ammunit|serbia/i.test(text)), marked.join('|'));
  const groups = await page.locator('#results .article-group').count();
  const passages = await page.locator('#results .passage').count();
  assert.ok(groups >= 2 && passages >= groups, `${groups} groups, ${passages} passages`);
  await page.waitForFunction(() => new URL(location.href).searchParams.get('q') === 'ammunition Serbia');
  await page.waitForFunction(() => /matching passage/.test(document.getElementById('status').textContent));
  await shot('02-results');
});

await step('clicking an entity facet adds an entity filter', async () => {
  const before = await page.locator('#status').textContent();
  const facet = page.locator('#entities button[data-facet="entity"]').nth(1);
  const name = await facet.getAttribute('data-value');
  await facet.click();
  await page.waitForFunction((value) => new URL(location.href).searchParams.getAll('entity').includes(value), name);
  await page.waitForFunction((text) => document.getElementById('status').textContent !== text
    && /matching passage/.test(document.getElementById('status').textContent), before);
  assert.match(await page.locator('#chips').textContent(), new RegExp(`entity: ${name}`));
  await shot('03-entity-filter');
});

await step('selecting a histogram bar narrows the date range', async () => {
  const bar = page.locator('#histogram .bar:not(.empty)').first();
  const month = await bar.getAttribute('data-month');
  await bar.click();
  await page.waitForFunction((m) => new URL(location.href).searchParams.get('since') === `${m}-01`, month);
  assert.equal(await page.locator('#since').inputValue(), `${month}-01`);
  assert.ok(query().get('until').startsWith(month));
  await page.waitForSelector('#results .passage');
  // The results of the month replace the others once they come.
  await page.waitForFunction((m) => [...document.querySelectorAll('#results .meta')]
    .every((node) => node.textContent.startsWith(m)), month).catch(() => {});
  const dates = await page.locator('#results .meta').allTextContents();
  assert.ok(dates.every((text) => text.startsWith(month)), dates.join('|'));
  await shot('04-month');
});

await step('arrow keys and Enter open the article with the passage marked; Esc closes it', async () => {
  await page.locator('#q').focus();
  await page.keyboard.press('ArrowDown');
  const chosen = page.locator('#results .passage.selected');
  const ordinal = await chosen.getAttribute('data-ordinal');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#article-view:not([hidden]) #article-body p.hit');
  assert.equal(await page.locator('#article-body p.hit').getAttribute('data-ordinal'), ordinal);
  assert.equal(query().get('p'), ordinal);
  assert.ok(await page.locator('#article-body p.hit').isVisible());
  const inView = await page.locator('#article-body p.hit').evaluate((node) => {
    const box = node.getBoundingClientRect();
    return box.top >= 0 && box.top < window.innerHeight;
  });
  assert.ok(inView, 'the hit passage is scrolled into view');
  await shot('05-article');
  await page.keyboard.press('Escape');
  await page.waitForSelector('#article-view', { state: 'hidden' });
  assert.equal(query().get('article'), null);
});

await step('back and forward restore the state from the URL', async () => {
  await page.goBack();
  await page.waitForSelector('#article-view:not([hidden]) #article-body p.hit');
  await page.goBack();
  await page.waitForSelector('#article-view', { state: 'hidden' });
  assert.ok(query().get('since'));
  await page.goForward();
  await page.waitForSelector('#article-view:not([hidden])');
  await page.keyboard.press('Escape');
  // A shared URL opens the same view in a fresh page.
  const fresh = await context.newPage();
  await fresh.goto(page.url());
  await fresh.waitForSelector('#results .passage');
  assert.equal(await fresh.locator('#q').inputValue(), 'ammunition Serbia');
  await fresh.close();
});

await step('an article with <script> and onerror markup shows as text and runs nothing', async () => {
  await page.goto(`${BASE}?q=ampersands+hostile`);
  await page.waitForSelector('#results .passage');
  const snippets = (await page.locator('#results').textContent());
  assert.ok(snippets.includes('<img src=x onerror='), snippets);
  await page.goto(`${BASE}?article=hostile%2Fscript.txt&p=0`);
  await page.waitForSelector('#article-body p.hit');
  assert.match(await page.locator('#article-title').textContent(), /<script>window.__xss = 1; alert\(1\)<\/script>/);
  assert.equal(await page.locator('#article-view script, #results script, #article-view img, #results img').count(), 0);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.deepEqual(dialogs, []);
  await shot('06-hostile-article');
});

await step('next and previous pages move through the results by the URL\'s offset', async () => {
  await page.goto(`${BASE}?q=ammunition`);
  await page.waitForSelector('#results .passage');
  assert.equal(await page.locator('#results .passage').count(), 30);
  assert.ok(await page.locator('#page-previous').isDisabled());
  const firstPage = await page.locator('#results .passage').first().getAttribute('data-ordinal');
  const firstTitle = await page.locator('#results .article-title').first().textContent();
  await page.locator('#page-next').click();
  await page.waitForFunction(() => new URL(location.href).searchParams.get('offset') === '30');
  await page.waitForFunction(() => /passages 31–/.test(document.getElementById('pager').textContent));
  const secondCount = await page.locator('#results .passage').count();
  assert.ok(secondCount > 0 && secondCount < 30, `${secondCount} passages on the last page`);
  assert.ok(await page.locator('#page-next').isDisabled());
  assert.ok(await page.locator('#page-previous').isEnabled());
  await shot('07-second-page');
  // Back returns to the first page; a fresh page at the URL opens the second one.
  const second = page.url();
  await page.goBack();
  await page.waitForFunction(() => new URL(location.href).searchParams.get('offset') === null);
  await page.waitForFunction(() => /passages 1–30/.test(document.getElementById('pager').textContent));
  assert.equal(await page.locator('#results .article-title').first().textContent(), firstTitle);
  assert.equal(await page.locator('#results .passage').first().getAttribute('data-ordinal'), firstPage);
  const fresh = await context.newPage();
  await fresh.goto(second);
  await fresh.waitForFunction(() => /passages 31–/.test(document.getElementById('pager')?.textContent || ''));
  await fresh.close();
  // A new query starts again at the first page.
  await page.goto(second);
  await page.waitForSelector('#pager');
  await page.locator('#q').fill('ammunition Serbia');
  await page.locator('#q').press('Enter');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('q') === 'ammunition Serbia'
    && new URL(location.href).searchParams.get('offset') === null);
});

await step('a hit shows its URL as a link that gets no handle on the page; other schemes stay text', async () => {
  await page.goto(`${BASE}?q=pipeline+Gdansk`);
  await page.waitForSelector('#results a.source');
  const link = page.locator('#results a.source').first();
  assert.equal(await link.getAttribute('href'), 'https://example.com/pipeline?id=1&x=2');
  assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
  assert.equal(await link.textContent(), 'https://example.com/pipeline?id=1&x=2');
  await page.goto(`${BASE}?q=zebra+harbour`);
  await page.waitForSelector('#results .source');
  assert.equal(await page.locator('#results a.source').count(), 0);
  assert.equal(await page.locator('#results .source').first().textContent(), 'javascript:window.__xss=3');
  await page.locator('#results .source').first().click();
  assert.equal(await page.evaluate(() => window.__xss), undefined);
});

await step('outlet and author facets list what the hits carry, and a click filters on it', async () => {
  await page.goto(`${BASE}?q=pipeline+Gdansk`);
  await page.waitForSelector('#sources button[data-facet="source"]');
  assert.equal(await page.locator('#sources-section').isVisible(), true);
  assert.equal(await page.locator('#authors button[data-facet="author"]').first().textContent(), 'Jane Doe');
  const outlet = page.locator('#sources button[data-facet="source"]').first();
  assert.equal(await outlet.textContent(), 'example.com');
  assert.match(await page.locator('#results .meta').first().textContent(), /example\.com · by Jane Doe/);
  await outlet.click();
  await page.waitForFunction(() => new URL(location.href).searchParams.getAll('source').includes('example.com'));
  assert.match(await page.locator('#chips').textContent(), /source: example\.com/);
  await shot('08-outlet-facet');
  // A corpus without outlets shows no outlet list.
  await page.goto(`${BASE}?q=ammunition+Serbia`);
  await page.waitForSelector('#results mark');
  assert.equal(await page.locator('#sources-section').isVisible(), false);
});

await step('a declared keyword field is a facet list, and a click adds it to the query', async () => {
  await page.goto(`${BASE}?q=pipeline+zebra`);
  await page.waitForSelector('#extra-facets button[data-facet="beat"]');
  const beat = page.locator('#extra-facets button[data-facet="beat"]').first();
  assert.equal(await beat.textContent(), 'Energy');
  await beat.click();
  await page.waitForFunction(() => (new URL(location.href).searchParams.get('q') || '').includes('+beat:"Energy"'));
  await page.waitForFunction(() => !document.getElementById('results').textContent.includes('Zebra crossing'));
  assert.match(await page.locator('#results').textContent(), /Pipeline deal signed/);
  await shot('08b-declared-field-facet');
});

await step('a misspelt word offers the corrected query as a link that searches it', async () => {
  await page.goto(`${BASE}?q=amunition+Serbia`);
  await page.waitForSelector('#suggestion button');
  const link = page.locator('#suggestion button');
  assert.equal(await link.textContent(), 'ammunition Serbia');
  await link.click();
  await page.waitForFunction(() => new URL(location.href).searchParams.get('q') === 'ammunition Serbia');
  await page.waitForSelector('#results mark');
  await page.waitForFunction(() => document.getElementById('suggestion').hidden);
  assert.equal(await page.inputValue('#q'), 'ammunition Serbia');
  await shot('09-suggestion');
});

await step('a narrow screen has no sideways scrolling', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${BASE}?q=gas+prices`);
  await page.waitForSelector('#results .passage');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `${overflow}px wider than the screen`);
  await shot('10-narrow');
});

await step('no script errors on the page', async () => {
  assert.deepEqual(pageErrors, []);
});

await context.close();
rmSync(profile, { recursive: true, force: true });
console.log(`screenshots in ${SHOTS}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
