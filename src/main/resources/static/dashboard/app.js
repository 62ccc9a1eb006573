// carbonledger dashboard: plain ES modules, hash routes, the public API and hand-drawn SVG.
import { ApiError, get, list, pdf, reconcile, session, verify, whoAmI } from './api.js';
import { chain, energy, exact, groupedBars, horizontalBars, integer, mass, micro, stackedBar, svg } from './charts.js';

// --- DOM helpers (text content only: API data never becomes markup) ----------------------------------------------

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'hidden' || k === 'disabled' || k === 'required') el[k] = true;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

const $ = (id) => document.getElementById(id);
const page = () => $('page');
const date = (iso) => (iso ? new Date(iso).toISOString().replace('T', ' ').slice(0, 16) + ' UTC' : '—');

function show(...content) {
  page().replaceChildren(...content);
  const heading = page().querySelector('h1');
  if (heading) {
    heading.tabIndex = -1;
    heading.focus();
  }
}

/** An amount in its currency's minor units (2 for USD, 0 for JPY), en-US grouping, then the currency code. */
function money(amount, currency) {
  let digits = 2;
  try {
    digits = new Intl.NumberFormat('en-US', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
  } catch (e) { /* an unknown code: two decimals */ }
  const format = new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return `${format.format(Number(amount))} ${currency}`;
}

const loading = (what) => h('p', { class: 'loading', role: 'status' }, `Loading ${what}…`);

/** An error that tells the user what to do next. */
function problem(error, what) {
  if (!(error instanceof ApiError)) {
    return h('div', { class: 'error-box', role: 'alert' }, h('p', {}, `Could not show ${what}: ${error.message}.`),
      h('p', {}, 'Reload the page; if it happens again, check the platform log.'));
  }
  const advice = {
    0: 'Check that the platform is running and reachable, then reload.',
    401: 'The API key is no longer accepted (revoked or the platform was reset). Sign out and sign in with a valid key.',
    403: 'This key cannot see this page: tenant pages need a tenant key, operator pages the operator key.',
    404: 'Nothing of yours has this id. Check the id and try again.',
  }[error.status] || (error.status >= 500
    ? 'The platform failed to answer. Try again; if it persists, check the platform log.'
    : 'Correct the input named above and try again.');
  const field = error.problem.field ? ` (${error.problem.field})` : '';
  return h('div', { class: 'error-box', role: 'alert' },
    h('p', {}, h('strong', {}, `Could not show ${what}${field}: `), error.message),
    h('p', {}, advice),
    error.status === 401 ? h('button', { type: 'button', onclick: signOut }, 'Sign out') : null);
}

const empty = (...lines) => h('div', { class: 'empty' }, ...lines.map((l) => h('p', {}, l)));

function table(caption, headers, rows, attrs = {}) {
  return h('table', attrs, h('caption', {}, caption),
    h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, rows));
}

// --- session ------------------------------------------------------------------------------------------------------

let who = null;

const TENANT_PAGES = [['overview', 'Overview'], ['workloads', 'Workloads'], ['invoices', 'Invoices'],
  ['receipts', 'Receipts'], ['trace', 'Trace a request']];
const OPERATOR_PAGES = [['inventory', 'Offset inventory'], ['retirements', 'Retirements'], ['audit', 'Audit']];

function signOut() {
  session.signOut();
  who = null;
  go('');
}

