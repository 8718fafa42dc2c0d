// Checks the harness itself before the flows rely on it, so that their passes
// mean something: launch links and signed calls are accepted by the module
// (and a tampered one is not), the mock's control port answers, a screenshot
// lands on disk, and axe-core finds a known violation in a page whose
// Content-Security-Policy forbids inline scripts (as the settings page's does).
// Usage: NXS_BASE_URL=http://localhost:PORT NXS_MOCK_CONTROL_PORT=N node harness_check.mjs
import { statSync } from 'node:fs';
import { axeViolations, check, run } from './harness.mjs';
import { accountId, launchUrl, mock, settingsPath, signed } from './nexte.mjs';

const ACC = accountId('acc_browser_0');

await run('harness check', async (t) => {
    await t.step('a signed launch link is accepted once, a tampered one is refused', async () => {
        const url = launchUrl(ACC);
        const res = await fetch(url, { redirect: 'manual' });
        check(res.status === 302, `launch link: ${res.status}`);
        const again = await fetch(url, { redirect: 'manual' });
        check(again.status === 403, `the same link again: ${again.status}`);
        const forged = await fetch(launchUrl(ACC).replace(/sig=[0-9a-f]/, 'sig=x'), { redirect: 'manual' });
        check(forged.status === 403, `tampered link: ${forged.status}`);
    });

    await t.step('a call signed as Nexte core is accepted', async () => {
        const cfg = await signed(ACC, 'GET', 'config');
        check(cfg.account?.id === ACC, `api/config names ${cfg.account?.id}`);
    });

    await t.step('the mock Slack\'s control port answers', async () => {
        check(Array.isArray(await mock.calls({ limit: 1 })), 'GET /_mock/calls gave no list');
    });

    const page = await t.newPage();
    await t.step('the browser opens the settings page through a launch link', async () => {
        await page.goto(launchUrl(ACC));
        check(new URL(page.url()).pathname === `${settingsPath}/`, `landed on ${page.url()}`);
        check((await page.locator('body').innerText()).includes(ACC), 'the page does not show the account id');
        const file = await t.shot(page, 'harness check');
        check(statSync(file).size > 1000, `screenshot ${file} is nearly empty`);
    });

    await t.step('axe-core runs under a strict CSP and reports a known violation', async () => {
        await page.setContent(`<!doctype html><html lang="en"><head><title>axe control</title>
            <meta http-equiv="Content-Security-Policy" content="script-src 'self'"></head>
            <body><main><h1>control</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></main></body></html>`);
        const ids = (await axeViolations(page)).filter((v) => v.impact === 'critical').map((v) => v.id);
        check(ids.includes('image-alt'), `critical violations found: ${ids.join(', ') || 'none'}`);
    });
});
