// A small SVG line plot with no dependencies: numeric x and y axes with "nice" ticks, one polyline per
// series (with point markers), optional vertical and horizontal reference lines, a legend. Used for the
// paper's Figure 3 (test accuracy vs iteration) by the fast-optimisation experiment. intervalPlotSvg: one
// row per item, a point at its mean and a bar over its interval (the study's mean ± 95 % CI over seeds).

export interface Series {
  name: string;
  /** [x, y] points; drawn in the order given. Non-finite points are skipped. */
  points: readonly (readonly [number, number])[];
  /** Any SVG colour; default from a fixed palette by position. */
  color?: string;
  dashed?: boolean;
}

export interface ReferenceLine {
  /** Data coordinate (x for vertical lines, y for horizontal ones). */
  at: number;
  label?: string;
  color?: string;
}

export interface LinePlotOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Pixels; default 720 × 440. */
  width?: number;
  height?: number;
  /** Axis ranges; default: the data's extent (y padded by 5 %), widened to nice tick values. */
  xRange?: readonly [number, number];
  yRange?: readonly [number, number];
  /** Formats tick labels; default: trims trailing zeros. */
  xFormat?: (v: number) => string;
  yFormat?: (v: number) => string;
  vLines?: readonly ReferenceLine[];
  hLines?: readonly ReferenceLine[];
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

/** Escapes text for SVG content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Tick values covering [lo, hi] with a step of 1, 2 or 5 × 10^k, about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 6): number[] {
  if (!(Number.isFinite(lo) && Number.isFinite(hi))) throw new RangeError(`niceTicks: expected a finite range, got [${lo}, ${hi}]`);
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) return [lo];
  const raw = (hi - lo) / Math.max(1, count - 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const first = Math.ceil(lo / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let v = first; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** [lo, hi] widened outwards to multiples of the nice tick step. */
function niceRange(lo: number, hi: number, count = 6): [number, number] {
  if (hi === lo) return lo === 0 ? [0, 1] : [lo - Math.abs(lo) * 0.05, hi + Math.abs(hi) * 0.05];
  const ticks = niceTicks(lo, hi, count);
  const step = ticks.length > 1 ? ticks[1]! - ticks[0]! : hi - lo;
  return [Math.floor(lo / step + 1e-9) * step, Math.ceil(hi / step - 1e-9) * step];
}

const fmt = (v: number) => String(Number(v.toPrecision(6)));

/** The plot as a standalone SVG document. */
/** The SVG's opening tag, white background and title, shared by every plot. */
function svgStart(width: number, height: number, title: string | undefined): string[] {
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  ];
  if (title) out.push(`<text x="${(width / 2).toFixed(1)}" y="22" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`);
  return out;
}

/** Vertical grid lines and labelled x ticks over a plot area `top`..`top + height`. */
function xGrid(x0: number, x1: number, sx: (x: number) => number, top: number, height: number, format: (x: number) => string): string[] {
  const n = (v: number) => v.toFixed(1);
  return niceTicks(x0, x1, 8)
    .filter((t) => t >= x0 && t <= x1)
    .flatMap((t) => [
      `<line x1="${n(sx(t))}" y1="${top}" x2="${n(sx(t))}" y2="${top + height}" stroke="#e5e5e5"/>`,
      `<text x="${n(sx(t))}" y="${top + height + 16}" text-anchor="middle">${escapeXml(format(t))}</text>`,
    ]);
}

