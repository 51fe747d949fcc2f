export * from './types';
export * from './dlq';
export * from './processor';
export * from './consumer';
export * from './memory';
export * from './caught-up';
export * from './read-to-end';
export * from './out-of-range';
