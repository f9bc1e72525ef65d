/**
 * The DDI JSON schemas and the poll-interval text: hawkBit 0.3.0M7's answers as it sends them
 * (facts sheet §4, hawkbit: DdiRootController) parse; a wrong field is named in the error.
 */
import { describe, expect, it } from 'vitest';
import {
  ddiActionFeedbackSchema,
  ddiCancelSchema,
  ddiConfigDataSchema,
  ddiControllerBaseSchema,
  ddiDeploymentBaseSchema,
} from '../../src/fleet/ddi/schema.ts';
import { DdiSleepError, formatSleep, parseSleep } from '../../src/fleet/ddi/sleep.ts';
import { describeZodIssues } from '../../src/util/zod-issues.ts';

const SHA256 = 'a'.repeat(64);
/** A deploymentBase as hawkBit 0.3.0M7 sends it, with the fields zdfu does not use. */
const hawkbitDeployment = {
  id: '8',
  deployment: {
    download: 'forced',
    update: 'forced',
    chunks: [
      {
        part: 'bApp',
        version: '1.2.0',
        name: 'app',
        artifacts: [
          {
            filename: 'zephyr.signed.bin',
            hashes: { sha1: 'b'.repeat(40), md5: 'c'.repeat(32), sha256: SHA256 },
            size: 4206,
            _links: {
              'download-http': {
                href: 'http://127.0.0.1:8080/DEFAULT/controller/v1/dev-1/softwaremodules/3/artifacts/zephyr.signed.bin',
              },
              'md5sum-http': {
                href: 'http://127.0.0.1:8080/DEFAULT/controller/v1/dev-1/softwaremodules/3/artifacts/zephyr.signed.bin.MD5SUM',
              },
            },
          },
        ],
        metadata: [{ key: 'k', value: 'v' }],
      },
    ],
  },
  actionHistory: { status: 'RUNNING', messages: ['retrieved'] },
};

function issues(
  schema: { safeParse(x: unknown): { success: boolean; error?: unknown } },
  json: unknown,
): string {
  const result = schema.safeParse(json);
  if (result.success) return 'ok';
  return describeZodIssues(result.error as Parameters<typeof describeZodIssues>[0], json);
}

describe('poll interval text', () => {
  it('reads hawkBit\'s "HH:MM:SS" and writes it back', () => {
    expect(parseSleep('00:05:00')).toBe(300_000);
    expect(parseSleep('00:00:30')).toBe(30_000);
    expect(parseSleep('12:34:56')).toBe(((12 * 60 + 34) * 60 + 56) * 1000);
    expect(parseSleep('100:00:00')).toBe(360_000_000);
    expect(formatSleep(300_000)).toBe('00:05:00');
    expect(formatSleep(45_999)).toBe('00:00:45');
    expect(formatSleep(((12 * 60 + 34) * 60 + 56) * 1000)).toBe('12:34:56');
    for (const text of ['00:00:00', '23:59:59', '05:10:15']) expect(formatSleep(parseSleep(text))).toBe(text);
  });

  it('refuses other text in words', () => {
    for (const bad of ['5m', '00:60:00', '00:00:60', '1:2:3', '', ' 00:05:00', '00:05', '-1:00:00']) {
      expect(() => parseSleep(bad)).toThrow(DdiSleepError);
    }
    expect(() => parseSleep('5 minutes')).toThrow(
      '"5 minutes" is not a hawkBit poll interval: expected hours:minutes:seconds such as "00:05:00"',
    );
    expect(() => formatSleep(-1)).toThrow(RangeError);
    expect(() => formatSleep(Number.NaN)).toThrow(RangeError);
  });
});

describe('DDI schemas', () => {
  it('parse hawkBit 0.3.0M7 answers and ignore the fields zdfu does not use', () => {
    const poll = ddiControllerBaseSchema.parse({
      config: { polling: { sleep: '00:05:00' } },
      _links: {
        deploymentBase: { href: 'http://h/DEFAULT/controller/v1/d/deploymentBase/8?c=-2129030598' },
        configData: { href: 'http://h/DEFAULT/controller/v1/d/configData' },
      },
    });
    expect(poll._links?.deploymentBase?.href).toContain('?c=-2129030598');
    expect(
      ddiControllerBaseSchema.parse({ config: { polling: { sleep: '00:00:30' } } })._links,
    ).toBeUndefined();

    const deployment = ddiDeploymentBaseSchema.parse(hawkbitDeployment);
    expect(deployment.deployment.chunks[0]?.artifacts?.[0]?.hashes.sha256).toBe(SHA256);
    expect(deployment).not.toHaveProperty('actionHistory');

    expect(ddiCancelSchema.parse({ id: '9', cancelAction: { stopId: '9' } })).toEqual({
      id: '9',
      cancelAction: { stopId: '9' },
    });
  });

  it('name the bad field of a broken answer', () => {
    const noSha = structuredClone(hawkbitDeployment) as typeof hawkbitDeployment;
    (noSha.deployment.chunks[0]!.artifacts[0]!.hashes as Partial<{ sha256: string }>).sha256 = undefined;
    expect(issues(ddiDeploymentBaseSchema, noSha)).toBe(
      'field "deployment.chunks.0.artifacts.0.hashes.sha256": expected string, got nothing',
    );
    const badSize = structuredClone(hawkbitDeployment);
    (badSize.deployment.chunks[0]!.artifacts[0] as { size: unknown }).size = '4206';
    expect(issues(ddiDeploymentBaseSchema, badSize)).toBe(
      'field "deployment.chunks.0.artifacts.0.size": expected number, got string',
    );
    const badHandling = structuredClone(hawkbitDeployment);
    (badHandling.deployment as { update: string }).update = 'now';
    expect(issues(ddiDeploymentBaseSchema, badHandling)).toBe(
      'field "deployment.update": expected "skip" or "attempt" or "forced", got "now"',
    );
    expect(issues(ddiControllerBaseSchema, { config: {} })).toBe(
      'field "config.polling": expected object, got nothing',
    );
    expect(issues(ddiCancelSchema, { id: '9' })).toBe('field "cancelAction": expected object, got nothing');
    expect(issues(ddiControllerBaseSchema, [])).toBe('the document: expected object, got an array');
  });

  it('check what a controller sends as hawkBit validates it', () => {
    const feedback = {
      id: 8,
      status: {
        execution: 'closed',
        result: { finished: 'success', progress: { cnt: 1, of: 1 } },
        details: [],
      },
    };
    expect(issues(ddiActionFeedbackSchema, feedback)).toBe('ok');
    expect(issues(ddiActionFeedbackSchema, { ...feedback, time: '20140511T121314' })).toBe('ok');
    expect(
      issues(ddiActionFeedbackSchema, {
        id: 8,
        status: { execution: 'done', result: { finished: 'success' } },
      }),
    ).toMatch(/^field "status.execution": expected "closed" or "proceeding"/);
    expect(issues(ddiActionFeedbackSchema, { id: 8, status: { execution: 'closed', result: {} } })).toMatch(
      /^field "status.result.finished": expected "success" or "failure" or "none", got nothing/,
    );
    expect(issues(ddiConfigDataSchema, { mode: 'merge', data: { VIN: 'x', hwRevision: '3' } })).toBe('ok');
    expect(issues(ddiConfigDataSchema, { mode: 'merge', data: {} })).not.toBe('ok');
    expect(issues(ddiConfigDataSchema, { mode: 'append', data: { a: 'b' } })).toMatch(/^field "mode"/);
  });
});
