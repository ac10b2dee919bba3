// A small line chart in inline SVG: the last minutes, a few series, an axis with the maximum. No library.
// The drawing is sized to the element's pixels at each draw, so text is never stretched on a narrow screen.

const SVG = 'http://www.w3.org/2000/svg';
const H = 160;
/** The narrowest time span drawn: the first minute fills it, instead of a sliver at the right edge. */
const MIN_SPAN_MS = 60 * 1000;
const PAD = { left: 44, right: 8, top: 10, bottom: 20 };

function el(name, attrs = {}, text) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A round upper bound for the y axis: 1, 2, 5, 10, 20, 50, … at or above `max`. */
export function niceMax(max) {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

/**
 * A chart inside `container` showing the last `windowMs` of each series. `series`: [{key, label, className}].
 * `draw(samples)` takes [{t, <key>: number}] in time order.
 */
export function lineChart(container, series, { windowMs = 5 * 60 * 1000, title }) {
  const svg = el('svg', { viewBox: `0 0 600 ${H}`, role: 'img', 'aria-label': title });
  const grid = el('g', { class: 'grid' });
  const lines = series.map((s) => el('polyline', { class: `line ${s.className}`, fill: 'none' }));
  const maxLabel = el('text', { x: PAD.left - 6, y: PAD.top + 4, 'text-anchor': 'end', class: 'axis' }, '1');
  const zeroLabel = el('text', { x: PAD.left - 6, y: H - PAD.bottom, 'text-anchor': 'end', class: 'axis' }, '0');
  const span = el('text', { y: H - 4, 'text-anchor': 'end', class: 'axis' });
  const rules = [el('line', { x1: PAD.left, y1: PAD.top, y2: PAD.top }),
    el('line', { x1: PAD.left, y1: H - PAD.bottom, y2: H - PAD.bottom })];
  grid.append(...rules);
  svg.append(grid, ...lines, maxLabel, zeroLabel, span);
  const legend = document.createElement('ul');
  legend.className = 'legend';
  const values = series.map((s) => {
    const li = document.createElement('li');
    li.className = s.className;
    const v = document.createElement('strong');
    v.dataset.series = s.key;
    li.append(`${s.label}: `, v);
    legend.append(li);
    return v;
  });
  container.replaceChildren(svg, legend);

  return function draw(samples) {
    const W = Math.max(200, Math.round(svg.getBoundingClientRect().width) || 600);
    svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
    for (const r of rules) r.setAttribute('x2', W - PAD.right);
    span.setAttribute('x', W - PAD.right);
    const now = samples.length ? samples[samples.length - 1].t : Date.now();
    const spanMs = Math.min(windowMs, Math.max(MIN_SPAN_MS, samples.length ? now - samples[0].t : 0));
    const from = now - spanMs;
    span.textContent = spanMs >= 120000 ? `last ${Math.round(spanMs / 60000)} min` : `last ${Math.round(spanMs / 1000)} s`;
    const shown = samples.filter((s) => s.t >= from);
    const top = niceMax(Math.max(0, ...shown.flatMap((s) => series.map((x) => s[x.key] ?? 0))));
    maxLabel.textContent = String(top);
    const x = (t) => PAD.left + ((t - from) / spanMs) * (W - PAD.left - PAD.right);
    const y = (v) => H - PAD.bottom - (v / top) * (H - PAD.top - PAD.bottom);
    series.forEach((s, i) => {
      lines[i].setAttribute('points', shown.filter((p) => p[s.key] !== undefined)
        .map((p) => `${x(p.t).toFixed(1)},${y(p[s.key]).toFixed(1)}`).join(' '));
      const last = shown.length ? shown[shown.length - 1][s.key] : undefined;
      values[i].textContent = last === undefined ? '–' : String(Math.round(last * 10) / 10);
    });
  };
}