/** Navigates to a page: one render, by the hashchange listener when the hash changes, else directly. */
function go(hash) {
  if (location.hash.replace(/^#/, '') === hash.replace(/^#/, '')) {
    render();
  } else {
    location.hash = hash;
  }
}

async function signIn(event) {
  event.preventDefault();
  const key = $('api-key').value.trim();
  const error = $('sign-in-error');
  error.textContent = '';
  try {
    who = await whoAmI(key);
    session.signIn(key);
    $('api-key').value = '';
    go(who.role === 'tenant' ? '#/overview' : '#/inventory');
  } catch (e) {
    error.textContent = e.status === 401
      ? 'This key is not accepted: check that you copied the whole key (it is shown once, when the tenant is created).'
      : `Sign-in failed: ${e.message}`;
    $('api-key').focus();
  }
}

function chrome() {
  const signedIn = !!who;
  $('sign-in').hidden = signedIn;
  $('nav').hidden = !signedIn;
  $('who').hidden = !signedIn;
  if (!signedIn) {
    page().replaceChildren();
    $('api-key').focus();
    return;
  }
  $('who-name').textContent = who.role === 'tenant' ? `Tenant: ${who.tenant.name}` : 'Operator';
  const pages = who.role === 'tenant' ? TENANT_PAGES : OPERATOR_PAGES;
  const current = route().name;
  $('nav').replaceChildren(h('ul', {}, pages.map(([id, label]) => h('li', {},
    h('a', { href: `#/${id}`, 'aria-current': id === current ? 'page' : null }, label)))));
}

function route() {
  const [name, ...rest] = location.hash.replace(/^#\/?/, '').split('/');
  return { name: name || '', arg: rest.length ? decodeURIComponent(rest.join('/')) : '' };
}

async function render() {
  if (!who && session.key()) {
    try {
      who = await whoAmI(session.key());
    } catch (e) {
      session.signOut();
      $('sign-in-error').textContent = e.status === 401 ? 'Your key is no longer accepted: sign in again.' : e.message;
    }
  }
  chrome();
  if (!who) return;
  const { name, arg } = route();
  const pages = who.role === 'tenant' ? { overview, workloads, invoices, receipts, trace }
    : { inventory, retirements, audit };
  const fn = pages[name];
  if (!fn) {
    location.replace(who.role === 'tenant' ? '#/overview' : '#/inventory');
    return;
  }
  document.title = `${(who.role === 'tenant' ? TENANT_PAGES : OPERATOR_PAGES).find(([id]) => id === name)[1]} — carbonledger`;
  await fn(arg);
}

// --- tenant: overview ---------------------------------------------------------------------------------------------

async function overview(arg) {
  const params = new URLSearchParams(arg);
  const heading = h('h1', {}, 'Emissions overview');
  show(heading, loading('the emissions summary'));
  let summary;
  try {
    summary = await get(`/v1/emissions/summary?${params}`);
  } catch (e) {
    show(heading, windowForm(params), problem(e, 'the emissions summary'));
    return;
  }
  const rows = summary.rows;
  const form = windowForm(new URLSearchParams({ from: summary.from, to: summary.to, granularity: summary.granularity }));
  if (rows.length === 0) {
    show(heading, form, empty(`No requests ended between ${summary.from} and ${summary.to} (exclusive).`,
      'Meter inference requests with POST /v1/telemetry/requests, or widen the window above.'));
    return;
  }
  const total = (f) => rows.reduce((s, r) => s + micro(r[f]), 0);
  const requests = rows.reduce((s, r) => s + r.requestCount, 0);
  const location_ = total('co2eGramsLocationBased'), market = total('co2eGramsMarketBased');
  const invoiced = total('co2eGramsInvoiced'), allocated = total('co2eGramsAllocated');
  const cards = h('ul', { class: 'cards', 'aria-label': 'Totals of the window' },
    card('requests', 'Requests', integer(requests), requests),
    card('energy', 'Energy', energy(total('energyJoules')), exact(total('energyJoules'))),
    card('location', 'CO2e, location-based', mass(location_), exact(location_)),
    card('market', 'CO2e, market-based', mass(market), exact(market)));

  // per period, filling the periods without requests between the first and the last
  const byPeriod = new Map();
  for (const r of rows) {
    const p = byPeriod.get(r.periodStart) || { location: 0, market: 0, requests: 0 };
    p.location += micro(r.co2eGramsLocationBased);
    p.market += micro(r.co2eGramsMarketBased);
    p.requests += r.requestCount;
    byPeriod.set(r.periodStart, p);
  }
  const periods = fillPeriods([...byPeriod.keys()].sort(), summary.granularity);
  const groups = periods.map((d) => ({ label: d, values: [byPeriod.get(d)?.location || 0, byPeriod.get(d)?.market || 0] }));
  const emissions = groupedBars({ id: 'emissions', caption: `CO2e per ${summary.granularity}, location- and market-based`,
    groups, series: [{ name: 'location-based', className: 'location' }, { name: 'market-based', className: 'market' }],
    format: mass });

  const byWorkload = new Map();
  for (const r of rows) {
    const w = byWorkload.get(r.workloadId) || { label: r.workloadName, sublabel: r.model, value: 0 };
    w.value += micro(r.energyJoules);
    byWorkload.set(r.workloadId, w);
  }
  const energyChart = horizontalBars({ id: 'energy', caption: 'Energy by workload and model',
    rows: [...byWorkload.values()].sort((a, b) => b.value - a.value), format: energy });

  const coverage = stackedBar({ id: 'coverage', caption: 'Coverage of location-based CO2e by retired offsets',
    format: mass, parts: [
      { name: 'retired', className: 'retired', value: allocated },
      { name: 'pending (invoiced)', className: 'pending', value: invoiced - allocated },
      { name: 'uncovered (not invoiced)', className: 'uncovered', value: location_ - invoiced }] });

  show(heading, form, cards,
    h('section', { 'aria-labelledby': 'emissions-heading' },
      h('h2', { id: 'emissions-heading' }, `Emissions per ${summary.granularity}`), emissions,
      h('details', {}, h('summary', {}, 'The same data as a table'),
        table(`CO2e per ${summary.granularity}`, ['Period', 'Requests', 'Location-based', 'Market-based'],
          periods.filter((d) => byPeriod.has(d)).map((d) => h('tr', {}, h('th', { scope: 'row' }, d),
            h('td', {}, integer(byPeriod.get(d).requests)), h('td', {}, mass(byPeriod.get(d).location)),
            h('td', {}, mass(byPeriod.get(d).market))))))),
    h('section', { 'aria-labelledby': 'energy-heading' },
      h('h2', { id: 'energy-heading' }, 'Energy by workload and model'), energyChart),
    h('section', { 'aria-labelledby': 'coverage-heading' },
      h('h2', { id: 'coverage-heading' }, 'Coverage'),
      h('p', {}, 'Retired: grams covered by offset credits retired and allocated when an invoice was paid. Pending: ',
        'invoiced but not covered yet (open invoices). Uncovered: not invoiced yet (the month is not closed).'),
      coverage));
}

function card(metric, label, shown, value) {
  return h('li', { class: 'card', 'data-metric': metric, 'data-value': value },
    h('span', { class: 'card-label' }, label), h('span', { class: 'card-value' }, shown));
}

function fillPeriods(sorted, granularity) {
  if (sorted.length === 0) return [];
  const out = [];
  const d = new Date(`${sorted[0]}T00:00:00Z`), end = new Date(`${sorted[sorted.length - 1]}T00:00:00Z`);
  while (d <= end && out.length < 800) {
    out.push(d.toISOString().slice(0, 10));
    if (granularity === 'month') d.setUTCMonth(d.getUTCMonth() + 1); else d.setUTCDate(d.getUTCDate() + 1);
  }
  return out;
}

function windowForm(params) {
  const field = (id, label, input) => h('div', { class: 'field' }, h('label', { for: id }, label), input);
  const from = h('input', { id: 'window-from', name: 'from', type: 'date', value: params.get('from') || '' });
  const to = h('input', { id: 'window-to', name: 'to', type: 'date', value: params.get('to') || '' });
  const unit = h('select', { id: 'window-granularity', name: 'granularity' },
    h('option', { value: 'day' }, 'per day'), h('option', { value: 'month' }, 'per month'));
  unit.value = params.get('granularity') || 'day';
  return h('form', { class: 'window', 'aria-label': 'Time window', onsubmit: (e) => {
    e.preventDefault();
    const p = new URLSearchParams();
    if (from.value) p.set('from', from.value);
    if (to.value) p.set('to', to.value);
    p.set('granularity', unit.value);
    location.hash = `#/overview/${p}`;
  } }, field('window-from', 'From (inclusive)', from), field('window-to', 'To (exclusive)', to),
  field('window-granularity', 'Granularity', unit), h('button', { type: 'submit' }, 'Show'));
}

// --- tenant: workloads, invoices, receipts ------------------------------------------------------------------------

async function workloads() {
  const heading = h('h1', {}, 'Workloads');
  show(heading, loading('workloads'));
  try {
    const items = await list('/v1/workloads');
    show(heading, items.length === 0
      ? empty('No workloads yet.', 'Create one with POST /v1/workloads (name, model, GPU model and count, region).')
      : table('Your inference workloads', ['Name', 'Model', 'Parameters (billion)', 'GPUs', 'Region', 'PUE', 'Created'],
        items.map((w) => h('tr', {}, h('th', { scope: 'row' }, w.name), h('td', {}, w.model),
          h('td', { class: 'num' }, String(w.modelParamsBillion)), h('td', {}, `${w.gpuCount} × ${w.gpuModel}`),
          h('td', {}, w.region), h('td', {}, w.pue === null ? 'provider default' : String(w.pue)),
          h('td', {}, date(w.createdAt)))), { id: 'workloads-table' }));
  } catch (e) {
    show(heading, problem(e, 'workloads'));
  }
}

async function invoices() {
  const heading = h('h1', {}, 'Invoices');
  show(heading, loading('invoices'));
  try {
    const items = await list('/v1/invoices');
    if (items.length === 0) {
      show(heading, empty('No invoices yet.', 'An invoice is made when a month is closed: '
        + 'POST /v1/billing/periods/close with {"period": "YYYY-MM"} after the month has ended.'));
      return;
    }
    show(heading, table('Your invoices; open one to see its lines', ['Number', 'Period', 'Status', 'CO2e', 'Amount', 'Paid'],
      items.map((i) => h('tr', { 'data-invoice': i.number },
        h('th', { scope: 'row' }, h('details', {}, h('summary', {}, i.number),
          h('ul', { class: 'lines' }, i.lines.map((l) => h('li', {}, `${l.description}: ${integer(l.requestCount)} requests, `
            + `${mass(micro(l.co2eGrams))}, ${energy(micro(l.energyJoules))}, ${money(l.amount, l.currency)}`))))),
        h('td', {}, i.periodStart.slice(0, 7)),
        h('td', {}, h('span', { class: `badge ${i.status.toLowerCase()}` }, i.status)),
        h('td', { class: 'num' }, mass(micro(i.co2eGrams))),
        h('td', { class: 'num' }, money(i.totalAmount, i.currency)),
        h('td', {}, date(i.paidAt))))));
  } catch (e) {
    show(heading, problem(e, 'invoices'));
  }
}

async function receipts() {
  const heading = h('h1', {}, 'Receipts');
  show(heading, loading('receipts'));
  let items;
  try {
    items = await list('/v1/receipts');
  } catch (e) {
    show(heading, problem(e, 'receipts'));
    return;
  }
  const fileInput = h('input', { id: 'verify-file', type: 'file', accept: 'application/pdf,.pdf',
    'aria-describedby': 'verify-file-help' });
  const fileStatus = h('p', { id: 'verify-file-status', role: 'status' });
  fileInput.addEventListener('change', async () => {
    if (!fileInput.files.length) return;
    await runVerify(fileStatus, () => fileInput.files[0]);
  });
  const verifyFile = h('section', { 'aria-labelledby': 'verify-heading', class: 'verify-panel' },
    h('h2', { id: 'verify-heading' }, 'Verify a receipt file'),
    h('label', { for: 'verify-file' }, 'Receipt PDF'), fileInput,
    h('p', { id: 'verify-file-help', class: 'help' }, 'Choose a receipt PDF (for example one downloaded below): '
      + 'the platform checks its signature; the file is not stored.'),
    fileStatus);
  if (items.length === 0) {
    show(heading, empty('No receipts yet.', 'A signed receipt is issued when an invoice is paid: '
      + 'POST /v1/invoices/{id}/payments.'), verifyFile);
    return;
  }
  show(heading, table('Signed receipts of your paid invoices', ['Number', 'Issued', 'SHA-256 of the PDF', 'PDF', 'Signature'],
    items.map((r) => {
      const status = h('span', { class: 'verification', role: 'status', 'data-receipt': r.number }, 'not checked');
      return h('tr', { 'data-receipt': r.number }, h('th', { scope: 'row' }, r.number), h('td', {}, date(r.issuedAt)),
        h('td', {}, h('code', { title: r.pdfSha256 }, `${r.pdfSha256.slice(0, 16)}…`)),
        h('td', {}, h('button', { type: 'button', class: 'download', 'aria-label': `Download ${r.number} as PDF`,
          onclick: () => download(r, status) }, 'Download PDF')),
        h('td', {}, h('button', { type: 'button', class: 'verify', 'aria-label': `Verify the signature of ${r.number}`,
          onclick: () => runVerify(status, () => pdf(r.id)) }, 'Verify'), ' ', status));
    }), { id: 'receipts-table' }), verifyFile);
}

async function download(receipt, status) {
  try {
    const blob = await pdf(receipt.id);
    const url = URL.createObjectURL(blob);
    const a = h('a', { href: url, download: `${receipt.number}.pdf`, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (e) {
    status.textContent = `Download failed: ${e.message}`;
    status.className = 'verification invalid';
  }
}

async function runVerify(status, blob) {
  status.textContent = 'Checking…';
  status.className = 'verification';
  try {
    const result = await verify(await blob());
    status.textContent = result.valid
      ? `Valid: ${result.receiptNumber} signed by ${result.signer} at ${date(result.signingTime)}`
      : `Not valid: ${result.reason}`;
    status.className = `verification ${result.valid ? 'valid' : 'invalid'}`;
    status.dataset.valid = String(result.valid);
  } catch (e) {
    status.textContent = `Could not verify: ${e.message}`;
    status.className = 'verification invalid';
  }
}

// --- tenant: trace ------------------------------------------------------------------------------------------------

async function trace(requestId) {
  const heading = h('h1', {}, 'Trace a request');
  const input = h('input', { id: 'trace-id', name: 'requestId', type: 'text', required: true, value: requestId,
    'aria-describedby': 'trace-help', autocomplete: 'off' });
  const form = h('form', { class: 'trace-form', 'aria-label': 'Request to trace', onsubmit: (e) => {
    e.preventDefault();
    if (input.value.trim()) location.hash = `#/trace/${encodeURIComponent(input.value.trim())}`;
  } }, h('label', { for: 'trace-id' }, 'Request id'), input, h('button', { type: 'submit' }, 'Trace'),
  h('p', { id: 'trace-help', class: 'help' }, 'The requestId you sent with POST /v1/telemetry/requests.'));
  if (!requestId) {
    show(heading, form, empty('Enter a request id to see its chain: request → emission records → invoice line → '
      + 'allocations → retired serials → receipt.'));
    return;
  }
  show(heading, form, loading(`the trace of ${requestId}`));
  let t;
  try {
    t = await get(`/v1/trace/requests/${encodeURIComponent(requestId)}`);
  } catch (e) {
    show(heading, form, problem(e, `the trace of ${requestId}`));
    return;
  }
  const r = t.request;
  const emissionNodes = t.emissionRecords.map((e) => ({ id: `e${e.version}`, kind: 'emission', lines: [
    `Emission record v${e.version}`, `${mass(micro(e.co2eGramsLocationBased))} location`,
    `${mass(micro(e.co2eGramsMarketBased))} market`, energy(micro(e.energyJoules))] }));
  const line = t.invoiceLine;
  const invoiceNodes = [line
    ? { id: 'line', kind: 'invoice', lines: ['Invoice line', line.invoiceNumber, line.invoiceStatus, line.description] }
    : { id: 'line', kind: 'invoice', missing: 'Not invoiced yet' }];
  const allocationNodes = t.allocations.length ? t.allocations.map((a, i) => ({ id: `a${i}`, kind: 'allocation',
    lines: ['Allocation', `${mass(micro(a.co2eGrams))}`, a.projectName] }))
    : [{ id: 'a0', kind: 'allocation', missing: line ? 'Not covered yet' : 'No allocation yet' }];
  const serialNodes = t.allocations.length ? t.allocations.map((a, i) => ({ id: `s${i}`, kind: 'serials',
    lines: [a.registryRetirementId, ...a.serialRange.split(' to ').map((s, k) => (k ? `to ${s}` : s)),
      `${a.registry}, vintage ${a.vintage}`] }))
    : [{ id: 's0', kind: 'serials', missing: 'No credits retired yet' }];
  const receiptNodes = [t.receipt ? { id: 'rc', kind: 'receipt', lines: ['Receipt', t.receipt.number,
    date(t.receipt.issuedAt), `sha256 ${t.receipt.pdfSha256.slice(0, 12)}…`] }
    : { id: 'rc', kind: 'receipt', missing: 'No receipt yet' }];
  const edges = [
    ...emissionNodes.map((n) => ['req', n.id]),
    ...emissionNodes.filter((n) => !line || n.id === `e${Math.max(...t.emissionRecords.map((e) => e.version))}`)
      .map((n) => [n.id, 'line']),
    ...allocationNodes.map((n) => ['line', n.id]),
    ...allocationNodes.map((n, i) => [n.id, `s${i}`]),
    ...serialNodes.map((n) => [n.id, 'rc'])];
  const picture = chain({ id: 'trace', caption: `The chain of request ${r.requestId}`, edges, columns: [
    { heading: 'Request', nodes: [{ id: 'req', kind: 'request', lines: [r.requestId, r.workloadName,
      `${integer(r.inputTokens)} in / ${integer(r.outputTokens)} out`, date(r.endedAt)] }] },
    { heading: 'Emission records', nodes: emissionNodes.length ? emissionNodes
      : [{ id: 'e0', kind: 'emission', missing: 'Not calculated' }] },
    { heading: 'Invoice line', nodes: invoiceNodes },
    { heading: 'Allocations', nodes: allocationNodes },
    { heading: 'Retired serials', nodes: serialNodes },
    { heading: 'Receipt', nodes: receiptNodes }] });
  const latest = t.emissionRecords[t.emissionRecords.length - 1];
  show(heading, form, h('div', { class: 'chain-wrap' }, picture),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Workload'), h('dd', {}, `${r.workloadName} (${r.model}, ${r.region})`),
      latest ? [h('dt', {}, 'Methodology'), h('dd', {}, latest.methodologyVersion),
        h('dt', {}, 'Grid factor'), h('dd', {}, `${latest.factor.gco2ePerKwh} gCO2e/kWh ${latest.factor.basis}, `
          + `${latest.factor.provider} ${latest.factor.datasetVersion} (${latest.factor.source})`),
        h('dt', {}, 'Range'), h('dd', {}, `${mass(micro(latest.co2eGramsLow))} – ${mass(micro(latest.co2eGramsHigh))}`)] : null,
      t.receipt ? [h('dt', {}, 'Receipt'), h('dd', {}, h('a', { href: '#/receipts' }, `${t.receipt.number}: download and verify`))] : null));
}

// --- operator -----------------------------------------------------------------------------------------------------

async function inventory() {
  const heading = h('h1', {}, 'Offset inventory');
  show(heading, loading('the offset inventory'));
  let lots;
  try {
    lots = await list('/v1/offsets/lots');
  } catch (e) {
    show(heading, problem(e, 'the offset inventory'));
    return;
  }
  if (lots.length === 0) {
    show(heading, empty('No offset lots yet: payments cannot retire credits until a lot is added.',
      'Add a product with POST /v1/offsets/products, then its lots with POST /v1/offsets/lots or a CSV import.'));
    return;
  }
  const rows = lots.map((l) => ({ ...l, quantity: l.serialLast - l.serialFirst + 1 }));
  const totalQ = rows.reduce((s, l) => s + l.quantity, 0), totalR = rows.reduce((s, l) => s + l.retiredTonnes, 0);
  const W = 960, rowH = 36, left = 330, right = 200;
  const chart = svg('svg', { viewBox: `0 0 ${W} ${rowH * rows.length + 16}`, role: 'img', 'data-chart': 'inventory',
    class: 'chart', 'aria-labelledby': 'inventory-title' },
  svg('title', { id: 'inventory-title' }, 'Retired and available tonnes per lot'));
  const max = Math.max(...rows.map((l) => l.quantity));
  rows.forEach((l, i) => {
    const y = 8 + i * rowH, scale = (W - left - right) / max;
    chart.append(svg('g', { class: 'row', 'data-lot': l.serialPrefix },
      svg('text', { x: left - 8, y: y + 20, 'text-anchor': 'end', class: 'label' }, `${l.serialPrefix} (${l.vintage})`),
      svg('rect', { x: left, y: y + 4, width: l.retiredTonnes > 0 ? Math.max(2, l.retiredTonnes * scale) : 0,
        height: rowH - 12, class: 'bar retired',
        'data-part': 'retired', 'data-value': l.retiredTonnes }, svg('title', {}, `${l.retiredTonnes} t retired`)),
      svg('rect', { x: left + l.retiredTonnes * scale, y: y + 4, width: (l.quantity - l.retiredTonnes) * scale,
        height: rowH - 12, class: 'bar available', 'data-part': 'available', 'data-value': l.quantity - l.retiredTonnes },
      svg('title', {}, `${l.quantity - l.retiredTonnes} t available`)),
      svg('text', { x: left + l.quantity * scale + 6, y: y + 20, class: 'value' },
        `${integer(l.retiredTonnes)} / ${integer(l.quantity)} t retired`)));
  });
  show(heading, h('ul', { class: 'cards', 'aria-label': 'Inventory totals' },
    card('lots', 'Lots', integer(rows.length), rows.length),
    card('retired', 'Tonnes retired', integer(totalR), totalR),
    card('available', 'Tonnes available', integer(totalQ - totalR), totalQ - totalR)),
  h('section', { 'aria-labelledby': 'lots-chart' }, h('h2', { id: 'lots-chart' }, 'Retired and available per lot'), chart,
    h('p', { class: 'legend-line' }, h('span', { class: 'swatch retired', 'aria-hidden': 'true' }), 'retired ',
      h('span', { class: 'swatch available', 'aria-hidden': 'true' }), 'available')),
  table('Offset lots', ['Serials', 'Registry', 'Project', 'Kind', 'Vintage', 'Tonnes', 'Retired', 'Available', 'Price / t'],
    rows.map((l) => h('tr', {}, h('th', { scope: 'row' }, `${l.serialPrefix}-${l.serialFirst} to ${l.serialPrefix}-${l.serialLast}`),
      h('td', {}, l.registry), h('td', {}, `${l.projectName} (${l.projectId})`), h('td', {}, l.kind),
      h('td', {}, String(l.vintage)), h('td', { class: 'num' }, integer(l.quantity)),
      h('td', { class: 'num' }, integer(l.retiredTonnes)), h('td', { class: 'num' }, integer(l.quantity - l.retiredTonnes)),
      h('td', { class: 'num' }, money(l.pricePerTonne, l.currency)))), { id: 'lots-table' }));
}

async function retirements(tenantId) {
  const heading = h('h1', {}, 'Retirements and allocations');
  const input = h('input', { id: 'tenant-filter', type: 'text', value: tenantId, autocomplete: 'off',
    'aria-describedby': 'tenant-filter-help' });
  const form = h('form', { class: 'trace-form', 'aria-label': 'Filter by tenant', onsubmit: (e) => {
    e.preventDefault();
    location.hash = `#/retirements/${encodeURIComponent(input.value.trim())}`;
  } }, h('label', { for: 'tenant-filter' }, 'Tenant id'), input, h('button', { type: 'submit' }, 'Filter'),
  h('p', { id: 'tenant-filter-help', class: 'help' }, 'Leave empty for every tenant.'));
  show(heading, form, loading('retirements'));
  let items;
  try {
    items = await list(`/v1/operator/retirements${tenantId ? `?tenantId=${encodeURIComponent(tenantId)}` : ''}`);
  } catch (e) {
    show(heading, form, problem(e, 'retirements'));
    return;
  }
  if (items.length === 0) {
    show(heading, form, empty(tenantId ? 'This tenant has no retirements.' : 'No credits retired yet.',
      'Credits are retired when a tenant pays an invoice and the inventory holds available serials.'));
    return;
  }
  const perTenant = new Map();
  for (const r of items) {
    const t = perTenant.get(r.tenantId) || { retirements: 0, tonnes: 0, allocated: 0, over: 0 };
    t.retirements += 1;
    t.tonnes += r.tonnes;
    t.allocated += micro(r.gramsAllocated);
    if (micro(r.gramsAllocated) > r.tonnes * 1e12) t.over += 1;
    perTenant.set(r.tenantId, t);
  }
  show(heading, form,
    table('Per tenant: retired mass, allocated grams, balance carried forward, reconciliation',
      ['Tenant', 'Retirements', 'Tonnes retired', 'Allocated', 'Carried forward', 'Reconciliation'],
      [...perTenant].map(([id, t]) => h('tr', { 'data-tenant': id }, h('th', { scope: 'row' },
        h('a', { href: `#/retirements/${id}` }, h('code', {}, id))),
      h('td', { class: 'num' }, integer(t.retirements)), h('td', { class: 'num' }, integer(t.tonnes)),
      h('td', { class: 'num' }, mass(t.allocated)), h('td', { class: 'num' }, mass(t.tonnes * 1e12 - t.allocated)),
      h('td', {}, h('span', { class: `badge ${t.over ? 'invalid' : 'valid'}` },
        t.over ? `${t.over} over-allocated` : 'allocated ≤ retired')))), { id: 'tenants-table' }),
    table('Retirements', ['Registry retirement', 'Tenant', 'Serials', 'Project', 'Tonnes', 'Allocated', 'Retired at'],
      items.map((r) => h('tr', {}, h('th', { scope: 'row' }, r.registryRetirementId), h('td', {}, h('code', {}, r.tenantId.slice(0, 8))),
        h('td', {}, r.serialRange), h('td', {}, `${r.projectName} (${r.registry}, ${r.vintage})`),
        h('td', { class: 'num' }, integer(r.tonnes)), h('td', { class: 'num' }, mass(micro(r.gramsAllocated))),
        h('td', {}, date(r.retiredAt)))), { id: 'retirements-table' }));
}

// --- start --------------------------------------------------------------------------------------------------------

$('sign-in-form').addEventListener('submit', signIn);
$('sign-out').addEventListener('click', signOut);
// --- operator: audit and reconciliation ---------------------------------------------------------------------------

async function audit() {
  const heading = h('h1', {}, 'Audit');
  show(heading, loading('the audit (every total re-derived from the database and the log)'));
  let report;
  try {
    report = await get('/v1/audit');
  } catch (e) {
    show(heading, problem(e, 'the audit'));
    return;
  }
  const checked = Object.entries(report.checked || {});
  const verdict = h('p', { class: report.ok ? 'status ok' : 'status failed', role: 'status', 'data-audit': report.ok ? 'passed' : 'failed' },
    report.ok ? `Audit passed: no finding over ${checked.map(([k, v]) => `${integer(v)} ${k.replace(/([A-Z])/g, ' $1').toLowerCase()}`).join(', ')}.`
      : `Audit failed: ${report.findings.length} finding(s). Each names the row at fault; see docs/design/transparency-log.md.`);
  const findings = report.findings.length === 0 ? empty('No findings.', 'Invariants checked: invoiced mass = billed records, '
    + 'allocated ≤ retired, every record reachable, log leaves = rows, receipts = checkpoints.')
    : table('Findings', ['Check', 'Subject', 'Detail'], report.findings.map((f) => h('tr', {},
      h('th', { scope: 'row' }, f.check), h('td', {}, f.subject), h('td', {}, f.detail))), { id: 'audit-findings' });
  const result = h('div', { id: 'reconciliation', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', id: 'run-reconciliation' }, 'Reconcile invoices with Stripe');
  button.addEventListener('click', async () => {
    button.disabled = true;
    result.replaceChildren(loading('the reconciliation'));
    try {
      const r = await reconcile();
      result.replaceChildren(h('p', { role: 'status', 'data-reconciliation': r.stripeConfigured ? 'ran' : 'offline' },
        r.stripeConfigured
          ? `Checked ${integer(r.invoicesChecked)} invoice(s): ${r.changes.length} repaired, ${r.errors.length} error(s).`
          : 'Stripe is not configured (offline billing): there is nothing to reconcile.'),
      ...(r.changes.length ? [table('Repairs', ['Invoice', 'Change'], r.changes.map((c) => h('tr', {},
        h('th', { scope: 'row' }, c.invoiceNumber), h('td', {}, `${c.from} → ${c.to}: ${c.reason}`))))] : []));
    } catch (e) {
      result.replaceChildren(problem(e, 'the reconciliation'));
    } finally {
      button.disabled = false;
    }
  });
  show(heading, verdict, findings,
    h('section', { 'aria-labelledby': 'reconciliation-title' }, h('h2', { id: 'reconciliation-title' }, 'Reconciliation'),
      h('p', {}, 'Compares unsettled invoices with Stripe and repairs what a missed webhook left behind.'), button, result));
}

window.addEventListener('hashchange', render);
render();
