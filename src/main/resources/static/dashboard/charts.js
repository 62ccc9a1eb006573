// Hand-drawn SVG charts: no library, no network. Every mark carries its exact value in data-value and a <title>.

const SVG = 'http://www.w3.org/2000/svg';

export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined) el.append(c);
  return el;
}

const title = (text) => svg('title', {}, text);
const text = (x, y, content, attrs = {}) => svg('text', { x, y, ...attrs }, String(content));

// --- numbers: exact micro-units for sums, then one formatting step -----------------------------------------------

/** A decimal JSON number in micro-units (6 decimals, the scale of grams and joules in the API), exactly. */
export const micro = (v) => Math.round(Number(v) * 1e6);
export const exact = (m) => (m / 1e6).toFixed(6);
const nf = (digits) => new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Grams from micrograms, in g or kg or t depending on size. */
export function mass(m) {
  const g = m / 1e6;
  if (Math.abs(g) >= 1e6) return `${nf(3).format(g / 1e6)} t`;
  if (Math.abs(g) >= 1e3) return `${nf(3).format(g / 1e3)} kg`;
  return `${nf(3).format(g)} g`;
}

/** Energy from micro-joules: kWh from 1 kWh, Wh from 1 Wh, joules below. */
export function energy(m) {
  const joules = m / 1e6;
  if (Math.abs(joules) >= 3.6e6) return `${nf(3).format(joules / 3.6e6)} kWh`;
  if (Math.abs(joules) >= 3.6e3) return `${nf(3).format(joules / 3.6e3)} Wh`;
  return `${nf(1).format(joules)} J`;
}

export const integer = (n) => new Intl.NumberFormat('en-US').format(n);

function niceMax(v) {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const f of [1, 2, 2.5, 5, 10]) if (f * p >= v) return f * p;
  return 10 * p;
}

// --- grouped vertical bars: one group per period, one bar per series ----------------------------------------------

/**
 * @param groups [{label, values: [micro, ...]}], series [{name, className}], format(micro) for labels.
 */
export function groupedBars({ id, caption, groups, series, format }) {
  const W = 960, H = 300, left = 80, right = 16, top = 16, bottom = 48;
  const plotW = W - left - right, plotH = H - top - bottom;
  const max = niceMax(Math.max(0, ...groups.flatMap((g) => g.values)));
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': `${id}-title`,
    'data-chart': id, class: 'chart' }, svg('title', { id: `${id}-title` }, caption));
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4, y = top + plotH - (plotH * i) / 4;
    root.append(svg('line', { x1: left, x2: W - right, y1: y, y2: y, class: 'grid' }),
      text(left - 6, y + 4, format(v), { class: 'tick', 'text-anchor': 'end' }));
  }
  const band = plotW / Math.max(1, groups.length);
  const barW = Math.max(2, Math.min(28, (band * 0.8) / series.length));
  const every = Math.ceil(groups.length / 12);
  groups.forEach((g, gi) => {
    const x0 = left + gi * band + (band - barW * series.length) / 2;
    const group = svg('g', { class: 'group', 'data-label': g.label });
    g.values.forEach((v, si) => {
      const h = (plotH * v) / max;
      group.append(svg('rect', { x: x0 + si * barW, y: top + plotH - h, width: barW - 1, height: Math.max(h, 0),
        class: `bar ${series[si].className}`, 'data-date': g.label, 'data-series': series[si].className,
        'data-value': exact(v) }, title(`${g.label} ${series[si].name}: ${format(v)}`)));
    });
    if (gi % every === 0) {
      group.append(text(left + gi * band + band / 2, H - bottom + 16, g.label.slice(5),
        { class: 'tick', 'text-anchor': 'middle' }));
    }
    root.append(group);
  });
  root.append(legend(series, left, H - 12));
  return root;
}

function legend(series, x, y) {
  const g = svg('g', { class: 'legend' });
  let cx = x;
  for (const s of series) {
    g.append(svg('rect', { x: cx, y: y - 10, width: 12, height: 12, class: `bar ${s.className}` }),
      text(cx + 16, y, s.name, { class: 'tick' }));
    cx += 24 + s.name.length * 7;
  }
  return g;
}

// --- horizontal bars: one row per item ----------------------------------------------------------------------------

/** @param rows [{label, sublabel, value: micro}] */
export function horizontalBars({ id, caption, rows, format }) {
  const W = 960, rowH = 40, left = 320, right = 140, top = 8;
  const H = top * 2 + rowH * Math.max(1, rows.length);
  const max = Math.max(1, ...rows.map((r) => r.value));
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': `${id}-title`,
    'data-chart': id, class: 'chart' }, svg('title', { id: `${id}-title` }, caption));
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    const w = ((W - left - right) * r.value) / max;
    root.append(svg('g', { class: 'row', 'data-label': r.label },
      text(left - 8, y + 16, r.label, { class: 'label', 'text-anchor': 'end' }),
      text(left - 8, y + 32, r.sublabel || '', { class: 'tick', 'text-anchor': 'end' }),
      svg('rect', { x: left, y: y + 6, width: Math.max(w, 1), height: rowH - 14, class: 'bar energy',
        'data-value': exact(r.value) }, title(`${r.label}: ${format(r.value)}`)),
      text(left + w + 6, y + 24, format(r.value), { class: 'value' })));
  });
  return root;
}

