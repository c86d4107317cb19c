import { runEngineContract } from './engines.ts';

runEngineContract('duckdb');
