import { artifactStoreFor } from '../../lib/artifacts/store-for';
import { loadCatalog } from '../../lib/catalog';
import { createRuntime, runMain } from '../../lib/runtime';
import { createEvaluatorApp } from './app';
import { loadEvaluatorSettings } from './settings';

/**
 * The evaluator's composition root: Kafka + registry from the environment (the
 * in-memory bus only for the embedded demo), the catalog, the artifact store for
 * ARTIFACT_ROOT's scheme (file:// or s3://), probes and metrics, graceful shutdown.
 */
runMain('evaluator', async () => {
  const runtime = await createRuntime('evaluator');
  const settings = loadEvaluatorSettings(process.env, runtime.config);
  const catalog = loadCatalog(runtime.config.catalogPath);
  const app = createEvaluatorApp({
    bus: runtime.bus,
    codec: runtime.codec,
    catalog,
    artifacts: artifactStoreFor(runtime.config.artifactRoot, { baseDir: settings.artifactBaseDir ?? undefined, s3: runtime.config.s3 }),
    artifactLimits: settings.artifactLimits,
    logger: runtime.logger,
    metrics: runtime.metrics,
    readiness: runtime.readiness,
    groupId: settings.groupId,
    catchUpTimeoutMs: settings.catchUpTimeoutMs,
  });
  await app.start();
  runtime.shutdown.add({ name: 'evaluator', stop: () => app.stop() });
});
