// lib.mjs: what the browser tests of the kiosk (kiosk.mjs) and of the
// gateway's web wizard (gateway-web.mjs) share: TAP output, Debian's
// Chromium through playwright-core, the axe-core audit (WCAG 2.2 AA
// rules; a JavaScript-off render is audited as served HTML, since axe
// itself is JavaScript; Urdu and Arabic get the contrast rule again on a
// Latin-lettered copy, which axe otherwise skips), screenshots, the walk
// through the wizard's steps, and the inbox check.
//
// Environment: NODE_MODULES (where playwright-core and axe-core are
// installed), CHROMIUM, SCREENSHOTS (directory, optional).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(path.join(process.env.NODE_MODULES, 'x.js'));
const { chromium } = require('playwright-core');
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const rtl = new Set(['ur', 'ar']);
const shots = process.env.SCREENSHOTS;

let n = 0;
let failures = 0;
export function ok(cond, name, detail) {
  n += 1;
  console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${name}`);
  if (!cond) {
    failures += 1;
    if (detail) console.log('# ' + String(detail).split('\n').join('\n# '));
  }
  return cond;
}

export function skip(name) {
  n += 1;
  console.log(`ok ${n} - # SKIP ${name}`);
}

let browser;
let auditContext;
let auditPage;
let contextOptions;
const external = [];

// OPTIONS: the browser context's (viewport, isMobile, ...), for the pages
// and for the audit alike, so that axe sees the layout the person sees.
export async function launch(options) {
  contextOptions = options;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: false,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
           '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
  });
  // The audit context may inject axe despite the CSP; nothing else does.
  auditContext = await browser.newContext({ ...contextOptions, bypassCSP: true });
  auditPage = await auditContext.newPage();
}

export async function newPage(js, extra = {}) {
  const context = await browser.newContext({ ...contextOptions, ...extra, javaScriptEnabled: js });
  const page = await context.newPage();
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith('http://127.0.0.1:') && !u.startsWith('data:')) external.push(u);
  });
  return { context, page };
}

// Audits the page as the person sees it: its HTML, served at its own URL
// (so the same CSS and fonts load), without our script, in a context
// where axe may run.
export async function audit(page, label, lang) {
  const url = page.url();
  const html = (await page.content()).replace(/<script src="\/assets\/kiosk\.js"[^>]*><\/script>/g, '');
  await auditContext.route(url, (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }));
  try {
    await auditPage.goto(url);
    await auditPage.addScriptTag({ content: axeSource });
    const result = await auditPage.evaluate(async () => {
      // eslint-disable-next-line no-undef
      const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } });
      return r.violations.map((v) => `${v.id}: ${v.nodes.length} node(s): ${v.nodes.slice(0, 3).map((x) => x.target.join(' ')).join(', ')}`);
    });
    ok(result.length === 0, `axe WCAG 2.2 AA: ${label}`, result.join('\n'));
    if (rtl.has(lang)) {
      // axe skips contrast on Arabic script: check it on Latin letters.
      const contrast = await auditPage.evaluate(async () => {
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        for (let t = walker.nextNode(); t; t = walker.nextNode())
          t.nodeValue = t.nodeValue.replace(/[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]/g, 'x');
        // eslint-disable-next-line no-undef
        const r = await axe.run(document, { runOnly: { type: 'rule', values: ['color-contrast'] } });
        return { violations: r.violations.length, passes: r.passes.length };
      });
      ok(contrast.violations === 0 && contrast.passes > 0, `contrast on Latin-lettered copy: ${label}`, JSON.stringify(contrast));
    }
  } finally {
    await auditContext.unroute(url);
  }
}

// A screenshot (SCREENSHOTS/PREFIX-LANG-js|nojs-NAME.png), the page's
// lang and dir, its quick exit and emergency line, and the audit.
export async function screen(page, lang, js, name, prefix = '') {
  const label = `${lang} ${js ? 'js' : 'nojs'} ${name}`;
  if (shots) await page.screenshot({ path: path.join(shots, `${prefix}${lang}-${js ? 'js' : 'nojs'}-${name}.png`), fullPage: true });
  const attrs = await page.evaluate(() => ({
    lang: document.documentElement.lang, dir: document.documentElement.dir,
    exit: !!document.querySelector('form[action="/exit"] #quick-exit'),
    emergency: /999/.test(document.querySelector('.emergency')?.textContent || ''),
  }));
  ok(attrs.lang === lang && attrs.dir === (rtl.has(lang) ? 'rtl' : 'ltr') && attrs.exit && attrs.emergency,
     `${label}: lang/dir, quick exit, emergency line`, JSON.stringify(attrs));
  await audit(page, label, lang);
}

export async function shot(page, name) {
  if (shots) await page.screenshot({ path: path.join(shots, `${name}.png`) });
}

// Every step lives at the same URL: wait for the next document's load
// event, not for a URL.
export async function next(page) {
  await Promise.all([page.waitForEvent('load'), page.click('button[name="action"][value="next"]')]);
}

export async function choose(page, id) {
  await page.click(`label[for="${id}"]`);
}

