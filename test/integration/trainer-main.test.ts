import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AvroCodec, createPlatformCodec, topicNames } from '../../lib/codec';
import { TRAINER_EXIT, serializeRunSpec } from '../../lib/runspec';
import { cardModel, runSpecFor } from '../../services/trainer/testing/fixtures';
import { kafkaBus, readAll, registryClient, uniqueName } from '../helpers';

/** services/trainer/main.ts as a process: how it reads its spec and what it exits with when it cannot train. */
const ROOT = path.join(__dirname, '..', '..');

function runMain(env: Record<string, string | undefined>): Promise<{ exitCode: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/trainer/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ROUNDHOUSE_RUN_SPEC: undefined, ROUNDHOUSE_RUN_SPEC_FILE: undefined, LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (exitCode) => resolve({ exitCode, stderr })));
}

const model = cardModel({ featureTopic: 'unused.features', labelTopic: 'unused.labels' });

describe('trainer main.ts', () => {
  it('without a run spec: exit 65, saying what to set', async () => {
    const run = await runMain({});
    expect(run.exitCode).toBe(TRAINER_EXIT.BAD_INPUT);
    expect(run.stderr).toMatch(/\[VALIDATION\] no run spec: set ROUNDHOUSE_RUN_SPEC/);
  });

  it('an invalid spec: exit 65 naming the field', async () => {
    const run = await runMain({ ROUNDHOUSE_RUN_SPEC: JSON.stringify({ version: 1, runId: '' }) });
    expect(run.exitCode).toBe(65);
    expect(run.stderr).toMatch(/invalid run spec:[\s\S]*runId/);
  });

  it('reads the spec from ROUNDHOUSE_RUN_SPEC_FILE; an unusable s3:// artifact root (bad bucket name) fails clearly and is still reported', async () => {
    const prefix = `${uniqueName('main')}.`;
    const codec = await createPlatformCodec(new AvroCodec(registryClient()), topicNames(prefix));
    const bus = kafkaBus(1);
    await bus.ensureTopics([{ name: codec.topics.trainingResults, partitions: 1 }]);
    await bus.close();
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'roundhouse-spec-')), 'spec.json');
    const runId = uniqueName('run');
    writeFileSync(file, serializeRunSpec(runSpecFor(model, { runId, startTime: 0, endTime: 1000, artifactUri: 's3://Bad_Bucket/card-fraud/' })));
    const run = await runMain({ ROUNDHOUSE_RUN_SPEC_FILE: file, ROUNDHOUSE_TOPIC_PREFIX: prefix });
    expect(run.exitCode).toBe(65);
    const [message] = await readAll(codec.topics.trainingResults, 1);
    expect(codec.decode('TrainingCompleted', message!.value)).toMatchObject({ runId, status: 'FAILED', failure: { code: 'CONFIG_INVALID', retriable: false, message: expect.stringMatching(/invalid s3:\/\/ artifact root "s3:\/\/Bad_Bucket\/card-fraud\/": bucket "Bad_Bucket" is not a valid S3 bucket name/) } });
  });

  it('a registry it cannot reach: exit 75 (retriable)', async () => {
    const run = await runMain({ ROUNDHOUSE_RUN_SPEC: serializeRunSpec(runSpecFor(model, { startTime: 0, endTime: 1000, artifactUri: 'file:///tmp/x/' })), SCHEMA_REGISTRY_URL: 'http://127.0.0.1:9/apis/ccompat/v7' });
    expect(run.stderr).toMatch(/REGISTRY_UNAVAILABLE/);
    expect(run.exitCode).toBe(TRAINER_EXIT.RETRIABLE);
  });
});
