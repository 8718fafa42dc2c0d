// The settings page when things go wrong or differ (issue #14): Slack failing
// while the channels are listed, then retried; a test message to an archived
// channel; a session that ends under the user; a second workspace to switch to;
// an account in French; a connection Slack stops accepting (reconnect needed),
// then reconnected.  Each step is one TAP point with a screenshot.
// Usage: NXS_BASE_URL=http://localhost:PORT NXS_MOCK_CONTROL_PORT=N node settings_edge.mjs
import { check, run, waitFor } from './harness.mjs';
import { accountId, api, mock, openSettings, postEvent, signed } from './nexte.mjs';

const ACC = accountId('acc_browser_2');
const ACC_FR = accountId('acc_browser_3');
const ACC_RC = accountId('acc_browser_4');

await run('settings edge cases', async (t) => {
    await mock.reset();
    const page = await t.newPage();
    const $ = (sel, opt) => page.locator(sel, opt);
    const ready = () => $('body[data-ready="true"]').waitFor({ state: 'attached' });
    let englishTitle = '';

    await t.step('setup: a connected account', async () => {
        await openSettings(page, ACC);
        englishTitle = (await $('h1').innerText()).trim();
        // Slack fails to list the channels from the install on (step k): the module keeps a
        // listed workspace's channels for a minute, so only a list never fetched meets the failure.
        await mock.mode({ mode: 'error5xx', method: 'conversations.list' });
        await $('#add-to-slack').click();
        await $('#install-result', { hasText: 'Mock Agency' }).waitFor();
        await ready();
        await $('#health-state[data-state="connected"]').waitFor({ state: 'attached' });
    }, { page, critical: true });

    try {
        await t.step('k. Slack failing while the channels are listed: an alert with a retry', async () => {
            await page.reload();
            await ready();
            await $('#channels-error[role="alert"]').waitFor({ state: 'visible' });
            await $('#channels-retry').waitFor({ state: 'visible' });
        }, { page });
    } finally {
        await mock.normal();
    }

    await t.step('k. retry once Slack is back: the alert goes and the picker works', async () => {
        await $('#channels-retry').click();
        await $('#channels-error').waitFor({ state: 'hidden' });
        await $('#channel-payments').fill('pay');
        await $('#channel-payments-list [role="option"][data-id="C0PAYMENTS"]').click();
        await $('#categories [data-category="payments"][data-channel-id="C0PAYMENTS"][data-state="saved"]')
            .waitFor({ state: 'attached' });
    }, { page });

    try {
        await t.step('l. a test message to an archived channel says it is archived', async () => {
            await mock.channel({ id: 'C0PAYMENTS', is_archived: true });
            await $('#confirm').click();
            const result = $('#result-payments[data-ok="false"]');
            await result.waitFor({ state: 'attached' });
            const text = await result.innerText();
            check(/archived/i.test(text), `#result-payments says: ${text}`);
        }, { page });
    } finally {
        await mock.channel({ id: 'C0PAYMENTS', is_archived: false });
    }

    await t.step('m. a change after the session is gone says the session expired', async () => {
        await page.context().clearCookies();
        await $('#mention-payments').selectOption('channel');
        const alert = $('#session-expired[role="alert"]');
        await alert.waitFor({ state: 'visible' });
        const text = await alert.innerText();
        check(/expired/i.test(text), `#session-expired says: ${text}`);
    }, { page });

    await t.step('n. Add another workspace: the page offers both', async () => {
        await openSettings(page, ACC);
        await mock.decision({ team: 'T0MOCK02' });
        await $('#add-workspace').click();
        await $('#install-result', { hasText: 'Second Agency' }).waitFor();
        await ready();
        await waitFor(async () => (await $('#workspace-select option').count()) === 2, '#workspace-select with 2 options');
        const values = await $('#workspace-select option').evaluateAll((os) => os.map((o) => o.value).sort());
        check(values.join() === 'T0MOCK01,T0MOCK02', `options: ${values.join()}`);
    }, { page });

    // The list the picker offers once the workspace switch is through.  The page
    // gives no sign of when its new channel list has arrived, so this types the
    // search again, as a user would, until the workspace's channel shows up.
    async function offeredAfterSwitch(expected) {
        const input = $('#channel-alerts');
        const option = $(`#channel-alerts-list [role="option"][data-id="${expected}"]`);
        await waitFor(async () => {
            await input.fill('');
            await input.fill('pay');
            return option.waitFor({ timeout: 1000 }).then(() => true, () => false);
        }, `option ${expected} for "pay"`);
        return $('#channel-alerts-list [role="option"]').evaluateAll((os) => os.map((o) => o.dataset.id));
    }

    await t.step('n. switching workspaces lists the other workspace\'s channels', async () => {
        await $('#workspace-select').selectOption('T0MOCK01');
        await waitFor(async () => (await api(page, 'GET', 'workspaces')).workspaces.find((w) => w.active)?.team_id === 'T0MOCK01',
            'T0MOCK01 active');
        let ids = await offeredAfterSwitch('C0PAYMENTS');
        check(!ids.includes('C2PAYMENTS'), `Second Agency's channels are offered for Mock Agency: ${ids.join()}`);
        await $('#channel-alerts').press('Escape');
        await $('#workspace-select').selectOption('T0MOCK02');
        ids = await offeredAfterSwitch('C2PAYMENTS');
        check(!ids.includes('C0PAYMENTS'), `Mock Agency's channels are still offered: ${ids.join()}`);
    }, { page });

    await t.step('o. an account in French gets the page in French', async () => {
        await openSettings(page, ACC_FR);
        check(await page.getAttribute('html', 'lang') === 'en', 'the new account\'s page is not lang="en"');
        await signed(ACC_FR, 'PUT', 'account', { locale: 'fr' });
        await page.reload();
        await ready();
        const lang = await page.getAttribute('html', 'lang');
        check(lang === 'fr', `<html lang="${lang}">`);
        const title = (await $('h1').innerText()).trim();
        check(title && englishTitle && title !== englishTitle, `h1 "${title}", in English "${englishTitle}"`);
    }, { page });

    // Last: it revokes Mock Agency's tokens, which the steps above use.
    await t.step('p. Slack stops accepting the token: health says reconnect needed, with a button', async () => {
        await openSettings(page, ACC_RC);
        await $('#add-to-slack').click();
        await $('#install-result', { hasText: 'Mock Agency' }).waitFor();
        await api(page, 'PUT', 'categories/payments', { channel_id: 'C0PAYMENTS', channel_name: 'payments' });
        for (const tok of await mock.tokens('T0MOCK01')) {
            await mock.token({ action: 'revoke', token: tok.token });
        }
        const status = await postEvent(ACC_RC, 'invoice.paid');
        check(status === 202, `the event was answered ${status}`);
        await waitFor(async () => (await signed(ACC_RC, 'GET', 'config')).connection.state === 'reconnect_needed',
            'the connection to be marked reconnect_needed after Slack refused the token');
        await page.reload();
        await ready();
        await $('#health-state[data-state="reconnect_needed"]').waitFor({ state: 'attached' });
        await $('#reconnect').waitFor({ state: 'visible' });
        const text = await $('#health-state').innerText();
        check(/reconnect/i.test(text), `#health-state says: ${text}`);
    }, { page });

    await t.step('p. Reconnect: connected again, the channel kept', async () => {
        await $('#reconnect').click();
        await $('#install-result', { hasText: 'Mock Agency' }).waitFor();
        await ready();
        await $('#health-state[data-state="connected"]').waitFor({ state: 'attached' });
        await $('#categories [data-category="payments"][data-channel-id="C0PAYMENTS"]').waitFor({ state: 'attached' });
    }, { page });
});
