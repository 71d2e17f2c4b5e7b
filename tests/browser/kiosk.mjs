// kiosk.mjs: the kiosk in a real browser (Debian's Chromium driven by
// playwright-core), printing TAP.  Walks the explainer and the whole
// wizard in every language given, with JavaScript on and off; checks the
// report arrives, opened, in the inbox; that quick exit and the idle
// timeout leave nothing that Back or reload can reach; runs axe-core's
// WCAG 2.2 AA rules on every screen (the no-JavaScript render is audited
// as served HTML, since axe itself is JavaScript; Urdu and Arabic get the
// contrast rule again on a Latin-lettered copy, which axe otherwise
// skips); saves a screenshot of every screen; and fails on any request
// that leaves the kiosk.
//
// Environment: KIOSK_URL, KIOSK_IDLE_URL (a kiosk with a short idle
// timeout), INBOX_URL (optional), LANGS ("en pa ur ar so sq"),
// SCREENSHOTS (directory), NODE_MODULES (where playwright-core and
// axe-core are installed), CHROMIUM.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(path.join(process.env.NODE_MODULES, 'x.js'));
const { chromium } = require('playwright-core');
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const base = process.env.KIOSK_URL;
const idleBase = process.env.KIOSK_IDLE_URL;
const inbox = process.env.INBOX_URL || '';
const langs = (process.env.LANGS || 'en').split(/\s+/).filter(Boolean);
const shots = process.env.SCREENSHOTS;
const rtl = new Set(['ur', 'ar']);

