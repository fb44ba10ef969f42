import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { root, services, sourceFiles } from './config-shapes.js';

const duration = z.string().regex(/^\d+(ms|s|m|h|d|w|y)$/);
const prometheusConfig = z.object({
  global: z.object({ scrape_interval: duration, evaluation_interval: duration }),
  rule_files: z.array(z.string()).min(1),
  scrape_configs: z.array(
    z.object({
      job_name: z.string(),
      metrics_path: z.string().optional(),
      static_configs: z.array(z.object({ targets: z.array(z.string()) })).optional(),
      dns_sd_configs: z
        .array(
          z.object({
            names: z.array(z.string()),
            type: z.literal('A'),
            port: z.number(),
            refresh_interval: duration,
          }),
        )
        .optional(),
    }),
  ),
});
// What promtool would check of a rules file, short of evaluating it.
const alertRule = z.strictObject({
  alert: z.string().regex(/^[A-Z][A-Za-z]+$/),
  expr: z.string().min(1),
  for: duration.optional(),
  labels: z.strictObject({ severity: z.enum(['page', 'warning']) }),
  annotations: z.strictObject({ summary: z.string().min(10), runbook: z.string() }),
});
const rulesFile = z.strictObject({
  groups: z.array(z.strictObject({ name: z.string(), rules: z.array(alertRule).min(1) })).min(1),
});

const read = (...path: string[]) => readFileSync(join(root, ...path), 'utf8');
const config = prometheusConfig.parse(parse(read('deploy', 'prometheus', 'prometheus.yml')));
const rules = rulesFile
  .parse(parse(read('deploy', 'prometheus', 'alerts.yml')))
  .groups.flatMap((g) => g.rules);
const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, { environment?: Record<string, unknown> }>;
};

/** Metric names the code registers (`name: 'nc_…'`), with the series a histogram adds. */
function exportedMetrics(): Set<string> {
  const names = new Set<string>();
  for (const file of sourceFiles()) {
    if (file.endsWith('.test.ts')) continue;
    for (const match of readFileSync(file, 'utf8').matchAll(/name: '(nc_[a-z_]+)'/g)) {
      const name = match[1] as string;
      for (const suffix of ['', '_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
    }
  }
  return names;
}

describe('deploy/prometheus/prometheus.yml', () => {
  it('loads the rules file compose mounts', () => {
    expect(config.rule_files).toEqual(['/etc/prometheus/alerts.yml']);
  });

  it('scrapes every service on the port compose gives it, and finds generator replicas by DNS', () => {
    for (const name of services) {
      const job = config.scrape_configs.find((candidate) => candidate.job_name === name);
      expect(job, name).toBeDefined();
      expect(job?.metrics_path ?? '/metrics').toBe('/metrics');
      const port = Number(compose.services[name]?.environment?.HTTP_PORT);
      if (name === 'generator') {
        expect(job?.static_configs).toBeUndefined();
        expect(job?.dns_sd_configs).toEqual([
          expect.objectContaining({ names: ['generator'], type: 'A', port }),
        ]);
      } else {
        expect(job?.static_configs).toEqual([{ targets: [`${name}:${port}`] }]);
      }
    }
  });
});

describe('deploy/prometheus/alerts.yml', () => {
  it('has expressions that parse as PromQL', () => {
    for (const rule of rules) {
      const errors: number[] = [];
      parser.parse(rule.expr).iterate({
        enter(node) {
          if (node.type.isError) errors.push(node.from);
        },
      });
      expect(errors, `${rule.alert}: ${rule.expr}`).toEqual([]);
    }
  });

  it('alerts only on metrics the code exports', () => {
    const exported = exportedMetrics();
    expect(exported.has('nc_dead_letters_total')).toBe(true);
    for (const rule of rules) {
      for (const [metric] of rule.expr.matchAll(/\bnc_[a-z_]+/g)) {
        expect(exported.has(metric), `${rule.alert} uses ${metric}`).toBe(true);
      }
    }
  });

  it('covers what ops must hear about', () => {
    const exprs = rules.map((rule) => rule.expr).join('\n');
    for (const metric of [
      'up{',
      'nc_dead_letters_total',
      'nc_projection_lag_seconds',
      'nc_relay_leader',
      'nc_relay_lag_seconds',
      'nc_generator_attempt_failures_total',
      'nc_delivery_telegram_retries_total',
      'nc_events_handled_total{outcome="retry"}',
    ]) {
      expect(exprs).toContain(metric);
    }
  });

  it('has unique names, each with its section in the runbook', () => {
    const names = rules.map((rule) => rule.alert);
    expect(new Set(names).size).toBe(names.length);
    const headings = new Set(
      [...read('docs', 'ops.md').matchAll(/^#{2,4} (.+)$/gm)].map((match) =>
        (match[1] as string)
          .trim()
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    for (const rule of rules) {
      expect(rule.annotations.runbook).toBe(`docs/ops.md#${rule.alert.toLowerCase()}`);
      expect(headings.has(rule.alert.toLowerCase()), `docs/ops.md has a section ${rule.alert}`).toBe(true);
    }
  });
});
