export * from './keys.ts';
export * from './resolve.ts';
