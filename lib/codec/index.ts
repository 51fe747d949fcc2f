export * from './codec';
export * from './registry';
export * from './memory-registry';
