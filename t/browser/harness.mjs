// The browser tests' harness: starts Debian's Chromium through playwright-core
// (never a downloaded browser), runs named steps and prints them as TAP, saves a
// numbered screenshot after every step, and checks pages with axe-core.
//
//   import { run } from './harness.mjs';
//   await run('settings flow', async (t) => {
//       const page = await t.newPage();
//       await t.step('page loads', async () => { ... throw to fail ... }, { page, critical: true });
//       await t.axe(page, 'not connected');
//   });
//
// A step is one TAP test point: it passes when its function returns and fails
// when it throws; the failure's diagnostics carry the message, the page's URL
// and its console errors.  A failed critical step (the page never became ready,
// the install did not come back) fails the steps after it without running them,
// so a broken page costs seconds instead of one timeout per step.  The plan is
// printed at the end, so a run that dies midway is still a failure for prove.
//
// Environment: NXS_BROWSER_OUT (screenshots; default build/out/browser at the
// repository's top), NXS_CHROMIUM (default /usr/bin/chromium),
// NXS_CHROMIUM_NO_SANDBOX=1 (only where the kernel offers Chromium no sandbox;
// root always runs without one, as Chromium refuses root with a sandbox),
// NXS_BROWSER_DEADLINE_S (default 60: the whole file, then it gives up).
import { mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

export const DESKTOP = { width: 1280, height: 800 };
// Long enough for an OAuth round trip through the mock on a loaded CI machine,
// short enough that a missing element fails the step quickly.
export const TIMEOUT_MS = 7000;

export const outDir = resolve(process.env.NXS_BROWSER_OUT || join(here, '..', '..', 'build', 'out', 'browser'));

// Screenshots are numbered across the files of one run: the next number follows
// the highest one already in the directory (t/settings/browser.t empties it first).
let shotSeq = 0;
function nextShotNumber() {
    if (shotSeq === 0) {
        mkdirSync(outDir, { recursive: true });
        for (const f of readdirSync(outDir)) {
            const m = /^(\d+)-.*\.png$/.exec(f);
            if (m) shotSeq = Math.max(shotSeq, Number(m[1]));
        }
    }
    return ++shotSeq;
}

function slug(name) {
    return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
}

// TAP with names and YAML-free '#' diagnostics, which prove shows on failure.
class Tap {
    constructor() {
        this.count = 0;
        this.failed = 0;
    }
    point(ok, name, diag = []) {
        this.count += 1;
        if (!ok) this.failed += 1;
        console.log(`${ok ? 'ok' : 'not ok'} ${this.count} - ${name.replace(/#/g, '\\#')}`);
        for (const line of diag.flatMap((d) => String(d).split('\n'))) console.log(`#   ${line}`);
    }
    note(text) {
        for (const line of String(text).split('\n')) console.log(`# ${line}`);
    }
    plan() {
        console.log(`1..${this.count}`);
    }
}

// Waits until fn() returns a truthy value (polled every 100 ms), or throws
// "timed out: WHAT" with the last value seen.  For state outside the page (the
// JSON API, the mock); DOM states are waited on with locators.
export async function waitFor(fn, what, timeoutMs = TIMEOUT_MS) {
    const until = Date.now() + timeoutMs;
    let last;
    for (;;) {
        try {
            last = await fn();
            if (last) return last;
        } catch (e) {
            last = e;
        }
        if (Date.now() > until) {
            const seen = last instanceof Error ? last.message : JSON.stringify(last);
            throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${seen})`);
        }
        await new Promise((r) => setTimeout(r, 100));
    }
}

// Throws MESSAGE unless COND: the steps' assertion.
export function check(cond, message) {
    if (!cond) throw new Error(message);
}

export function launchOptions() {
    const args = [];
    if (process.getuid?.() === 0 || process.env.NXS_CHROMIUM_NO_SANDBOX === '1') args.push('--no-sandbox');
    return { executablePath: process.env.NXS_CHROMIUM || '/usr/bin/chromium', args };
}

// Runs BODY(t) with a started browser; prints the plan and exits 0 only when
// every step passed.
export async function run(title, body) {
    const tap = new Tap();
    const deadline = Number(process.env.NXS_BROWSER_DEADLINE_S || 60);
    const timer = setTimeout(() => {
        tap.point(false, `${title}: finished within ${deadline} s`, ['the file was stopped by its deadline']);
        tap.plan();
        process.exit(1);
    }, deadline * 1000);
    let browser;
    try {
        browser = await chromium.launch(launchOptions());
    } catch (e) {
        tap.point(false, `${title}: Chromium starts`, [e.message.split('\n').slice(0, 8).join('\n')]);
        tap.plan();
        process.exit(1);
    }
    tap.note(`${title}: Chromium ${browser.version()}, screenshots in ${outDir}`);
    const t = new Runner(tap, browser);
    try {
        await body(t);
    } catch (e) {
        tap.point(false, `${title}: ran to the end`, [e.stack || e.message]);
    } finally {
        await browser.close().catch(() => {});
        clearTimeout(timer);
    }
    tap.plan();
    process.exit(tap.failed ? 1 : 0);
}

class Runner {
    constructor(tap, browser) {
        this.tap = tap;
        this.browser = browser;
        this.stopped = null; // name of the failed critical step
    }

    // A context (own cookies) with one page at the desktop size; console errors
    // and uncaught exceptions are kept for the diagnostics.
    async newPage(options = {}) {
        const context = await this.browser.newContext({ viewport: DESKTOP, ...options });
        context.setDefaultTimeout(TIMEOUT_MS);
        const page = await context.newPage();
        page.nxsErrors = [];
        page.on('console', (m) => m.type() === 'error' && page.nxsErrors.push(`console: ${m.text()}`));
        page.on('pageerror', (e) => page.nxsErrors.push(`uncaught: ${e.message}`));
        return page;
    }

    note(text) {
        this.tap.note(text);
    }

    // One TAP point.  opt.page: screenshot it afterwards (NN-name.png, or
    // NN-name-failed.png), whole unless opt.fullPage is false; opt.critical:
    // later steps cannot run without this one.
    async step(name, fn, opt = {}) {
        if (this.stopped) {
            this.tap.point(false, name, [`not run: "${this.stopped}" failed`]);
            return false;
        }
        let error = null;
        const started = Date.now();
        try {
            await fn();
        } catch (e) {
            error = e;
        }
        const diag = [`took ${Date.now() - started} ms`];
        if (error) {
            // Playwright's call logs are coloured for a terminal.
            diag.push(error.message.replace(/\x1b\[[0-9;]*m/g, '').split('\n').slice(0, 12).join('\n'));
            if (opt.page) {
                diag.push(`url: ${opt.page.url()}`);
                diag.push(...opt.page.nxsErrors.slice(-5));
            }
        }
        if (opt.page) {
            const file = await this.shot(opt.page, error ? `${name} failed` : name, opt.fullPage ?? true);
            if (error) diag.push(`screenshot: ${file}`);
        }
        if (opt.page) opt.page.nxsErrors.length = 0;
        this.tap.point(!error, name, error ? diag : []);
        if (!error) this.note(diag[0]);
        if (error && opt.critical) this.stopped = name;
        return !error;
    }

    // Saves the page (whole, or the viewport) as OUT/NN-name.png and returns the
    // path (or why it could not).
    async shot(page, name, fullPage = true) {
        const file = join(outDir, `${String(nextShotNumber()).padStart(2, '0')}-${slug(name)}.png`);
        try {
            await page.screenshot({ path: file, fullPage, timeout: TIMEOUT_MS });
            return file;
        } catch (e) {
            return `(no screenshot: ${e.message.split('\n')[0]})`;
        }
    }

    // A step that runs axe-core on the page as it is: violations of impact
    // serious or critical fail it (rule id, targets, help); lesser ones are noted.
    // opt as for step().
    async axe(page, name, opt = {}) {
        return this.step(`axe: ${name}: no serious or critical violations`, async () => {
            const violations = await axeViolations(page);
            const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
            const minor = violations.filter((v) => !bad.includes(v));
            if (minor.length) {
                this.note(`axe (${name}), minor/moderate: ${minor.map((v) => `${v.id} (${v.nodes.length})`).join(', ')}`);
            }
            check(bad.length === 0, bad.map(describeViolation).join('\n'));
        }, { page, ...opt });
    }
}

// The page has a Content-Security-Policy without inline scripts, so axe is not
// added as a <script>: page.evaluate runs through the DevTools protocol, which
// the CSP does not govern.
export async function axeViolations(page) {
    const source = require('axe-core').source;
    if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(source);
    return page.evaluate(async () => {
        const r = await window.axe.run(document, { resultTypes: ['violations'] });
        return r.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
        }));
    });
}

function describeViolation(v) {
    const targets = v.nodes.slice(0, 5).map((n) => n.target).join(', ');
    const more = v.nodes.length > 5 ? ` and ${v.nodes.length - 5} more` : '';
    return `${v.impact} ${v.id}: ${v.help} — ${targets}${more}`;
}
