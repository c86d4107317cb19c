export * from './standard.ts';
export * from './fold.ts';
