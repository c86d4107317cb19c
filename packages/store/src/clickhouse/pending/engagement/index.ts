export * from './channels.ts';
export * from './refinements.ts';
export * from './rows.ts';
