import { runEngineContract } from './engines.ts';

runEngineContract('reference');
