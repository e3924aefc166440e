// The dashboards in Debian's chromium, driven by playwright-core, through
// the real stack (nginx, the pools, SQLite): test/integration/test_browser.c
// starts the stack and runs one scenario at a time:
//   node test/browser/run.mjs <scenario> <base URL> <screenshot directory>
// A scenario prints "ok" and exits 0, or prints what it saw and exits 1.
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';

const [, , scenario, base, shots] = process.argv;

function check(cond, what) {
	if (!cond)
		throw new Error(what);
}

async function text(page, sel) {
	return (await page.textContent(sel))?.trim();
}

async function signIn(page, email) {
	await page.goto(base + '/marketplace/login.html?lang=en');
	await page.fill('#identifier', email);
	await page.fill('#password', 'demo-password');
	await Promise.all([page.waitForURL(/account\.html/), page.click('main button[type=submit]')]);
}

// Every visible field has a label; nothing but the page's own script runs.
async function checkLabels(page, where) {
	const unlabelled = await page.$$eval('input:not([type=hidden]), select, textarea',
	    (els) => els.filter((e) => e.labels.length === 0 && !e.getAttribute('aria-label'))
	    .map((e) => e.outerHTML));
	check(unlabelled.length === 0, `${where}: fields without a label: ${unlabelled}`);
}

async function shot(page, name) {
	await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
}

async function flash(page) {
	return text(page, '#flash');
}

