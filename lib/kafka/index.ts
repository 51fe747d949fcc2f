export * from './client';
export * from './bus';
