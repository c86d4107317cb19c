export { buildApp, type AppOptions } from './app.ts';
export { hashKey, newApiKey } from './auth.ts';
export { ApiError } from './errors.ts';
export { mergeWorkspace } from './routes/admin.ts';