// --- one stacked bar: parts of a whole ----------------------------------------------------------------------------

/** @param parts [{name, className, value: micro}] */
export function stackedBar({ id, caption, parts, format }) {
  const W = 960, H = 96, left = 8, right = 8, barH = 36;
  const total = parts.reduce((s, p) => s + p.value, 0);
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': `${id}-title`,
    'data-chart': id, class: 'chart' }, svg('title', { id: `${id}-title` }, caption));
  let x = left;
  const legendG = svg('g', { class: 'legend' });
  let lx = left;
  for (const p of parts) {
    const w = total > 0 ? ((W - left - right) * p.value) / total : 0;
    const pct = total > 0 ? ((100 * p.value) / total).toFixed(1) : '0.0';
    root.append(svg('rect', { x, y: 8, width: w, height: barH, class: `bar ${p.className}`, 'data-part': p.className,
      'data-value': exact(p.value) }, title(`${p.name}: ${format(p.value)} (${pct} %)`)));
    x += w;
    const label = `${p.name}: ${format(p.value)} (${pct} %)`;
    legendG.append(svg('rect', { x: lx, y: 62, width: 12, height: 12, class: `bar ${p.className}` }),
      text(lx + 16, 73, label, { class: 'tick', 'data-part': p.className }));
    lx += 40 + label.length * 6.5;
  }
  root.append(legendG);
  return root;
}

// --- the chain of one request -------------------------------------------------------------------------------------

/**
 * @param columns [{heading, nodes: [{id, kind, lines: [string], missing?: string, href?: string}]}];
 *   edges [[fromId, toId]].
 */
export function chain({ id, caption, columns, edges }) {
  const colW = 172, gap = 26, nodeH = 78, vgap = 14, top = 34;
  const W = columns.length * colW + (columns.length - 1) * gap;
  const rows = Math.max(1, ...columns.map((c) => c.nodes.length));
  const H = top + rows * (nodeH + vgap) + 8;
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': `${id}-title`,
    'data-chart': id, class: 'chart chain' }, svg('title', { id: `${id}-title` }, caption));
  const defs = svg('defs', {}, svg('marker', { id: `${id}-arrow`, viewBox: '0 0 10 10', refX: 10, refY: 5,
    markerWidth: 8, markerHeight: 8, orient: 'auto-start-reverse' }, svg('path', { d: 'M0,0 L10,5 L0,10 z',
    class: 'arrowhead' })));
  root.append(defs);
  const pos = new Map();
  const edgeLayer = svg('g', { class: 'edges' });
  root.append(edgeLayer);
  columns.forEach((col, ci) => {
    const x = ci * (colW + gap);
    root.append(text(x + colW / 2, 18, col.heading, { class: 'heading', 'text-anchor': 'middle' }));
    col.nodes.forEach((n, ni) => {
      const y = top + ni * (nodeH + vgap);
      pos.set(n.id, { x, y });
      const g = svg('g', { class: `node ${n.kind}${n.missing ? ' missing' : ''}`, 'data-kind': n.kind,
        tabindex: 0, role: 'group', 'aria-label': `${col.heading}: ${(n.missing ? [n.missing] : n.lines).join(', ')}` },
      title((n.missing ? [n.missing] : n.lines).join('\n')),
      svg('rect', { x, y, width: colW, height: nodeH, rx: 8 }));
      (n.missing ? [n.missing] : n.lines).slice(0, 4).forEach((line, li) => {
        g.append(text(x + 10, y + 20 + li * 17, clip(line, li === 0 ? 21 : 23), { class: li === 0 ? 'node-title' : 'node-line' }));
      });
      root.append(g);
    });
  });
  for (const [from, to] of edges) {
    const a = pos.get(from), b = pos.get(to);
    if (!a || !b) continue;
    const x1 = a.x + colW, y1 = a.y + nodeH / 2, x2 = b.x, y2 = b.y + nodeH / 2;
    edgeLayer.append(svg('path', { d: `M${x1},${y1} C${x1 + gap / 2},${y1} ${x2 - gap / 2},${y2} ${x2},${y2}`,
      class: 'edge', 'marker-end': `url(#${id}-arrow)`, 'data-from': from, 'data-to': to }));
  }
  return root;
}

const clip = (s, n) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
