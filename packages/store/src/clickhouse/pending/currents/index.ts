export * from './avro.ts';
export * from './body.ts';
export * from './fields.ts';
export * from './records.ts';