const scenarios = {
	// An admin assigns a ticket and answers it, creates a plan, restarts a
	// shop and watches it come back.
	async admin(page) {
		await signIn(page, 'admin@example.com');
		await page.click('header >> text=Dashboard');
		check(await text(page, 'h1') === 'Platform dashboard', 'the dashboard title');
		check(await page.isVisible('#kpi-mrrCents'), 'the MRR card');
		check(await page.locator('#chart-revenue svg rect').count() === 12,
		    'the revenue chart: a bar a month');
		await shot(page, 'admin-overview');
		// The keyboard reaches the skip link first.
		await page.keyboard.press('Tab');
		check(await page.evaluate(() => document.activeElement.className) === 'skip',
		    'Tab reaches the skip link first');

		await page.click('nav.tabs >> text=Tickets');
		await shot(page, 'admin-tickets');
		const row = page.locator('tr', { hasText: 'Checkout fails' });
		await row.locator('a', { hasText: 'Open' }).click();
		// The subject made of markup is text.
		check(await text(page, '#ticket-subject') ===
		    "<script>alert('x')</script> Checkout fails", 'the subject shows as text');
		await page.selectOption('#assignee', { label: 'agent@example.com' });
		await page.click('#assign-form button');
		check(await flash(page) === 'The ticket was assigned.', 'assigned: ' + await flash(page));
		await page.fill('#reply-body', 'We are looking into it.');
		await page.click('#reply-form button');
		check(await flash(page) === 'Your reply was sent.', 'replied');
		check((await text(page, '.thread')).includes('We are looking into it.'),
		    'the reply in the thread');
		await page.fill('#reply-body', 'Gateway logs checked.');
		await page.check('#reply-internal');
		await page.fill('#reply-minutes', '15');
		await page.click('#reply-form button');
		check(await page.isVisible('.response.internal >> text=Gateway logs checked.'),
		    'the internal note, marked');
		await page.selectOption('#new-status', 'resolved');
		await page.click('#status-form button');
		check(await text(page, '#ticket-status') === 'Resolved', 'moved');
		await checkLabels(page, 'the ticket');
		await shot(page, 'admin-ticket');

		await page.click('nav.tabs >> text=Plans');
		await page.fill('#plan-name', 'Premium');
		await page.fill('#plan-slug', 'premium');
		await page.fill('#plan-price', '14900');
		await page.fill('#plan-features', 'Everything\nA named contact');
		await page.click('#plan-form button');
		check(await flash(page) === 'The plan was created.', 'plan created: ' + await flash(page));
		check(await page.isVisible('#table-plans >> text=Premium'), 'the plan listed');
		await checkLabels(page, 'the plans');
		await shot(page, 'admin-plans');

		await page.click('nav.tabs >> text=Shops');
		const shop = page.locator('tr', { hasText: 'boutique-clara' });
		await shop.locator('button', { hasText: 'Restart' }).click();
		check((await flash(page)).startsWith('The shop is restarting'), 'restarting');
		await shot(page, 'admin-backends');
		await page.locator('tr', { hasText: 'boutique-clara' })
		    .locator('a', { hasText: 'Deployment log' }).click();
		// The page refreshes itself until the restart is over.
		let state = '';
		for (let i = 0; i < 60; i++) {
			state = await page.getAttribute('#state', 'data-state').catch(() => '');
			const ongoing = await page.isVisible('text=Refresh').catch(() => true);
			if (state === 'running' && !ongoing)
				break;
			await page.waitForTimeout(500);
			await page.reload();
		}
		check(state === 'running', 'the shop runs again: ' + state);
		check((await text(page, 'table.steps')).includes('Wait for its health check'), 'the steps');

		await page.goto(base + '/marketplace/test-platform-api.html');
		await page.selectOption('#route', 'GET /api/merchants');
		await page.fill('#query', 'filters[slug][$eq]=boutique-clara');
		await page.click('#tester-form button');
		check((await text(page, '#answer-status')).startsWith('200'), 'the tester answered');
		check((await text(page, '#answer-body')).includes('"Boutique Clara"'), 'its answer');
		await checkLabels(page, 'the tester');
		await shot(page, 'api-tester');
	},

	// A merchant sees its own, opens a ticket, downloads an invoice,
	// cancels its subscription.
	async merchant(page) {
		await signIn(page, 'clara@example.com');
		await page.click('header >> text=Dashboard');
		check(await text(page, 'h1') === 'Boutique Clara: your space', 'its title');
		const body = await text(page, 'main');
		check(!body.includes("Bob's Bikes"), 'nothing of another merchant');
		check(await page.isVisible('#kpi-orders'), 'its shop sales');
		await shot(page, 'merchant-overview');

		await page.click('nav.tabs >> text=Tickets');
		await page.fill('#ticket-subject-input', 'Where is my invoice?');
		await page.fill('#ticket-description', 'I cannot find the one of November.');
		await page.selectOption('#ticket-category', 'billing');
		await page.click('#new-ticket-form button');
		check((await flash(page)).startsWith('Your ticket was opened'), 'opened');
		check(await page.isVisible('#table-tickets >> text=Where is my invoice?'), 'listed');
		check(!(await text(page, '#table-tickets')).includes("Bob"), 'its own tickets only');
		await checkLabels(page, 'its tickets');
		await shot(page, 'merchant-tickets');

		await page.click('nav.tabs >> text=Invoices');
		const [download] = await Promise.all([page.waitForEvent('download'),
		    page.locator('#table-invoices a[download]').first().click()]);
		const pdf = readFileSync(await download.path());
		check(pdf.subarray(0, 5).toString() === '%PDF-', 'the invoice is a PDF');
		await shot(page, 'merchant-invoices');

		await page.click('nav.tabs >> text=Overview');
		await page.click('text=Cancel the subscription');
		await page.fill('#cancel-reason', 'Closing the shop for the winter');
		await page.click('#cancel-form button');
		check(await flash(page) === 'Your subscription was cancelled.', 'cancelled');
		check(await page.isVisible('#sub-ends'), 'it says when it ends');
		await checkLabels(page, 'its overview');
	},

	// The switch on every page; the choice is kept from page to page.
	async language(page) {
		await signIn(page, 'agent@example.com');
		await page.goto(base + '/marketplace/platform-admin.html');
		check(await text(page, 'h1') === 'Platform dashboard', 'in English');
		await page.click('footer >> text=Français');
		check(await text(page, 'h1') === 'Tableau de bord de la plateforme', 'in French');
		await page.click('nav.tabs >> text=Tickets');
		check(await text(page, 'caption') !== null &&
		    (await text(page, 'caption')).startsWith('Tickets'), 'the table');
		check(await page.isVisible('text=Rechercher'), 'still in French');
		check(await page.getAttribute('html', 'lang') === 'fr', 'lang=fr');
		await shot(page, 'agent-tickets-fr');
		await page.click('footer >> text=English');
		check(await page.isVisible('text=Search'), 'in English again');
	},
};

const browser = await chromium.launch({
	executablePath: '/usr/bin/chromium',
	args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
	    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failed = null, page = null;
try {
	const context = await browser.newContext({ ignoreHTTPSErrors: true, acceptDownloads: true,
	    viewport: { width: 1280, height: 900 }, locale: 'en-GB' });
	page = await context.newPage();
	page.setDefaultTimeout(15000);
	// No page may run a script, nor open a dialog.
	page.on('dialog', (d) => { failed = new Error('a dialog opened: ' + d.message()); d.dismiss(); });
	page.on('pageerror', (e) => { failed = new Error('a script error: ' + e.message); });
	if (!scenarios[scenario])
		throw new Error('no scenario ' + scenario);
	await scenarios[scenario](page);
	if (failed)
		throw failed;
	console.log('ok');
} catch (e) {
	console.log(`${scenario}: ${e.message} (at ${page?.url()}; screenshot ` +
	    `${shots}/failed-${scenario}.png)`);
	await page?.screenshot({ path: `${shots}/failed-${scenario}.png`, fullPage: true })
	    .catch(() => {});
	process.exitCode = 1;
} finally {
	await browser.close();
}