// From the wizard's first step to the receipt, one screen per step (an
// invalid phone number first); returns the reference code.
export async function walkWizard(page, lang, js, nonce, prefix = '') {
  const tag = `${lang} ${js ? 'js' : 'nojs'}`;
  await screen(page, lang, js, 'step-category', prefix);
  await choose(page, 'category-domestic-abuse');
  await next(page);
  await screen(page, lang, js, 'step-partner', prefix);
  await choose(page, 'partner-demo-support');
  await next(page);
  await screen(page, lang, js, 'step-contact', prefix);
  await choose(page, 'method-phone');
  await next(page);
  await page.fill('#phone', 'call me');
  await next(page);
  ok(await page.locator('.error-summary[role="alert"]').count() === 1, `${tag}: invalid phone shows an error`);
  await screen(page, lang, js, 'step-details-error', prefix);
  await page.fill('#phone', '+44 7700 900123');
  await choose(page, 'voicemail-no');
  await choose(page, 'sms-yes');
  await page.fill('#safe_times', 'weekdays 10-12');
  await next(page);
  await screen(page, lang, js, 'step-needs', prefix);
  await choose(page, 'interpreter-none');
  await choose(page, 'woman_worker-yes');
  await next(page);
  await screen(page, lang, js, 'step-police', prefix);
  await choose(page, 'police-no');
  await next(page);
  await screen(page, lang, js, 'step-message', prefix);
  await page.fill('#message', nonce);
  await next(page);
  await screen(page, lang, js, 'step-check', prefix);
  const check = await page.content();
  ok(check.includes(nonce) && check.includes('<bdi dir="ltr">+44 7700 900123</bdi>'), `${tag}: check screen lists what will be shared`);
  await next(page);
  const ref = (await page.locator('.code bdi[dir="ltr"]').textContent() || '').trim();
  ok(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/.test(ref), `${tag}: receipt shows a reference code`, ref);
  await screen(page, lang, js, 'receipt', prefix);
  return ref;
}

// The explainer's screens, from the first, by its primary button, to the
// wizard.
export async function walkExplainer(page, base, lang, js, tag, prefix = '') {
  for (let i = 1; i <= 5; i++) {
    await screen(page, lang, js, `explain-${i}`, prefix);
    await Promise.all([page.waitForEvent('load'), page.click('nav.steps a.button.primary')]);
  }
  ok(page.url() === `${base}/${lang}/report`, `${tag}: explainer leads to the wizard`, page.url());
}

// After the receipt: the report in the inbox; Back and reload reach only
// the receipt, never the answers; finishing returns to the start screen.
export async function afterReceipt(page, base, lang, tag, inbox, ref, nonce) {
  // The phone number as typed and as stored; not a shorter piece of it,
  // which a random token on the page can contain by chance.
  const secrets = [nonce, '7700 900123', '7700900123'];
  await noTrace(page, secrets, `${tag} receipt`);
  ok(await inboxHas(inbox, ref, nonce), `${tag}: report ${ref} arrives opened in the inbox`);
  await page.goBack();
  await noTrace(page, secrets, `${tag} back after sending`);
  await page.reload();
  await noTrace(page, secrets, `${tag} reload after sending`);
  await page.goto(`${base}/${lang}/report`);
  await Promise.all([page.waitForURL(`${base}/`), page.click('form[action="/done"] button')]);
  ok(page.url() === `${base}/`, `${tag}: finish returns to the start screen`);
  await page.goBack();
  await noTrace(page, secrets, `${tag} back after finishing`);
}

// A report started in English up to a trusted person's name (NONCE), for
// the quick exit to wipe.
export async function answersToWipe(page, base, nonce) {
  await page.goto(`${base}/en/report`);
  await choose(page, 'category-sexual-violence');
  await next(page);
  await choose(page, 'partner-demo-support');
  await next(page);
  await choose(page, 'method-trusted-person');
  await next(page);
  await page.fill('#trusted_person', nonce);
  await next(page);
}

// After a quick exit: nothing of NONCE by Back or reload, and the wizard
// starts empty.
export async function afterExit(page, base, tag, nonce) {
  for (let i = 0; i < 3; i++) {
    await page.goBack().catch(() => {});
    await noTrace(page, [nonce], `${tag} back ${i + 1} after quick exit`);
  }
  await page.reload();
  await noTrace(page, [nonce], `${tag} reload after quick exit`);
  await page.goto(`${base}/en/report`);
  ok(await page.locator('input[name="step"][value="category"]').count() === 1 && await page.locator('input:checked').count() === 0,
     `${tag}: after quick exit the wizard starts empty`);
}

// TRUE once INBOX (a saferoute-inbox URL; '' = none to check) lists REF
// and shows a report with TEXT under it.
export async function inboxHas(inbox, ref, text) {
  if (!inbox) return true;
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline) {
    try {
      const list = await (await fetch(inbox + '/')).text();
      const i = list.indexOf(ref);
      if (i >= 0) {
        const links = [...list.matchAll(/href="(\/reports\/[^"]+)"/g)].map((m) => m[1]);
        for (const l of links) {
          const detail = await (await fetch(inbox + l)).text();
          if (detail.includes(ref) && detail.includes(text)) return true;
        }
      }
    } catch (e) { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

export async function noTrace(page, secrets, label) {
  const body = await page.content();
  const leaked = secrets.filter((s) => body.includes(s));
  ok(leaked.length === 0, `${label}: nothing of the previous answers`, leaked.join(', '));
}

// The last test (no request left loopback), the plan, the exit status.
export async function finish(what) {
  ok(external.length === 0, `no request left the ${what}`, external.slice(0, 5).join('\n'));
  await browser.close();
  console.log(`1..${n}`);
  process.exit(failures ? 1 : 0);
}
