/**
 * On the real registry and broker: the registry client's latest-schema lookup
 * (404 → null on Apicurio's Confluent API), and the trigger refusing at
 * start-up a family whose label records have no segment field (issue 11).
 */
import { topicNames } from '../../lib/codec';
import { silentLogger } from '../../lib/log';
import { createServiceMetrics } from '../../lib/metrics';
import { createTriggerApp } from '../../services/trigger/app';
import { merchantFamilyYaml, testCatalog } from '../../services/trigger/testing/catalog';
import { platformCodec } from '../../services/trigger/testing/harness';
import { syntheticLabelSchema } from '../../services/trigger/testing/schema';
import { kafkaBus, registryClient, uniqueName } from '../helpers';

const withMerchant = { ...syntheticLabelSchema, fields: [...syntheticLabelSchema.fields, { name: 'merchant_id', type: ['null', 'string'], default: null }] };

describe('label routing checked at start-up, on the real registry and broker', () => {
  it('latestSchema: null for a subject without versions, else the newest version', async () => {
    const registry = registryClient();
    const subject = `${uniqueName('labels')}-value`;
    expect(await registry.latestSchema(subject)).toBeNull();
    await registry.register(subject, JSON.stringify(syntheticLabelSchema));
    expect(JSON.parse((await registry.latestSchema(subject))!).fields.map((f: { name: string }) => f.name)).toEqual(['event_id', 'label_time', 'is_fraud']);
    await registry.register(subject, JSON.stringify(withMerchant));
    expect(JSON.parse((await registry.latestSchema(subject))!).fields.map((f: { name: string }) => f.name)).toContain('merchant_id');
  });

  async function startFamily(labelSchema: object): Promise<void> {
    const prefix = `${uniqueName('routing')}.`;
    const bus = kafkaBus(3);
    const registry = registryClient();
    const featureTopic = `${prefix}features`;
    const labelTopic = `${prefix}labels`;
    await bus.ensureTopics([{ name: featureTopic, partitions: 3 }, { name: labelTopic, partitions: 3 }]);
    await registry.register(`${labelTopic}-value`, JSON.stringify(labelSchema));
    const app = createTriggerApp({
      bus,
      codec: await platformCodec(registry, topicNames(prefix)),
      catalog: testCatalog(merchantFamilyYaml({ maxSegments: 100, shards: 4, featureTopic, labelTopic })),
      logger: silentLogger(),
      metrics: createServiceMetrics('trigger'),
      instanceId: 't0',
      groupId: `${prefix}trigger`,
    });
    try {
      await app.start();
    } finally {
      await app.stop();
      await bus.close();
    }
  }

  it('a family whose label schema has no segment field is refused, naming it', async () => {
    await expect(startFamily(syntheticLabelSchema)).rejects.toThrow(/family per-merchant: the label records of routing-[^ ]+\.labels \(latest schema of subject routing-[^ ]+\.labels-value\) have no segment field merchant_id/);
  }, 120_000);

  it('a family whose label schema has it starts', async () => {
    await expect(startFamily(withMerchant)).resolves.toBeUndefined();
  }, 120_000);
});
