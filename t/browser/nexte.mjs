// The server side of the browser tests: where the module and the mock Slack
// are, launch links and calls signed as Nexte core (the scheme of
// t/lib/NxsClient.pm and README "Settings"), the settings JSON API through a
// page's session, and the mock's control API (t/mock_slack/README.md).
//
// Environment (t/settings/browser.t sets the first two):
//   NXS_BASE_URL          http://host:port of httpd (required); its host must be
//                         the one in NexteSlackPublicURL, or the OAuth callback
//                         comes back to another host without the session cookie
//   NXS_MOCK_CONTROL_URL  the mock's control port, e.g. http://127.0.0.1:8092
//                         (default: from NXS_MOCK_CONTROL_PORT)
//   NXS_SETTINGS_PATH     default /nexte/settings (the demo uses /slack/settings)
//   NXS_EVENT_SECRET_FILE default $NXS_FIXTURES/keys/event_secret, else t/fixtures's
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export const base = (process.env.NXS_BASE_URL || '').replace(/\/$/, '');
if (!base) throw new Error('NXS_BASE_URL is not set (http://host:port of the httpd under test)');
export const settingsPath = process.env.NXS_SETTINGS_PATH || '/nexte/settings';
export const apiPath = `${settingsPath}/api/`;
export const mockControl = (process.env.NXS_MOCK_CONTROL_URL
    || (process.env.NXS_MOCK_CONTROL_PORT && `http://127.0.0.1:${process.env.NXS_MOCK_CONTROL_PORT}`) || '')
    .replace(/\/$/, '');

const secretFile = process.env.NXS_EVENT_SECRET_FILE
    || join(process.env.NXS_FIXTURES || join(here, '..', 'fixtures'), 'keys', 'event_secret');
// One trailing newline is not part of the secret (as in NxsClient.pm).
const secret = readFileSync(secretFile, 'latin1').replace(/\n$/, '');

function hmacHex(text) {
    return createHmac('sha256', Buffer.from(secret, 'latin1')).update(text, 'utf8').digest('hex');
}

// Account ids of one run: the same file run twice against one server (the demo,
// a kept Apache-Test server) starts from fresh accounts.
const runId = Date.now().toString(36);
export function accountId(name) {
    return `${name}_${runId}`;
}

// Each link works once and the module refuses one valid for more than 15
// minutes, so every call makes a new link, 5 minutes ahead, its exp one second
// later than the previous one's (two links of one account in one second differ).
let expSeq = 0;
export function launchUrl(account) {
    const exp = Math.floor(Date.now() / 1000) + 300 + expSeq++;
    const sig = hmacHex(`launch:${account}:${exp}`);
    return `${base}${settingsPath}/launch?account=${encodeURIComponent(account)}&exp=${exp}&sig=${sig}`;
}

// A call as Nexte core: X-Nexte-Account, X-Nexte-Timestamp and X-Nexte-Signature
// over "v1:" ts ":" METHOD " " PATH?QUERY "\n" ACCOUNT "\n" BODY.  PATH is
// relative to the settings API ("account") or absolute.  Returns the parsed JSON
// and throws on an HTTP error, so a setup step that did not happen fails.
// A signed change is accepted once: an identical call in the same second takes
// an earlier second (see NxsClient.pm).
const signedTexts = new Set();
export async function signed(account, method, path, body) {
    const full = path.startsWith('/') ? path : apiPath + path;
    const content = body === undefined ? '' : JSON.stringify(body);
    let ts = Math.floor(Date.now() / 1000);
    while (signedTexts.has(`${ts} ${method} ${full}\n${account}\n${content}`)) ts--;
    signedTexts.add(`${ts} ${method} ${full}\n${account}\n${content}`);
    const sig = hmacHex(`v1:${ts}:${method} ${full}\n${account}\n${content}`);
    const headers = { 'X-Nexte-Account': account, 'X-Nexte-Timestamp': String(ts), 'X-Nexte-Signature': `v1=${sig}` };
    if (content) headers['Content-Type'] = 'application/json';
    const res = await fetch(base + full, { method, headers, body: content || undefined });
    const text = await res.text();
    if (!res.ok) throw new Error(`signed ${method} ${full} for ${account}: ${res.status} ${text.slice(0, 200)}`);
    return text ? JSON.parse(text) : null;
}

