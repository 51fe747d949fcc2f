/**
 * Jest globalSetup of the `integration` project: starts the stack (or adopts the
 * one named by KAFKA_BROKERS / SCHEMA_REGISTRY_URL / KUBECONFIG / ROUNDHOUSE_S3_*) and exports its env. Workers
 * are forked after this runs, so they inherit process.env.
 */
import { startStack } from './index';
import { setJestStack } from './jest-handle';

export default async function globalSetup(): Promise<void> {
  const handle = await startStack();
  process.env.KAFKA_BROKERS = handle.env.KAFKA_BROKERS;
  process.env.SCHEMA_REGISTRY_URL = handle.env.SCHEMA_REGISTRY_URL;
  process.env.KUBECONFIG = handle.env.KUBECONFIG;
  process.env.ROUNDHOUSE_S3_ENDPOINT = handle.env.ROUNDHOUSE_S3_ENDPOINT;
  process.env.ROUNDHOUSE_S3_BUCKET = handle.env.ROUNDHOUSE_S3_BUCKET;
  process.env.ROUNDHOUSE_S3_ACCESS_KEY_ID = handle.env.ROUNDHOUSE_S3_ACCESS_KEY_ID;
  process.env.ROUNDHOUSE_S3_SECRET_ACCESS_KEY = handle.env.ROUNDHOUSE_S3_SECRET_ACCESS_KEY;
  setJestStack(handle);
}
