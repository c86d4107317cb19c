export * from './json-text.ts';
export * from './names.ts';
export * from './export-object.ts';
