import { MemoryEventBus } from '../../lib/bus';
import { MemorySchemaRegistry } from '../../lib/codec';
import { silentLogger } from '../../lib/log';
import { ChampionFollower } from './follower';
import { testCatalog, testModelYaml } from './testing/catalog';
import { championEvent, platformCodec } from './testing/harness';
import { referenceProfile } from './testing/stream';

const START = Date.UTC(2026, 0, 1);

describe('ChampionFollower: whose promotion is the champion', () => {
  async function followed(events: { version: number; promotedAt: number; leaderEpoch: number | null }[]): Promise<{ version: number; promotedAt: number } | undefined> {
    const bus = new MemoryEventBus({ defaultPartitions: 1 });
    const codec = await platformCodec(new MemorySchemaRegistry());
    const model = testCatalog(testModelYaml()).models[0]!;
    const profile = referenceProfile(4, 1_000);
    await bus.ensureTopics([{ name: codec.topics.modelReady, compacted: true }, { name: codec.topics.trainingRuns }, { name: codec.topics.evaluations }]);
    await bus.publish(events.map((e) => codec.message('ModelReady', { ...championEvent(model, profile, e.version, e.promotedAt, START), leaderEpoch: e.leaderEpoch })));
    const follower = new ChampionFollower(bus, codec, silentLogger(), 'test');
    await follower.start();
    try {
      const champion = follower.champion(model.id);
      return champion && { version: champion.version, promotedAt: champion.promotedAt };
    } finally {
      await follower.stop();
    }
  }

  it("ignores a deposed leader's late promotion (lower epoch), however new its promotedAt", async () => {
    const champion = await followed([
      { version: 1, promotedAt: START + 1_000, leaderEpoch: 2 },
      { version: 2, promotedAt: START + 2_000, leaderEpoch: 3 }, // the new leader
      { version: 2, promotedAt: START + 5_000, leaderEpoch: 2 }, // the old one, late, numbering from stale state
    ]);
    expect(champion).toEqual({ version: 2, promotedAt: START + 2_000 });
  });

  it('within one epoch the newest promotion wins (a rollback re-publishes an older version)', async () => {
    const champion = await followed([
      { version: 1, promotedAt: START + 1_000, leaderEpoch: 3 },
      { version: 2, promotedAt: START + 2_000, leaderEpoch: 3 },
      { version: 1, promotedAt: START + 3_000, leaderEpoch: 3 },
    ]);
    expect(champion).toEqual({ version: 1, promotedAt: START + 3_000 });
  });

  it('events from before leader election (no epoch) give way to any elected leader', async () => {
    const champion = await followed([
      { version: 1, promotedAt: START + 1_000, leaderEpoch: null },
      { version: 2, promotedAt: START + 500, leaderEpoch: 0 },
      { version: 3, promotedAt: START + 9_000, leaderEpoch: null },
    ]);
    expect(champion).toEqual({ version: 2, promotedAt: START + 500 });
  });
});
