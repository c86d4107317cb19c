/** User export objects built in SQL (profile-sql.ts) and read for exports (profile-readers.ts). */
export * from './profile-sql.ts';
export * from './profile-readers.ts';
