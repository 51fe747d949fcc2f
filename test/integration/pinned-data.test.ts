import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FileArtifactStore } from '../../lib/artifacts/file-store';
import { verifyArtifact } from '../../lib/artifacts/manifest';
import { pinWindowOffsets } from '../../lib/bus';
import { systemClock } from '../../lib/clock';
import { AvroCodec, createPlatformCodec, topicNames } from '../../lib/codec';
import { subjectFor } from '../../lib/events';
import { silentLogger } from '../../lib/log';
import type { RunSpec } from '../../lib/runspec';
import { CHARGEBACK_SCHEMA, cardModel, produceCards, runSpecFor } from '../../services/trainer/testing/fixtures';
import { runTraining } from '../../services/trainer/train';
import { kafkaBus, registryClient, uniqueName } from '../helpers';

/**
 * Pinned data on the real broker and registry (issue 13): offsets fixed once for
 * a window (what the dispatcher does when it creates a run: lib/bus/pin.ts, the
 * engine's request()) make two runs of one request train on byte-identical row
 * sets, as their manifests show, although 600 more events inside the window and
 * 40 late chargebacks for the first run's events arrived in between. The same two
 * runs without pinned offsets read different rows.
 */
describe('pinned data windows on Kafka', () => {
  it('two runs of one pinned request: same offsets, same rowsSha256, same model; unpinned runs differ', async () => {
    const prefix = `${uniqueName('pin')}.`;
    const topics = { featureTopic: `${prefix}features`, labelTopic: `${prefix}labels` };
    const bus = kafkaBus(3);
    const avro = new AvroCodec(registryClient());
    const root = mkdtempSync(path.join(os.tmpdir(), 'pinned-'));
    try {
      const codec = await createPlatformCodec(avro, topicNames(prefix));
      await bus.ensureTopics([
        { name: topics.featureTopic, partitions: 3 },
        { name: topics.labelTopic, partitions: 3 },
        { name: codec.topics.trainingResults, partitions: 1 },
      ]);
      const data = await produceCards(bus, avro, topics, 3000);
      const artifacts = new FileArtifactStore(pathToFileURL(root).href + '/');
      const deps = { bus, avroCodec: avro, platformCodec: codec, artifacts, clock: systemClock, logger: silentLogger() };
      const model = cardModel(topics);
      const run = async (partitions: RunSpec['dataWindow']['partitions'], runId: string) => {
        const dir = `${pathToFileURL(path.join(root, runId)).href}/`;
        const result = await runTraining(runSpecFor(model, { runId, startTime: data.startTime, endTime: data.endTime, artifactUri: dir, partitions }), deps);
        expect(result.event).toMatchObject({ status: 'SUCCEEDED' });
        const { manifest } = await verifyArtifact(artifacts, dir, result.event.artifactSha256);
        return { manifest, event: result.event, model: JSON.parse((await artifacts.readFile(dir, 'model.json')).toString()) as { coefficients: number[] } };
      };

      const pinned = await pinWindowOffsets(bus, topics, data.startTime);
      expect(pinned.map((r) => `${r.topic === topics.featureTopic ? 'f' : 'l'}${r.partition}`)).toEqual(['f0', 'f1', 'f2', 'l0', 'l1', 'l2']);
      expect(pinned.filter((r) => r.topic === topics.featureTopic).reduce((n, r) => n + r.endOffset - r.startOffset, 0)).toBe(3000);
      const first = await run(pinned, 'pinned-1');
      const freeFirst = await run([], 'free-1');

      await produceCards(bus, avro, topics, 600, { seed: 99, startTime: data.startTime });
      const chargebacks = await avro.writer(subjectFor(topics.labelTopic), CHARGEBACK_SCHEMA);
      const genuine = data.events.filter((e) => e.label === null).slice(0, 40);
      await bus.publish(
        genuine.map((e) => ({
          topic: topics.labelTopic,
          key: e.transaction.event_id,
          timestamp: e.transaction.event_time + 1000,
          value: chargebacks.encode({ event_id: e.transaction.event_id, label_time: e.transaction.event_time + 1000, is_fraud: true, reason_code: 'late', amount: e.transaction.amount, merchant_id: e.transaction.merchant_id }),
        })),
      );

      const second = await run(pinned, 'pinned-2');
      const freeSecond = await run([], 'free-2');
      // Pinned: the manifests name the same offsets and the same row set.
      expect(first.manifest.dataWindow.partitions).toEqual(pinned);
      expect(second.manifest.dataWindow.partitions).toEqual(pinned);
      expect(first.manifest.rowsSha256).toMatch(/^[0-9a-f]{64}$/);
      expect(second.manifest.rowsSha256).toBe(first.manifest.rowsSha256);
      expect([second.manifest.rows, second.manifest.positives]).toEqual([first.manifest.rows, first.manifest.positives]);
      expect(second.model.coefficients).toEqual(first.model.coefficients);
      // Unpinned: the first read the same rows as the pinned run, the second read more.
      expect(freeFirst.manifest.rowsSha256).toBe(first.manifest.rowsSha256);
      expect(freeSecond.manifest.rowsSha256).not.toBe(first.manifest.rowsSha256);
      expect(freeSecond.manifest.rows).toBeGreaterThan(first.manifest.rows);
      expect(freeSecond.manifest.positives).toBeGreaterThan(first.manifest.positives);
    } finally {
      await bus.close();
      rmSync(root, { recursive: true, force: true });
    }
  }, 240_000);
});
