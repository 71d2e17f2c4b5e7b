// gateway-web.mjs: the gateway's web wizard on a phone (360x740, mobile,
// touch) in Debian's Chromium with JavaScript off, printing TAP.  In every
// language given: /report follows the browser's language to /LANG/report,
// the explainer the wizard links to, the whole wizard, the receipt, the
// report opened in the inbox, Back and reload after sending; then quick
// exit (POST-redirect-GET to a neutral page; nothing reachable by Back or
// reload).  Every screen is audited with axe-core (lib.mjs) and saved as
// a screenshot; no request may leave loopback.
//
// Environment: GATEWAY_URL, INBOX_URL (optional), LANGS (translated
// languages to walk), SKIP_LANGS (untranslated ones: reported as SKIP),
// and lib.mjs's (SCREENSHOTS, NODE_MODULES, CHROMIUM).
import {
  ok, skip, launch, newPage, screen, shot, walkExplainer, walkWizard,
  afterReceipt, answersToWipe, afterExit, finish,
} from './lib.mjs';

const base = process.env.GATEWAY_URL;
const inbox = process.env.INBOX_URL || '';
const langs = (process.env.LANGS || 'en').split(/\s+/).filter(Boolean);
const skipped = (process.env.SKIP_LANGS || '').split(/\s+/).filter(Boolean);
const js = false;

await launch({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });

async function walk(lang) {
  const { context, page } = await newPage(js, { locale: lang });
  const nonce = `web-${lang}-${Date.now()}`;
  try {
    await page.goto(base + '/report');
    ok(page.url() === `${base}/${lang}/report`, `${lang}: /report follows the browser's language`, page.url());
    await Promise.all([page.waitForEvent('load'), page.click(`a[href="/${lang}/explain/1"]`)]);
    await walkExplainer(page, base, lang, js, lang);
    const ref = await walkWizard(page, lang, js, nonce);
    await afterReceipt(page, base, lang, lang, inbox, ref, nonce);
  } catch (e) {
    ok(false, `${lang}: walk`, e.stack);
  } finally {
    await context.close();
  }
}

// A browser in none of our languages gets the choice, each language in
// its own script.
async function choice(lang) {
  const { context, page } = await newPage(js, { locale: 'fr-FR' });
  try {
    await page.goto(base + '/report');
    ok(page.url() === `${base}/report`, 'no language of ours: /report is the language choice', page.url());
    await screen(page, 'en', js, 'start');
    await Promise.all([page.waitForURL(`${base}/${lang}/`), page.click(`a[hreflang="${lang}"]`)]);
    ok(true, `the choice leads to the ${lang} explainer`);
  } catch (e) {
    ok(false, 'language choice', e.stack);
  } finally {
    await context.close();
  }
}

async function quickExit() {
  const { context, page } = await newPage(js, { locale: 'en-GB' });
  const nonce = `exit-${Date.now()}`;
  try {
    await answersToWipe(page, base, nonce);
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${base}/exit` && r.request().method() === 'POST'),
      page.click('#quick-exit'),
    ]);
    const headers = await response.allHeaders();
    ok(response.status() === 303 && /"cache", "cookies", "storage"/.test(headers['clear-site-data'] || ''),
       'quick exit: 303 with Clear-Site-Data', `${response.status()} ${JSON.stringify(headers)}`);
    await page.waitForURL(`${base}/exit`);
    await page.waitForLoadState('load');
    ok(!/saferoute|report|police|999/i.test(await page.locator('body').textContent()), 'quick exit shows a neutral page');
    ok((await context.cookies()).length === 0, 'quick exit leaves no cookie in the browser');
    await shot(page, 'en-nojs-quick-exit');
    await afterExit(page, base, 'en nojs', nonce);
  } catch (e) {
    ok(false, 'quick exit', e.stack);
  } finally {
    await context.close();
  }
}

if (skipped.length) skip(`untranslated, not walked: ${skipped.join(' ')}`);
await choice(langs[langs.length - 1]);
for (const lang of langs) await walk(lang);
await quickExit();
await finish('gateway');
