// deploy/grafana: every metric the dashboard's PromQL names (panel queries and template variables) is one a
// running `fspd serve` exports on /metrics, counting a histogram's _bucket/_sum/_count series; the
// provisioning file points at where the dashboard is mounted.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { spawnServe } from './helpers/serve-process.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const grafanaDir = path.join(root, 'deploy', 'grafana');
const dashboard = JSON.parse(fs.readFileSync(path.join(grafanaDir, 'fspd-dashboard.json'), 'utf8'));

interface Panel {
  id: number;
  type: string;
  title: string;
  targets?: Array<{ expr: string }>;
  panels?: Panel[];
}

const PROMQL_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);

/**
 * Metric names in a PromQL expression: the identifiers left once strings, label matchers `{…}`, ranges `[…]`,
 * grouping lists (`by (…)`, `on (…)`, …) and Grafana variables are removed, minus function names (followed by
 * `(`), keywords and numbers.
 */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/(?<![\w:.])([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    if (m[2] || PROMQL_KEYWORDS.has(m[1]!.toLowerCase())) continue;
    names.add(m[1]!);
  }
  return [...names];
}

/** `label_values(metric{…}, label)`: the metric (the label is not one). */
function variableMetricNames(query: string): string[] {
  const m = /^\s*label_values\(\s*([^,]+),\s*\w+\s*\)\s*$/.exec(query);
  return m ? metricNames(m[1]!) : metricNames(query);
}

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

const panels = allPanels(dashboard.panels as Panel[]);
const queries = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
const variableQueries = (dashboard.templating.list as Array<{ name: string; type: string; query: string | { query: string } }>)
  .filter((v) => v.type === 'query')
  .map((v) => ({ panel: `variable $${v.name}`, expr: typeof v.query === 'string' ? v.query : v.query.query }));

describe('metric names out of PromQL', () => {
  it('finds the metrics and only the metrics', () => {
    assert.deepEqual(
      metricNames('histogram_quantile(0.99, sum by (le, grpc_method) (rate(grpc_server_handling_seconds_bucket{job=~"$job", grpc_code!="OK"}[$__rate_interval])))'),
      ['grpc_server_handling_seconds_bucket'],
    );
    assert.deepEqual(
      metricNames('sum by (cache) (rate(fspd_a_total{result="hit"}[5m])) / on (cache) group_left sum(rate(fspd_b_total[5m])) > bool 0.5'),
      ['fspd_a_total', 'fspd_b_total'],
    );
    assert.deepEqual(metricNames('fspd_native_info == 1 or vector(0)'), ['fspd_native_info']);
    assert.deepEqual(variableMetricNames('label_values(fspd_native_info{job=~"$job"}, instance)'), ['fspd_native_info']);
  });
});

describe('deploy/grafana', () => {
  let exported: Set<string>;
  let child: ChildProcess | undefined;
  let stateDir: string;

  before(async () => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fspd-grafana-'));
    const server = await spawnServe(process.execPath, ['bin/fspd.js', 'serve', '--address', '127.0.0.1:0', '--metrics-address', '127.0.0.1:0', '--checkpoint-dir', stateDir], {
      cwd: root,
      env: { ...process.env, FSPD_BACKEND: 'cpu' },
    });
    child = server.child;
    const serving = server.serving;
    const text = await (await fetch(`http://${serving.metrics}/metrics`)).text();
    // Every metric has a TYPE line, also those with no sample yet (labelled counters before their first call).
    exported = new Set();
    for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\w+)$/gm)) {
      exported.add(name!);
      if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) exported.add(`${name}${suffix}`);
      if (type === 'summary') for (const suffix of ['_sum', '_count']) exported.add(`${name}${suffix}`);
    }
  });

  after(() => {
    child?.kill('SIGKILL');
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('/metrics was read (fspd, gRPC and process metrics)', () => {
    for (const name of ['fspd_native_info', 'grpc_server_handled_total', 'grpc_server_handling_seconds_bucket', 'process_cpu_seconds_total']) {
      assert.ok(exported.has(name), `${name} exported`);
    }
  });

  it('every metric a panel query or a template variable names is exported', () => {
    assert.ok(queries.length >= 15, `panel queries found: ${queries.length}`);
    const unknown: string[] = [];
    const used = new Set<string>();
    for (const q of queries) {
      const names = metricNames(q.expr);
      assert.ok(names.length > 0, `${q.panel}: a metric in ${q.expr}`);
      for (const n of names) (exported.has(n) ? used.add(n) : unknown.push(`${q.panel}: ${n}`));
    }
    for (const q of variableQueries) {
      const names = variableMetricNames(q.expr);
      assert.ok(names.length > 0, `${q.panel}: a metric in ${q.expr}`);
      for (const n of names) if (!exported.has(n)) unknown.push(`${q.panel}: ${n}`);
    }
    assert.deepEqual(unknown, [], 'metrics /metrics does not export');
    // Each of fspd's own metrics has a panel.
    const fspdMetrics = [...exported].filter((n) => n.startsWith('fspd_'));
    assert.deepEqual(fspdMetrics.filter((n) => !used.has(n)), [], "fspd's metrics without a panel");
  });

  it('panels are well formed: unique ids, a grid position, the dashboard data-source variable', () => {
    const ids = panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'unique panel ids');
    for (const p of panels as Array<Panel & { gridPos?: object; datasource?: { uid: string } }>) {
      assert.ok(p.gridPos, `${p.title}: gridPos`);
      if (p.type !== 'row') assert.equal(p.datasource?.uid, '${datasource}', `${p.title}: datasource`);
    }
    assert.ok((dashboard.templating.list as Array<{ name: string; type: string }>).some((v) => v.name === 'datasource' && v.type === 'datasource'));
  });

  it('the provisioning file loads the dashboard from the path its comment mounts it at', () => {
    const provider = YAML.parse(fs.readFileSync(path.join(grafanaDir, 'provisioning', 'dashboards', 'fspd.yaml'), 'utf8'));
    assert.equal(provider.apiVersion, 1);
    const dir = provider.providers[0].options.path as string;
    assert.equal(provider.providers[0].type, 'file');
    assert.match(fs.readFileSync(path.join(grafanaDir, 'provisioning', 'dashboards', 'fspd.yaml'), 'utf8'), new RegExp(`:${dir}/fspd-dashboard\\.json`));
    const sources = YAML.parse(fs.readFileSync(path.join(grafanaDir, 'provisioning', 'datasources', 'prometheus.yaml'), 'utf8'));
    assert.equal(sources.datasources[0].type, 'prometheus');
  });
});