let n = 0;
let failures = 0;
function ok(cond, name, detail) {
  n += 1;
  console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${name}`);
  if (!cond) {
    failures += 1;
    if (detail) console.log('# ' + String(detail).split('\n').join('\n# '));
  }
  return cond;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: false,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
         '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'],
});
// The audit context may inject axe despite the CSP; nothing else does.
const auditContext = await browser.newContext({ bypassCSP: true, viewport: { width: 1024, height: 1366 } });
const auditPage = await auditContext.newPage();
const external = [];

async function newPage(js) {
  const context = await browser.newContext({ javaScriptEnabled: js, viewport: { width: 1024, height: 1366 } });
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
async function audit(page, label, lang) {
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

async function screen(page, lang, js, name) {
  const label = `${lang} ${js ? 'js' : 'nojs'} ${name}`;
  if (shots) await page.screenshot({ path: path.join(shots, `${lang}-${js ? 'js' : 'nojs'}-${name}.png`), fullPage: true });
  const attrs = await page.evaluate(() => ({
    lang: document.documentElement.lang, dir: document.documentElement.dir,
    exit: !!document.querySelector('form[action="/exit"] #quick-exit'),
    emergency: /999/.test(document.querySelector('.emergency')?.textContent || ''),
  }));
  ok(attrs.lang === lang && attrs.dir === (rtl.has(lang) ? 'rtl' : 'ltr') && attrs.exit && attrs.emergency,
     `${label}: lang/dir, quick exit, emergency line`, JSON.stringify(attrs));
  await audit(page, label, lang);
}

// Every step lives at the same URL: wait for the next document's load
// event, not for a URL.
async function next(page) {
  await Promise.all([page.waitForEvent('load'), page.click('button[name="action"][value="next"]')]);
}

async function choose(page, id) {
  await page.click(`label[for="${id}"]`);
}

async function inboxHas(ref, text) {
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

async function noTrace(page, secrets, label) {
  const body = await page.content();
  const leaked = secrets.filter((s) => body.includes(s));
  ok(leaked.length === 0, `${label}: nothing of the previous answers`, leaked.join(', '));
}

async function walk(lang, js) {
  const { context, page } = await newPage(js);
  const tag = `${lang} ${js ? 'js' : 'nojs'}`;
  const nonce = `walk-${lang}-${js ? 'js' : 'nojs'}-${Date.now()}`;
  try {
    await page.goto(base + '/');
    await screen(page, 'en', js, 'start');
    await Promise.all([page.waitForURL(`${base}/${lang}/`), page.click(`a[hreflang="${lang}"]`)]);
    for (let i = 1; i <= 5; i++) {
      await screen(page, lang, js, `explain-${i}`);
      await Promise.all([page.waitForEvent('load'), page.click('nav.steps a.button.primary')]);
    }
    ok(page.url() === `${base}/${lang}/report`, `${tag}: explainer leads to the wizard`, page.url());
    await screen(page, lang, js, 'step-category');
    await choose(page, 'category-domestic-abuse');
    await next(page);
    await screen(page, lang, js, 'step-partner');
    await choose(page, 'partner-demo-support');
    await next(page);
    await screen(page, lang, js, 'step-contact');
    await choose(page, 'method-phone');
    await next(page);
    // An invalid answer first: the step comes back with an error.
    await page.fill('#phone', 'call me');
    await next(page);
    ok(await page.locator('.error-summary[role="alert"]').count() === 1, `${tag}: invalid phone shows an error`);
    await screen(page, lang, js, 'step-details-error');
    await page.fill('#phone', '+44 7700 900123');
    await choose(page, 'voicemail-no');
    await choose(page, 'sms-yes');
    await page.fill('#safe_times', 'weekdays 10-12');
    await next(page);
    await screen(page, lang, js, 'step-needs');
    await choose(page, 'interpreter-none');
    await choose(page, 'woman_worker-yes');
    await next(page);
    await screen(page, lang, js, 'step-police');
    await choose(page, 'police-no');
    await next(page);
    await screen(page, lang, js, 'step-message');
    await page.fill('#message', nonce);
    await next(page);
    await screen(page, lang, js, 'step-check');
    const check = await page.content();
    ok(check.includes(nonce) && check.includes('<bdi dir="ltr">+44 7700 900123</bdi>'), `${tag}: check screen lists what will be shared`);
    await next(page);
    const ref = (await page.locator('.code bdi[dir="ltr"]').textContent() || '').trim();
    ok(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/.test(ref), `${tag}: receipt shows a reference code`, ref);
    await screen(page, lang, js, 'receipt');
    await noTrace(page, [nonce, '7700'], `${tag} receipt`);
    ok(await inboxHas(ref, nonce), `${tag}: report ${ref} arrives opened in the inbox`);
    // Back and reload reach only the receipt, never the answers.
    await page.goBack();
    await noTrace(page, [nonce, '7700'], `${tag} back after sending`);
    await page.reload();
    await noTrace(page, [nonce, '7700'], `${tag} reload after sending`);
    await page.goto(`${base}/${lang}/report`);
    await Promise.all([page.waitForURL(`${base}/`), page.click('form[action="/done"] button')]);
    ok(page.url() === `${base}/`, `${tag}: finish returns to the start screen`);
    await page.goBack();
    await noTrace(page, [nonce, '7700'], `${tag} back after finishing`);
  } catch (e) {
    ok(false, `${tag}: walk`, e.stack);
  } finally {
    await context.close();
  }
}

async function quickExit(js) {
  const { context, page } = await newPage(js);
  const tag = `en ${js ? 'js' : 'nojs'}`;
  const nonce = `exit-${js ? 'js' : 'nojs'}-${Date.now()}`;
  try {
    await page.goto(`${base}/en/report`);
    await choose(page, 'category-sexual-violence');
    await next(page);
    await choose(page, 'partner-demo-support');
    await next(page);
    await choose(page, 'method-trusted-person');
    await next(page);
    await page.fill('#trusted_person', nonce);
    await next(page);
    if (js) {
      await Promise.all([page.waitForEvent('load'), page.keyboard.press('Escape')]);
    } else {
      await Promise.all([page.waitForEvent('load'), page.click('#quick-exit')]);
    }
    await page.waitForURL(`${base}/exit`);
    const neutral = await page.content();
    ok(!/saferoute|report|police|999/i.test(await page.locator('body').textContent()), `${tag}: quick exit shows a neutral page`);
    ok(/http-equiv="refresh" content="\d+;url=\/"/.test(neutral), `${tag}: neutral page returns to the start screen`);
    if (shots) await page.screenshot({ path: path.join(shots, `en-${js ? 'js' : 'nojs'}-quick-exit.png`) });
    for (let i = 0; i < 3; i++) {
      await page.goBack().catch(() => {});
      await noTrace(page, [nonce], `${tag} back ${i + 1} after quick exit`);
    }
    await page.reload();
    await noTrace(page, [nonce], `${tag} reload after quick exit`);
    await page.goto(`${base}/en/report`);
    ok(await page.locator('input[name="step"][value="category"]').count() === 1 && await page.locator('input:checked').count() === 0,
       `${tag}: after quick exit the wizard starts empty`);
  } catch (e) {
    ok(false, `${tag}: quick exit`, e.stack);
  } finally {
    await context.close();
  }
}

async function idle(js) {
  const { context, page } = await newPage(js);
  const tag = `en ${js ? 'js' : 'nojs'}`;
  try {
    await page.goto(`${idleBase}/en/report`);
    await choose(page, 'category-hate-crime');
    await next(page);
    if (js) {
      await page.waitForSelector('.idle-overlay:not([hidden])', { timeout: 15000 });
      if (shots) await page.screenshot({ path: path.join(shots, 'en-js-idle-warning.png') });
      ok(true, `${tag}: idle warning shown`);
    } else {
      await page.waitForURL(`${idleBase}/en/idle`, { timeout: 15000 });
      if (shots) await page.screenshot({ path: path.join(shots, 'en-nojs-idle-warning.png') });
      ok(true, `${tag}: idle warning page without JavaScript`);
    }
    await page.waitForURL(`${idleBase}/`, { timeout: 20000 });
    ok(true, `${tag}: idle timeout returns to the start screen`);
    await page.goBack().catch(() => {});
    await page.goto(`${idleBase}/en/report`);
    ok(await page.locator('input:checked').count() === 0, `${tag}: after the idle timeout the answers are gone`);
  } catch (e) {
    ok(false, `${tag}: idle`, e.stack);
  } finally {
    await context.close();
  }
}

for (const js of [true, false]) {
  for (const lang of langs) await walk(lang, js);
  await quickExit(js);
  if (idleBase) await idle(js);
}
ok(external.length === 0, 'no request left the kiosk', external.slice(0, 5).join('\n'));
await browser.close();
console.log(`1..${n}`);
process.exit(failures ? 1 : 0);