export function linePlotSvg(series: readonly Series[], options: LinePlotOptions = {}): string {
  const width = options.width ?? 720;
  const height = options.height ?? 440;
  const margin = { left: 64, right: 16, top: options.title ? 36 : 16, bottom: 52 };
  const pw = width - margin.left - margin.right;
  const ph = height - margin.top - margin.bottom;
  const pts = series.flatMap((s) => s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)));
  const xs = [...pts.map((p) => p[0]), ...(options.vLines ?? []).map((l) => l.at)];
  const ys = [...pts.map((p) => p[1]), ...(options.hLines ?? []).map((l) => l.at)];
  const [x0, x1] = options.xRange ?? (xs.length ? niceRange(Math.min(...xs), Math.max(...xs)) : [0, 1]);
  const [y0, y1] =
    options.yRange ??
    (ys.length
      ? (() => {
          const lo = Math.min(...ys);
          const hi = Math.max(...ys);
          const pad = (hi - lo) * 0.05;
          return niceRange(lo - pad, hi + pad);
        })()
      : [0, 1]);
  const sx = (x: number) => margin.left + (x1 === x0 ? pw / 2 : ((x - x0) / (x1 - x0)) * pw);
  const sy = (y: number) => margin.top + ph - (y1 === y0 ? ph / 2 : ((y - y0) / (y1 - y0)) * ph);
  const xf = options.xFormat ?? fmt;
  const yf = options.yFormat ?? fmt;
  const n = (v: number) => v.toFixed(1);
  const out = svgStart(width, height, options.title);
  // Grid and ticks.
  out.push(...xGrid(x0, x1, sx, margin.top, ph, xf));
  for (const t of niceTicks(y0, y1, 7).filter((t) => t >= y0 && t <= y1)) {
    out.push(
      `<line x1="${margin.left}" y1="${n(sy(t))}" x2="${margin.left + pw}" y2="${n(sy(t))}" stroke="#e5e5e5"/>`,
      `<text x="${margin.left - 6}" y="${n(sy(t) + 4)}" text-anchor="end">${escapeXml(yf(t))}</text>`,
    );
  }
  out.push(`<rect x="${margin.left}" y="${margin.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  if (options.xLabel) out.push(`<text x="${n(margin.left + pw / 2)}" y="${height - 12}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`);
  if (options.yLabel) {
    out.push(`<text transform="translate(16 ${n(margin.top + ph / 2)}) rotate(-90)" text-anchor="middle">${escapeXml(options.yLabel)}</text>`);
  }
  const inX = (v: number) => v >= x0 && v <= x1;
  const inY = (v: number) => v >= y0 && v <= y1;
  for (const l of options.vLines ?? []) {
    if (!inX(l.at)) continue;
    const c = l.color ?? '#777';
    out.push(`<line x1="${n(sx(l.at))}" y1="${margin.top}" x2="${n(sx(l.at))}" y2="${margin.top + ph}" stroke="${escapeXml(c)}" stroke-dasharray="2 3"/>`);
    if (l.label) out.push(`<text x="${n(sx(l.at) + 4)}" y="${margin.top + 12}" fill="${escapeXml(c)}">${escapeXml(l.label)}</text>`);
  }
  for (const l of options.hLines ?? []) {
    if (!inY(l.at)) continue;
    const c = l.color ?? '#777';
    out.push(`<line x1="${margin.left}" y1="${n(sy(l.at))}" x2="${margin.left + pw}" y2="${n(sy(l.at))}" stroke="${escapeXml(c)}" stroke-dasharray="2 3"/>`);
    if (l.label) out.push(`<text x="${margin.left + pw - 4}" y="${n(sy(l.at) - 4)}" text-anchor="end" fill="${escapeXml(c)}">${escapeXml(l.label)}</text>`);
  }
  // Series, clipped to the plot area.
  out.push(`<clipPath id="plot-area"><rect x="${margin.left}" y="${margin.top}" width="${pw}" height="${ph}"/></clipPath>`, `<g clip-path="url(#plot-area)">`);
  series.forEach((s, i) => {
    const c = escapeXml(s.color ?? PALETTE[i % PALETTE.length]!);
    const p = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (p.length === 0) return;
    const d = p.map(([x, y]) => `${n(sx(x))},${n(sy(y))}`).join(' ');
    out.push(`<polyline fill="none" stroke="${c}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''} points="${d}"/>`);
    for (const [x, y] of p) out.push(`<circle cx="${n(sx(x))}" cy="${n(sy(y))}" r="2.5" fill="${c}"/>`);
  });
  out.push('</g>');
  // Legend (bottom right, inside the plot).
  const lh = 18;
  const lw = Math.max(80, ...series.map((s) => 36 + 7 * s.name.length));
  const lx = margin.left + pw - lw - 8;
  const ly = margin.top + ph - lh * series.length - 12;
  if (series.length > 0) {
    out.push(`<rect x="${n(lx)}" y="${n(ly)}" width="${lw}" height="${lh * series.length + 6}" fill="white" fill-opacity="0.85" stroke="#bbb"/>`);
    series.forEach((s, i) => {
      const c = escapeXml(s.color ?? PALETTE[i % PALETTE.length]!);
      const y = ly + 14 + i * lh;
      out.push(
        `<line x1="${n(lx + 6)}" y1="${n(y - 4)}" x2="${n(lx + 28)}" y2="${n(y - 4)}" stroke="${c}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
        `<text x="${n(lx + 34)}" y="${n(y)}">${escapeXml(s.name)}</text>`,
      );
    });
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

export interface IntervalRow {
  label: string;
  mean: number;
  /** Interval ends; equal to mean (no bar) when unknown. */
  lo: number;
  hi: number;
  color?: string;
  /** Right of the bar, e.g. "n = 5". */
  note?: string;
}

export interface IntervalPlotOptions {
  title?: string;
  xLabel?: string;
  width?: number;
  xRange?: readonly [number, number];
  xFormat?: (v: number) => string;
  vLines?: readonly ReferenceLine[];
}

/** Horizontal error bars: one row per item (label left), mean as a dot, [lo, hi] as a bar with caps. */
export function intervalPlotSvg(rows: readonly IntervalRow[], options: IntervalPlotOptions = {}): string {
  const rowH = 26;
  const labelW = Math.max(80, ...rows.map((r) => 7 * r.label.length + 12));
  const noteW = Math.max(0, ...rows.map((r) => (r.note ? 7 * r.note.length + 12 : 0)));
  const width = options.width ?? Math.max(720, labelW + 420 + noteW);
  const margin = { left: labelW, right: 16 + noteW, top: options.title ? 36 : 16, bottom: 48 };
  const pw = width - margin.left - margin.right;
  const ph = rowH * Math.max(1, rows.length);
  const height = margin.top + ph + margin.bottom;
  const finite = rows.flatMap((r) => [r.lo, r.hi, r.mean]).filter(Number.isFinite);
  const [x0, x1] = options.xRange ?? (finite.length ? niceRange(Math.min(...finite), Math.max(...finite)) : [0, 1]);
  const sx = (x: number) => margin.left + (x1 === x0 ? pw / 2 : ((x - x0) / (x1 - x0)) * pw);
  const xf = options.xFormat ?? fmt;
  const n = (v: number) => v.toFixed(1);
  const out = svgStart(width, height, options.title);
  out.push(...xGrid(x0, x1, sx, margin.top, ph, xf));
  out.push(`<rect x="${margin.left}" y="${margin.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  if (options.xLabel) out.push(`<text x="${n(margin.left + pw / 2)}" y="${height - 12}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`);
  for (const l of options.vLines ?? []) {
    if (!(l.at >= x0 && l.at <= x1)) continue;
    const c = escapeXml(l.color ?? '#777');
    out.push(`<line x1="${n(sx(l.at))}" y1="${margin.top}" x2="${n(sx(l.at))}" y2="${margin.top + ph}" stroke="${c}" stroke-dasharray="2 3"/>`);
    if (l.label) out.push(`<text x="${n(sx(l.at) + 4)}" y="${margin.top - 4}" fill="${c}">${escapeXml(l.label)}</text>`);
  }
  const clamp = (x: number) => Math.min(x1, Math.max(x0, x));
  rows.forEach((r, i) => {
    const y = margin.top + rowH * i + rowH / 2;
    const c = escapeXml(r.color ?? PALETTE[i % PALETTE.length]!);
    out.push(`<text x="${margin.left - 6}" y="${n(y + 4)}" text-anchor="end">${escapeXml(r.label)}</text>`);
    if (Number.isFinite(r.lo) && Number.isFinite(r.hi) && r.hi > r.lo) {
      const [a, b] = [sx(clamp(r.lo)), sx(clamp(r.hi))];
      out.push(
        `<line x1="${n(a)}" y1="${n(y)}" x2="${n(b)}" y2="${n(y)}" stroke="${c}" stroke-width="2"/>`,
        `<line x1="${n(a)}" y1="${n(y - 6)}" x2="${n(a)}" y2="${n(y + 6)}" stroke="${c}" stroke-width="2"/>`,
        `<line x1="${n(b)}" y1="${n(y - 6)}" x2="${n(b)}" y2="${n(y + 6)}" stroke="${c}" stroke-width="2"/>`,
      );
    }
    if (Number.isFinite(r.mean) && r.mean >= x0 && r.mean <= x1) out.push(`<circle cx="${n(sx(r.mean))}" cy="${n(y)}" r="4" fill="${c}"/>`);
    if (r.note) out.push(`<text x="${margin.left + pw + 8}" y="${n(y + 4)}">${escapeXml(r.note)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
