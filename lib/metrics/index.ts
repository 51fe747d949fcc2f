export * from './registry';
export * from './probes';
