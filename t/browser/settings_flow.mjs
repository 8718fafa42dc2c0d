// The settings page as a user goes through it (issue #14), one account from a
// launch link to a reconnect: Add to Slack through the mock, channel pickers by
// mouse and by keyboard, a mention, the test messages, filters locked and then
// unlocked by the plan, the page at 360 px, axe checks, disconnect and
// reconnect.  Each step is one TAP point with a screenshot.
// Usage: NXS_BASE_URL=http://localhost:PORT NXS_MOCK_CONTROL_PORT=N node settings_flow.mjs
import { check, DESKTOP, run, waitFor } from './harness.mjs';
import { accountId, api, mock, openSettings, signed } from './nexte.mjs';

const ACC = accountId('acc_browser_1');

await run('settings flow', async (t) => {
    await mock.reset();
    const page = await t.newPage();
    const $ = (sel, opt) => page.locator(sel, opt);
    const config = () => api(page, 'GET', 'config');

    await t.step('a. launch link opens the page, not connected', async () => {
        await openSettings(page, ACC);
        await $('#account-id', { hasText: ACC }).waitFor();
        await $('#health-state[data-state="not_connected"]').waitFor({ state: 'attached' });
        await $('#add-to-slack').waitFor({ state: 'visible' });
        const connect = await $('#connect').innerText();
        check(/\b(not|never|no)\b[^.]*\bread|n[’']t read/i.test(connect),
            `#connect should say messages are not read; it says: ${connect}`);
    }, { page, critical: true });
    await t.axe(page, 'not connected');

    await t.step('b. Add to Slack goes through Slack and comes back connected to Mock Agency', async () => {
        await $('#add-to-slack').click();
        await $('#install-result', { hasText: 'Mock Agency' }).waitFor();
        await $('body[data-ready="true"]').waitFor({ state: 'attached' });
        await $('#health-state[data-state="connected"]').waitFor({ state: 'attached' });
    }, { page, critical: true });

    await t.step('c. payments channel picked from the combobox is saved', async () => {
        const input = $('#channel-payments');
        check(await input.getAttribute('role') === 'combobox', '#channel-payments is not role=combobox');
        check(await input.getAttribute('aria-controls') === 'channel-payments-list',
            '#channel-payments has no aria-controls="channel-payments-list"');
        await input.fill('pay');
        const option = $('#channel-payments-list [role="option"][data-id="C0PAYMENTS"]');
        await option.waitFor();
        check(await input.getAttribute('aria-expanded') === 'true', 'aria-expanded is not "true" with the list open');
        await option.click();
        await $('#categories [data-category="payments"][data-channel-id="C0PAYMENTS"][data-state="saved"]')
            .waitFor({ state: 'attached' });
        const cfg = await config();
        check(cfg.categories.payments.channel_id === 'C0PAYMENTS',
            `api/config: payments → ${cfg.categories.payments.channel_id}`);
    }, { page });

    await t.step('c. searching "filler-2" shows at most 50 options, all matching', async () => {
        await $('#channel-quotes').fill('filler-2');
        const options = $('#channel-quotes-list [role="option"]');
        const names = await waitFor(async () => {
            const texts = await options.allInnerTexts();
            return texts.length > 0 && texts.every((x) => x.includes('filler-2')) && texts;
        }, 'options that all contain "filler-2"');
        check(names.length <= 50, `${names.length} options shown`);
    }, { page });

    await t.step('c. recap channel picked with the keyboard only is saved', async () => {
        await $('#channel-quotes').press('Escape'); // leaves the search of the step before
        await $('#channel-recap').focus();
        await page.keyboard.type('daily');
        await $('#channel-recap-list [role="option"][data-id="C0DAILY"]').waitFor();
        await page.keyboard.press('ArrowDown');
        await page.keyboard.press('Enter');
        await $('#categories [data-category="recap"][data-channel-id="C0DAILY"][data-state="saved"]')
            .waitFor({ state: 'attached' });
        await waitFor(async () => (await config()).categories.recap.channel_id === 'C0DAILY', 'api/config: recap → C0DAILY');
    }, { page });

    await t.step('d. mention @here for payments is saved', async () => {
        await $('#mention-payments').selectOption('here');
        await waitFor(async () => (await config()).categories.payments.mention === 'here', 'api/config: payments mention here');
    }, { page });

    await t.step('e. confirm posts a test message to each mapped channel', async () => {
        await $('#confirm').click();
        await $('#result-payments[data-ok="true"]').waitFor({ state: 'attached' });
        await $('#result-recap[data-ok="true"]').waitFor({ state: 'attached' });
        await waitFor(async () => (await mock.messages({ channel: 'C0PAYMENTS' })).length > 0,
            'a message in C0PAYMENTS at the mock');
    }, { page });

    await t.step('f. on the Team plan the filters are locked and say Agency', async () => {
        await signed(ACC, 'PUT', 'account', { plan: 'team' });
        await page.reload();
        await $('body[data-ready="true"]').waitFor({ state: 'attached' });
        await $('#filters[data-locked="true"]').waitFor({ state: 'attached' });
        await $('#filters-locked', { hasText: 'Agency' }).waitFor();
        check(await $('#save-filters').isDisabled(), '#save-filters is enabled');
    }, { page });

    await t.step('f. on Agency a bad threshold is shown next to its field', async () => {
        await signed(ACC, 'PUT', 'account', { plan: 'agency' });
        await page.reload();
        await $('body[data-ready="true"]').waitFor({ state: 'attached' });
        await $('#filters[data-locked="false"]').waitFor({ state: 'attached' });
        await $('#threshold-payments').fill('abc');
        await $('#save-filters').click();
        await $('#threshold-payments[aria-invalid="true"]').waitFor({ state: 'attached' });
        await fieldOf($('#threshold-payments')).locator('.field-error').waitFor({ state: 'visible' });
    }, { page });

    await t.step('f. fixed threshold and active hours are saved', async () => {
        await $('#threshold-payments').fill('500');
        await $('#hours-on').check();
        for (const d of ['mon', 'tue', 'wed', 'thu', 'fri']) await $(`#day-${d}`).check();
        await $('#hours-start').fill('09:00');
        await $('#hours-end').fill('19:00');
        await $('#save-filters').click();
        await $('#filters-saved').waitFor({ state: 'visible' });
        check(await $('#threshold-payments').getAttribute('aria-invalid') !== 'true', 'the threshold is still aria-invalid');
        const { filters } = await api(page, 'GET', 'filters');
        check(filters.amount_thresholds?.payments === '500', `amount_thresholds: ${JSON.stringify(filters.amount_thresholds)}`);
        const h = filters.active_hours || {};
        check(JSON.stringify([h.days, h.start, h.end]) === JSON.stringify([['mon', 'tue', 'wed', 'thu', 'fri'], '09:00', '19:00']),
            `active_hours: ${JSON.stringify(filters.active_hours)}`);
    }, { page });

    await t.step('g. at 360 px the page does not scroll sideways', async () => {
        await page.setViewportSize({ width: 360, height: 740 });
        await page.reload();
        await $('body[data-ready="true"]').waitFor({ state: 'attached' });
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        check(width <= 360, `scrollWidth is ${width}`);
    }, { page });
    await page.setViewportSize(DESKTOP);

    await t.axe(page, 'connected, filters unlocked');

    await t.step('i. disconnect asks first, with the purge date', async () => {
        await $('#disconnect').click();
        const dialog = $('dialog#disconnect-dialog[open]');
        await dialog.waitFor();
        const text = await dialog.innerText();
        check(/\d/.test(text), `the dialog gives no date: ${text}`);
    }, { page, fullPage: false }); // a modal's backdrop covers the viewport only
    await t.axe(page, 'disconnect dialog open', { fullPage: false });

    await t.step('i. confirmed disconnect revokes the token and shows the purge date', async () => {
        await $('#disconnect-confirm').click();
        await $('#health-state[data-state="disconnected"]').waitFor({ state: 'attached' });
        await $('#purge-date').waitFor({ state: 'visible' });
        await waitFor(async () => (await mock.calls({ method: 'auth.revoke' })).length > 0, 'auth.revoke at the mock');
    }, { page });

    await t.step('j. reconnect brings the settings back', async () => {
        await $('#reconnect').click();
        await $('#install-result', { hasText: 'Mock Agency' }).waitFor();
        await $('#health-state[data-state="connected"]').waitFor({ state: 'attached' });
        await $('#categories [data-category="payments"][data-channel-id="C0PAYMENTS"]').waitFor({ state: 'attached' });
        const mention = await $('#mention-payments').inputValue();
        check(mention === 'here', `#mention-payments is "${mention}"`);
    }, { page });

    function fieldOf(input) {
        return input.locator('xpath=ancestor::*[contains(concat(" ", normalize-space(@class), " "), " field ")][1]');
    }
});
