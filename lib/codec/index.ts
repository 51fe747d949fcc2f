export * from './codec';
export * from './registry';
export * from './memory-registry';
export * from './platform';