// An event as Nexte core sends it: POST <events> with X-Nexte-Timestamp and
// X-Nexte-Signature "v1=" hex HMAC(secret, "v1:" ts ":" body).  Returns the
// HTTP status.
export const eventsPath = process.env.NXS_EVENTS_PATH || '/nexte/events';
let eventSeq = 0;
export async function postEvent(account, type, extra) {
    const ev = {
        id: `evt_browser_${runId}_${eventSeq++}`, type, account_id: account,
        occurred_at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        actor: { id: 'mem_7', name: 'Claire Martin' },
        record: { kind: 'invoice', id: 'inv_1042', number: 'INV-2026-042', url: 'https://app.nexte.io/invoices/inv_1042' },
        amount: { value: '1250.00', currency: 'EUR' },
        data: { method: 'card' },
        ...(extra || {}),
    };
    const body = JSON.stringify(ev);
    const ts = Math.floor(Date.now() / 1000);
    const res = await fetch(base + eventsPath, {
        method: 'POST', body,
        headers: { 'Content-Type': 'application/json', 'X-Nexte-Timestamp': String(ts), 'X-Nexte-Signature': `v1=${hmacHex(`v1:${ts}:${body}`)}` },
    });
    await res.text();
    return res.status;
}

// Opens the settings page of ACCOUNT in PAGE through a fresh launch link and
// waits for the first render.  When the browser holds another account's
// session, the module asks before switching: the person says yes.
export async function openSettings(page, account) {
    await page.goto(launchUrl(account));
    const ready = page.locator('body[data-ready="true"]');
    const ask = page.getByRole('button', { name: `Open account ${account}` });
    await ready.or(ask).first().waitFor({ state: 'attached' });
    if (await ask.count()) {
        await ask.click();
        await ready.waitFor({ state: 'attached' });
    }
}

// The settings API with the page's cookies (as the page's own script would call
// it, CSRF token included on writes).  Returns the parsed JSON; throws on an
// HTTP error.
export async function api(page, method, path, body) {
    const req = page.context().request;
    const headers = {};
    if (method !== 'GET') {
        const s = await req.get(base + apiPath + 'session');
        if (!s.ok()) throw new Error(`api/session: ${s.status()}`);
        headers['X-CSRF-Token'] = (await s.json()).csrf_token;
    }
    const res = await req.fetch(base + apiPath + path, {
        method, headers, ...(body === undefined ? {} : { data: body }),
    });
    if (!res.ok()) throw new Error(`${method} api/${path}: ${res.status()} ${(await res.text()).slice(0, 200)}`);
    return res.json();
}

// The mock Slack's control API; every method throws when the mock refuses.
async function control(method, route, body, query) {
    if (!mockControl) throw new Error('no mock control URL (NXS_MOCK_CONTROL_URL or NXS_MOCK_CONTROL_PORT)');
    const qs = query ? `?${new URLSearchParams(query)}` : '';
    const res = await fetch(`${mockControl}/_mock/${route}${qs}`, {
        method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } }),
    });
    const data = await res.json().catch(() => ({}));
    if (!res.ok || !data.ok) throw new Error(`mock ${method} /_mock/${route}: ${res.status} ${data.error || ''}`);
    return data;
}

export const mock = {
    reset: () => control('POST', 'reset', {}),
    mode: (rule) => control('POST', 'mode', rule),
    normal: () => control('POST', 'mode', { mode: 'normal' }),
    decision: (d) => control('POST', 'decision', d),
    channel: (c) => control('POST', 'channel', c),
    messages: async (query) => (await control('GET', 'messages', undefined, query)).messages,
    tokens: async (team) => (await control('GET', 'tokens', undefined, { team })).tokens,
    token: (action) => control('POST', 'token', action),
    calls: async (query) => (await control('GET', 'calls', undefined, query)).calls,
};
