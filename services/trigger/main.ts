import { loadCatalog } from '../../lib/catalog';
import { createRuntime, runMain } from '../../lib/runtime';
import { createTriggerApp } from './app';

/** The trigger's composition root: real adapters from the environment, signals handled. */
runMain('trigger', async () => {
  const runtime = await createRuntime('trigger');
  const catalog = loadCatalog(runtime.config.catalogPath);
  const app = createTriggerApp({
    bus: runtime.bus,
    codec: runtime.codec,
    catalog,
    logger: runtime.logger,
    metrics: runtime.metrics,
    readiness: runtime.readiness,
    instanceId: runtime.instanceId,
    // Deployments that share a cluster are told apart by their topic prefix; so are their groups.
    groupId: `${runtime.config.topicPrefix}roundhouse-trigger`,
    onFatal: (stage, error) => runtime.fatal(`trigger ${stage} consumer`, error),
  });
  await app.start();
  runtime.shutdown.add({ name: 'trigger', stop: () => app.stop() });
});
