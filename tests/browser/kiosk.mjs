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
// timeout), INBOX_URL (optional), LANGS ("en pa ur ar so sq"), and
// lib.mjs's (SCREENSHOTS, NODE_MODULES, CHROMIUM).
import {
  ok, launch, newPage, screen, shot, choose, next, walkExplainer, walkWizard,
  afterReceipt, answersToWipe, afterExit, finish,
} from './lib.mjs';

const base = process.env.KIOSK_URL;
const idleBase = process.env.KIOSK_IDLE_URL;
const inbox = process.env.INBOX_URL || '';
const langs = (process.env.LANGS || 'en').split(/\s+/).filter(Boolean);

await launch({ viewport: { width: 1024, height: 1366 } });

async function walk(lang, js) {
  const { context, page } = await newPage(js);
  const tag = `${lang} ${js ? 'js' : 'nojs'}`;
  const nonce = `walk-${lang}-${js ? 'js' : 'nojs'}-${Date.now()}`;
  try {
    await page.goto(base + '/');
    await screen(page, 'en', js, 'start');
    await Promise.all([page.waitForURL(`${base}/${lang}/`), page.click(`a[hreflang="${lang}"]`)]);
    await walkExplainer(page, base, lang, js, tag);
    const ref = await walkWizard(page, lang, js, nonce);
    await afterReceipt(page, base, lang, tag, inbox, ref, nonce);
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
    await answersToWipe(page, base, nonce);
    if (js) {
      await Promise.all([page.waitForEvent('load'), page.keyboard.press('Escape')]);
    } else {
      await Promise.all([page.waitForEvent('load'), page.click('#quick-exit')]);
    }
    await page.waitForURL(`${base}/exit`);
    const neutral = await page.content();
    ok(!/saferoute|report|police|999/i.test(await page.locator('body').textContent()), `${tag}: quick exit shows a neutral page`);
    ok(/http-equiv="refresh" content="\d+;url=\/"/.test(neutral), `${tag}: neutral page returns to the start screen`);
    await shot(page, `en-${js ? 'js' : 'nojs'}-quick-exit`);
    await afterExit(page, base, tag, nonce);
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
      await shot(page, 'en-js-idle-warning');
      ok(true, `${tag}: idle warning shown`);
    } else {
      await page.waitForURL(`${idleBase}/en/idle`, { timeout: 15000 });
      await shot(page, 'en-nojs-idle-warning');
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
await finish('kiosk');
